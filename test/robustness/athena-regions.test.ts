/**
 * An Athena table read with other regions than before (`--regions us-east-1`, then `eu-west-1`, or both): the first
 * region named signs the queries, so another first region reads the table of that name in that region's catalogue,
 * and the regions are a predicate on the table's region key when it has one. A table without a region key holds
 * every region's records in one query: the time it read is held whatever region signed it and whatever regions are
 * asked (before: a read signed in eu-west-1 read again what one signed in us-east-1 had, and every record counted
 * twice). A table with a region key holds each region's time apart: `--regions us-east-1` then `--regions
 * us-east-1,eu-west-1` reads eu-west-1's records alone (before: none, us-east-1's result held the window for every
 * region, and eu-west-1's flows were never read). The facts are those of one local read of the same objects. Real
 * DuckDB, the real SDK against the local endpoint, whose Athena (one catalogue for every region here: the table of
 * a name lies at the crawler's location in each) runs the SQL it is sent over the estate's objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrich, type Db } from '../../src/core/api';
import { formatAcquireSummary } from '../../src/core/aws/acquire';
import type { CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import type { TempHome } from '../support/aws-endpoint/home';
import { A, B, REGIONS } from '../support/aws-endpoint/mini-estate';
import { assertLocalRead, crawledSource, objectsIn, readCrawled, useCrawledEstate, withDataset as inDataset } from './crawled';

let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-regions-', (f) => ({ dir, home, served } = f));

const [EAST, WEST] = ['us-east-1', 'eu-west-1'];
const LOCATION = 's3://flowlens-crawled/AWSLogs/';
/** 22:00 on the 1st, 03:00 and 11:00 on the 2nd: the objects of 22:00 and 01:00, then those of 10:00. */
const [SINCE, THREE, ELEVEN] = ['2026-09-01T22:00:00.000Z', '2026-09-02T03:00:00.000Z', '2026-09-02T11:00:00.000Z'];
const secs = (t: string) => Date.parse(t) / 1000;

/** A read of `flowlogs.<table>` over since..until in `regions` (the first signs it), of every account. */
const read = (db: Db, table: string, regions: string[], since = SINCE, until = THREE) => readCrawled(served, db, crawledSource(home, served, { since, until, regions, table }));
const withDataset = (name: string, body: (db: Db) => Promise<void>) => inDataset(join(dir, `${name}.duckdb`), body);
const names = (db: Db) => db.all<{ name: string }>('SELECT name FROM ingest_files ORDER BY file_id').then((r) => r.map((x) => x.name));
/** What the dataset holds: its results, their records, and the facts. */
const held = (db: Db) => db.json(`SELECT (SELECT count(*) FROM ingest_files) AS results, (SELECT sum(records) FROM athena_reduced) AS records,
  (SELECT count(*) FROM conversation_facts) AS facts, (SELECT sum(uploaded + downloaded) FROM conversation_facts) AS bytes`);
/** The records of the estate's objects of `regions` that start in since..until (both accounts). */
const recordsIn = (regions: readonly string[], since = SINCE, until = THREE) => 4 * objectsIn(served, [A, B], since, until, regions).length;

/** A read that finds the whole window held: no query, no record, the window said read before, the dataset as it was. */
async function assertHeld(db: Db, table: string, regions: string[]) {
  const before = await held(db);
  const r = await read(db, table, regions);
  assert.deepEqual([r.queries.length, r.s.records, r.s.sources[0]!.athena!.readBefore], [0, 0, [{ since: SINCE, until: THREE }]], regions.join(','));
  assert.deepEqual(await held(db), before);
  return r;
}

test('a table without a region key, read in us-east-1, then in eu-west-1 or both: its records once, whatever region signs the query', () => withDataset('no-key', async (db) => {
  const table = 'athena://AwsDataCatalog/flowlogs/unpartitioned';
  const east = await read(db, 'unpartitioned', [EAST]);
  assert.equal(east.queries.length, 1);
  assert.equal(east.s.records, recordsIn(REGIONS), 'every region read by the one query');
  assert.deepEqual(await names(db), [`${table}@${A}/${EAST}/${SINCE}..${THREE}/w60`]);

  // signed in eu-west-1 (that region's catalogue, the table at the same location): nothing runs (before: every record read again)
  const west = await assertHeld(db, 'unpartitioned', [WEST]);
  const same = `flowlogs.unpartitioned lies at ${LOCATION}, as ${table} in account ${A}'s catalogue in ${EAST} does: the time read there is held here too `
    + '(its records would count twice)';
  assert.equal(west.s.sources[0]!.athena!.sameLocation, same);
  assert.ok(formatAcquireSummary(west.s).includes(`${same}; 2026-09-01 22:00Z to 2026-09-02 03:00Z read before (the dataset holds what it returned), not read again`),
    formatAcquireSummary(west.s));
  // both regions, signed in either: the region list neither splits nor repeats it
  for (const regions of [[EAST, WEST], [WEST, EAST]]) await assertHeld(db, 'unpartitioned', regions);

  // a longer window signed in eu-west-1: only the time after the first read, every region's records
  const later = await read(db, 'unpartitioned', [WEST], SINCE, ELEVEN);
  assert.equal(later.queries.length, 1);
  assert.ok(later.queries[0]!.includes(`WHERE start >= ${secs(THREE)} AND start < ${secs(ELEVEN)} AND`), later.queries[0]);
  assert.equal(later.s.records, recordsIn(REGIONS, THREE, ELEVEN));
  assert.ok(later.s.records > 0);
  assert.deepEqual((await names(db)).at(-1), `${table}@${A}/${WEST}/${THREE}..${ELEVEN}/w60`);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, ELEVEN, REGIONS), join(dir, 'no-key-local.duckdb'));
}));

test("a table with a region key, read in us-east-1, then in both: eu-west-1's records read alone; then eu-west-1's catalogue reads nothing again", () => withDataset('key', async (db) => {
  const table = 'athena://AwsDataCatalog/flowlogs/crawled';
  const east = await read(db, 'crawled', [EAST]);
  assert.ok(east.queries[0]!.includes(`AND ("partition_2" IN ('${EAST}'))`), east.queries[0]);
  assert.equal(east.s.records, recordsIn([EAST]));

  // both: one query, of eu-west-1 alone (before: none, the us-east-1 result held the window for every region)
  const both = await read(db, 'crawled', [EAST, WEST]);
  assert.equal(both.queries.length, 1);
  const q = both.queries[0]!;
  assert.ok(q.includes(`AND ("partition_2" IN ('${WEST}'))`) && !q.includes(EAST), q);
  const a = both.s.sources[0]!.athena!;
  assert.deepEqual(a.readBefore, [{ since: SINCE, until: THREE, regions: [EAST] }]);
  assert.ok(both.said.includes(`Athena flowlogs.crawled: 2026-09-01 22:00Z to 2026-09-02 03:00Z read before in ${EAST} (the dataset holds what it returned), not read again`),
    both.said.join('\n'));
  assert.equal(both.s.records, recordsIn([WEST]));
  assert.ok(both.s.records > 0);
  assert.deepEqual(await names(db), [`${table}@${A}/${EAST}/${SINCE}..${THREE}/w60`, `${table}@${A}/${EAST}/${SINCE}..${THREE}/w60/regions=${WEST}`]);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, THREE, REGIONS), join(dir, 'key-both-local.duckdb'));

  // eu-west-1's catalogue, and both regions again: nothing runs
  assert.equal((await assertHeld(db, 'crawled', [WEST])).s.sources[0]!.athena!.sameLocation,
    `flowlogs.crawled lies at ${LOCATION}, as ${table} in account ${A}'s catalogue in ${EAST} does: the time read there is held here too (its records would count twice)`);
  for (const regions of [[EAST, WEST], [WEST, EAST]]) await assertHeld(db, 'crawled', regions);

  // a longer window, both regions signed in eu-west-1: one part, both regions, after the time read
  const later = await read(db, 'crawled', [WEST, EAST], SINCE, ELEVEN);
  assert.equal(later.queries.length, 1);
  assert.ok(later.queries[0]!.includes(`WHERE start >= ${secs(THREE)} AND start < ${secs(ELEVEN)} AND`)
    && later.queries[0]!.includes(`AND ("partition_2" IN ('${WEST}', '${EAST}'))`), later.queries[0]);
  assert.equal(later.s.records, recordsIn(REGIONS, THREE, ELEVEN));
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, ELEVEN, REGIONS), join(dir, 'key-later-local.duckdb'));
}));

test("a table with a region key read in eu-west-1's catalogue first, then in both through us-east-1's: us-east-1's records read alone", () => withDataset('west-first', async (db) => {
  const west = await read(db, 'crawled', [WEST]);
  assert.equal(west.s.records, recordsIn([WEST]));
  const both = await read(db, 'crawled', [EAST, WEST]);
  assert.equal(both.queries.length, 1);
  assert.ok(both.queries[0]!.includes(`AND ("partition_2" IN ('${EAST}'))`) && !both.queries[0]!.includes(WEST), both.queries[0]);
  assert.deepEqual(both.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: THREE, regions: [WEST] }]);
  assert.equal(both.s.records, recordsIn([EAST]));
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, THREE, REGIONS), join(dir, 'west-first-local.duckdb'));
}));

test("a table whose region key Glue's listing alone tells, read in us-east-1, then in both with GetPartitions denied: refused (NoRegionKey), nothing run", () => withDataset('no-listing', async (db) => {
  await read(db, 'crawled', [EAST]);
  const before = await held(db);
  const sent = served.ep.athenaQueries.length;
  // without the registered partitions partition_2 is not known to be the region. The table's region column is no help:
  // its records (the default format) leave it NULL (before: a query of region = 'eu-west-1' returned nothing, and
  // eu-west-1's window was held as read, its 16 records never read)
  const fault = { kind: 'access-denied' as const, service: 'glue', op: 'GetPartitions' };
  served.ep.faults.push(fault);
  try {
    const refused = (await enrich(db, { source: crawledSource(home, served, { since: SINCE, until: THREE, regions: [EAST, WEST] }) })).aws!;
    assert.deepEqual(refused.issues.filter((i) => i.code === 'NoRegionKey').map((i) => [i.resource, i.message]), [['athena://AwsDataCatalog/flowlogs/crawled',
      'flowlogs.crawled has no partition key known to be the region, so its records cannot be told apart by region, and the dataset holds some of the window '
      + `for some of ${EAST}, ${WEST} only: nothing was run, as their records would count twice or not at all (forget those results to read every region's time)`]]);
    assert.equal(served.ep.athenaQueries.length, sent, 'no query');
    assert.deepEqual(await held(db), before);
  } finally {
    served.ep.faults.splice(served.ep.faults.indexOf(fault), 1);
  }
  // allowed again: eu-west-1's records read alone
  const both = await read(db, 'crawled', [EAST, WEST]);
  assert.equal(both.s.records, recordsIn([WEST]));
  assert.ok(both.s.records > 0);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, THREE, REGIONS), join(dir, 'no-listing-local.duckdb'));
}));
