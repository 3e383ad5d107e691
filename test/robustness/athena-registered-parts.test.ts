/**
 * A query of several parts (accounts whose time read before differs, or regions) over a crawler's table
 * (partition_0 the account, partition_2 the region) whose crawler has registered some of those accounts or regions
 * and not the others yet: the parts with registered partitions are read, and those without any are neither read nor
 * held as read, said in the run's summary; once the crawler registers them, the next run reads them, once (before:
 * the query asked for them too, Athena reads only registered partitions, and their time was held as read: their
 * records were never read). The local endpoint's Athena reads every object loaded, registered or not, so the test
 * asserts what each query asks for, and that the next run reads the rest. Real DuckDB, the real SDK against the local
 * endpoint, whose Athena runs the SQL it is sent over the estate's objects and whose Glue lists the partitions registered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Db } from '../../src/core/api';
import { formatAcquireSummary } from '../../src/core/aws/acquire';
import { athenaUnread, unregisteredWindow } from '../../src/host/acquirePlan';
import type { CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import type { TempHome } from '../support/aws-endpoint/home';
import { A, B, REGIONS } from '../support/aws-endpoint/mini-estate';
import { assertLocalRead, crawledSource, objectsIn, readCrawled, useCrawledEstate, withDataset as inDataset } from './crawled';

const C = '333333333333';
let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-registered-parts-', (f) => ({ dir, home, served } = f), [A, B, C]);

const [EAST, WEST] = ['us-east-1', 'eu-west-1'];
/** The window (22:00 on the 1st to 03:00 on the 2nd: the objects of 22:00 and 01:00), and midnight inside it. */
const [SINCE, MIDNIGHT, UNTIL] = ['2026-09-01T22:00:00.000Z', '2026-09-02T00:00:00.000Z', '2026-09-02T03:00:00.000Z'];
const secs = (t: string) => Date.parse(t) / 1000;
const TABLE = 'athena://AwsDataCatalog/flowlogs/crawled';
const ADDED = "(the crawler's next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)";

const read = (db: Db, accounts: string[], since = SINCE, until = UNTIL, regions = [EAST]) => readCrawled(served, db, crawledSource(home, served, { since, until, accounts, regions }));
const withDataset = (name: string, body: (db: Db) => Promise<void>) => inDataset(join(dir, `${name}.duckdb`), body);
const names = (db: Db) => db.all<{ name: string }>('SELECT name FROM ingest_files ORDER BY file_id').then((r) => r.map((x) => x.name.slice(TABLE.length)));

/** `body` while the partitions of `account` in `region` are not registered (the crawler has not found them yet); registered again after. */
async function unregistered(account: string, region: string, body: () => Promise<void>) {
  const all = [...served.table.partitions];
  served.table.partitions.splice(0, all.length, ...all.filter((p) => !(p.values[0] === account && p.values[2] === region)));
  assert.equal(served.table.partitions.length, all.length - 3, 'its three days');
  try {
    await body();
  } finally {
    served.table.partitions.splice(0, served.table.partitions.length, ...all);
  }
}

test("a part of accounts none of whose partitions is registered: the other parts are read, its time is not held, and read once registered", () => withDataset('accounts', async (db) => {
  // A up to midnight
  const early = await read(db, [A], SINCE, MIDNIGHT);
  assert.equal(early.s.records, 4 * objectsIn(served, [A], SINCE, MIDNIGHT).length);

  // A, B and C over the window while C is not registered: A's part from midnight and B's from 22:00, nothing of C's
  await unregistered(C, EAST, async () => {
    const r = await read(db, [A, B, C]);
    assert.equal(r.queries.length, 1);
    const q = r.queries[0]!;
    assert.ok(!q.includes(C), q);
    assert.ok(q.includes(`(start >= ${secs(MIDNIGHT)} AND start < ${secs(UNTIL)} AND "partition_0" IN ('${A}'))`)
      && q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND "partition_0" IN ('${B}'))`), q);
    const a = r.s.sources[0]!.athena!;
    const why = `none of the 15 partitions registered for flowlogs.crawled holds 2026-09-01 22:00Z to 2026-09-02 03:00Z for ${C} in ${EAST}: Athena reads only `
      + `registered partitions, so that is neither read nor held as read until they are added ${ADDED}; the rest is read`;
    assert.equal(a.partitionsMissing, why);
    assert.ok(r.said.includes(`Athena flowlogs.crawled: ${why}`), r.said.join('\n'));
    assert.ok(formatAcquireSummary(r.s).includes(`; ${why}`), formatAcquireSummary(r.s));
    // the editor's notification says it, and keeps the dataset's window where it was, for the next Refresh to ask again
    assert.equal(unregisteredWindow(r.s.sources), "no partition registered for flowlogs.crawled holds some of the window's accounts or regions yet");
    assert.equal(athenaUnread(r.s), true);
    assert.deepEqual(a.readBefore, [{ since: SINCE, until: MIDNIGHT, accounts: { only: [A] } }]);
    assert.equal(r.s.records, 4 * (objectsIn(served, [A], MIDNIGHT, UNTIL).length + objectsIn(served, [B], SINCE, UNTIL).length));
    // held as read for A and B alone
    assert.deepEqual((await names(db)).at(-1), `@${A}/${EAST}/${SINCE}..${UNTIL}/w60/accounts=${A},${B}`);
  });

  // the crawler registers C: the next run reads C's time alone (before: nothing, the window was held for C too)
  const r = await read(db, [A, B, C]);
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND`) && q.includes(`AND ("partition_0" IN ('${C}'))`) && !q.includes(A) && !q.includes(B), q);
  assert.deepEqual(r.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: UNTIL, accounts: { only: [A, B] } }]);
  assert.equal(r.s.records, 4 * objectsIn(served, [C], SINCE, UNTIL).length);
  assert.ok(r.s.records > 0);
  await assertLocalRead(db, objectsIn(served, [A, B, C], SINCE, UNTIL), join(dir, 'accounts-local.duckdb'));
}));

test('one account of a query in one region only registered: that account is read in the other region alone, and in both once registered', () => withDataset('regions', async (db) => {
  await unregistered(B, WEST, async () => {
    const r = await read(db, [A, B], SINCE, UNTIL, REGIONS);
    assert.equal(r.queries.length, 1);
    const q = r.queries[0]!;
    // A and B in us-east-1, A alone in eu-west-1
    assert.ok(q.includes(`"partition_0" IN ('${A}', '${B}') AND "partition_2" IN ('${EAST}')`) && q.includes(`"partition_0" IN ('${A}') AND "partition_2" IN ('${WEST}')`), q);
    assert.ok(!q.includes(`IN ('${B}') AND "partition_2" IN ('${WEST}')`), q);
    assert.equal(r.s.sources[0]!.athena!.partitionsMissing, `none of the 15 partitions registered for flowlogs.crawled holds 2026-09-01 22:00Z to 2026-09-02 03:00Z `
      + `for ${B} in ${WEST}: Athena reads only registered partitions, so that is neither read nor held as read until they are added ${ADDED}; the rest is read`);
    assert.equal(r.s.records, 4 * (objectsIn(served, [A, B], SINCE, UNTIL, [EAST]).length + objectsIn(served, [A], SINCE, UNTIL, [WEST]).length));
  });
  const r = await read(db, [A, B], SINCE, UNTIL, REGIONS);
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`"partition_0" IN ('${B}')`) && q.includes(`"partition_2" IN ('${WEST}')`) && !q.includes(A) && !q.includes(EAST), q);
  assert.equal(r.s.records, 4 * objectsIn(served, [B], SINCE, UNTIL, [WEST]).length);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, UNTIL, REGIONS), join(dir, 'regions-local.duckdb'));
}));
