// End to end in a real VS Code: a dataset made from a folder through the wizard, then "Follow" on it in the
// sidebar: the status bar says it follows, a file dropped in the folder is appended (the Flowlens log's cycle
// line and the dataset's records), and a click on the status bar item stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REPO,
  answerInput,
  buildVsix,
  driveWorkbench,
  e2eUnavailable,
  flowlensLog,
  flowlensLogLines,
  launchBrowser,
  pickQuickItem,
  runCommand,
  screenshot,
  startCodeServer,
  waitForEnrichment,
} from './harness';
import { flowLogText, flowRecords } from '../support/follower';

const unavailable = e2eUnavailable();

/** Waits for a line of the Flowlens log after the first `seen` lines that matches. */
async function logLine(server: Parameters<typeof flowlensLog>[0], seen: number, re: RegExp, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = flowlensLog(server).split('\n').slice(seen).find((l) => re.test(l));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no log line ${re} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('Follow a folder dataset from the sidebar: status bar, a dropped file appended, stopped from the status bar', { skip: unavailable, timeout: 600_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-e2e-follow-'));
  const folder = join(scratch, 'logs');
  mkdirSync(folder);
  const write = (seed: number, n: number) => {
    const path = join(folder, `flows-${seed}.log`);
    writeFileSync(path, flowLogText(flowRecords(seed, n).lines));
    utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  };
  write(1, 40);
  write(2, 40);
  const vsix = buildVsix(scratch);
  execFileSync(process.execPath, [join(REPO, 'esbuild.mjs'), '--cli'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const datasetsDir = join(scratch, 'datasets');
  const server = await startCodeServer({ vsix, settings: { 'flowlens.datasetsFolder': datasetsDir, 'flowlens.followInterval': 5 } });
  const browser = await launchBrowser(server.home);
  try {
    await driveWorkbench(browser, server, 'e2e-follow', async (page) => {
      let seen = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Enrich flow logs');
      await pickQuickItem(page, 'Where do the flow logs come from?', 'Folder on disk');
      await answerInput(page, 'Folder with inventory JSON and flow-log files', folder);
      await pickQuickItem(page, `Enrich ${folder}?`, 'Enrich these files');
      await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
      await answerInput(page, 'Name of the new dataset', 'logs');
      assert.equal(await waitForEnrichment(server, seen, 300_000), 'done', flowlensLog(server));

      // Follow, from the dataset's inline action in the sidebar.
      await runCommand(page, 'Flowlens: Focus on Datasets View');
      const row = page.locator('.pane-body .monaco-list-row', { hasText: 'logs' }).first();
      await row.waitFor({ timeout: 30_000 });
      seen = flowlensLogLines(server);
      await row.hover();
      await row.locator('.action-label[aria-label^="Follow"]').click();
      await logLine(server, seen, /^\[.*\] following logs\.duckdb every 5 s$/);
      const status = page.locator('.statusbar-item', { has: page.locator('.codicon-eye') }).filter({ hasText: 'following logs' });
      await status.waitFor({ timeout: 30_000 });
      await logLine(server, seen, /cycle 1: nothing new/);
      await row.hover();
      await row.locator('.action-label[aria-label="Stop following"]').waitFor({ timeout: 30_000 });
      await screenshot(page, 'e2e-follow-1-following');

      // A file dropped in the folder is appended by a cycle.
      write(3, 25);
      const appended = await logLine(server, seen, /cycle \d+: 1 new file \(25 records, /);
      assert.match(appended, /\d+ conversations/);
      await screenshot(page, 'e2e-follow-2-appended');

      // The status bar item stops it.
      seen = flowlensLogLines(server);
      await status.click();
      await logLine(server, seen, /stopped following logs\.duckdb after \d+ cycles?: cancelled/);
      await status.waitFor({ state: 'detached', timeout: 30_000 });
    });
    // With VS Code gone the dataset is free: the CLI counts what the follower appended.
    const out = execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'sql', 'SELECT (SELECT count(*) FROM ingest_files) AS files, (SELECT count(*) FROM flow_records) AS n', '--db', join(datasetsDir, 'logs.duckdb'), '--format', 'json'], { cwd: REPO, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), [{ files: 3, n: 105 }], 'the three files, each once');
  } finally {
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
