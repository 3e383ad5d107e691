// End to end in a real VS Code: the wizard's folder step and what the datasets view says.
// A dataset made by the CLI is summarised without asking; a folder typed relative to the workspace is pre-scanned
// ("N flow-log files (formats), M inventory files") and enriched, and the finished toast offers the map and a
// notebook; Refresh says what it fetched; a folder whose files hold no records makes no dataset and leaves the
// active one active (the status bar and the sidebar agree); the log has a summary line, not one line per file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REPO,
  answerInput,
  buildVsix,
  driveWorkbench,
  e2eUnavailable,
  findNotification,
  flowlensLog,
  flowlensLogLines,
  launchBrowser,
  pickQuickItem,
  runCommand,
  screenshot,
  startCodeServer,
  toastWithButtons,
  waitForEnrichment,
} from './harness';
import { flowLogText, flowRecords } from '../support/follower';

const unavailable = e2eUnavailable();

test('folder step, pre-scan, toast actions, Refresh, a CLI dataset summarised, and an empty enrichment not activated', { skip: unavailable, timeout: 600_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-e2e-wizard-'));
  const vsix = buildVsix(scratch);
  execFileSync(process.execPath, [join(REPO, 'esbuild.mjs'), '--cli'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const datasetsDir = join(scratch, 'datasets');
  mkdirSync(datasetsDir);
  // A dataset made by the CLI before the editor opens: nobody has summarised it.
  const cliLogs = join(scratch, 'cli-logs');
  mkdirSync(cliLogs);
  writeFileSync(join(cliLogs, 'cli.log'), flowLogText(flowRecords(9, 12).lines));
  execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'enrich', '--flow-logs', cliLogs, '--inventory', cliLogs, '--db', join(datasetsDir, 'cli.duckdb')], { cwd: REPO, stdio: 'ignore' });

  const server = await startCodeServer({ vsix, settings: { 'flowlens.datasetsFolder': datasetsDir } });
  // in the workspace: three flow-log files, and a folder whose "flow logs" hold no records
  const logs = join(server.workspace, 'logs');
  mkdirSync(logs);
  for (let k = 1; k <= 3; k++) writeFileSync(join(logs, `f${k}.log`), flowLogText(flowRecords(k, 20).lines));
  const junk = join(server.workspace, 'junk');
  mkdirSync(junk);
  writeFileSync(join(junk, 'header-only.log'), flowLogText([]));
  writeFileSync(join(junk, 'prose.log'), 'Exported from the prod account on Monday\n');
  // one interface logged by two flow logs (a VPC's beside a subnet's, say): S3's file names say which flow log
  // each is from; the same records, the second with one more field (so not the same content)
  const twice = join(server.workspace, 'twice');
  mkdirSync(twice);
  const s3Name = (flowLog: string, hash: string) => `111111111111_vpcflowlogs_us-east-1_${flowLog}_20260922T0000Z_${hash}.log`;
  const both = flowRecords(4, 20).lines;
  writeFileSync(join(twice, s3Name('fl-0aaaaaaaaaaaaaaa1', 'aaaa')), flowLogText(both));
  writeFileSync(join(twice, s3Name('fl-0bbbbbbbbbbbbbbb2', 'bbbb')), flowLogText(both).replace(/\n/, ' tcp-flags\n').replace(/ OK\n/g, ' OK 2\n'));
  const browser = await launchBrowser(server.home);
  try {
    await driveWorkbench(browser, server, 'e2e-wizard', async (page) => {
      const rows = page.locator('.pane-body .monaco-list-row');
      const status = page.locator('.statusbar-item', { has: page.locator('.codicon-database') });

      // The CLI's dataset: its facts show without Refresh.
      await runCommand(page, 'Flowlens: Focus on Datasets View');
      await rows.filter({ hasText: /^cli/ }).first().locator('.monaco-tl-twistie').click();
      await rows.filter({ hasText: 'Conversations: 12' }).first().waitFor({ timeout: 60_000 });
      assert.equal(await rows.filter({ hasText: 'use Refresh' }).count(), 0);
      await screenshot(page, 'e2e-wizard-1-cli-summarised');

      // The folder, relative to the workspace; the pre-scan before enriching.
      let seen = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Enrich flow logs');
      await pickQuickItem(page, 'Where do the flow logs come from?', 'Folder on disk');
      // the folder step has a browse button beside Back
      await page.locator('.quick-input-widget .codicon-folder-opened').first().waitFor({ timeout: 30_000 });
      await answerInput(page, 'relative to the workspace folder', 'logs');
      const scanRow = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Enrich these files' });
      await scanRow.waitFor({ timeout: 60_000 });
      assert.match((await scanRow.textContent()) ?? '', /3 flow-log files \(3 text\), 0 inventory files/);
      await screenshot(page, 'e2e-wizard-2-prescan');
      await pickQuickItem(page, `Enrich ${logs}?`, 'Enrich these files');
      await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
      await answerInput(page, 'Name of the new dataset', 'logs');
      assert.equal(await waitForEnrichment(server, seen, 300_000), 'done', flowlensLog(server));
      const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'enriched 60 records' });
      await toast.waitFor({ timeout: 30_000 });
      for (const action of ['Open topology', 'Open notebook']) assert.equal(await toast.locator('.monaco-button', { hasText: action }).count(), 1, action);
      await status.filter({ hasText: 'logs' }).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-wizard-3-done');
      const log = flowlensLog(server).split('\n').slice(seen);
      assert.ok(log.includes('  3 files: 3 loaded (60 records)'), log.join('\n'));
      assert.equal(log.filter((l) => /^ {2}loaded: /.test(l)).length, 0);
      assert.ok(log.some((l) => /^ {2}reading flow logs: 3 of 3 files/.test(l)), log.join('\n'));
      await toast.locator('.monaco-button', { hasText: 'Open notebook' }).click();
      await page.locator('.tabs-container .tab', { hasText: '.flowsql' }).first().waitFor({ timeout: 30_000 });
      assert.ok(!log.some((l) => /not an inventory file/.test(l)), 'the flow-log files of a folder are not warned about as inventory');

      // Refresh says what it fetched.
      seen = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Focus on Datasets View');
      const logsRow = rows.filter({ hasText: /^logs/ }).first();
      await logsRow.hover();
      await logsRow.locator('.action-label[aria-label^="Refresh"]').click();
      await waitForEnrichment(server, seen, 120_000);
      assert.match(await findNotification(page, /refreshed logs/), /refreshed logs: no new files, 3 already loaded; \d+ conversations/);

      // A folder whose files hold no records: no dataset, and the active one stays active.
      seen = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Enrich flow logs');
      await pickQuickItem(page, 'Where do the flow logs come from?', 'Folder on disk');
      // browsed for this time: the open dialog (VS Code's own, in a browser) starts in the workspace folder
      await page.locator('.quick-input-widget .codicon-folder-opened').first().click();
      const dialogInput = page.locator('.quick-input-widget input');
      await page.waitForFunction(() => (document.querySelector('.quick-input-widget input') as HTMLInputElement | null)?.value.includes('/ws'), undefined, { timeout: 30_000 });
      await screenshot(page, 'e2e-wizard-4a-browse');
      // (typed once the dialog has listed the folder it opened in: its listing, when late, writes that folder back)
      await page.locator('.quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 30_000 });
      await dialogInput.fill(`${junk}/`);
      // the dialog's "Hide dot files" hover (the mouse rests on the browse button's place) covers its OK button
      await page.mouse.move(700, 600);
      await page.waitForTimeout(500);
      await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use this folder' }).click();
      await pickQuickItem(page, `Enrich ${junk}?`, 'Enrich these files');
      await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
      await answerInput(page, 'Name of the new dataset', 'junk');
      assert.equal(await waitForEnrichment(server, seen, 300_000), 'empty', flowlensLog(server));
      const refused = await findNotification(page, /no flow records were read/);
      assert.match(refused, /so no dataset was made\. 1 file: no header line and no log format given, and line 1 has 7 fields .*; 1 file: no records in the file\.$/);
      assert.equal(existsSync(join(datasetsDir, 'junk.duckdb')), false);
      await page.waitForTimeout(1000);
      assert.equal(await rows.filter({ hasText: /^junk/ }).count(), 0);
      assert.match((await status.textContent()) ?? '', /logs/);
      // the sidebar's active dataset (its icon) is the status bar's
      assert.equal(await rows.filter({ hasText: /^logs/ }).locator('.codicon-database').count(), 1);
      await screenshot(page, 'e2e-wizard-5-empty-refused');

      // Two flow logs of one interface: the finished toast says one's records were left out, its buttons on the screen.
      seen = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Enrich flow logs');
      await pickQuickItem(page, 'Where do the flow logs come from?', 'Folder on disk');
      await answerInput(page, 'relative to the workspace folder', 'twice');
      await pickQuickItem(page, `Enrich ${twice}?`, 'Enrich these files');
      await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
      await answerInput(page, 'Name of the new dataset', 'twice');
      assert.equal(await waitForEnrichment(server, seen, 300_000), 'done', flowlensLog(server));
      const { message: doubled } = await toastWithButtons(page, 'more than one flow log', ['Open topology', 'Open notebook', 'Show details']);
      // counted once: 20 conversations of 40 records; what that means for the figures, the rest (whose records, when) in the log
      assert.equal(doubled, 'Flowlens: enriched 40 records into 20 conversations. Some interfaces are logged by more than one flow log; their traffic is counted once (see Show details).');
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-wizard-6-two-flow-logs');
      assert.ok(flowlensLog(server).split('\n').slice(seen).some((l) => /^ {2}flow logs: eni-0f000000000000004 is logged by more than one flow log: 20 records of fl-0aaaaaaaaaaaaaaa1 .* were left out where fl-0bbbbbbbbbbbbbbb2 logs the same time/.test(l)));
    });
  } finally {
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
