// End to end in a real VS Code: the packaged .vsix in code-server, driven by Chromium.
// Sample estate through the wizard -> dataset in the sidebar -> cross-AZ template in a notebook -> the
// rendered result equals the CLI's for the same dataset; a cancelled enrichment leaves a readable dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleDir } from '../../src/core/api';
import {
  REPO,
  SAMPLE_CACHE,
  answerInput,
  buildVsix,
  diagnose,
  e2eUnavailable,
  enrichSampleThroughWizard,
  findNotification,
  flowlensLogLines,
  launchBrowser,
  openWorkbench,
  pickQuickItem,
  runCommand,
  screenshot,
  waitForStep,
  startCodeServer,
  waitForEnrichment,
  webviewFrame,
} from './harness';

type Row = Record<string, unknown>;

/** The cross-AZ template over a dataset, as the CLI returns it (JSON rows). */
function cliRows(db: string): Row[] {
  const out = execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'query', 'cross-az', '--db', db, '--format', 'json'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const parsed = JSON.parse(out) as Row[] | { rows: Row[] };
  return Array.isArray(parsed) ? parsed : parsed.rows;
}

const unavailable = e2eUnavailable();

test('enrich the sample estate, query it in a notebook, cancel an enrichment', { skip: unavailable, timeout: 600_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-vsix-'));
  const vsix = buildVsix(scratch);
  // The CLI the result is compared with: built from the same sources.
  execFileSync(process.execPath, [join(REPO, 'esbuild.mjs'), '--cli'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const datasetsDir = join(scratch, 'datasets');
  // A smaller sample estate (8 days) keeps the test within a minute or two on 2 cores.
  const server = await startCodeServer({
    vsix,
    settings: { 'flowlens.datasetsFolder': datasetsDir, 'flowlens.rowCap': 500 },
    env: { FLOWLENS_SAMPLE: JSON.stringify({ days: 8 }) },
  });
  const browser = await launchBrowser(server.home);
  let page;
  let rendered: { total: number; header: string[]; rows: string[][] } | undefined;
  let suggested: string[] = [];
  try {
    page = await openWorkbench(browser, server.url);

    // The wizard's first step as a user sees it (a picture for the README), then the wizard: source -> dataset -> name.
    await runCommand(page, 'Flowlens: Enrich flow logs');
    await waitForStep(page, 'Where do the flow logs come from?', 30_000);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sample estate' }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-0-wizard');
    await page.keyboard.press('Escape');
    const { ended, message } = await enrichSampleThroughWizard(page, server, 'sample');
    assert.equal(ended, 'done', message);
    assert.match(message, /Flowlens: enriched [\d,]+ records/);
    await screenshot(page, 'e2e-1-enriched');

    // The dataset appears in the sidebar with its facts.
    await runCommand(page, 'Flowlens: Focus on Datasets View');
    const item = page.locator('.pane-body .monaco-list-row', { hasText: 'sample' }).first();
    await item.waitFor({ timeout: 30_000 });
    // Once in four CI runs the expanded dataset showed no row at all (not even "Summarising") until it was expanded
    // again: a refresh of the tree racing the expansion, it seems (not explained yet). As a user would, expand it again.
    const facts = page.locator('.pane-body .monaco-list-row', { hasText: /Conversations: [\d,]+/ }).first();
    for (let attempt = 1; ; attempt++) {
      await item.locator('.monaco-tl-twistie').click();
      try {
        await facts.waitFor({ timeout: 15_000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await screenshot(page, `e2e-2-sidebar-empty-${attempt}`);
        // collapse (if it shows expanded) before the next attempt expands it
        if ((await item.getAttribute('aria-expanded')) === 'true') await item.locator('.monaco-tl-twistie').click();
      }
    }
    await screenshot(page, 'e2e-2-sidebar');
    // times written as every message writes them, one a row (before: 'Span: 2026-09-01 00:00:00 – 2026-…', cut by the sidebar)
    for (const label of ['First flow', 'Last flow', 'Last refresh']) {
      const row = await page.locator('.pane-body .monaco-list-row', { hasText: `${label}: ` }).first().textContent();
      assert.match(row ?? '', new RegExp(`^${label}: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ$`));
    }

    // The cross-AZ template in a notebook, run.
    await runCommand(page, 'Flowlens: New notebook from template…');
    await pickQuickItem(page, 'Open which query template in a notebook?', 'Cross-AZ traffic by app pair');
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Notebook: Run All');
    const frame = webviewFrame(page);
    const meta = frame.locator('.flowlens-result .meta');
    await meta.waitFor({ timeout: 120_000 });
    await frame.locator('.flowlens-result table tbody tr').first().waitFor({ timeout: 30_000 });
    rendered = await frame.locator('.flowlens-result').evaluate((root) => ({
      total: Number((root.querySelector('.meta') as HTMLElement).dataset.total),
      header: [...root.querySelectorAll('thead th')].map((th) => th.querySelector('.name')?.textContent ?? ''),
      rows: [...root.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).dataset.raw ?? '')),
    }));
    // The table in view (it sits under the chart), so the picture shows what the columns look like.
    await page.mouse.move(380, 400);
    for (let i = 0; i < 6; i++) {
      await page.mouse.wheel(0, 250);
      await page.waitForTimeout(250);
    }
    await page.waitForTimeout(500);
    await screenshot(page, 'e2e-3-notebook');

    // Completion from the dataset's catalogue: a new cell, "FROM conv", and the suggestions name the view.
    await runCommand(page, 'Notebook: Insert Code Cell Below');
    await page.keyboard.type('SELECT * FROM conv', { delay: 20 });
    await page.keyboard.press('Control+Space'); // Trigger Suggest, in the cell's editor (the palette would take the focus)
    const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: 'conversations' }).first();
    await suggestion.waitFor({ timeout: 30_000 });
    suggested = await page.locator('.suggest-widget .monaco-list-row .label-name').allTextContents();
    await screenshot(page, 'e2e-3b-completion');
    await page.keyboard.press('Escape');

    // A cancelled enrichment: the Cancel button on the progress notification (older toasts cleared first,
    // so the progress is a toast).
    await runCommand(page, 'Notifications: Clear All Notifications');
    // Without the estate cached the enrichment first writes it again (seconds), so Cancel lands while it works:
    // once cached, all of it takes about as long as moving to the button and clicking it.
    rmSync(sampleDir({ days: 8 }, { FLOWLENS_CACHE: SAMPLE_CACHE }), { recursive: true, force: true });
    const beforeCancel = flowlensLogLines(server);
    await runCommand(page, 'Flowlens: Enrich flow logs');
    await pickQuickItem(page, 'Where do the flow logs come from?', 'Sample estate — no AWS account needed');
    await pickQuickItem(page, 'Into which dataset?', 'New dataset…');
    await answerInput(page, 'Name of the new dataset', 'cancelled');
    const progress = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Flowlens: enriching' });
    await progress.waitFor({ timeout: 60_000 });
    await progress.hover();
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    const cancelEnded = await waitForEnrichment(server, beforeCancel, 120_000);
    const cancelledMsg = await findNotification(page, /enrichment cancelled|Flowlens: enriched|enrichment failed/);
    await screenshot(page, 'e2e-4-cancelled');
    assert.equal(cancelEnded, 'cancelled', cancelledMsg);
    assert.match(cancelledMsg, /enrichment cancelled/, 'the enrichment stopped when Cancel was clicked');
  } catch (err) {
    if (page) await screenshot(page, 'e2e-failure').catch(() => undefined);
    const why = await diagnose(page, server).catch((e: Error) => `(no diagnosis: ${e.message})`);
    await browser.close();
    await server.stop();
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    if (err instanceof Error) err.message = `${err.message}\n${why}`;
    throw err;
  }
  await browser.close();
  await server.stop();
  try {
    // With VS Code gone the datasets are free: the CLI answers the same question on the same file.
    const db = join(datasetsDir, 'sample.duckdb');
    assert.ok(existsSync(db));
    const expected = cliRows(db);
    assert.ok(rendered);
    assert.equal(rendered.total, expected.length, 'the notebook shows the same total as the CLI');
    // the catalogue's relations are offered (word-based completion alone knows only the cells' words)
    for (const name of ['conversations', 'conversations_v', 'conversation_facts']) assert.ok(suggested.includes(name), `suggested: ${suggested.join(', ')}`);
    assert.ok(expected.length > 0, 'the sample estate has cross-AZ traffic');
    const cols = rendered.header;
    for (let i = 0; i < Math.min(rendered.rows.length, expected.length); i++) {
      for (let c = 0; c < cols.length; c++) {
        const want = expected[i][cols[c]];
        const got: string = rendered.rows[i][c];
        if (typeof want === 'number' || (typeof want === 'string' && /^-?\d+(\.\d+)?$/.test(want))) {
          assert.equal(Number(got), Number(want), `row ${i} ${cols[c]}`);
        } else {
          assert.equal(got, want === null || want === undefined ? '' : String(want), `row ${i} ${cols[c]}`);
        }
      }
    }
    // The cancelled dataset is still a readable DuckDB file with the schema.
    const cancelled = join(datasetsDir, 'cancelled.duckdb');
    const count = execFileSync(process.execPath, ['-e', `
      const { DuckDBInstance } = require('@duckdb/node-api');
      (async () => {
        const i = await DuckDBInstance.create(process.argv[1], { access_mode: 'READ_ONLY' });
        const c = await i.connect();
        const r = await c.runAndReadAll('SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM inv_resources) AS n');
        console.log(String(r.getRows()[0][0]));
      })().catch((e) => { console.error(e.message); process.exit(1); });`, cancelled], { cwd: REPO, encoding: 'utf8' });
    assert.match(count.trim(), /^\d+$/);
  } finally {
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
