/**
 * A query of several parts (accounts whose time read before differs, or regions) over a crawler's table
 * (partition_0 the account, partition_2 the region) whose crawler has registered some of those accounts or regions
 * and not the others yet: the parts with registered partitions are read, and those without any are neither read nor
 * held as read, said in the run's summary; once the crawler registers them, the next run reads them, once (before:
 * the query asked for them too, Athena reads only registered partitions, and their time was held as read: their
 * records were never read). Likewise accounts or regions whose registered partitions end before the others' (the
 * crawler registered one account's last day and not another's yet): each is read, and held, to its own end (less the
 * hour a record may take to reach S3), and the rest once registered (before: every one to the latest end, the lagging
 * one's hours after its partitions held as read and never read); so too an account one of whose days in the middle of
 * the window is not registered: read to that day's start, and the day and the rest once registered (before: read
 * to the window's end from the days registered, the missing day held as read and never read). The local endpoint's Athena reads every object loaded, registered or not, so the test
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
/** What the dataset's results hold as read (their athena_read records), result by result. */
const heldReads = (db: Db) => db.all<{ athena_read: string }>(`SELECT athena_read FROM ingest_files WHERE starts_with(name, 'athena:') ORDER BY file_id`)
  .then((r) => r.map((x) => JSON.parse(x.athena_read).read as unknown));
const names = (db: Db) => db.all<{ name: string }>('SELECT name FROM ingest_files ORDER BY file_id').then((r) => r.map((x) => x.name.slice(TABLE.length)));

/**
 * `body` while the partitions of `account` in `region` are not registered (the crawler has not found them yet), or
 * that of `day` alone (yyyy/MM/dd: the crawler registered the days before it); registered again after.
 */
async function unregistered(account: string, region: string, body: () => Promise<void>, day?: string) {
  const all = [...served.table.partitions];
  const of = (p: { values: string[] }) => p.values[0] === account && p.values[2] === region && (!day || p.values.slice(3).join('/') === day);
  served.table.partitions.splice(0, all.length, ...all.filter((p) => !of(p)));
  assert.equal(served.table.partitions.length, all.length - (day ? 1 : 3), day ? 'its one day' : 'its three days');
  try {
    await body();
  } finally {
    served.table.partitions.splice(0, served.table.partitions.length, ...all);
  }
}

/**
 * What a run that read `who` ('111111111111 in eu-west-1') to 23:00, its partitions ending at midnight, and the rest
 * of the window to 03:00 says: in its summary, where the next run starts (23:00), and in the editor's notification.
 */
function saysReadApart(r: Awaited<ReturnType<typeof read>>, who: string) {
  const a = r.s.sources[0]!.athena!;
  assert.equal(a.partitionsEnd, `the partitions registered for flowlogs.crawled end at 2026-09-02 00:00Z for ${who}, so the window is read to 2026-09-01 23:00Z `
    + `for ${who} and to 2026-09-02 03:00Z for the other accounts and regions (a record reaches S3 up to an hour after it starts, in a later partition) `
    + `and the rest once its partitions are added ${ADDED}`);
  assert.equal(a.until, '2026-09-01T23:00:00.000Z');
  assert.equal(unregisteredWindow(r.s.sources),
    `flowlogs.crawled is read to 2026-09-02 03:00Z, only to 2026-09-01 23:00Z for ${who}: no partition registered for it holds the rest yet`);
}

/** A run of A and B over since..until whose one query reads A's since..until and B's since..bRead alone. */
async function readsBTo(db: Db, since: string, bRead: string, until: string) {
  const r = await read(db, [A, B], since, until);
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`(start >= ${secs(since)} AND start < ${secs(until)} AND "partition_0" IN ('${A}'))`)
    && q.includes(`(start >= ${secs(since)} AND start < ${secs(bRead)} AND "partition_0" IN ('${B}'))`), q);
  assert.ok(!q.includes(`start < ${secs(until)} AND "partition_0" IN ('${B}')`) && !q.includes(`'${A}', '${B}'`), q);
  return r;
}

/**
 * The run of A and B over since..until once B's partitions are registered, after a run that read B to `bRead` alone:
 * B's bRead..until is read, alone, and `records` of it; a third run reads nothing, and the dataset holds every record
 * of the window once (as a local read of its objects, into `<name>-local.duckdb`).
 */
async function readsBsRest(db: Db, name: string, since: string, bRead: string, until: string, records: number) {
  const r = await read(db, [A, B], since, until);
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(bRead)} AND start < ${secs(until)} AND`) && q.includes(`"partition_0" IN ('${B}')`) && !q.includes(A), q);
  const a = r.s.sources[0]!.athena!;
  assert.deepEqual(a.readBefore, [{ since, until: bRead }, { since: bRead, until, accounts: { only: [A] } }]);
  assert.equal(a.partitionsEnd, undefined);
  assert.equal(r.s.records, 4 * objectsIn(served, [B], bRead, until).length);
  assert.equal(r.s.records, records);
  const again = await read(db, [A, B], since, until);
  assert.deepEqual([again.queries.length, again.s.records], [0, 0]);
  await assertLocalRead(db, objectsIn(served, [A, B], since, until), join(dir, `${name}-local.duckdb`));
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

test("accounts whose registered partitions end at different times: each is read to its own end, held so, and the lagging one's rest read once registered", () => withDataset('ends', async (db) => {
  // B's partitions registered up to 09-01 (ending at midnight), A's up to 09-03: B is read to 23:00 (the hour a record
  // may take to reach S3, in the next day's partition), A to the window's end
  const B_READ = '2026-09-01T23:00:00.000Z';
  await unregistered(B, EAST, async () => {
    // (before: both to 03:00, B's 01:00 records asked for though its partition was not registered, and its time held as read)
    const r = await readsBTo(db, SINCE, B_READ, UNTIL);
    const a = r.s.sources[0]!.athena!;
    const why = `the partitions registered for flowlogs.crawled end at 2026-09-02 00:00Z for ${B} in ${EAST}, so the window is read to 2026-09-01 23:00Z for ${B} in ${EAST} `
      + `and to 2026-09-02 03:00Z for the other accounts and regions (a record reaches S3 up to an hour after it starts, in a later partition) and the rest once its partitions are added ${ADDED}`;
    assert.equal(a.partitionsEnd, why);
    assert.equal(a.partitionsMissing, undefined);
    assert.ok(r.said.includes(`Athena flowlogs.crawled: ${why}`), r.said.join('\n'));
    assert.ok(formatAcquireSummary(r.s).includes(`; ${why}`), formatAcquireSummary(r.s));
    // the next Refresh starts at B's end (A's time after it held); the notification says A was read to the window's
    // end and B only to its own (before: 'is read to 2026-09-01 23:00Z', as if A had stopped there too)
    assert.equal(a.until, B_READ);
    assert.deepEqual(a.endsApart, { latest: UNTIL, earlier: [{ until: B_READ, accounts: { only: [B] }, regions: [EAST] }] });
    assert.equal(unregisteredWindow(r.s.sources),
      `flowlogs.crawled is read to 2026-09-02 03:00Z, only to 2026-09-01 23:00Z for ${B} in ${EAST}: no partition registered for it holds the rest yet`);
    assert.equal(a.readBefore, undefined);
    // A: the 22:00 and 01:00 objects; B: the 22:00 one (8 + 4 records, not 16)
    assert.equal(r.s.records, 4 * (objectsIn(served, [A], SINCE, UNTIL).length + objectsIn(served, [B], SINCE, B_READ).length));
    assert.equal(r.s.records, 12);
    // held as read: A's time to 03:00, B's to 23:00 alone
    assert.deepEqual(await heldReads(db), [[
      { since: SINCE, until: UNTIL, accounts: { only: [A] }, regions: [EAST] }, { since: SINCE, until: B_READ, accounts: { only: [B] }, regions: [EAST] }]]);
    assert.deepEqual((await names(db)).at(-1), `@${A}/${EAST}/${SINCE}..${UNTIL}/w60/accounts=${A},${B}`);
  }, '2026/09/02');

  // the crawler registers B's 09-02: the next run reads B's 23:00 to 03:00 alone (before: nothing, B's time was held to 03:00)
  await readsBsRest(db, 'ends', SINCE, B_READ, UNTIL, 4);
}));

test("a region whose registered partitions end before the others': read to its own end, and its rest once registered", () => withDataset('region-ends', async (db) => {
  const A_WEST = '2026-09-01T23:00:00.000Z';
  await unregistered(A, WEST, async () => {
    const r = await read(db, [A, B], SINCE, UNTIL, REGIONS);
    assert.equal(r.queries.length, 1);
    const q = r.queries[0]!;
    // A and B in us-east-1 and B in eu-west-1 to 03:00, A in eu-west-1 to 23:00
    assert.ok(q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND "partition_0" IN ('${A}', '${B}') AND "partition_2" IN ('${EAST}'))`)
      && q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND "partition_0" IN ('${B}') AND "partition_2" IN ('${WEST}'))`)
      && q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(A_WEST)} AND "partition_0" IN ('${A}') AND "partition_2" IN ('${WEST}'))`), q);
    saysReadApart(r, `${A} in ${WEST}`);
    assert.equal(r.s.records, 4 * (objectsIn(served, [A, B], SINCE, UNTIL, [EAST]).length + objectsIn(served, [B], SINCE, UNTIL, [WEST]).length
      + objectsIn(served, [A], SINCE, A_WEST, [WEST]).length));
    assert.equal(r.s.records, 28);
    assert.deepEqual(await heldReads(db), [[{ since: SINCE, until: UNTIL, accounts: { only: [A, B] }, regions: [EAST] },
      { since: SINCE, until: UNTIL, accounts: { only: [B] }, regions: [WEST] }, { since: SINCE, until: A_WEST, accounts: { only: [A] }, regions: [WEST] }]]);
  }, '2026/09/02');
  const r = await read(db, [A, B], SINCE, UNTIL, REGIONS);
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(A_WEST)} AND start < ${secs(UNTIL)} AND`) && q.includes(`"partition_0" IN ('${A}')`) && q.includes(`"partition_2" IN ('${WEST}')`)
    && !q.includes(B) && !q.includes(EAST), q);
  assert.equal(r.s.records, 4 * objectsIn(served, [A], A_WEST, UNTIL, [WEST]).length);
  assert.equal(r.s.records, 4);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, UNTIL, REGIONS), join(dir, 'region-ends-local.duckdb'));
}));

test("every account read, one account's partitions ending before the others': that account is read to its own end, the rest to the window's, and its rest once registered", () => withDataset('every-ends', async (db) => {
  const B_READ = '2026-09-01T23:00:00.000Z';
  const every = () => readCrawled(served, db, crawledSource(home, served, { since: SINCE, until: UNTIL }));
  await unregistered(B, EAST, async () => {
    const r = await every();
    assert.equal(r.queries.length, 1);
    const q = r.queries[0]!;
    assert.ok(q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(B_READ)} AND "partition_0" IN ('${B}'))`)
      && q.includes(`(start >= ${secs(SINCE)} AND start < ${secs(UNTIL)} AND "partition_0" NOT IN ('${B}'))`), q);
    saysReadApart(r, `${B} in ${EAST}`);
    // A's and C's 22:00 and 01:00 objects, B's 22:00 one
    assert.equal(r.s.records, 4 * (objectsIn(served, [A, C], SINCE, UNTIL).length + objectsIn(served, [B], SINCE, B_READ).length));
    assert.equal(r.s.records, 20);
    assert.deepEqual(await heldReads(db), [[{ since: SINCE, until: B_READ, accounts: { only: [B] }, regions: [EAST] },
      { since: SINCE, until: UNTIL, accounts: { except: [B] }, regions: [EAST] }]]);
    assert.deepEqual(await names(db), [`@${A}/${EAST}/${SINCE}..${UNTIL}/w60`]);
  }, '2026/09/02');
  const r = await every();
  assert.equal(r.queries.length, 1);
  const q = r.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(B_READ)} AND start < ${secs(UNTIL)} AND`) && q.includes(`"partition_0" IN ('${B}')`) && !q.includes(A) && !q.includes(C), q);
  assert.deepEqual(r.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: B_READ }, { since: B_READ, until: UNTIL, accounts: { except: [B] } }]);
  assert.equal(r.s.records, 4);
  await assertLocalRead(db, objectsIn(served, [A, B, C], SINCE, UNTIL), join(dir, 'every-ends-local.duckdb'));
}));

test("a day in the middle of an account's partitions not registered: that account is read to the day's start, and the day and the rest once registered", () => withDataset('day-missing', async (db) => {
  // B's 09-01 and 09-03 registered, its 09-02 not (a crawler not past a folder written late, a script that skipped
  // it): B is read to 23:00 on the 1st (a record of its last hour may lie in 09-02's partition), A to the window's end.
  // Before: B to the window's end too, read from 09-01 and 09-03 alone (Athena reads registered partitions), and its
  // time held as read: 09-02's records never read once registered.
  const [FROM, TO, B_READ] = ['2026-09-01T00:00:00.000Z', '2026-09-03T12:00:00.000Z', '2026-09-01T23:00:00.000Z'];
  await unregistered(B, EAST, async () => {
    const r = await readsBTo(db, FROM, B_READ, TO);
    const a = r.s.sources[0]!.athena!;
    const why = `the partitions registered for flowlogs.crawled hold nothing of 2026-09-02 00:00Z to 2026-09-03 00:00Z for ${B} in ${EAST} though later days are registered, `
      + `so the window is read to 2026-09-01 23:00Z for ${B} in ${EAST} and to 2026-09-03 12:00Z for the other accounts and regions (a record reaches S3 up to an hour `
      + `after it starts, in a later partition) and the rest once its partitions are added ${ADDED}; a crawler registers no day without a flow-log object: `
      + 'if none was written then, they are read past once three later days are registered, or sooner after ALTER TABLE ADD PARTITION for them';
    assert.equal(a.partitionsEnd, why);
    assert.equal(a.partitionsMissing, undefined);
    assert.ok(r.said.includes(`Athena flowlogs.crawled: ${why}`), r.said.join('\n'));
    assert.ok(formatAcquireSummary(r.s).includes(`; ${why}`), formatAcquireSummary(r.s));
    // the next Refresh starts at B's end; the notification says where each was read to
    assert.equal(a.until, B_READ);
    assert.equal(unregisteredWindow(r.s.sources),
      `flowlogs.crawled is read to 2026-09-03 12:00Z, only to 2026-09-01 23:00Z for ${B} in ${EAST}: no partition registered for it holds the rest yet`);
    // A: its 8 objects of the window; B: the three of the 1st (not 16 objects: the local Athena reads what it is asked, registered or not)
    assert.equal(r.s.records, 4 * (objectsIn(served, [A], FROM, TO).length + objectsIn(served, [B], FROM, B_READ).length));
    assert.equal(r.s.records, 44);
    assert.deepEqual(await heldReads(db), [[
      { since: FROM, until: TO, accounts: { only: [A] }, regions: [EAST] }, { since: FROM, until: B_READ, accounts: { only: [B] }, regions: [EAST] }]]);
  }, '2026/09/02');

  // 09-02 registered: the next run reads B's 23:00 on the 1st to the window's end, 09-02 with it (before: nothing)
  await readsBsRest(db, 'day-missing', FROM, B_READ, TO, 20);
}));
