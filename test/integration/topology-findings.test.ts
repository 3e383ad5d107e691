/**
 * On the sample estate, the map highlights exactly the pairs the query templates report, for every finding (both
 * read the dataset's one definition of it, src/core/enrich/findings.sql): over the whole data and over a window
 * that cuts hours, at the resource level, and for cross-AZ also at the app level.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { writeSampleEstate } from '../../src/core/sample/index';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { topologyGraph, type QueryRows } from '../../src/core/topology/graph';
import { defaultQuery, type Finding, type GraphQuery } from '../../src/protocol/topology';
import { tsText } from '../../src/core/topology/sql';

let dir: string;
let db: Db;
let query: QueryRows;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-findings-'));
  const manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 42, days: 2, start: '2026-09-29T00:00:00Z', scale: 0.5 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  query = (sql, params) => db.json(sql, params);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The template's rows as "client server" pairs. */
async function templatePairs(id: string, params: Record<string, string>, pair: (r: Record<string, string>) => string): Promise<string[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  const rows = await db.json<Record<string, string>>(sql, bound);
  return [...new Set(rows.map(pair))].sort();
}

/** The map's highlighted edges for a finding as "source target" pairs. */
async function mapPairs(q: GraphQuery, finding: Finding, pair: (s: string, t: string) => string = (s, t) => `${s} ${t}`): Promise<string[]> {
  const g = await topologyGraph(query, q);
  return [...new Set(g.edges.filter((e) => e.findings.includes(finding)).map((e) => pair(e.source, e.target)))].sort();
}

/** `minutes`: the template reads conversations, so its window is exact to the minute; the others read windows_1h. */
const FINDINGS: { template: string; finding: Finding; pair: (r: Record<string, string>) => string; minutes?: boolean; params?: Record<string, string> }[] = [
  { template: 'alb-bypass', finding: 'alb-bypass', pair: (r) => `${r.client} ${r.target}`, minutes: true },
  { template: 'lambda-rds-without-proxy', finding: 'lambda-rds-no-proxy', pair: (r) => `${r.function} ${r.db}`, minutes: true },
  // the template names the service; the map's server node is aws:<SERVICE>
  { template: 'nat-gateway-endpoint-candidates', finding: 'nat-to-endpoint', pair: (r) => `${r.client} aws:${r.service}` },
  // with a tag key nothing carries, the template's apps are the nodes themselves
  { template: 'cross-az', finding: 'cross-az', pair: (r) => `${r.client_app} ${r.server_app}`, params: { tag_key: 'no-such-tag' } },
];

test('every finding: the map highlights the pairs its template returns, over all the data and over windows', async () => {
  const first = Number(await db.value(`SELECT epoch_ms(time_bucket(INTERVAL 1 hour, min(window_start)))::DOUBLE FROM conversations`));
  const hours = { from: first + 7 * 3_600_000, to: first + 27 * 3_600_000 };
  const cut = { from: hours.from + 13 * 60_000, to: hours.to + 29 * 60_000 };
  for (const [w, all] of [[{}, true], [hours, true], [cut, false]] as [{ from?: number; to?: number }, boolean][]) {
    const window: Record<string, string> = w.from === undefined ? {} : { since: tsText(w.from), until: tsText(w.to!) };
    for (const f of FINDINGS.filter((x) => all || x.minutes)) {
      const expected = await templatePairs(f.template, { ...window, ...f.params }, f.pair);
      assert.ok(expected.length > 0, `${f.template} finds something in the sample estate ${JSON.stringify(window)}`);
      assert.deepEqual(await mapPairs({ ...defaultQuery(), ...w }, f.finding), expected, `${f.template} ${JSON.stringify(window)}`);
    }
  }
});

test('cross-AZ at the app level: the map highlights the app pairs the template returns', async () => {
  const expected = await templatePairs('cross-az', { tag_key: 'app' }, (r) => `${r.client_app} ${r.server_app}`);
  const app = (k: string) => (k.startsWith('app:') ? k.slice(4) : k);
  assert.ok(expected.length > 0);
  assert.deepEqual(await mapPairs({ ...defaultQuery(), level: 'app', tagKey: 'app' }, 'cross-az', (s, t) => `${app(s)} ${app(t)}`), expected);
});
