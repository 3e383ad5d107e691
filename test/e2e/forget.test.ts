// End to end in a real VS Code: "Forget loaded files…" on a dataset in the sidebar (its context menu) lists the
// dataset's loaded files in a multi-select quick pick; the chosen one is forgotten after a confirmation, the
// conversations are made again from the rest, and the CLI then finds exactly the other files' records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REPO,
  buildVsix,
  driveWorkbench,
  e2eUnavailable,
  findNotification,
  flowlensLog,
  launchBrowser,
  runCommand,
  screenshot,
  startCodeServer,
} from './harness';
import { record, writeFlowLog, writeInventory } from '../robustness/fixture';
import { formatBytes } from '../../src/shared/resultShape';

const unavailable = e2eUnavailable();

const cli = (...args: string[]) => execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });

test('Forget loaded files… from the sidebar: pick a file, confirm, its records leave and the rest stay', { skip: unavailable, timeout: 600_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-e2e-forget-'));
  const flows = join(scratch, 'flows');
  mkdirSync(flows);
  const a = writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  const b = writeFlowLog(join(flows, 'b.log'), [record({ srcport: 41000, bytes: 1000, packets: 2 })]);
  const c = writeFlowLog(join(flows, 'c.log'), [record({ srcport: 42000, bytes: 7, packets: 1 })]);
  const vsix = buildVsix(scratch);
  execFileSync(process.execPath, [join(REPO, 'esbuild.mjs'), '--cli'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const datasetsDir = join(scratch, 'datasets');
  mkdirSync(datasetsDir);
  const db = join(datasetsDir, 'logs.duckdb');
  cli('enrich', '--flow-logs', flows, '--inventory', writeInventory(scratch), '--db', db, '--quiet');
  const server = await startCodeServer({ vsix, settings: { 'flowlens.datasetsFolder': datasetsDir } });
  const browser = await launchBrowser(server.home);
  try {
    await driveWorkbench(browser, server, 'e2e-forget', async (page) => {
      await runCommand(page, 'Flowlens: Focus on Datasets View');
      const row = page.locator('.pane-body .monaco-list-row', { hasText: 'logs' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item', { hasText: 'Forget loaded files…' });
      await item.waitFor({ timeout: 30_000 });
      await screenshot(page, 'e2e-forget-0-menu');
      // the menu can miss a click that comes while it opens: hovered first, clicked again while it stays
      await item.hover();
      for (let i = 0; i < 5 && (await item.isVisible()); i++) {
        await item.click();
        await page.waitForTimeout(500);
      }

      // The quick pick lists the three loaded files, with their records and folder.
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'Forget loaded files of logs' }).waitFor({ timeout: 60_000 });
      const rows = widget.locator('.quick-input-list .monaco-list-row');
      await rows.nth(2).waitFor({ timeout: 30_000 });
      const listed = await rows.evaluateAll((els) => els.map((el) => [el.querySelector('.label-name')?.textContent ?? '', el.querySelector('.label-description')?.textContent ?? '']));
      const size = (p: string) => formatBytes(statSync(p).size);
      assert.deepEqual(listed, [['a.log', `2 records · ${size(a)}`], ['b.log', `1 record · ${size(b)}`], ['c.log', `1 record · ${size(c)}`]]);
      // a click on a row of a multi-select quick pick checks it
      await rows.filter({ hasText: 'b.log' }).click();
      await widget.locator('.quick-input-count', { hasText: '1 Selected' }).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      await screenshot(page, 'e2e-forget-1-pick');
      await page.keyboard.press('Enter');

      // The confirmation says what leaves and that the file can be loaded again.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 30_000 });
      assert.match((await dialog.textContent()) ?? '', /Forget b\.log from logs\?.*1 flow record leaves the dataset/s);
      await screenshot(page, 'e2e-forget-2-confirm');
      await dialog.locator('.monaco-button', { hasText: 'Forget' }).click();

      const done = await findNotification(page, /Flowlens: forgot/, 120_000);
      assert.equal(done, 'Flowlens: forgot 1 file (1 record) from logs; 2 conversations now.');
      // the dataset's facts in the sidebar are summarised again
      await row.locator('.monaco-tl-twistie').click();
      await page.locator('.pane-body .monaco-list-row', { hasText: 'Conversations: 2' }).waitFor({ timeout: 30_000 });
      await runCommand(page, 'Notifications: Show Notifications');
      await page.locator('.notifications-center .notification-list-item-message', { hasText: 'Flowlens: forgot' }).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-forget-3-done');
      assert.match(flowlensLog(server), new RegExp(`^forgot ${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 record$`, 'm'));
    });
    // With VS Code gone the dataset is free: the CLI finds a.log's and c.log's records, not b.log's.
    const out = cli('sql', `SELECT (SELECT list(name ORDER BY name) FROM ingest_files) AS files, (SELECT count(*) FROM flow_records) AS records, (SELECT count(*) FROM conversations) AS conversations`, '--db', db, '--format', 'json');
    assert.deepEqual(JSON.parse(out), [{ files: [a, c], records: 3, conversations: 2 }]);
  } finally {
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});

