/**
 * An organisation's Athena table (a Glue crawler's, partition_0 the account) holding three accounts' flow logs, read
 * for some accounts, then more: the time read before is held per account, so `--accounts A` then `--accounts A,B`
 * over the same window reads B's records (before: B's time counted as read, and its flows were never read), A's not
 * again, and a run of every account then reads the third account's alone; the facts are those of one local read of
 * the same objects. A result named before accounts were (no accounts in its name) holds every account's time, and a
 * result forgotten lets its accounts' time be read again. Real DuckDB, the real SDK against the local endpoint, whose
 * Athena runs the SQL it is sent over the estate's objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrich, forget, type AwsSource, type Db } from '../../src/core/api';
import { athenaScanLine, formatAcquireSummary } from '../../src/core/aws/acquire';
import type { TempHome } from '../support/aws-endpoint/home';
import { A, B } from '../support/aws-endpoint/mini-estate';
import type { CrawledEstate, CrawledObject } from '../support/aws-endpoint/crawled-estate';
import { assertLocalRead as assertSameAsLocal, crawledSource, objectsIn, readCrawled, useCrawledEstate, withDataset as inDataset } from './crawled';

const C = '333333333333';
let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-accounts-', (f) => ({ dir, home, served } = f), [A, B, C]);

const SINCE = '2026-09-01T22:00:00.000Z';
const UNTIL = '2026-09-02T03:00:00.000Z';
const TABLE = 'athena://AwsDataCatalog/flowlogs/crawled';

/** A read of the crawler's table (or another) over the window, of `accounts` (none: every account; signed in as A either way). */
const source = (accounts?: string[], table?: string): AwsSource => crawledSource(home, served, { since: SINCE, until: UNTIL, ...(accounts ? { accounts } : {}), ...(table ? { table } : {}) });

/** A read, what it said as it went, and the queries it sent Athena (its StartQueryExecution calls). */
const read = (db: Db, accounts?: string[], table?: string) => readCrawled(served, db, source(accounts, table));

/** The estate's objects of `accounts` in us-east-1 whose records start in the window (22:00 on the 1st, 01:00 on the 2nd). */
const inWindow = (accounts: string[]) => objectsIn(served, accounts, SINCE, UNTIL);

/** The bytes of the objects of the partitions a read of `accounts` keeps: us-east-1, the 1st and the 2nd (records delivered up to an hour late). */
const partitionBytes = (accounts: string[]) => served.objects.filter((o) => accounts.includes(o.account) && o.region === 'us-east-1' && ['2026/09/01', '2026/09/02'].includes(o.day))
  .reduce((n, o) => n + o.size, 0);

/** The dataset's reduced rows and window table as one local read of `objects` has them. */
const assertLocalRead = (db: Db, objects: CrawledObject[], name: string) => assertSameAsLocal(db, objects, join(dir, `${name}-local.duckdb`));

const names = (db: Db) => db.all<{ name: string }>(`SELECT name FROM ingest_files ORDER BY file_id`).then((r) => r.map((x) => x.name.slice(TABLE.length)));
const HELD = `@${A}/us-east-1/${SINCE}..${UNTIL}/w60`;

/** A read of `accounts` that finds the whole window held for them: no query, no record, the window said read before. */
async function assertHeld(db: Db, accounts?: string[]) {
  const r = await read(db, accounts);
  assert.deepEqual([r.queries.length, r.s.records, r.s.sources[0]!.athena!.readBefore], [0, 0, [{ since: SINCE, until: UNTIL }]], String(accounts));
  return r;
}

/** `body` over a new dataset of that name, closed after. */
const withDataset = (name: string, body: (db: Db) => Promise<void>) => inDataset(join(dir, `${name}.duckdb`), body);

test("--accounts A, then --accounts A,B over the same window: B's time is read and A's not again; then every account reads the third account's alone", () => withDataset('added', async (db) => {
  const first = await read(db, [A]);
  assert.equal(first.queries.length, 1);
  assert.ok(first.queries[0]!.includes(`AND ("partition_0" IN ('${A}'))`), first.queries[0]);

  // A and B: one query, of B alone (before: none, A's result held the window for every account, and B's flows were never read)
  const second = await read(db, [A, B]);
  assert.equal(second.queries.length, 1);
  const q = second.queries[0]!;
  assert.ok(q.includes(`AND ("partition_0" IN ('${B}'))`) && !q.includes(A), q);
  const a = second.s.sources[0]!.athena!;
  assert.deepEqual(a.readBefore, [{ since: SINCE, until: UNTIL, accounts: { only: [A] } }]);
  const heldText = `2026-09-01 22:00Z to 2026-09-02 03:00Z read before for ${A} (the dataset holds what it returned), not read again`;
  assert.ok(second.said.includes(`Athena flowlogs.crawled: ${heldText}`), second.said.join('\n'));
  assert.ok(athenaScanLine(a).endsWith(`; ${heldText}`), athenaScanLine(a));
  assert.ok(formatAcquireSummary(second.s).split('\n').includes(`Athena ${TABLE}: ${athenaScanLine(a)}`), formatAcquireSummary(second.s));
  // the estimate: B's partitions, not A's
  assert.equal(a.estimatedBytes, partitionBytes([B]));
  assert.equal(second.s.records, 4 * inWindow([B]).length);
  // each result named by the accounts it read
  assert.deepEqual(await names(db), [`${HELD}/accounts=${A}`, `${HELD}/accounts=${B}`]);
  await assertLocalRead(db, inWindow([A, B]), 'added-ab');

  // A and B again: nothing runs
  assert.equal((await assertHeld(db, [A, B])).s.sources[0]!.skipped, 1);

  // every account: one query, of every account but A and B (C's records), nothing of theirs again
  const every = await read(db);
  assert.equal(every.queries.length, 1);
  assert.ok(every.queries[0]!.includes(`AND ("partition_0" NOT IN ('${A}', '${B}'))`), every.queries[0]);
  const e = every.s.sources[0]!.athena!;
  assert.deepEqual(e.readBefore, [{ since: SINCE, until: UNTIL, accounts: { only: [A, B] } }]);
  assert.ok(every.said.includes(`Athena flowlogs.crawled: 2026-09-01 22:00Z to 2026-09-02 03:00Z read before for ${A}, ${B} (the dataset holds what it returned), not read again`),
    every.said.join('\n'));
  assert.equal(e.estimatedBytes, partitionBytes([C]));
  assert.equal(every.s.records, 4 * inWindow([C]).length);
  assert.ok(every.s.records > 0);
  assert.deepEqual((await names(db)).at(-1), `${HELD}/accounts-except=${A},${B}`);
  await assertLocalRead(db, inWindow([A, B, C]), 'added-abc');

  // and every account again, or some of them (the first asked is the account signed in to, as before): nothing runs
  for (const accounts of [undefined, [A, C], [A, B, C]]) await assertHeld(db, accounts);
}));

test('every account read first: --accounts A, then A and B, read nothing again', () => withDataset('every-first', async (db) => {
  const every = await read(db);
  assert.equal(every.queries.length, 1);
  assert.ok(!every.queries[0]!.includes('"partition_0"'), every.queries[0]);
  assert.deepEqual(await names(db), [HELD]);
  for (const accounts of [[A], [A, B]]) await assertHeld(db, accounts);
  await assertLocalRead(db, inWindow([A, B, C]), 'every-first');
}));

test("a result named before accounts were (no accounts in its name) holds every account's time", () => withDataset('old-name', async (db) => {
  // what a version that did not name accounts loaded of --accounts A: A's rows, named as every account's (and no record of what it read)
  await read(db, [A]);
  await db.exec(`UPDATE ingest_files SET name = replace(name, '/accounts=${A}', ''), athena_read = NULL`);
  assert.deepEqual(await names(db), [HELD]);
  for (const accounts of [[A, B], undefined]) {
    const r = await assertHeld(db, accounts);
    assert.ok(r.said.includes('Athena flowlogs.crawled: 2026-09-01 22:00Z to 2026-09-02 03:00Z read before (the dataset holds what it returned), not read again; nothing run'),
      r.said.join('\n'));
  }
}));

test("a result forgotten: its accounts' time is read again, and no other account's", () => withDataset('forgotten', async (db) => {
  await read(db, [A]);
  await read(db, [A, B]);
  const forgotten = await forget(db, `${TABLE}@*/accounts=${A}`);
  assert.deepEqual(forgotten.files.map((f) => f.name), [`${TABLE}${HELD}/accounts=${A}`]);
  const r = await read(db, [A, B]);
  assert.equal(r.queries.length, 1);
  assert.ok(r.queries[0]!.includes(`AND ("partition_0" IN ('${A}'))`) && !r.queries[0]!.includes(B), r.queries[0]);
  assert.deepEqual(r.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: UNTIL, accounts: { only: [B] } }]);
  assert.equal(r.s.records, 4 * inWindow([A]).length);
  await assertLocalRead(db, inWindow([A, B]), 'forgotten');
}));

test("a table with partition projection over AWS's plain layout: every account after A and B lists the account level without them", () => withDataset('projected', async (db) => {
  const ab = await read(db, [A, B], 'projected');
  assert.ok(ab.queries[0]!.includes(`AND ("accid" IN ('${A}', '${B}'))`), ab.queries[0]);
  assert.equal(ab.s.sources[0]!.athena!.estimatedBytes, partitionBytes([A, B]));
  const listed = served.ep.requests.length;
  const every = await read(db, undefined, 'projected');
  assert.equal(every.queries.length, 1);
  assert.ok(every.queries[0]!.includes(`AND ("accid" NOT IN ('${A}', '${B}'))`), every.queries[0]);
  // the account level listed to find the accounts (for each day), and then only C's day folders
  const prefixes = served.ep.requests.slice(listed).filter((r) => r.op === 'ListObjectsV2').map((r) => r.prefix);
  assert.deepEqual(prefixes.filter((x) => x !== 'AWSLogs/'), ['01', '02'].map((d) => `AWSLogs/${C}/vpcflowlogs/us-east-1/2026/09/${d}/`));
  assert.equal(every.s.sources[0]!.athena!.estimatedBytes, partitionBytes([C]));
  assert.equal(every.s.records, 4 * inWindow([C]).length);
  await assertLocalRead(db, inWindow([A, B, C]), 'projected');
}));

test("accounts whose time read before differs: one query of a part each, each part's partitions kept and no other", () => withDataset('parts', async (db) => {
  // A read up to midnight (its 22:00 objects)
  const [a0, midnight] = [SINCE, '2026-09-02T00:00:00.000Z'];
  const early = (await enrich(db, { source: { ...source([A]), until: new Date(midnight) } })).aws!;
  assert.equal(early.records, 4 * inWindow([A]).filter((o) => o.day === '2026/09/01').length);
  // then every account over the whole window: A's from midnight, every other account's from 22:00, in one query
  const every = await read(db);
  assert.equal(every.queries.length, 1);
  const q = every.queries[0]!;
  const [s0, s1, s2] = [a0, midnight, UNTIL].map((t) => Date.parse(t) / 1000);
  assert.ok(q.includes(`WHERE start >= ${s0} AND start < ${s2} AND`), q);
  assert.ok(q.includes(`AND ((start >= ${s1} AND start < ${s2} AND "partition_0" IN ('${A}')) OR (start >= ${s0} AND start < ${s2} AND "partition_0" NOT IN ('${A}')))`), q);
  const e = every.s.sources[0]!.athena!;
  assert.deepEqual(e.readBefore, [{ since: a0, until: midnight, accounts: { only: [A] } }]);
  // A's partition of the 1st is not read
  const kept = served.objects.filter((o) => o.region === 'us-east-1' && (o.account === A ? o.day === '2026/09/02' : ['2026/09/01', '2026/09/02'].includes(o.day)));
  assert.equal(e.estimatedBytes, kept.reduce((n, o) => n + o.size, 0));
  assert.equal(early.records + every.s.records, 4 * inWindow([A, B, C]).length);
  await assertLocalRead(db, inWindow([A, B, C]), 'parts');
  // (the result holds every account's time: A's before midnight by the first)
  assert.deepEqual((await names(db)).at(-1), HELD);
}));

test("a table with neither an account key nor an account_id column: every account is read, said and remembered so; some accounts' time held there, nothing runs", () => withDataset('unpartitioned', async (db) => {
  const why = 'flowlogs.unpartitioned has no account_id column and no account partition key, so its records cannot be told apart by account';
  const r = await read(db, [A], 'unpartitioned');
  assert.ok(r.said.includes(`Athena flowlogs.unpartitioned: ${why}: every account is read, not only ${A}`), r.said.join('\n'));
  assert.equal(r.queries.length, 1);
  assert.equal(r.s.records, 4 * served.objects.filter((o) => o.starts.every((t) => t * 1000 >= Date.parse(SINCE) && t * 1000 < Date.parse(UNTIL))).length, 'every account, every region');
  const table = 'athena://AwsDataCatalog/flowlogs/unpartitioned';
  const held = await db.all<{ name: string }>(`SELECT name FROM ingest_files`);
  assert.deepEqual(held.map((x) => x.name), [`${table}${HELD}`], 'named as every account');
  // a result of A's alone there (as a table with an account_id column then had made, before results' records were kept): the
  // others' time cannot be read without A's again
  await db.exec(`UPDATE ingest_files SET name = name || '/accounts=${A}', athena_read = NULL`);
  const refused = (await enrich(db, { source: source(undefined, 'unpartitioned') })).aws!;
  assert.deepEqual(refused.issues.map((i) => [i.code, i.message]), [['NoAccountColumn', `${why}, and the dataset holds some of the window for some accounts only: `
    + "nothing was run, as their records would count twice (forget those results to read every account's time)"]]);
  assert.equal(served.ep.athenaQueries.at(-1), r.queries[0]);
}));
