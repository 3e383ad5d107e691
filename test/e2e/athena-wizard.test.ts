// End to end in a real VS Code: the wizard's AWS path to an Athena table, against the local AWS endpoint (which runs
// the submitted SQL in DuckDB over the estate's S3 objects). The profile comes from real shared files; the flow log
// is typed as athena:db.table; the Athena steps (workgroup, output location, window) are asked only for it, a bad
// output location is refused with its reason and the step kept; the dataset is made, its toast says what Athena
// scanned and what was estimated, in bytes and dollars; the endpoint saw an UNLOAD to the given location grouped
// by the chosen window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
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
  waitForStep,
} from './harness';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import type { Db } from '../../src/core/store/db';
import { BASE_USER, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { duckDbAthenaRun, startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { crawledTable, ddlCatalog } from '../support/aws-endpoint/athena-catalog';
import { CRAWLED_BUCKET, writeCrawledLogs } from '../support/aws-endpoint/crawled-estate';

const unavailable = e2eUnavailable();

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(d, e.name)) : [join(d, e.name)]));
}

/** Whether a row of a multi-select quick pick is checked (its checkbox, or the row's aria-checked). */
async function isChecked(row: Locator): Promise<boolean> {
  return row.evaluate((r) => {
    const box = r.querySelector('input[type=checkbox]') as HTMLInputElement | null;
    return box ? box.checked : r.getAttribute('aria-checked') === 'true';
  });
}

/** In the multi-select pick of `step`: these rows checked (a click on the row toggles it), every other unchecked; then OK. */
async function chooseMany(page: Page, step: string, wanted: string[]): Promise<void> {
  await waitForStep(page, step, 60_000);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: 60_000 });
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    const text = (await row.textContent()) ?? '';
    if ((await isChecked(row)) !== wanted.some((w) => text.includes(w))) await row.click();
  }
  for (const w of wanted) assert.ok(await isChecked(rows.filter({ hasText: w }).first()), `${w} checked`);
  await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
}

/** The wizard from its start to the Athena steps: profile base as it is, us-east-1, the table typed, the window (UTC). */
async function toAthenaSteps(page: Page, table: string, range = '2026-09-01 00:00 .. 2026-09-01 03:00'): Promise<void> {
  await runCommand(page, 'Flowlens: Enrich flow logs');
  await pickQuickItem(page, 'Where do the flow logs come from?', 'AWS profile');
  await pickQuickItem(page, 'Which AWS profile?', 'base');
  await pickQuickItem(page, 'Which accounts?', 'The profile as is');
  await chooseMany(page, 'Which regions?', ['us-east-1']);
  await chooseMany(page, 'Which flow logs?', ['Another source…']);
  await answerInput(page, 'Log group name, s3://bucket/prefix, or athena:database.table', table);
  await pickQuickItem(page, 'Which time window?', 'Custom range…');
  await answerInput(page, 'Range in UTC', range);
}

/** The wizard's whole AWS path to an Athena table into a new dataset: workgroup primary, results under s3://athena-results/flowlens/, windows of an hour. */
async function athenaIntoNewDataset(page: Page, table: string, range: string | undefined, dataset: string): Promise<void> {
  await toAthenaSteps(page, table, range);
  await answerInput(page, 'Athena workgroup', 'primary');
  await answerInput(page, "Where Athena writes the query's results", 's3://athena-results/flowlens/');
  await pickQuickItem(page, 'Athena groups the flows into windows of', '1 hour');
  await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
  await answerInput(page, 'Name of the new dataset', dataset);
}

test('the wizard to an Athena table: workgroup, output location and window asked, the scan reported in bytes and dollars', { skip: unavailable, timeout: 600_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-e2e-athena-'));
  const home: TempHome = makeTempHome();
  const estate = join(scratch, 'estate');
  mkdirSync(estate);
  writeMiniEstate(estate);
  // Athena: the estate's flow logs of account A, as a table, queried by DuckDB
  const athenaDb: Db = await openDataset(':memory:');
  await ingestFiles(athenaDb, [join(estate, 'flowlogs', 'flowlens-logs-a')]);
  await athenaDb.exec('CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records');
  const bucketBytes = allFiles(join(estate, 'flowlogs', 'flowlens-logs-a')).reduce((n, f) => n + statSync(f).size, 0);
  // tables made by DDL (the offer to create a missing one) become views over the same records
  const catalog = ddlCatalog(athenaDb, { databases: ['flowlogs'], region: 'us-east-1' });
  // and a table a Glue crawler made over another bucket (partitions registered for 2026-09-01 to 09-03), in an Athena of its own
  writeCrawledLogs(estate);
  const crawledDb: Db = await openDataset(':memory:');
  const crawled = await crawledTable(crawledDb, { dir: join(estate, 'flowlogs', CRAWLED_BUCKET), bucket: CRAWLED_BUCKET, prefix: 'AWSLogs/', database: 'flowlogs', table: 'crawled' });
  const isCrawled = (t: { database: string; table: string }) => t.database === 'flowlogs' && t.table === 'crawled';
  const ep: AwsEndpoint = await startAwsEndpoint({
    estateDir: estate,
    users: [BASE_USER],
    roles: [],
    athena: {
      run: (sql, ctx) => (sql.includes('"flowlogs"."crawled"') ? duckDbAthenaRun(crawledDb, 0) : duckDbAthenaRun(athenaDb, bucketBytes))(sql, ctx),
      partitions: async (t) => (isCrawled(t) ? crawled.partitions : undefined),
      ddl: catalog.ddl!,
      database: catalog.database!,
      table: async (t) => {
        if (isCrawled(t)) return crawled;
        const made = catalog.table(t.database, t.table);
        if (made) return made;
        if (t.database !== 'flowlogs' || t.table !== 'vpc_flow_logs') return undefined;
        const cols = await athenaDb.all<{ column_name: string; column_type: string }>('DESCRIBE flowlogs.vpc_flow_logs');
        return { columns: cols.map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })), parameters: { location: 's3://flowlens-logs-a/' } };
      },
    },
  });
  const vsix = buildVsix(scratch);
  const datasetsDir = join(scratch, 'datasets');
  mkdirSync(datasetsDir);
  const server = await startCodeServer({
    vsix,
    settings: { 'flowlens.datasetsFolder': datasetsDir },
    // the AWS shared files of the temporary HOME, and every AWS call to the local endpoint
    env: {
      AWS_CONFIG_FILE: home.configFile, AWS_SHARED_CREDENTIALS_FILE: home.credentialsFile, AWS_ENDPOINT_URL: ep.url,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
    },
  });
  const browser = await launchBrowser(server.home);
  try {
    await driveWorkbench(browser, server, 'e2e-athena', async (page) => {
      const seen = flowlensLogLines(server);
      await toAthenaSteps(page, 'athena:flowlogs.vpc_flow_logs');

      // the Athena steps: only for an Athena source
      const workgroup = await waitForStep(page, 'Athena workgroup', 60_000);
      assert.match(workgroup, /profile base/);
      await screenshot(page, 'e2e-athena-1-workgroup');
      await answerInput(page, 'Athena workgroup', 'primary');
      // a location that is no S3 address is refused with its reason, and the step stays
      const output = page.locator('.quick-input-widget input');
      await waitForStep(page, "Where Athena writes the query's results", 60_000);
      await output.fill('athena-results/flowlens');
      await page.keyboard.press('Enter');
      const refused = await waitForStep(page, '"athena-results/flowlens" is not an S3 address: write it as s3://bucket/prefix/', 30_000);
      assert.match(refused, /s3:\/\/bucket\/prefix\/ — empty: the workgroup's/, 'the same step');
      await screenshot(page, 'e2e-athena-2-output-refused');
      await answerInput(page, 'is not an S3 address', 's3://athena-results/flowlens/');
      await waitForStep(page, 'Athena groups the flows into windows of', 60_000);
      assert.equal(await page.locator('.quick-input-list .monaco-list-row').count(), 3);
      await screenshot(page, 'e2e-athena-3-window');
      await pickQuickItem(page, 'Athena groups the flows into windows of', '1 hour');
      await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
      await answerInput(page, 'Name of the new dataset', 'athena');
      assert.equal(await waitForEnrichment(server, seen, 300_000), 'done', flowlensLog(server));

      // the toast: what Athena scanned, and the estimate, in bytes and dollars
      const done = await findNotification(page, /Athena scanned/);
      // (a scan below Athena's 10 MiB minimum says it is billed as that, once)
      assert.match(done, /Athena scanned [\d.]+ [KMG]?i?B \((billed as Athena's 10\.0 MiB minimum: )?\$[\d.]+\), estimated [\d.]+ [KMG]?i?B \((billed as Athena's 10\.0 MiB minimum: )?\$[\d.]+\)/);
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-athena-4-done');
      // what the endpoint ran: the reduction by the hour, unloaded as Parquet under the location given
      const sent = ep.athenaQueries.at(-1) ?? '';
      assert.match(sent, /^UNLOAD \(/);
      assert.ok(sent.includes("s3://athena-results/flowlens/flowlens-unload/"), sent.slice(0, 400));
      assert.ok(sent.includes('start - start % 3600 AS window_start'), `grouped by the hour: ${sent.slice(0, 600)}`);

      // A table that does not exist: the toast offers to create it; the DDL is shown, a modal asks, then it is read.
      let seen2 = flowlensLogLines(server);
      await athenaIntoNewDataset(page, 'athena:flowlens_new.vpc_flow_logs', undefined, 'created');
      // (its log ends "done in …" too: the toast says it read nothing)
      // short (AWS's words are in the log), so its buttons stay on the screen once it has slid in
      const { toast: offer } = await toastWithButtons(page, 'does not exist in account', ['Create the Athena table…'], 300_000);
      assert.ok(flowlensLog(server).split('\n').slice(seen2).some((l) => l.includes('no flow records were read: the new dataset was removed')));
      await screenshot(page, 'e2e-athena-5-table-missing');
      assert.doesNotMatch((await offer.textContent()) ?? '', /Entity Not Found|AWSGlue/);
      await offer.locator('.monaco-button', { hasText: 'Create the Athena table…' }).click();
      // the DDL in an editor, and a modal naming where it runs
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 30_000 });
      assert.match((await dialog.textContent()) ?? '', /flowlens_new\.vpc_flow_logs/);
      // (the editor draws spaces as no-break spaces)
      assert.match(((await page.locator('.monaco-editor .view-lines').first().textContent()) ?? '').replace(/\s+/g, ' '), /CREATE EXTERNAL TABLE IF NOT EXISTS `flowlens_new`\.`vpc_flow_logs`/);
      await screenshot(page, 'e2e-athena-6-create-asked');
      assert.equal(catalog.made.length, 0, 'nothing made before the answer');
      seen2 = flowlensLogLines(server);
      await dialog.locator('.monaco-button', { hasText: 'Create the table' }).click();
      const made = page.locator('.notifications-toasts .notification-list-item', { hasText: 'created the Athena table' });
      await made.waitFor({ timeout: 60_000 });
      assert.deepEqual(catalog.made.map((d) => d.split('\n')[0]), ['CREATE DATABASE IF NOT EXISTS `flowlens_new`', 'CREATE EXTERNAL TABLE IF NOT EXISTS `flowlens_new`.`vpc_flow_logs` ('], 'what was shown, made');
      // the progress notification goes with its work. VS Code shows one at least 800 ms (so that it does not flash), so
      // when the DDL ran faster it is still there beside "created" for what is left of those 800 ms, never longer.
      await page.locator('.notifications-toasts .notification-list-item', { hasText: 'creating the Athena table' }).waitFor({ state: 'detached', timeout: 3000 });
      await screenshot(page, 'e2e-athena-7-created');
      await made.locator('.monaco-button', { hasText: 'Read the source again' }).click();
      assert.equal(await waitForEnrichment(server, seen2, 300_000), 'done', flowlensLog(server));
      assert.match(await findNotification(page, /Athena scanned/), /: Athena returned \d+ rows? \(30 flow records\) from flowlens_new\.vpc_flow_logs; 30 conversations\./);
      assert.ok(existsSync(join(datasetsDir, 'created.duckdb')), 'the dataset made on the second reading');

      // A crawler's table, its partitions registered up to 2026-09-03: a window after its last run reads nothing, and says why.
      let seen3 = flowlensLogLines(server);
      await athenaIntoNewDataset(page, 'athena:flowlogs.crawled', '2026-09-20 00:00 .. 2026-09-20 02:00', 'crawled');
      // (its log ends "done in …" too)
      const unregistered = await toastWithButtons(page, 'no flow records were read', ['Show details'], 300_000);
      assert.ok(flowlensLog(server).split('\n').slice(seen3).some((l) => l.includes('no flow records were read: the new dataset was removed')));
      // why, in words a user acts on (before: "no flow-log objects or events in the window", which sends them looking for flow logs)
      assert.equal(unregistered.message, 'Flowlens: no flow records were read, so no dataset was made. No partition registered for flowlogs.crawled holds the window yet: '
        + "Athena reads only the partitions registered in Glue, which the crawler's next run adds.");
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-athena-8-partitions-missing');
      // read up to the crawl, then Refresh: from there to now, where no partition is registered yet
      seen3 = flowlensLogLines(server);
      await athenaIntoNewDataset(page, 'athena:flowlogs.crawled', '2026-09-03 21:00 .. 2026-09-04 00:00', 'crawled');
      assert.equal(await waitForEnrichment(server, seen3, 300_000), 'done', flowlensLog(server));
      // the crawl holds the window but for its last hour, whose records may be delivered into the next day's partition
      assert.match(await findNotification(page, /8 flow records/), /flowlogs\.crawled is read to 2026-09-03 23:00Z: no partition registered for it holds the rest yet \(see Show details\)\.$/);
      seen3 = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Focus on Datasets View');
      const row = page.locator('.pane-body .monaco-list-row').filter({ hasText: /^crawled/ }).first();
      await row.hover();
      await row.locator('.action-label[aria-label^="Refresh"]').click();
      await waitForEnrichment(server, seen3, 300_000);
      const refreshed = await toastWithButtons(page, 'refreshed crawled', ['Open topology', 'Open notebook', 'Show details']);
      // (without where the window read ends, 10 minutes before the run: nothing was read there)
      // (what Athena did: before, "fetched 0 new object(s) (0 records), 0 already loaded", S3's words)
      // (the registered partitions end before the window starts, the hour before the crawl's end: no query, and why)
      assert.equal(refreshed.message, 'Flowlens: refreshed crawled: flowlogs.crawled: nothing ran yet; 8 conversations. '
        + 'Athena: flowlogs.crawled is read to 2026-09-03 23:00Z: no partition registered for it holds the rest yet (see Show details).');
      await page.waitForTimeout(500);
      await screenshot(page, 'e2e-athena-9-refresh-partitions-missing');
      // that time was not read: the next Refresh (after the crawler's run) asks for it again, not only for what came since
      const windowAsked = (from: number) => flowlensLog(server).split('\n').slice(from).find((l) => /^ {2}window /.test(l));
      assert.match(windowAsked(seen3) ?? '', /^ {2}window 2026-09-03T23:00:00\.000Z \.\. /);
      seen3 = flowlensLogLines(server);
      await row.hover();
      await row.locator('.action-label[aria-label^="Refresh"]').click();
      await waitForEnrichment(server, seen3, 300_000);
      assert.match(windowAsked(seen3) ?? '', /^ {2}window 2026-09-03T23:00:00\.000Z \.\. /, flowlensLog(server).split('\n').slice(seen3).join('\n'));
    });
  } finally {
    server.cleanup();
    await ep.close();
    athenaDb.close();
    crawledDb.close();
    home.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
