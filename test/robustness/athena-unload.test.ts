/**
 * Issue 14, the Athena reduction UNLOADed as Parquet (an output location given) when its files cannot be read:
 * the S3 GetObject of the Parquet files denied. The issue names the folder and the way out (--athena-result csv, in
 * the editor the setting flowlens.athena.resultFormat),
 * nothing is stored, and the query is not run again in another form (it was paid for once). An output location that
 * is no s3:// address is refused before anything runs. Real DuckDB; the real SDK against the local endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;
let athenaDb: Db;
let base: AwsSource;

before(async () => {
  home = makeTempHome();
  estate = mkdtempSync(join(tmpdir(), 'flowlens-unload-estate-'));
  work = mkdtempSync(join(tmpdir(), 'flowlens-unload-'));
  writeMiniEstate(estate);
  athenaDb = await openDataset(':memory:');
  await ingestFiles(athenaDb, [join(estate, 'flowlogs', 'flowlens-logs-a')]);
  await athenaDb.exec(`CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records`);
  ep = await startAwsEndpoint({
    estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }],
    athena: {
      run: async (sql) => {
        const rows = await athenaDb.json(sql);
        const types = await athenaDb.all<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`);
        return { columns: types.map((t) => ({ name: t.column_name, type: t.column_type.toLowerCase() })), rows: rows.map((r) => types.map((t) => (r[t.column_name] === null ? null : String(r[t.column_name])))), scannedBytes: 1000 };
      },
      table: async (t) => (t.table === 'vpc_flow_logs'
        ? { columns: (await athenaDb.all<{ column_name: string; column_type: string }>('DESCRIBE flowlogs.vpc_flow_logs')).map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })), parameters: { location: 's3://flowlens-logs-a/' } }
        : undefined),
    },
  });
  base = miniEstateSource(home, ep.url);
});

after(async () => {
  await ep.close();
  athenaDb.close();
  for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
  home.cleanup();
});

async function stored(db: Db) {
  return db.one<{ files: bigint; rows: bigint; facts: bigint }>(`SELECT (SELECT count(*) FROM ingest_files) AS files,
    (SELECT count(*) FROM athena_reduced) AS rows, (SELECT count(*) FROM conversation_facts) AS facts`);
}

test('the Parquet files of an UNLOAD denied: the folder and the way out (--athena-result csv, the editor\'s flowlens.athena.resultFormat) named, nothing stored, the query run once', async () => {
  const db = await openDataset(join(work, 'denied.duckdb'));
  try {
    const started = ep.athenaQueries.length;
    ep.faults.push({ kind: 'access-denied', service: 's3', op: 'GetObject', key: '.parquet' });
    const s = (await enrich(db, { source: { ...base, accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, outputLocation: 's3://athena-results/flowlens' } } })).aws!;
    assert.equal(ep.athenaQueries.length, started + 1, 'one query, not run again as a SELECT');
    assert.equal(s.issues.length, 1);
    const i = s.issues[0]!;
    assert.deepEqual([i.api, i.resource], ['s3:GetObject', 'athena://AwsDataCatalog/flowlogs/vpc_flow_logs']);
    assert.match(i.message, /^cannot read the Parquet files the query wrote under s3:\/\/athena-results\/flowlens\/flowlens-unload\/[0-9a-f-]{36}\/ \(AccessDenied \(injected\)\); its CSV result is read instead with --athena-result csv \(in the editor: the setting flowlens\.athena\.resultFormat set to csv\)$/);
    assert.deepEqual(await stored(db), { files: 0n, rows: 0n, facts: 0n });
  } finally {
    ep.faults.length = 0;
    db.close();
  }
});

test('an output location that is no s3:// address is refused before anything runs', async () => {
  const db = await openDataset(join(work, 'bad-location.duckdb'));
  try {
    const started = ep.athenaQueries.length;
    const s = (await enrich(db, { source: { ...base, accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, outputLocation: 'athena-results/flowlens' } } })).aws!;
    assert.equal(ep.athenaQueries.length, started, 'nothing was started');
    assert.deepEqual(s.issues.map((i) => [i.code, i.message]), [['BadOutputLocation', 'the Athena output location athena-results/flowlens is not an s3:// address']]);
    assert.deepEqual(await stored(db), { files: 0n, rows: 0n, facts: 0n });
  } finally {
    db.close();
  }
});
