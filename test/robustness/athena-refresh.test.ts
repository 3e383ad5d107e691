/**
 * A dataset read from two Athena tables (two flow logs' tables, each of its own interfaces), refreshed in the
 * editor's way (the request it remembers, refreshRequest, then what it remembers of the run) while one table's query
 * fails: the failure is said (Athena's reason, the table named), the other table's rows are loaded, and the window
 * the failed table did not read is read by the next Refresh, once, with nothing of the other table read twice. The
 * facts then are those of one clean read of the whole window. Real DuckDB, the real SDK against the local endpoint,
 * whose Athena runs the submitted SQL in DuckDB over the estate's flow logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { enrich, forget, openDataset, type Db } from '../../src/core/api';
import { formatAcquireSummary } from '../../src/core/aws/acquire';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { formatBytes } from '../../src/core/format';
import type { EnrichRequest } from '../../src/protocol/enrich';
import type { AcquireSummary } from '../../src/protocol/reports';
import { refreshMessage } from '../../src/host/enrichReport';
import { refreshRequest, requestAsRead, storableRequest } from '../../src/host/planRequest';
import { BASE_USER, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { duckDbAthenaRun, startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-athena-refresh-', (d) => (dir = d));

let home: TempHome;
let ep: AwsEndpoint;
let athenaDb: Db;
/** The table whose queries fail while set (Athena's reason for it). */
let failing: { table: string; reason: string } | undefined;
/** The bytes of the objects in the bucket: under the two tables' locations (what their scans are estimated at together). */
let bucketBytes = 0;

const TABLES = ['athena:flowlogs.east', 'athena:flowlogs.west'];
const REASON = 'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://flowlens-logs-a/vpc/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/09/01/ '
  + '(offset=0, length=1024): Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)';

before(async () => {
  home = makeTempHome();
  const estate = join(dir, 'estate');
  writeMiniEstate(estate);
  // Athena's tables: the estate's S3 flow logs of account A, each table the records of half its interfaces, each at a
  // location of its own, as two flow logs' tables are (two tables at one location read the same objects: the time
  // read through one is held for the other, athena-same-location)
  athenaDb = await openDataset(':memory:');
  await ingestFiles(athenaDb, [join(estate, 'flowlogs', 'flowlens-logs-a')]);
  bucketBytes = readdirSync(join(estate, 'flowlogs', 'flowlens-logs-a'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
  await athenaDb.exec(`CREATE SCHEMA flowlogs;
    CREATE VIEW flowlogs.east AS SELECT * FROM flow_records WHERE hash(interface_id) % 2 = 0;
    CREATE VIEW flowlogs.west AS SELECT * FROM flow_records WHERE hash(interface_id) % 2 = 1`);
  const columns = (await athenaDb.all<{ column_name: string; column_type: string }>('DESCRIBE flowlogs.east'))
    .map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() }));
  const run = duckDbAthenaRun(athenaDb, 0);
  ep = await startAwsEndpoint({
    estateDir: estate,
    users: [BASE_USER],
    athena: {
      run: async (sql, ctx) => {
        if (failing && sql.includes(`"flowlogs"."${failing.table}"`)) throw new Error(failing.reason);
        return run(sql, ctx);
      },
      table: async (t) => (t.database === 'flowlogs' && ['east', 'west'].includes(t.table)
        ? { columns, parameters: { location: `s3://flowlens-logs-a/${t.table === 'east' ? 'vpc' : 'hive'}/` } } : undefined),
    },
  });
});

after(async () => {
  await ep?.close();
  athenaDb?.close();
  home?.cleanup();
});

/** The request the editor remembers for a dataset read from both tables over since..until. */
function request(since: string, until: string): EnrichRequest {
  // the profile's own account (A)
  const { accounts: _all, externalId: _id, ...source } = miniEstateSource(home, ep.url, { inventory: false, sources: TABLES, athena: { pollMs: 10 }, since, until });
  return { source };
}

/** A Refresh as the editor makes it; returns what it read, its notification and the request it then remembers for the next Refresh. */
async function run(db: Db, r: EnrichRequest) {
  const result = await enrich(db, r);
  const summary = result.aws!;
  return { summary, toast: refreshMessage('refreshed', { ...result, aws: { summary, text: '' } }), remembered: storableRequest(requestAsRead(r, summary)) };
}

/** The dataset's conversation facts: bytes, packets and the records they stand for. */
async function facts(db: Db) {
  return db.json(`SELECT sum(uploaded + downloaded) AS bytes, sum(packets_up + packets_down) AS packets, sum(records) AS records FROM conversation_facts`);
}

/** The records of both tables that started in since..until (what a read of that time stands for). */
async function recordsIn(since: string, until: string): Promise<number> {
  return Number(await athenaDb.value(`SELECT count(*) FROM flow_records WHERE coalesce(log_status, 'OK') = 'OK' AND "start" >= ${Date.parse(since) / 1000} AND "start" < ${Date.parse(until) / 1000}`));
}

const rowsOf = (s: AcquireSummary, table: string) => s.sources.find((x) => x.source === `athena://AwsDataCatalog/flowlogs/${table}`)!;

test("a Refresh in which one Athena table's query fails: said, the other's rows loaded, and the next Refresh reads the rest once", async () => {
  // one clean read of the whole window
  const clean = await openDataset(join(dir, 'clean.duckdb'));
  let want: unknown;
  try {
    const s = (await enrich(clean, request('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'))).aws!;
    assert.deepEqual(s.issues, []);
    assert.equal(s.records, await recordsIn('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'));
    want = await facts(clean);
  } finally {
    clean.close();
  }

  const db = await openDataset(join(dir, 'refreshed.duckdb'));
  try {
    // the dataset made from 00:00 to 01:00
    const made = await run(db, request('2026-09-01T00:00:00.000Z', '2026-09-01T01:00:00.000Z'));
    assert.deepEqual(made.summary.issues, []);
    const first = await recordsIn('2026-09-01T00:00:00.000Z', '2026-09-01T01:00:00.000Z');
    assert.equal(made.summary.records, first);

    // Refresh at 02:00: west's query fails, east's rows come down
    failing = { table: 'west', reason: REASON };
    const r1 = refreshRequest(made.remembered, new Date('2026-09-01T02:00:00.000Z'));
    assert.equal(r1.source.kind === 'aws' && r1.source.since, '2026-09-01T01:00:00.000Z');
    const failed = await run(db, r1);
    failing = undefined;
    assert.deepEqual(failed.summary.issues, [{ api: 'athena:GetQueryExecution', code: 'QueryFailed', message: REASON, account: A, region: 'us-east-1', resource: 'athena://AwsDataCatalog/flowlogs/west' }]);
    assert.deepEqual([rowsOf(failed.summary, 'west').failed, rowsOf(failed.summary, 'west').records], [1, 0]);
    const east = rowsOf(failed.summary, 'east').records;
    assert.ok(east > 0, 'east read rows');
    const rows = rowsOf(failed.summary, 'east').athena!.rows;
    const conversations = Number(await db.value('SELECT count(*) FROM conversations'));
    assert.equal(failed.toast, `Flowlens: refreshed refreshed: Athena returned ${rows} rows (${east} flow records) from flowlogs.east; flowlogs.west: failed (see Show details); `
      // (west's failed query is not billed: before, 'for each of the 2 queries: $0.00010')
      + `${conversations} conversations. Athena scanned 0 B (billed as Athena's 10.0 MiB minimum for 1 of the 2 queries: $0.000052), `
      + `estimated ${formatBytes(bucketBytes)} ($0.00010).`);
    // the window the dataset is remembered to hold stays where it was: west did not read 01:00-02:00
    assert.equal(failed.remembered.source.kind === 'aws' && failed.remembered.source.until, '2026-09-01T01:00:00.000Z');

    // Refresh at 03:00, both tables answering: every record of 00:00-03:00 once
    const r2 = refreshRequest(failed.remembered, new Date('2026-09-01T03:00:00.000Z'));
    assert.equal(r2.source.kind === 'aws' && r2.source.since, '2026-09-01T01:00:00.000Z');
    const second = await run(db, r2);
    assert.deepEqual(second.summary.issues, []);
    // east asks only for what it does not hold; west for the whole window it did not read
    assert.deepEqual(rowsOf(second.summary, 'east').athena!.readBefore, [{ since: '2026-09-01T01:00:00.000Z', until: '2026-09-01T02:00:00.000Z' }]);
    assert.deepEqual(second.summary.athenaSql.map((q) => /FROM "flowlogs"\."(\w+)"\s+WHERE start >= (\d+) AND start < (\d+)/.exec(q)?.slice(1)),
      [['east', String(Date.parse('2026-09-01T02:00:00Z') / 1000), String(Date.parse('2026-09-01T03:00:00Z') / 1000)],
        ['west', String(Date.parse('2026-09-01T01:00:00Z') / 1000), String(Date.parse('2026-09-01T03:00:00Z') / 1000)]]);
    assert.equal(first + east + second.summary.records, await recordsIn('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'), 'no record read twice, none left out');
    assert.deepEqual(await facts(db), want, 'the facts of one clean read');
    assert.equal(second.remembered.source.kind === 'aws' && second.remembered.source.until, '2026-09-01T03:00:00.000Z');
  } finally {
    db.close();
  }
});

test('a window appended over the time a table was read before: that time is left out of the query, and every record counts once', async () => {
  const clean = await openDataset(join(dir, 'clean-append.duckdb'));
  const db = await openDataset(join(dir, 'appended.duckdb'));
  try {
    await enrich(clean, request('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'));
    const middle = (await enrich(db, request('2026-09-01T01:00:00.000Z', '2026-09-01T02:00:00.000Z'))).aws!;
    assert.equal(middle.records, await recordsIn('2026-09-01T01:00:00.000Z', '2026-09-01T02:00:00.000Z'));
    const whole = (await enrich(db, request('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'))).aws!;
    assert.deepEqual(whole.issues, []);
    assert.equal(middle.records + whole.records, await recordsIn('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'));
    const [one, two] = [Date.parse('2026-09-01T01:00:00Z') / 1000, Date.parse('2026-09-01T02:00:00Z') / 1000];
    for (const q of whole.athenaSql) assert.ok(q.includes(`AND (NOT (start >= ${one} AND start < ${two}))`), q);
    assert.deepEqual(whole.sources.map((x) => x.athena!.readBefore), [0, 1].map(() => [{ since: '2026-09-01T01:00:00.000Z', until: '2026-09-01T02:00:00.000Z' }]));
    assert.deepEqual(await facts(db), await facts(clean));
    // and the same window again runs no query: every part of it is held
    const started = ep.athenaQueries.length;
    const again = (await enrich(db, request('2026-09-01T00:00:00.000Z', '2026-09-01T03:00:00.000Z'))).aws!;
    assert.deepEqual([again.records, again.skipped, again.issues, ep.athenaQueries.length], [0, 2, [], started]);
    // (before: "estimated scan unknown, scanned unknown at $5/TB; 0 rows of 60-second windows; …")
    const lines = formatAcquireSummary(again).split('\n');
    for (const t of ['east', 'west']) {
      assert.ok(lines.includes(`Athena athena://AwsDataCatalog/flowlogs/${t}: 2026-09-01 00:00Z to 2026-09-01 03:00Z read before (the dataset holds what it returned), `
        + 'not read again; nothing ran'), lines.join('\n'));
    }
    assert.ok(lines.includes('flowlogs.east, flowlogs.west: the window was read before, nothing ran'), lines.join('\n'));
    assert.deepEqual(await facts(db), await facts(clean));
  } finally {
    clean.close();
    db.close();
  }
});

test('a read that returned no rows is remembered: the next Refresh runs no query for that time and says so, and forgotten, it is read again', async () => {
  const db = await openDataset(join(dir, 'empty-read.duckdb'));
  try {
    await enrich(db, request('2026-09-01T00:00:00.000Z', '2026-09-01T01:00:00.000Z'));
    const counts = async () => [await facts(db), await db.json('SELECT count(*) AS conversations FROM conversations'),
      await db.json('SELECT sum(records) AS records FROM ingest_files')];
    const totals = () => db.json(`SELECT key, value FROM meta WHERE key LIKE 'loaded_%' ORDER BY key`);
    const held = await counts();
    const heldTotals = await totals();
    // a time in which neither table holds a record: both queries run and return no row
    const [since, until] = ['2026-09-02T00:00:00.000Z', '2026-09-02T01:00:00.000Z'];
    assert.equal(await recordsIn(since, until), 0);
    const started = ep.athenaQueries.length;
    const empty = (await enrich(db, request(since, until))).aws!;
    assert.deepEqual([empty.records, empty.issues, ep.athenaQueries.length - started], [0, [], 2]);
    assert.match(formatAcquireSummary(empty), /^Athena returned no rows from flowlogs\.east, flowlogs\.west; /m);
    assert.deepEqual([await counts(), await totals()], [held, heldTotals], "the dataset's counts as they were");

    // the same time again (a Refresh after another source failed, say): no query is paid for, and the summary says why
    const again = (await enrich(db, request(since, until))).aws!;
    assert.equal(ep.athenaQueries.length - started, 2, 'no Athena query for the time read before');
    assert.deepEqual([again.records, again.skipped, again.issues], [0, 2, []]);
    const lines = formatAcquireSummary(again).split('\n');
    assert.ok(lines.includes('flowlogs.east, flowlogs.west: the window was read before, nothing ran'), lines.join('\n'));
    // what it says of a read that returned no row is true of it (before: "read before (its rows are in the dataset)")
    for (const t of ['east', 'west']) {
      assert.ok(lines.includes(`Athena athena://AwsDataCatalog/flowlogs/${t}: 2026-09-02 00:00Z to 2026-09-02 01:00Z read before (the dataset holds what it returned), `
        + 'not read again; nothing ran'), lines.join('\n'));
    }
    assert.deepEqual([await counts(), await totals()], [held, heldTotals]);

    // forgotten, east's time is read again (and west's is not)
    const forgotten = await forget(db, 'athena://AwsDataCatalog/flowlogs/east@*/2026-09-02T*');
    assert.deepEqual(forgotten.files.map((f) => [f.name, f.records]), [[`athena://AwsDataCatalog/flowlogs/east@${A}/us-east-1/${since}..${until}/w60`, 0]]);
    const third = (await enrich(db, request(since, until))).aws!;
    assert.equal(ep.athenaQueries.length - started, 3);
    assert.match(ep.athenaQueries.at(-1)!, /FROM "flowlogs"\."east"/);
    assert.deepEqual([third.records, third.issues], [0, []]);
    assert.deepEqual(await counts(), held);
  } finally {
    db.close();
  }
});
