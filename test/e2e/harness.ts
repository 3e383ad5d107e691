/**
 * A reusable end-to-end harness: a real VS Code (code-server 4.100.3, installed by scripts/setup-e2e.sh into
 * a cache folder) with the packaged .vsix, driven by playwright-core and Debian's Chromium, offline.
 * Everything runs under a scratch HOME on 127.0.0.1 and is stopped by process group.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, FrameLocator } from 'playwright-core';

export const REPO = resolve(__dirname, '../../..');
export const ARTIFACTS = join(REPO, 'test-artifacts');
export const CODE_SERVER_VERSION = '4.100.3';
export const SETUP_COMMAND = 'apt-get install -y chromium ripgrep libkrb5-dev build-essential python3 && bash scripts/setup-e2e.sh';

export function codeServerPath(): string {
  const cache = process.env.FLOWLENS_E2E_CACHE ?? join(REPO, '.cache/e2e');
  const major = process.versions.node.split('.')[0];
  return join(cache, `code-server-${CODE_SERVER_VERSION}-node${major}`, 'node_modules/.bin/code-server');
}

export function chromiumPath(): string {
  return process.env.FLOWLENS_CHROMIUM ?? '/usr/bin/chromium';
}

/**
 * Why the e2e tests cannot run here, or undefined when they can. In CI (CI=true) a missing piece is a
 * failure, elsewhere a skip naming the setup command.
 */
export function e2eUnavailable(): string | undefined {
  const missing = [codeServerPath(), chromiumPath()].filter((p) => !existsSync(p));
  if (missing.length === 0) return undefined;
  const message = `end-to-end setup missing (${missing.join(', ')}); run: ${SETUP_COMMAND}`;
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}

/** Builds the .vsix for this machine into dir (scripts/package.mjs, which also checks the native binding). */
export function buildVsix(dir: string): string {
  const out = join(dir, 'flowlens.vsix');
  execFileSync(process.execPath, [join(REPO, 'scripts/package.mjs'), '--out', out], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface CodeServer {
  url: string;
  root: string;
  home: string;
  workspace: string;
  userDataDir: string;
  /** Stops the server and every process it started (its process group). */
  stop(): Promise<void>;
  /** Removes the scratch folder (after stop). */
  cleanup(): void;
}

export interface StartOptions {
  vsix: string;
  /** User settings merged over the quiet defaults. */
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
}

export async function startCodeServer(o: StartOptions): Promise<CodeServer> {
  const root = mkdtempSync(join(tmpdir(), 'flowlens-e2e-'));
  const home = join(root, 'home');
  const userDataDir = join(root, 'data');
  const exts = join(root, 'exts');
  const workspace = join(root, 'ws');
  for (const d of [home, join(userDataDir, 'User'), exts, workspace]) mkdirSync(d, { recursive: true });
  const port = await freePort();
  const config = join(root, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'workbench.enableExperiments': false,
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      'notebook.confirmDeleteRunningCell': false,
      ...o.settings,
    }),
  );
  const env = { ...process.env, HOME: home, ...o.env };
  const cs = codeServerPath();
  execFileSync(cs, ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', exts, '--install-extension', o.vsix], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const child: ChildProcess = spawn(
    cs,
    ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', exts, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', workspace],
    { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  let stopped = false;
  return {
    url: `${url}/?folder=${encodeURIComponent(workspace)}`,
    root,
    home,
    workspace,
    userDataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
      // The extension host and its children are in the same group; give them a moment to close files.
      for (let k = 0; k < 50; k++) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(home: string): Promise<Browser> {
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    env: { ...process.env, HOME: home },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.statusbar').waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Runs a palette command by its full title. The workbench paints before the remote extension host has
 * registered contributions, so the palette is reopened until the command shows up.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`command "${title}" did not appear in the palette within ${timeoutMs} ms`);
    }
  }
}

/** Picks the row with this text in the open QuickPick (typing it as a filter first). */
export async function pickQuickItem(page: Page, text: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: timeoutMs });
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: timeoutMs });
  await page.keyboard.press('Enter');
}

/** Types into the open InputBox and accepts. */
export async function answerInput(page: Page, value: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: timeoutMs });
  await input.fill(value);
  await page.keyboard.press('Enter');
}

export function notification(page: Page, text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-list-item-message', { hasText: text });
}

/**
 * The content frame of a webview (panel or notebook outputs): two nested iframes. `index` picks among
 * several webviews on the page (0: the first ready one).
 */
export function webviewFrame(page: Page, index = 0): FrameLocator {
  return page.frameLocator('iframe.webview.ready').nth(index).frameLocator('iframe#active-frame');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
