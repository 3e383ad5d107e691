// End to end in a real VS Code: the topology of the sample estate. Open the view, open the busiest
// node's details by keyboard and check they name the resource and its peers as SQL over the dataset
// does; switch to the app level, turn on the ALB-bypass highlight and check the highlighted edges are
// the pairs the alb-bypass template returns; press "Open in SQL" and see the notebook cell run.
// Screenshots go to test-artifacts/topology-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import {
  REPO,
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
  webviewFrame,
} from './harness';
import { Db } from '../../src/core/store/db';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { formatBytes } from '../../webview/topology/model';
import { CHANGE_COLOURS, KIND_COLOURS } from '../../webview/topology/scene';

const unavailable =
  e2eUnavailable() ??
  (readFileSync(join(REPO, 'src/extension.ts'), 'utf8').includes('registerTopology')
    ? undefined
    : 'src/extension.ts does not call registerTopology (src/host/topology.ts) yet');

interface Shown {
  node: string;
  title: string;
  arn: string | null;
  peersIn: [string, string][];
  peersOut: [string, string][];
}


interface MapFacts {
  nodes: number;
  more: number;
  map: { x0: number; y0: number; x1: number; y1: number };
  /** The bounding box of every node circle and every drawn label, in page pixels. */
  content: { x0: number; y0: number; x1: number; y1: number };
  labels: { text: string; box: [number, number, number, number] }[];
  hidden: number;
  /** The account, VPC and AZ boxes, in page pixels. */
  groups: { key: string; box: [number, number, number, number] }[];
  /** Each node's circle and the keys of the boxes it belongs in. */
  circles: { id: string; boxes: string[]; box: [number, number, number, number] }[];
}

/** What the map draws, measured from the SVG's own elements (circles and the labels left visible). */
async function mapFacts(frame: FrameLocator): Promise<MapFacts> {
  return frame.locator('#map').evaluate((map) => {
    const r = map.getBoundingClientRect();
    const nodes = [...map.querySelectorAll('svg g.node')];
    const labels: { text: string; box: [number, number, number, number] }[] = [];
    let hidden = 0;
    const content = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const grow = (b: DOMRect) => {
      content.x0 = Math.min(content.x0, b.left); content.y0 = Math.min(content.y0, b.top);
      content.x1 = Math.max(content.x1, b.right); content.y1 = Math.max(content.y1, b.bottom);
    };
    for (const g of nodes) {
      grow(g.querySelector('circle')!.getBoundingClientRect());
      const t = g.querySelector('text')!;
      if (getComputedStyle(t).display === 'none') {
        hidden++;
        continue;
      }
      const b = t.getBoundingClientRect();
      grow(b);
      labels.push({ text: t.textContent ?? '', box: [b.left, b.top, b.right, b.bottom] });
    }
    for (const t of map.querySelectorAll('svg g.group text')) {
      if (getComputedStyle(t).display === 'none') continue;
      const b = t.getBoundingClientRect();
      labels.push({ text: t.textContent ?? '', box: [b.left, b.top, b.right, b.bottom] });
    }
    const rect = (e: Element): [number, number, number, number] => {
      const b = e.getBoundingClientRect();
      return [b.left, b.top, b.right, b.bottom];
    };
    return {
      groups: [...map.querySelectorAll('svg g.group')].map((g) => ({ key: g.getAttribute('data-key') ?? '', box: rect(g.querySelector('rect')!) })),
      circles: nodes.map((g) => ({ id: g.getAttribute('data-id') ?? '', boxes: (g.getAttribute('data-boxes') ?? '').split(' ').filter(Boolean), box: rect(g.querySelector('circle')!) })),
      nodes: nodes.length,
      more: nodes.filter((g) => g.classList.contains('more')).length,
      map: { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom },
      content,
      labels,
      hidden,
    };
  });
}

/** Labels that overlap (by more than half a pixel each way), as pairs of texts. */
function overlaps(labels: MapFacts['labels']): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i].box, labels[j].box];
      if (Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > 0.5 && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 0.5) out.push(`${labels[i].text} / ${labels[j].text}`);
    }
  }
  return out;
}

/**
 * Boxes that overlap without one holding the other (by more than half a pixel each way), and nodes whose circle
 * is not inside each of its boxes or reaches into a box it is not in.
 */
function boxProblems(f: MapFacts): string[] {
  const out: string[] = [];
  const cross = (a: number[], b: number[]) => Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > 0.5 && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 0.5;
  const within = (a: number[], b: number[]) => a[0] >= b[0] - 0.5 && a[1] >= b[1] - 0.5 && a[2] <= b[2] + 0.5 && a[3] <= b[3] + 0.5;
  for (let i = 0; i < f.groups.length; i++) {
    for (let j = i + 1; j < f.groups.length; j++) {
      const [a, b] = [f.groups[i], f.groups[j]];
      if (cross(a.box, b.box) && !within(a.box, b.box) && !within(b.box, a.box)) out.push(`boxes ${a.key} and ${b.key} overlap`);
    }
  }
  for (const c of f.circles) {
    for (const g of f.groups) {
      const mine = c.boxes.includes(g.key);
      if (mine && !within(c.box, g.box)) out.push(`${c.id} sticks out of its box ${g.key}`);
      if (!mine && cross(c.box, g.box)) out.push(`${c.id} lies in ${g.key}, not its box`);
    }
  }
  return out;
}

/** Fitted: everything drawn lies inside the map, and fills most of its width or its height. */
function assertFitted(f: MapFacts, what: string): void {
  const { map, content } = f;
  assert.ok(content.x0 >= map.x0 - 1 && content.y0 >= map.y0 - 1 && content.x1 <= map.x1 + 1 && content.y1 <= map.y1 + 1,
    `${what}: the map's content ${JSON.stringify(content)} lies inside the map ${JSON.stringify(map)}`);
  const fill = Math.max((content.x1 - content.x0) / (map.x1 - map.x0), (content.y1 - content.y0) / (map.y1 - map.y0));
  assert.ok(fill >= 0.8, `${what}: the content fills ${(fill * 100).toFixed(0)}% of the map's width or height`);
}


test('topology of the sample estate: details, app level, ALB-bypass highlight, Open in SQL', { skip: unavailable, timeout: 900_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowlens-topology-e2e-'));
  const vsix = buildVsix(scratch);
  const datasetsDir = join(scratch, 'datasets');
  const server = await startCodeServer({
    vsix,
    settings: { 'flowlens.datasetsFolder': datasetsDir, 'flowlens.rowCap': 500 },
    env: { FLOWLENS_SAMPLE: JSON.stringify({ days: 2 }) },
  });
  const browser = await launchBrowser(server.home);
  let shown: Shown | undefined;
  let highlighted: { source: string; target: string }[] = [];
  let highlightedResource: { source: string; target: string }[] = [];
  await driveWorkbench(browser, server, 'topology', async (page) => {
    // Before any dataset: the map says what to do, with a button that enriches the sample estate.
    await runCommand(page, 'Flowlens: Open topology');
    const frame = await topologyFrame(page);
    await frame.locator('#empty h2', { hasText: 'No dataset yet' }).waitFor({ timeout: 60_000 });
    assert.ok(await frame.locator('#empty #enrich-sample').isVisible());
    await page.waitForTimeout(300);
    await screenshot(page, 'topology-00-empty');
    const before = flowlensLogLines(server);
    await frame.locator('#empty #enrich-sample').click();
    const ended = await waitForEnrichment(server, before, 300_000);
    const message = await findNotification(page, /Flowlens: enrich(ed|ment failed|ment cancelled)/);
    assert.equal(ended, 'done', message);
    assert.match(message, /Flowlens: enriched [\d,]+ records/);
    await frame.locator('#empty').waitFor({ state: 'hidden', timeout: 60_000 });

    await runCommand(page, 'Flowlens: Open topology');
    // It opens at the app level, fitted, with at most 60 nodes and labels that do not overlap.
    await until(frame, () => (window as never as { flowlensTopology?: { graphLevel?: string; nodes: number } }).flowlensTopology, (t) => !!t && t.graphLevel === 'app' && t.nodes > 0);
    await frame.locator('#status', { hasText: /\d+ nodes, \d+ edges/ }).waitFor({ timeout: 30_000 });
    await until(frame, () => document.body.dataset.layout, (l) => l === 'settled');
    await page.waitForTimeout(500);
    await screenshot(page, 'topology-0-default');
    const opened = await mapFacts(frame);
    assert.ok(opened.nodes > 10 && opened.nodes <= 60, `the default map shows ${opened.nodes} nodes`);
    assertFitted(opened, 'the default map');
    // its nodes keep apart enough for nearly every label to find a free side (27 of 27 on the sample; 23 before)
    assert.ok(opened.labels.length >= 0.9 * opened.nodes, `${opened.labels.length} of ${opened.nodes} labels drawn`);
    assert.deepEqual(overlaps(opened.labels), []);
    const nodePlaces = () => frame.locator('#map g.node').evaluateAll((els) => Object.fromEntries(els.map((g) => [g.getAttribute('data-id'), g.getAttribute('transform')])));
    const appPlaces = await nodePlaces();

    // The estate's apps reach the shared services' collectors through its transit gateway: a node of its own, in the
    // legend, between them; its details say what went through it and over which attachments.
    const tgwNode = frame.locator('#map g.node[data-id^="tgw:"]');
    assert.equal(await tgwNode.count(), 1, 'the transit gateway is a node of the app-level map');
    const tgwId = (await tgwNode.getAttribute('data-id'))!;
    await frame.locator('#legend [data-node-kind="tgw"]', { hasText: 'transit gateway' }).waitFor({ timeout: 30_000 });
    const legs = await frame.locator('#map g.edge').evaluateAll((els, id) => els.map((g) => g.getAttribute('data-id') ?? '').filter((e) => e.split('\u2192').includes(id)), tgwId);
    assert.ok(legs.some((e) => e.endsWith(`\u2192${tgwId}`)) && legs.some((e) => e.startsWith(`${tgwId}\u2192`)), `edges into and out of the transit gateway: ${legs.join(', ')}`);
    await tgwNode.locator('circle').click({ force: true });
    await frame.locator('#details .tgw .attachments li').first().waitFor({ timeout: 60_000 });
    const tgwText = (await frame.locator('#details .tgw').textContent()) ?? '';
    assert.match(tgwText, /Through this transit gateway.*bytes.*cross-AZ.*cross-account.*Attachments \(\d+\)/s);
    assert.match((await frame.locator('#details .title').textContent()) ?? '', /transit gateway tgw-/);
    await page.waitForTimeout(300);
    await screenshot(page, 'topology-0b-transit-gateway');
    await frame.locator('#map').press('Escape');

    // The resource level: folded to at most 60 nodes, "+N more" nodes that expand on a click.
    await frame.locator('#level').selectOption('resource');
    await until(frame, () => (window as never as { flowlensTopology: { graphLevel?: string } }).flowlensTopology.graphLevel, (l) => l === 'resource');
    await until(frame, () => document.body.dataset.layout, (l) => l === 'settled');
    await page.waitForTimeout(300);
    const folded = await mapFacts(frame);
    await screenshot(page, 'topology-1-resource');
    assert.ok(folded.nodes <= 60, `the resource level shows ${folded.nodes} nodes`);
    assert.ok(folded.more >= 1, 'the smaller resources are folded into "+N more" nodes');
    assertFitted(folded, 'the resource level');
    assert.deepEqual(overlaps(folded.labels), []);
    // account, VPC and AZ boxes: apart or one inside the other, every node inside its own boxes only
    assert.ok(folded.groups.length >= 3, `${folded.groups.length} boxes at the resource level`);
    assert.deepEqual(boxProblems(folded), []);
    for (let i = 0; i < 10 && (await frame.locator('#map g.node.more').count()) > 0; i++) {
      await frame.locator('#map g.node.more circle').first().click();
      await page.waitForTimeout(300);
    }
    const expanded = await mapFacts(frame);
    assert.equal(expanded.more, 0);
    assert.ok(expanded.nodes > folded.nodes);
    assert.deepEqual(overlaps(expanded.labels), []);
    assert.deepEqual(boxProblems(expanded), []);
    assertFitted(expanded, 'the resource level, expanded');
    // its boxes as compact as before, so the labels about as tall (the map shrank to a corner of the canvas when the
    // nodes that came back sat where an older packing of the boxes had put them)
    const height = (f: MapFacts) => [...f.labels.map((l) => l.box[3] - l.box[1])].sort((a, b) => a - b)[Math.floor(f.labels.length / 2)]!;
    assert.ok(height(expanded) >= 0.8 * height(folded), `labels ${height(folded).toFixed(1)} px high, expanded ${height(expanded).toFixed(1)} px`);
    await screenshot(page, 'topology-1b-resource-expanded');

    // Hovering an edge shows its bytes, cost, path and ports.
    await frame.locator('#map g.edge path.hit').first().hover({ force: true });
    await frame.locator('#edge-tip .ports', { hasText: /ports: (TCP|UDP|ICMP|\d)/ }).waitFor({ timeout: 30_000 });
    const tip = (await frame.locator('#edge-tip').textContent()) ?? '';
    assert.match(tip, /→/);
    assert.match(tip, /\d+(\.\d+)? (B|KiB|MiB|GiB)/);
    assert.match(tip, /\$/);
    assert.match(tip, /path: /);
    await screenshot(page, 'topology-1c-edge-hover');
    await frame.locator('#status').hover();

    // Compare mode: every edge is coloured by its change (or faint when unchanged), never by its path.
    await frame.locator('#compare').selectOption('day');
    await frame.locator('#legend [data-change="grew"]').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    const edges = await frame.locator('#map g.edge').evaluateAll((els) => els.map((g) => ({
      change: g.getAttribute('data-change'),
      colour: g.querySelector('path.line')?.getAttribute('data-colour') ?? '',
    })));
    const fg = await frame.locator('body').evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-foreground').trim());
    const muted = await frame.locator('body').evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-descriptionForeground').trim());
    const changed = edges.filter((e) => e.change);
    assert.ok(changed.length > 0, 'some edges changed between the two periods');
    const palette: Record<string, string> = { ...CHANGE_COLOURS, new: fg };
    for (const e of edges) {
      assert.equal(e.colour, e.change ? palette[e.change] : muted, `an edge ${e.change ?? 'unchanged'} is drawn in ${e.colour}`);
      assert.ok(!(Object.values(KIND_COLOURS) as string[]).includes(e.colour), 'no path colour in compare mode');
    }
    await screenshot(page, 'topology-1d-compare');
    // the vanished edges' nodes join the map: still no overlapping label, no overlapping box
    await until(frame, () => document.body.dataset.layout, (l) => l === 'settled');
    const compared = await mapFacts(frame);
    assert.deepEqual(overlaps(compared.labels), []);
    assert.deepEqual(boxProblems(compared), []);
    // an edge that changed: its details show before, after and the change in percent
    const which = await frame.locator('#map g.edge[data-change="grew"], #map g.edge[data-change="shrank"]').first().getAttribute('data-change');
    // (the click is sent to that edge itself: a click at its middle could land on another edge drawn over it, as one
    // did, showing an edge of +90 % said to be 'unchanged')
    await frame.locator(`#map g.edge[data-change="${which}"] path.hit`).first().dispatchEvent('click');
    await frame.locator('#details .compare').waitFor({ timeout: 60_000 });
    const cmpText = (await frame.locator('#details .compare').textContent()) ?? '';
    assert.match(cmpText, /before.*after.*Δ/s);
    assert.match(cmpText, which === 'grew' ? /\+\d+(\.\d)? %/ : /[-−]\d+(\.\d)? %/);
    assert.ok(cmpText.endsWith(`change${which}`), cmpText);
    await screenshot(page, 'topology-1e-compare-details');
    await frame.locator('#compare').selectOption('none');
    await frame.locator('#legend [data-change]').first().waitFor({ state: 'detached', timeout: 30_000 });
    await frame.locator('#map').press('Escape');

    // ALB-bypass highlight at the resource level
    await frame.locator('label[for="hl-alb-bypass"]').click();
    highlightedResource = await until(frame, () => (window as never as { flowlensTopology: { highlightedEdges(): { source: string; target: string }[] } }).flowlensTopology.highlightedEdges(), () => true);

    // The busiest node, by keyboard: focus the map, Tab to the first node, Enter opens its details.
    await frame.locator('label[for="hl-alb-bypass"]').click();
    await frame.locator('#map').focus();
    await frame.locator('#map').press('Tab');
    await frame.locator('#map').press('Enter');
    await frame.locator('#details .title').waitFor({ timeout: 60_000 });
    await frame.locator('#details .peers-in, #details .peers-out').first().waitFor({ timeout: 60_000 });
    shown = await frame.locator('#details').evaluate((el) => ({
      node: (el as HTMLElement).dataset.node ?? '',
      title: el.querySelector('.title')?.textContent ?? '',
      arn: el.querySelector('.arn')?.textContent ?? null,
      peersIn: [...el.querySelectorAll('.peers-in li')].map((li) => [li.querySelector('a')?.dataset.id ?? '', (li.querySelector('.bytes')?.textContent ?? '').trim()] as [string, string]),
      peersOut: [...el.querySelectorAll('.peers-out li')].map((li) => [li.querySelector('a')?.dataset.id ?? '', (li.querySelector('.bytes')?.textContent ?? '').trim()] as [string, string]),
    }));
    await page.waitForTimeout(300);
    await screenshot(page, 'topology-2-details');

    // The app level, with the ALB-bypass highlight.
    await frame.locator('#level').selectOption('app');
    await until(frame, () => (window as never as { flowlensTopology: { graphLevel?: string } }).flowlensTopology.graphLevel, (l) => l === 'app');
    // back at the app level, every node is where it was when the map opened
    assert.deepEqual(await nodePlaces(), appPlaces);
    await frame.locator('label[for="hl-alb-bypass"]').click();
    highlighted = await until(frame, () => (window as never as { flowlensTopology: { highlightedEdges(): { source: string; target: string }[] } }).flowlensTopology.highlightedEdges(), () => true);
    await page.waitForTimeout(500);
    await screenshot(page, 'topology-3-app-alb-bypass');

    // Open in SQL for the busiest app node: a notebook opens and its cell runs.
    await frame.locator('#map').focus();
    await frame.locator('#map').press('Tab');
    await frame.locator('#map').press('Enter');
    await frame.locator('#details #open-sql').waitFor({ timeout: 60_000 });
    await frame.locator('#details #open-sql').click();
    await page.locator('.notebookOverlay').first().waitFor({ timeout: 60_000 });
    const deadline = Date.now() + 120_000;
    let ran = false;
    while (!ran && Date.now() < deadline) {
      const n = await page.locator('iframe.webview.ready').count();
      for (let i = 0; i < n && !ran; i++) ran = (await webviewFrame(page, i).locator('.flowlens-result .meta').count().catch(() => 0)) > 0;
      if (!ran) await page.waitForTimeout(500);
    }
    assert.ok(ran, 'the Open in SQL cell ran and rendered a result');
    await page.waitForTimeout(500);
    await screenshot(page, 'topology-4-open-in-sql');
  });
  try {
    // With VS Code gone the dataset is free: the same questions in plain SQL.
    const db = await Db.open(join(datasetsDir, 'sample.duckdb'), { readOnly: true });
    try {
      assert.ok(shown && shown.node, 'a node was shown');
      // a conversation through the transit gateway (the one linking the two VPCs) has it as the peer
      const tgw = `(SELECT 'tgw:' || min(l.link_id) FROM inv_vpc_links l WHERE l.kind = 'transit-gateway' AND l.vpc_id = c.client_vpc AND l.peer_vpc_id = c.server_vpc)`;
      const peers = async (sideCol: string, otherCol: string) =>
        (await db.json<{ peer: string; bytes: number }>(
          `SELECT CASE WHEN egress_path = 'transit-gateway' THEN ${tgw} ELSE ${otherCol} END AS peer, sum(uploaded + downloaded)::DOUBLE AS bytes
           FROM conversations c WHERE ${sideCol} = $n
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
          { n: shown!.node },
        )).map((r) => [r.peer, formatBytes(r.bytes)]);
      assert.deepEqual(shown.peersIn, await peers('server_node', 'client_node'));
      assert.deepEqual(shown.peersOut, await peers('client_node', 'server_node'));
      if (shown.node.startsWith('arn:')) {
        assert.equal(shown.arn, shown.node);
        const name = await db.json<{ label: string }>(`SELECT coalesce(name, resource_id) AS label FROM inv_resources WHERE arn = $n`, { n: shown.node });
        if (name[0]?.label) assert.equal(shown.title, name[0].label);
      }

      // The ALB-bypass template's pairs: exactly the highlighted resource edges, and mapped to apps by
      // the app tag at the time of each conversation, the highlighted app edges.
      const { sql, params } = bindTemplate(findTemplate('alb-bypass'), {});
      const rows = await db.json<{ client: string; target: string }>(sql, params);
      assert.ok(rows.length > 0, 'the sample estate has ALB bypass traffic');
      const pairs = (xs: { source: string; target: string }[]) => [...new Set(xs.map((e) => `${e.source} ${e.target}`))].sort();
      assert.deepEqual(pairs(highlightedResource), pairs(rows.map((r) => ({ source: r.client, target: r.target }))));
      const apps = await db.json<{ source: string; target: string }>(
        `WITH hits AS (${sql.replace(/;\s*$/, '')})
         SELECT DISTINCT coalesce('app:' || tc.value, c.client_node) AS source, coalesce('app:' || ts.value, c.server_node) AS target
         FROM conversations c
         JOIN (SELECT DISTINCT client, target, port FROM hits) h ON h.client = c.client_node AND h.target = c.server_node AND h.port = c.server_port
         LEFT JOIN inv_tags tc ON tc.arn = c.client_arn AND tc.key = 'app' AND c.window_start >= tc.valid_from AND c.window_start < tc.valid_to
         LEFT JOIN inv_tags ts ON ts.arn = c.server_arn AND ts.key = 'app' AND c.window_start >= ts.valid_from AND c.window_start < ts.valid_to
         WHERE c.action = 'ACCEPT'`,
        params,
      );
      assert.deepEqual(pairs(highlighted), pairs(apps));
    } finally {
      db.close();
    }
  } finally {
    server.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
