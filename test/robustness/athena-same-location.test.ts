/**
 * Two Athena tables over one S3 location: an organisation's bucket catalogued in each account (a read signs in to
 * the first account of --accounts, so `--accounts B,A` after `--accounts A,B` reads the table of the same name
 * through B's catalogue, another table), or catalogued twice under other names. The time read through one is held
 * for the other when both are partitioned alike (before: B's table held nothing, every record of the time read
 * through A's was read again and counted twice); partitioned otherwise, the read is refused, naming both tables and
 * the location, and the dataset is left as it was. So is a table whose location lies inside the other's, or holds it
 * (flowlogs.nested: account A's folder of the crawler's location): the two read some of the same objects. Real DuckDB, the real SDK against the local endpoint, whose Athena
 * (one catalogue for every account here: both tables lie at the crawler's location) runs the SQL it is sent over the
 * estate's objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrich, type Db } from '../../src/core/api';
import { formatAcquireSummary } from '../../src/core/aws/acquire';
import type { Table } from '../support/aws-endpoint/athena-catalog';
import type { CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import type { TempHome } from '../support/aws-endpoint/home';
import { A, B } from '../support/aws-endpoint/mini-estate';
import { assertLocalRead, crawledSource, objectsIn, readCrawled, useCrawledEstate, withDataset as inDataset } from './crawled';

let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-same-location-', (f) => ({ dir, home, served } = f));

const TABLE = 'athena://AwsDataCatalog/flowlogs/crawled';
const LOCATION = 's3://flowlens-crawled/AWSLogs/';
const NESTED = `${LOCATION}${A}/`;
/** 22:00 on the 1st, 03:00 and 11:00 on the 2nd: the objects of 22:00 and 01:00, then those of 10:00. */
const [SINCE, THREE, ELEVEN] = ['2026-09-01T22:00:00.000Z', '2026-09-02T03:00:00.000Z', '2026-09-02T11:00:00.000Z'];
const secs = (t: string) => Date.parse(t) / 1000;

const source = (since: string, until: string, accounts?: string[], table?: string) => crawledSource(home, served, { since, until, ...(accounts ? { accounts } : {}), ...(table ? { table } : {}) });
const withDataset = (name: string, body: (db: Db) => Promise<void>) => inDataset(join(dir, `${name}.duckdb`), body);
/** The account the last GetTableMetadata was signed by (whose catalogue was read). */
const describedBy = () => served.ep.requests.filter((r) => r.op === 'GetTableMetadata').at(-1)?.account;
const names = (db: Db) => db.all<{ name: string }>('SELECT name FROM ingest_files ORDER BY file_id').then((r) => r.map((x) => x.name));
/** What the dataset holds: its results, their records, and the facts. */
const held = (db: Db) => db.json(`SELECT (SELECT count(*) FROM ingest_files) AS results, (SELECT sum(records) FROM athena_reduced) AS records,
  (SELECT count(*) FROM conversation_facts) AS facts, (SELECT sum(uploaded + downloaded) FROM conversation_facts) AS bytes`);

test("--accounts A,B, then --accounts B,A (B's catalogue, the same location) over a longer window: only the time after the first is read", () => withDataset('reordered', async (db) => {
  const ab = await readCrawled(served, db, source(SINCE, THREE, [A, B]));
  assert.equal(describedBy(), A);
  assert.equal(ab.s.records, 4 * objectsIn(served, [A, B], SINCE, THREE).length);

  // signed in to B, its catalogue's table: the time A's held is held here too (before: 22:00-11:00 read again, and
  // the records of 22:00-03:00 counted twice)
  const ba = await readCrawled(served, db, source(SINCE, ELEVEN, [B, A]));
  assert.equal(describedBy(), B);
  assert.equal(ba.queries.length, 1);
  assert.equal(ba.s.records, 4 * objectsIn(served, [A, B], THREE, ELEVEN).length);
  assert.ok(ba.s.records > 0);
  assert.ok(ba.queries[0]!.includes(`WHERE start >= ${secs(THREE)} AND start < ${secs(ELEVEN)} AND`), ba.queries[0]);
  assert.ok(ba.queries[0]!.includes(`AND ("partition_0" IN ('${A}', '${B}'))`), ba.queries[0]);
  const a = ba.s.sources[0]!.athena!;
  const same = `flowlogs.crawled lies at ${LOCATION}, as ${TABLE} in account ${A}'s catalogue does: the time read there is held here too (its records would count twice)`;
  assert.equal(a.sameLocation, same);
  assert.ok(ba.said.includes(`Athena flowlogs.crawled: ${same}`), ba.said.join('\n'));
  assert.deepEqual(a.readBefore, [{ since: SINCE, until: THREE }]);
  assert.ok(formatAcquireSummary(ba.s).includes(`; ${same}; 2026-09-01 22:00Z to 2026-09-02 03:00Z read before (the dataset holds what it returned), not read again`),
    formatAcquireSummary(ba.s));
  assert.deepEqual((await names(db)).at(-1), `${TABLE}@${B}/us-east-1/${THREE}..${ELEVEN}/w60/accounts=${A},${B}`);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, ELEVEN), join(dir, 'reordered-local.duckdb'));

  // and back through A's catalogue over the whole window: B's result holds 03:00-11:00 for it, nothing runs
  const before = await held(db);
  const again = await readCrawled(served, db, source(SINCE, ELEVEN, [A, B]));
  assert.deepEqual([again.queries.length, again.s.records, again.s.sources[0]!.athena!.readBefore], [0, 0, [{ since: SINCE, until: ELEVEN }]]);
  assert.equal(again.s.sources[0]!.athena!.sameLocation, `flowlogs.crawled lies at ${LOCATION}, as ${TABLE} in account ${B}'s catalogue does: the time read there is held here too `
    + '(its records would count twice)');
  assert.deepEqual(await held(db), before);
}));

test('another table at the same location, partitioned otherwise: refused, naming both tables and the location; the dataset as it was', () => withDataset('unlike', async (db) => {
  await readCrawled(served, db, source(SINCE, THREE));
  const before = await held(db);
  const sent = served.ep.athenaQueries.length;
  // flowlogs.unpartitioned lies where the crawler's table does, without its partitions
  const refused = (await enrich(db, { source: source(SINCE, ELEVEN, undefined, 'unpartitioned') })).aws!;
  assert.deepEqual(refused.issues.map((i) => [i.code, i.resource, i.message]), [['SameLocation', 'athena://AwsDataCatalog/flowlogs/unpartitioned',
    `flowlogs.unpartitioned lies at ${LOCATION}, as ${TABLE} in account ${A}'s catalogue does, whose results hold 2026-09-01 22:00Z to 2026-09-02 03:00Z, `
    + 'but the two are partitioned otherwise (here by nothing; there partition_0 string, partition_1 string, partition_2 string, partition_3 string, partition_4 string, '
    + 'partition_5 string), so what of those records this table would read again is not known: nothing was run, as they would count twice '
    + `(forget the results of ${TABLE} to read the window here)`]]);
  assert.equal(served.ep.athenaQueries.length, sent, 'no query');
  assert.deepEqual(await held(db), before);
}));

test("a table whose location lies inside another's, or holds it: refused, naming both tables and locations; the dataset as it was", async () => {
  // flowlogs.nested: account A's folder of the crawler's location, without partitions (as a table made for one account's flow logs)
  (served.others as Record<string, Table>).nested = { ...served.others.unpartitioned, parameters: { location: NESTED } };
  await served.athenaDb.exec(`CREATE VIEW flowlogs.nested AS SELECT * EXCLUDE (account_id, partition_0, partition_1, partition_2, partition_3, partition_4, partition_5)
    FROM flowlogs.crawled WHERE partition_0 = '${A}'`);
  const nested = 'athena://AwsDataCatalog/flowlogs/nested';
  const refusal = (here: string, where: string, there: string) => `flowlogs.${here} lies at ${where}, whose results hold 2026-09-01 22:00Z to 2026-09-02 03:00Z, `
    + 'and the two read some of the same objects, so what of those records this table would read again is not known: nothing was run, as they would count twice '
    + `(forget the results of ${there} to read the window here)`;
  for (const [first, then, where] of [
    ['crawled', 'nested', `${NESTED}, inside ${LOCATION}, where ${TABLE} in account ${A}'s catalogue lies`],
    ['nested', 'crawled', `${LOCATION}, which holds ${NESTED}, where ${nested} in account ${A}'s catalogue lies`],
  ] as const) {
    await withDataset(`nested-${first}`, async (db) => {
      const read = await readCrawled(served, db, source(SINCE, THREE, undefined, first));
      assert.ok(read.s.records > 0);
      const before = await held(db);
      const sent = served.ep.athenaQueries.length;
      // (before: read again, A's records of 22:00-03:00 counted twice)
      const refused = (await enrich(db, { source: source(SINCE, ELEVEN, undefined, then) })).aws!;
      assert.deepEqual(refused.issues.map((i) => [i.code, i.resource, i.message]), [['NestedLocation', `athena://AwsDataCatalog/flowlogs/${then}`,
        refusal(then, where, first === 'crawled' ? TABLE : nested)]]);
      assert.equal(served.ep.athenaQueries.length, sent, 'no query');
      assert.deepEqual(await held(db), before);
    });
  }
});
