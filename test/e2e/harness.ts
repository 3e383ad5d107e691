/**
 * A reusable end-to-end harness: a real VS Code (code-server 4.100.3, installed by scripts/setup-e2e.sh into
 * a cache folder) with the packaged .vsix, driven by playwright-core and Debian's Chromium, offline.
 * Everything runs under a scratch HOME on 127.0.0.1 and is stopped by process group.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, FrameLocator, Locator } from 'playwright-core';

export const REPO = resolve(__dirname, '../../..');
export const ARTIFACTS = join(REPO, 'test-artifacts');
export const CODE_SERVER_VERSION = '4.100.3';
export const SETUP_COMMAND = 'apt-get install -y chromium ripgrep libkrb5-dev build-essential python3 && bash scripts/setup-e2e.sh';

/**
 * The Flowlens cache folder the extension under test uses (FLOWLENS_CACHE): its HOME is a scratch folder, so the
 * tests name the cache themselves, to find the sample estate (sampleDir(options, { FLOWLENS_CACHE: SAMPLE_CACHE }))
 * and to reuse it from one run to the next.
 */
export const SAMPLE_CACHE = process.env.FLOWLENS_CACHE ?? join(REPO, '.cache', 'flowlens');

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
  /** The last few KB code-server wrote to stderr. */
  stderr(): string;
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
  const env = { ...process.env, HOME: home, FLOWLENS_CACHE: SAMPLE_CACHE, ...o.env };
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
    stderr: () => stderr,
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
 * Opens the workbench and runs `drive` on it; a failure gets a screenshot (`<name>-failure`) and the diagnosis
 * in its message. The browser is closed and code-server stopped either way (its datasets are then free).
 */
export async function driveWorkbench(browser: Browser, server: CodeServer, name: string, drive: (page: Page) => Promise<void>): Promise<void> {
  let page: Page | undefined;
  try {
    page = await openWorkbench(browser, server.url);
    await drive(page);
  } catch (err) {
    if (page) await screenshot(page, `${name}-failure`).catch(() => undefined);
    const why = await diagnose(page, server).catch((e: Error) => `(no diagnosis: ${e.message})`);
    if (err instanceof Error) err.message = `${err.message}\n${why}`;
    throw err;
  } finally {
    await browser.close();
    await server.stop();
  }
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

/** What the quick input shows now: title, placeholder and message, or undefined when it is hidden. */
async function quickInputState(page: Page): Promise<string | undefined> {
  return page
    .locator('.quick-input-widget')
    .evaluate((w) => {
      if ((w as HTMLElement).offsetParent === null && getComputedStyle(w).display === 'none') return undefined;
      const input = w.querySelector('input');
      return [w.querySelector('.quick-input-title')?.textContent ?? '', input?.getAttribute('placeholder') ?? '', w.querySelector('.quick-input-message')?.textContent ?? ''].join(' | ');
    })
    .catch(() => undefined);
}

/**
 * Waits until the quick input shows the step that mentions `step` (in its title, placeholder or message).
 * Steps of a wizard reuse one widget: acting before the next step is up would type into the previous one.
 */
export async function waitForStep(page: Page, step: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    last = await quickInputState(page);
    if (last?.includes(step)) return last;
    if (Date.now() > deadline) throw new Error(`the quick input did not show "${step}" within ${timeoutMs} ms (it showed: ${last ?? 'nothing'})`);
    await page.waitForTimeout(100);
  }
}

/** After Enter: waits until the quick input has left this step (hidden, or another step). */
async function waitForStepLeft(page: Page, shown: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await quickInputState(page);
    if (now !== shown) return;
    if (Date.now() > deadline) throw new Error(`the quick input stayed on "${shown}" for ${timeoutMs} ms after Enter`);
    await page.waitForTimeout(100);
  }
}

/**
 * Picks the row with this text in the quick pick of the step that mentions `step` (typing the text as a
 * filter first), and waits until the step is accepted.
 */
export async function pickQuickItem(page: Page, step: string, text: string, timeoutMs = 60_000): Promise<void> {
  const shown = await waitForStep(page, step, timeoutMs);
  const input = page.locator('.quick-input-widget input');
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: timeoutMs });
  await page.keyboard.press('Enter');
  await waitForStepLeft(page, shown, timeoutMs);
}

/** Types into the input box of the step that mentions `step` and accepts. */
export async function answerInput(page: Page, step: string, value: string, timeoutMs = 60_000): Promise<void> {
  const shown = await waitForStep(page, step, timeoutMs);
  const input = page.locator('.quick-input-widget input');
  await input.fill(value);
  await page.keyboard.press('Enter');
  await waitForStepLeft(page, shown, timeoutMs);
}

export function notification(page: Page, text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-list-item-message', { hasText: text });
}

/** The Flowlens output channel as VS Code wrote it to its log folder ('' before the channel has a file). */
export function flowlensLog(server: CodeServer): string {
  const logs = join(server.userDataDir, 'logs');
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/-Flowlens\.log$/.test(e.name)) found.push(join(dir, e.name));
    }
  };
  if (existsSync(logs)) walk(logs);
  return found.sort().map((f) => readFileSync(f, 'utf8')).join('\n');
}

/**
 * Waits for an enrichment that was started after `seen` lines of the Flowlens log to end, by what the
 * extension logged; returns how it ended. The log, not a toast, is the signal: toasts can be queued
 * behind others or hidden, and a test must not hang on the UI's choice.
 */
export async function waitForEnrichment(server: CodeServer, seen: number, timeoutMs: number): Promise<'done' | 'empty' | 'cancelled' | 'failed'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = flowlensLog(server).split('\n').slice(seen);
    let empty = false;
    for (const l of lines) {
      // logged before the "done in" line of an enrichment that read no records (no dataset made)
      if (/^ {2}no flow records were read/.test(l)) empty = true;
      if (/^ {2}done in /.test(l)) return empty ? 'empty' : 'done';
      if (/^ {2}cancelled;/.test(l)) return 'cancelled';
      if (/^ {2}failed: /.test(l)) return 'failed';
    }
    if (Date.now() > deadline) throw new Error(`no enrichment ended within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many lines the Flowlens log has now (to wait for what comes after). */
export function flowlensLogLines(server: CodeServer): number {
  const log = flowlensLog(server);
  return log ? log.split('\n').length - 1 : 0;
}

/**
 * The wizard's sample-estate path into a new dataset named `name`: waits for the enrichment to end by the
 * Flowlens log and returns how it ended with the notification that says so.
 */
export async function enrichSampleThroughWizard(page: Page, server: CodeServer, name: string, timeoutMs = 300_000): Promise<{ ended: string; message: string }> {
  const before = flowlensLogLines(server);
  await runCommand(page, 'Flowlens: Enrich flow logs');
  await pickQuickItem(page, 'Where do the flow logs come from?', 'Sample estate — no AWS account needed');
  await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
  await answerInput(page, 'Name of the new dataset', name);
  const ended = await waitForEnrichment(server, before, timeoutMs);
  return { ended, message: await findNotification(page, /Flowlens: enrich(ed|ment failed|ment cancelled)/) };
}

/**
 * A notification's text, from the toasts or, when it is not (or no longer) a toast, from the notification
 * center, which keeps every notification.
 */
export async function findNotification(page: Page, text: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const toast = notification(page, text).first();
    if (await toast.isVisible().catch(() => false)) return (await toast.textContent()) ?? '';
    await runCommand(page, 'Notifications: Show Notifications');
    const item = page.locator('.notifications-center .notification-list-item-message', { hasText: text }).first();
    if (await item.isVisible().catch(() => false)) {
      const t = (await item.textContent()) ?? '';
      await runCommand(page, 'Notifications: Hide Notifications').catch(() => undefined);
      return t;
    }
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`no notification matching ${text} within ${timeoutMs} ms`);
    await page.waitForTimeout(500);
  }
}

/**
 * A toast (a notification-list-item) whose message has `text`, once it is shown, with each of `buttons` wholly on
 * the screen (a long message pushes them below the window's edge) once it has slid in; returns the message's text.
 */
export async function toastWithButtons(page: Page, text: string | RegExp, buttons: string[], timeoutMs = 30_000): Promise<{ toast: Locator; message: string }> {
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  await toast.waitFor({ timeout: timeoutMs });
  const height = page.viewportSize()?.height ?? 0;
  const offScreen = async () => {
    for (const label of buttons) {
      const box = await toast.locator('.monaco-button', { hasText: label }).boundingBox();
      if (!box || box.y < 0 || box.y + box.height > height) return `the button "${label}" is not on the screen: ${JSON.stringify(box)} (window height ${height})`;
    }
    return undefined;
  };
  // (a toast slides in from below the window's edge)
  const settled = Date.now() + 3000;
  for (let why = await offScreen(); why; why = await offScreen()) {
    if (Date.now() > settled) throw new Error(why);
    await page.waitForTimeout(100);
  }
  return { toast, message: (await toast.locator('.notification-list-item-message').textContent()) ?? '' };
}

/**
 * What a failed end-to-end test should say about the workbench: the notifications, the quick input, the
 * Flowlens log and the extension host's errors. It goes into the error, so CI's summary shows it.
 */
export async function diagnose(page: Page | undefined, server: CodeServer): Promise<string> {
  const parts: string[] = [];
  if (page) {
    const texts = (sel: string) => page.locator(sel).allTextContents().catch(() => [] as string[]);
    parts.push(`toasts: ${JSON.stringify(await texts('.notifications-toasts .notification-list-item-message'))}`);
    parts.push(`quick input: ${(await quickInputState(page)) ?? 'hidden'}`);
  }
  const tail = (s: string, n: number) => s.split('\n').filter(Boolean).slice(-n).join('\n  ');
  parts.push(`Flowlens log (tail):\n  ${tail(flowlensLog(server).replace(/^ {2}loaded: .*\n/gm, ''), 30) || '(empty)'}`);
  const hostLogs: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name === 'remoteexthost.log' || e.name === 'remoteagent.log') hostLogs.push(join(dir, e.name));
    }
  };
  const logs = join(server.userDataDir, 'logs');
  if (existsSync(logs)) walk(logs);
  for (const f of hostLogs) {
    const errors = readFileSync(f, 'utf8').split('\n').filter((l) => /\[(error|warning)\]/.test(l));
    if (errors.length) parts.push(`${f.slice(logs.length + 1)} (errors, tail):\n  ${errors.slice(-15).join('\n  ')}`);
  }
  parts.push(`code-server stderr (tail):\n  ${tail(server.stderr(), 15) || '(empty)'}`);
  return parts.join('\n');
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

/** The webview frame that holds the topology (the notebook's output renderer is another one). */
export async function topologyFrame(page: Page, timeoutMs = 60_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < n; i++) {
      const f = webviewFrame(page, i);
      if ((await f.locator('#map').count().catch(() => 0)) > 0) return f;
    }
    if (Date.now() > deadline) throw new Error('the topology webview did not appear');
    await page.waitForTimeout(500);
  }
}

/** Polls a fact of the view (window.flowlensTopology) until it holds. */
export async function frameUntil<T>(frame: FrameLocator, fn: (t: Record<string, unknown>) => T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = (await frame.locator('body').evaluate(fn as never, undefined).catch(() => undefined)) as T;
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting on the topology view (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
