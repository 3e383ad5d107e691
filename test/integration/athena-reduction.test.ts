/**
 * One reduction, two engines: the Athena reduction (athena-reduction.sql) run in DuckDB over the sample estate's
 * flow records, its rows loaded as facts into a dataset with the same inventory and enriched; the windows it gives
 * must equal those of the local enrichment of the same records (per endpoint pair, protocol, server port, action
 * and window: bytes and packets each way, and at one minute the conversations, which a reduced fact counts as its
 * distinct client ports). And the rows carry every record and byte.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { rebuild } from '../../src/core/enrich/rebuild';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';
import { reductionSql, REDUCED_COLUMNS } from '../../src/core/aws/athenaReduction';
import { ingestReducedRows } from '../../src/core/flowlogs/reduced';

const START = '2026-09-29T00:00:00Z';
const DAYS = 1;

let dir: string;
let manifest: SampleManifest;
let local: Db;
let athena: Db;

/** The reduction's rows as GetQueryResults gives them: text, NULL for an absent value. */
async function reduce(db: Db, windowSeconds: number): Promise<(string | null)[][]> {
  const columns = (await db.all<{ column_name: string }>(`SELECT column_name FROM duckdb_columns() WHERE schema_name = 'flowlogs' AND table_name = 'vpc_flow_logs'`)).map((c) => c.column_name);
  const since = new Date(START);
  const until = new Date(since.getTime() + (DAYS + 1) * 86_400_000);
  const sql = reductionSql({ table: '"flowlogs"."vpc_flow_logs"', since, until, windowSeconds, columns });
  const rows = await db.all<Record<string, unknown>>(sql);
  return rows.map((r) => REDUCED_COLUMNS.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
}

/** A window table as (window, client node, server node, protocol, server port, action) -> sums. */
async function windows(db: Db, table: string, conversations: boolean): Promise<Map<string, string>> {
  const rows = await db.all<{ k: string; v: string }>(`SELECT concat_ws('|', window_start, client_node, server_node, protocol, server_port, action) AS k,
    concat_ws(' ', sum(uploaded), sum(downloaded), sum(packets_up), sum(packets_down)${conversations ? ', sum(conversations)' : ''}) AS v FROM ${table} GROUP BY ALL`);
  return new Map(rows.map((r) => [r.k, r.v]));
}

function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: local ${v}, reduced ${b.get(k) ?? '-'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${k}: local -, reduced ${v}`);
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-athena-reduction-'));
  manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 5, days: DAYS, start: START, scale: 0.3 });
  local = await openDataset(join(dir, 'local.duckdb'));
  await enrich(local, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  // "Athena": the same flow logs as one table, columns named as AWS's Athena table names them
  athena = await openDataset(':memory:');
  await ingestFiles(athena, manifest.flowLogDirs);
  await athena.exec('CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records');
});

after(() => {
  local?.close();
  athena?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Athena reduction over the sample estate', () => {
  it('returns fewer rows than the records it reads, with every record and byte', async () => {
    const rows = await reduce(athena, 60);
    const t = await athena.one<{ n: bigint; b: bigint }>(`SELECT count(*) AS n, sum(bytes) AS b FROM flow_records WHERE log_status = 'OK'`);
    const records = rows.reduce((n, r) => n + Number(r[REDUCED_COLUMNS.indexOf('records')]), 0);
    const bytes = rows.reduce((n, r) => n + Number(r[REDUCED_COLUMNS.indexOf('bytes_up')]) + Number(r[REDUCED_COLUMNS.indexOf('bytes_down')]), 0);
    assert.equal(records, Number(t!.n));
    assert.equal(bytes, Number(t!.b));
    // (how many fewer depends on how many connections an address pair makes a window: bench/athena.mjs measures it)
    assert.ok(rows.length < records, `${rows.length} rows for ${records} records`);
    assert.ok((await reduce(athena, 3600)).length < rows.length, 'an hour reduces further than a minute');
  });

  for (const w of [60, 3600]) {
    it(`gives the local enrichment's windows when its rows are enriched as facts (window ${w} s)`, async () => {
      const db = await openDataset(join(dir, `reduced-${w}.duckdb`));
      try {
        await loadInventory(db, [manifest.inventoryDir]);
        const rows = await reduce(athena, w);
        const load = await ingestReducedRows(db, `athena://test/w${w}`, w, rows);
        assert.equal(load.status, 'loaded');
        assert.equal(load.rows, rows.length);
        assert.equal(load.badLines, 0);
        await rebuild(db);
        const table = w === 60 ? 'windows_1m' : 'windows_1h';
        // conversations too at one minute: a reduced fact counts its distinct client ports, the local ones are one
        // each (over an hour a connection of three minutes is three conversation-minutes locally, one port reduced)
        const diff = differences(await windows(local, table, w === 60), await windows(db, table, w === 60));
        assert.deepEqual(diff.slice(0, 20), [], `${diff.length} windows differ`);
        // the same content again adds nothing
        assert.equal((await ingestReducedRows(db, `athena://test/w${w}/again`, w, rows)).status, 'duplicate');
      } finally {
        db.close();
      }
    });
  }
});
