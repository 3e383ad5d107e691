#!/usr/bin/env node
// Activation and the first query as a user meets them, in a real VS Code (code-server 4.100.3 and Debian's
// Chromium, the end-to-end setup: scripts/setup-e2e.sh), from the command to what shows on the screen:
//   npm run build:test && node bench/vscode-latency.mjs [--runs 3] [--days 8]
// Each run starts a fresh code-server with the packaged .vsix (the extension not yet active) and one dataset, the
// sample estate made beforehand by the CLI, in the datasets folder. Per run:
// 1. open: "Flowlens: Focus on Datasets View" (Enter in the palette) to the dataset's row in the sidebar:
//    activation, the DuckDB process started, the dataset's summary read, the tree drawn.
// 2. first query: "Notebook: Run All" on the cross-AZ template's notebook to its first table row drawn (cold: the
//    notebook's first query).
// 3. again: outputs cleared, Run All once more, to the first row (warm).
// bench/activation.mjs measures the same two halves outside VS Code (activate() alone, the DuckDB process alone).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 3);
const DAYS = arg('days', 8);

let h;
try {
  h = require(join(root, 'out/test/e2e/harness.js'));
} catch {
  console.error('run `npm run build:test` first (the bench drives VS Code with the e2e harness in out/)');
  process.exit(2);
}
const why = h.e2eUnavailable();
if (why) {
  console.error(why);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'flowlens-vscode-latency-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const vsix = h.buildVsix(scratch);
  execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--cli'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const datasets = join(scratch, 'datasets');
  mkdirSync(datasets);
  execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'enrich', '--sample', '--days', String(DAYS), '--db', join(datasets, 'sample.duckdb'), '--quiet'], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FLOWLENS_CACHE: h.SAMPLE_CACHE },
  });
  const runs = [];
  for (let run = 1; run <= RUNS; run++) {
    const server = await h.startCodeServer({ vsix, settings: { 'flowlens.datasetsFolder': datasets, 'flowlens.rowCap': 500 } });
    const browser = await h.launchBrowser(server.home);
    const figures = {};
    await h.driveWorkbench(browser, server, 'bench-vscode-latency', async (page) => {
      // the palette row first (the workbench paints before the extension host has registered contributions)
      const enter = async (title) => {
        for (const deadline = Date.now() + 60_000; ;) {
          await page.keyboard.press('Escape');
          await page.keyboard.press('F1');
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ timeout: 10_000 });
          await input.fill(`>${title}`);
          try {
            await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 2000 });
            break;
          } catch {
            if (Date.now() > deadline) throw new Error(`"${title}" is not in the palette`);
          }
        }
        const t = performance.now();
        await page.keyboard.press('Enter');
        return t;
      };
      let t = await enter('Flowlens: Focus on Datasets View');
      await page.locator('.pane-body .monaco-list-row', { hasText: 'sample' }).first().waitFor({ timeout: 120_000 });
      figures.open = performance.now() - t;

      await h.runCommand(page, 'Flowlens: New notebook from template…');
      await h.pickQuickItem(page, 'Open which query template in a notebook?', 'Cross-AZ traffic by app pair');
      await page.locator('.notebookOverlay').first().waitFor({ timeout: 30_000 });
      const firstRow = () => h.webviewFrame(page).locator('.flowlens-result table tbody tr').first().waitFor({ timeout: 120_000 });
      t = await enter('Notebook: Run All');
      await firstRow();
      figures.cold = performance.now() - t;

      await h.runCommand(page, 'Notebook: Clear All Outputs');
      await h.webviewFrame(page).locator('.flowlens-result table tbody tr').first().waitFor({ state: 'detached', timeout: 30_000 });
      t = await enter('Notebook: Run All');
      await firstRow();
      figures.warm = performance.now() - t;
    });
    server.cleanup();
    runs.push(figures);
    console.log(`run ${run}: open ${Math.round(figures.open)} ms, first query ${Math.round(figures.cold)} ms, again ${Math.round(figures.warm)} ms (load ${loadavg()[0].toFixed(1)})`);
  }
  const m = (k) => Math.round(median(runs.map((r) => r[k])));
  console.log(`median of ${RUNS}: open ${m('open')} ms (command to the dataset in the sidebar), first query ${m('cold')} ms, again ${m('warm')} ms (Run All to the first row drawn); sample estate of ${DAYS} days`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
