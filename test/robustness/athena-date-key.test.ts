/**
 * An Athena table of flow logs laid out by one Hive-style date key (s3://flowlens-daily/vpc/dt=2026-09-01/…, as a
 * delivery rearranged by day lays them out), made by a Glue crawler: one key dt, a string, a partition registered per
 * day. The key is known by its name and its values' format by the registered partitions (GetPartitions): the
 * window's days are the query's predicate on dt, the other days' partitions are neither kept nor listed for the
 * estimate, which is the bytes of the kept days' objects; and the facts are those of a local read of the window's
 * objects. Real DuckDB, the real SDK against the local endpoint, whose Athena runs the SQL it is sent over the objects
 * (dt from each object's folder) and whose Glue lists the registered partitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DAILY_BUCKET, type CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import type { TempHome } from '../support/aws-endpoint/home';
import { assertLocalRead, crawledSource, readCrawled, useCrawledEstate, withDataset } from './crawled';

let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-date-key-', (f) => ({ dir, home, served } = f));

/** 20:00 on the 1st to 12:00 on the 2nd: the objects of 22:00 on the 1st, 01:00 and 10:00 on the 2nd; records delivered an hour late still on the 2nd. */
const [SINCE, UNTIL] = ['2026-09-01T20:00:00.000Z', '2026-09-02T12:00:00.000Z'];
const secs = (t: string) => Date.parse(t) / 1000;

test("a table of one date key (dt=yyyy-MM-dd): the window's days are its predicate, the other days neither read nor estimated, the facts those of a local read", () => withDataset(join(dir, 'daily.duckdb'), async (db) => {
  const { objects, table } = served.daily;
  assert.deepEqual([table.partitionKeys, table.partitions.map((p) => p.values)], [[{ name: 'dt', type: 'string' }], [['2026-09-01'], ['2026-09-02'], ['2026-09-03']]]);
  const requests = served.ep.requests.length;
  const r = await readCrawled(served, db, crawledSource(home, served, { since: SINCE, until: UNTIL, table: 'daily' }));

  // the query: the window's two days on dt, no other partition
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND`) && q.includes(`AND ("dt" IN ('2026-09-01', '2026-09-02'))`), q);
  assert.ok(!q.includes('2026-09-03'), q);
  const a = r.s.sources[0]!.athena!;
  const recognised = "dt (day as yyyy-MM-dd, from the registered partitions' values)";
  assert.deepEqual(a.partitions, [recognised]);
  assert.ok(r.said.some((m) => m.startsWith(`Athena flowlogs.daily: 60-second windows; partitions ${recognised}; 2 of the 3 registered partitions kept; estimated scan `)), r.said.join('\n'));

  // the estimate: the kept days' objects, listed by their partitions' locations alone (the 3rd's not listed)
  const kept = objects.filter((o) => o.day !== '2026/09/03');
  assert.equal(a.estimatedBytes, kept.reduce((n, o) => n + o.size, 0));
  assert.ok(a.estimatedBytes! < objects.reduce((n, o) => n + o.size, 0));
  const listed = served.ep.requests.slice(requests).filter((x) => x.op === 'ListObjectsV2' && x.prefix?.startsWith('vpc/')).map((x) => x.prefix);
  assert.deepEqual(listed, ['vpc/dt=2026-09-01/', 'vpc/dt=2026-09-02/']);
  assert.ok(served.ep.requests.slice(requests).some((x) => x.op === 'GetPartitions'), 'the registered partitions read');

  // every record of the window once, none outside it: the facts of a local read of the same objects
  const inWindow = objects.filter((o) => o.starts.every((t) => t >= secs(SINCE) && t < secs(UNTIL)));
  assert.deepEqual(inWindow.map((o) => `${o.day} ${o.hour}`).sort(), ['2026/09/01 22', '2026/09/01 22', '2026/09/02 1', '2026/09/02 1', '2026/09/02 10', '2026/09/02 10']);
  assert.equal(r.s.records, 4 * inWindow.length);
  assert.equal(new Set(inWindow.map((o) => o.path.split(DAILY_BUCKET)[1]!.split('/').slice(0, 3).join('/'))).size, 2, 'two days\' folders');
  await assertLocalRead(db, inWindow, join(dir, 'daily-local.duckdb'));
}));

test('a day no partition is registered for yet: no query, said, nothing held; once the crawler registers it, the next read reads it, once', () => withDataset(join(dir, 'unregistered.duckdb'), async (db) => {
  const [since, until] = ['2026-09-04T00:00:00.000Z', '2026-09-04T12:00:00.000Z'];
  const source = crawledSource(home, served, { since, until, table: 'daily' });
  const nothing = await readCrawled(served, db, source);
  const why = "none of the 3 partitions registered for flowlogs.daily holds the window's days in us-east-1: Athena reads only registered partitions, "
    + "so it reads nothing there until they are added (the crawler's next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)";
  const a = nothing.s.sources[0]!.athena!;
  assert.equal(a.partitionsMissing, why);
  assert.ok(nothing.said.includes(`Athena flowlogs.daily: ${why}`), nothing.said.join('\n'));
  // (before: a query that read nothing, billed Athena's minimum, whose empty result held the day as read)
  assert.deepEqual([nothing.queries.length, nothing.s.records, a.estimatedBytes, a.estimatedUsd], [0, 0, 0, 0]);
  assert.deepEqual(await db.json('SELECT name FROM ingest_files'), [], 'nothing held');

  // the crawler's next run registers dt=2026-09-04: the next read reads the day (before: "read before", nothing run, its records lost)
  const added = await served.crawl('2026/09/04', 'daily');
  assert.deepEqual(served.daily.table.partitions.at(-1), { values: ['2026-09-04'], location: 's3://flowlens-daily/vpc/dt=2026-09-04/' });
  const read = await readCrawled(served, db, source);
  assert.equal(read.queries.length, 1);
  assert.ok(read.queries[0]!.includes(`AND ("dt" IN ('2026-09-04'))`), read.queries[0]);
  assert.equal(read.s.sources[0]!.athena!.readBefore, undefined);
  const inWindow = added.filter((o) => o.starts.every((t) => t >= secs(since) && t < secs(until)));
  assert.equal(inWindow.length, 4);
  assert.equal(read.s.records, 4 * inWindow.length);
  await assertLocalRead(db, inWindow, join(dir, 'unregistered-local.duckdb'));
}));
