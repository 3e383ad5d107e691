// End to end in a real VS Code: the sidebar's Security groups on the sample estate (issue 15). Enrich the sample
// estate, open the section, expand the web load balancer's group: a rule that carried traffic shows a usage bar and
// its share, an unused one is marked unused with an empty bar. Click the used rule: the map opens with exactly the
// edges the rule carried highlighted (the others dimmed), as the engine computes them over the same dataset once
// VS Code is gone; Clear puts the map back. Screenshots go to test-artifacts/sg-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  ARTIFACTS,
  buildVsix,
  driveWorkbench,
  e2eUnavailable,
  findNotification,
  flowlensLogLines,
  launchBrowser,
  runCommand,
  screenshot,
  startCodeServer,
  topologyFrame,
  frameUntil as until,
  waitForEnrichment,
} from './harness';
import { Db } from '../../src/core/store/db';
import { ruleEdges } from '../../src/core/secgroups/ruleEdges';
import { defaultQuery } from '../../src/protocol/topology';

const unavailable = e2eUnavailable();

type Topology = { graphLevel?: string; nodes: number; highlightedEdges(): { source: string; target: string }[]; rule?: { id: string; label: string; edges: string[] } };

/** A row of the Security groups view by its text. */
const sgRow = (page: Page, text: string | RegExp) => page.locator('[id="workbench.view.extension.flowlens"] .monaco-list-row', { hasText: text });

test('the Security groups section: usage bars, unused rules marked, a rule\'s edges highlighted on the map', { skip: unavailable, timeout: 900_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-sg-e2e-'));
  const vsix = buildVsix(scratch);
  const datasetsDir = join(scratch, 'datasets');
  const server = await startCodeServer({ vsix, settings: { 'flowlens.datasetsFolder': datasetsDir }, env: { FLOWLENS_SAMPLE: JSON.stringify({ days: 2 }) } });
  const browser = await launchBrowser(server.home);
  const shown: { id: string; label: string; edges: string[]; highlighted: string[] }[] = [];
  try {
    await driveWorkbench(browser, server, 'sg', async (page) => {
      const before = flowlensLogLines(server);
      await runCommand(page, 'Flowlens: Enrich the sample estate');
      const ended = await waitForEnrichment(server, before, 300_000);
      assert.equal(ended, 'done', await findNotification(page, /Flowlens: enrich(ed|ment failed|ment cancelled)/));

      await runCommand(page, 'Flowlens: Focus on Security groups View');
      // a sidebar wide enough for a rule's words and figures (drag its edge)
      const side = (await page.locator('[id="workbench.parts.sidebar"]').boundingBox())!;
      await page.mouse.move(side.x + side.width + 1, side.y + side.height / 2);
      await page.mouse.down();
      await page.mouse.move(side.x + 560, side.y + side.height / 2, { steps: 8 });
      await page.mouse.up();
      // the other two sections folded away, so that this one has the sidebar's height
      for (const title of ['Datasets', 'Query templates']) {
        const header = page.locator('[id="workbench.view.extension.flowlens"] .pane-header', { hasText: title });
        if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
      }
      await sgRow(page, 'shop-web-alb').first().waitFor({ timeout: 120_000 });
      await sgRow(page, 'shop-web-alb').first().click();
      // the internet load balancer's group: HTTPS carried every request, the HTTP redirect nothing
      const https = sgRow(page, 'in tcp 443 from 0.0.0.0/0');
      const http = sgRow(page, 'in tcp 80 from 0.0.0.0/0');
      await https.first().waitFor({ timeout: 30_000 });
      const usedText = await https.first().innerText();
      const unusedText = await http.first().innerText();
      assert.match(usedText, /^[\u2588\u2589\u258a\u258b\u258c\u258d\u258e\u258f]+\u2591*\s+in tcp 443/, `a used rule's bar: ${usedText}`);
      assert.match(usedText, /\d+(\.\d)? % · [\d,]+ conv\. · [\d.]+ [KMGT]?i?B/);
      assert.match(unusedText, /^\u2591{8}\s+in tcp 80 from 0\.0\.0\.0\/0/, `an unused rule's bar is empty: ${unusedText}`);
      assert.match(unusedText, /unused$/);
      // the group reference of the web tier, for a fuller picture
      await sgRow(page, /^shop-web(?=sg-)/).first().click();
      await page.locator('[id="workbench.view.extension.flowlens"] .monaco-list').last().hover();
      await page.mouse.wheel(0, 2000);
      await page.mouse.move(1000, 450); // no hover tooltip over the rows
      await page.waitForTimeout(1200);
      await screenshot(page, 'sg-0-workbench');
      // the section alone (the README's picture)
      const bar = (await page.locator('[id="workbench.parts.sidebar"]').boundingBox())!;
      await page.screenshot({ path: join(ARTIFACTS, 'sg-0-sidebar.png'), clip: bar });

      // Show on map: the rule's edges, and only those, are highlighted, the others dimmed
      const show = async (row: ReturnType<typeof sgRow>, chip: RegExp) => {
        const was = shown.length ? shown[shown.length - 1].id : undefined;
        await row.first().click();
        const frame = await topologyFrame(page);
        await until(frame, () => (window as never as { flowlensTopology?: Topology }).flowlensTopology?.graphLevel, (l) => l === 'app');
        const rule = (await until(frame, () => (window as never as { flowlensTopology: Topology }).flowlensTopology.rule, (r) => !!r && r.id !== was && r.edges.length > 0))!;
        await frame.locator(`#rule[data-state="shown"][data-rule="${rule.id}"]`).waitFor({ timeout: 60_000 });
        const lit = (await until(frame, () => (window as never as { flowlensTopology: Topology }).flowlensTopology.highlightedEdges(), (h) => h.length > 0))
          .map((e) => `${e.source}\u2192${e.target}`).sort();
        assert.deepEqual(lit, [...rule.edges].sort(), `the map highlights exactly the edges of ${rule.label}`);
        assert.match((await frame.locator('#rule').innerText()).replace(/\s+/g, ' '), chip);
        // drawn: those edges wider and opaque, the others dimmed
        const drawn = await frame.locator('#map').evaluate((m) => m.querySelectorAll('g.edge[data-highlighted="true"]').length);
        assert.equal(drawn, lit.length);
        shown.push({ ...rule, highlighted: lit });
        return frame;
      };
      await show(https, /^Rule in tcp 443 from 0\.0\.0\.0\/0 · shop-web-alb · \d+ edges? Clear$/);
      // one with more edges: the web tier's egress to anywhere
      const frame = await show(sgRow(page, /^[\u2588-\u258f]+\u2591*\s+out all traffic to 0\.0\.0\.0\/0/), /^Rule out all traffic to 0\.0\.0\.0\/0 · shop-web · \d+ edges Clear$/);
      await until(frame, () => document.body.dataset.layout, (l) => l === 'settled');
      await page.waitForTimeout(800);
      await screenshot(page, 'sg-1-map-rule');

      await frame.locator('#clear-rule').click();
      await until(frame, () => (window as never as { flowlensTopology: Topology }).flowlensTopology.highlightedEdges().length, (n) => n === 0);
      assert.equal(await frame.locator('#rule').isHidden(), true);
    });
    // With VS Code gone the dataset is free: the engine's edges for that rule at the app level are the ones highlighted.
    const db = await Db.open(join(datasetsDir, 'sample.duckdb'), { readOnly: true });
    try {
      assert.equal(shown.length, 2);
      for (const r of shown) {
        const edges = await ruleEdges((sql, params) => db.json(sql, params), { ...defaultQuery(), level: 'app' }, r.id);
        assert.deepEqual(r.highlighted, edges.map((e) => `${e.source}\u2192${e.target}`).sort(), r.label);
      }
    } finally {
      db.close();
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
