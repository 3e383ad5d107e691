/**
 * Forgetting an Athena result whose time a later result left out: a read of a window over time the dataset held
 * already skips that time (its records would count twice), so the later result did not read it; forgotten, the earlier
 * result's time is held by no result, and the next run reads it, once (before: the later result's name spanned it,
 * and the time was taken as held: its records were lost). The same for time held for one account only, left out of
 * a later read of every account for that account. The facts are then those of one local read of the same objects.
 * Real DuckDB, the real SDK against the local endpoint, whose Athena runs the SQL it is sent over a Glue crawler's
 * table of the estate's objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { forget, type Db } from '../../src/core/api';
import type { CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import type { TempHome } from '../support/aws-endpoint/home';
import { A, B } from '../support/aws-endpoint/mini-estate';
import { assertLocalRead, crawledSource, objectsIn, readCrawled, useCrawledEstate, withDataset as inDataset } from './crawled';

let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-forget-', (f) => ({ dir, home, served } = f));

const TABLE = 'athena://AwsDataCatalog/flowlogs/crawled';
/** The window (22:00 on the 1st to 03:00 on the 2nd: the objects of 22:00 and 01:00), and midnight and 02:00 inside it. */
const [SINCE, MIDNIGHT, TWO, UNTIL] = ['2026-09-01T22:00:00.000Z', '2026-09-02T00:00:00.000Z', '2026-09-02T02:00:00.000Z', '2026-09-02T03:00:00.000Z'];
const secs = (t: string) => Date.parse(t) / 1000;

const read = (db: Db, since: string, until: string, accounts?: string[]) => readCrawled(served, db, crawledSource(home, served, { since, until, ...(accounts ? { accounts } : {}) }));

/** `body` over a new dataset of that name, closed after. */
const withDataset = (name: string, body: (db: Db) => Promise<void>) => inDataset(join(dir, `${name}.duckdb`), body);

/** The dataset's records (of its reduced rows) and conversation facts. */
const counts = (db: Db) => db.json(`SELECT (SELECT sum(records) FROM athena_reduced) AS records, (SELECT sum(records) FROM conversation_facts) AS fact_records,
  (SELECT count(*) FROM conversation_facts) AS facts`);

test('the earlier of two results forgotten, whose time the later one left out: the next run reads that time, once', () => withDataset('time', async (db) => {
  // 00:00-02:00 first (the 01:00 objects), then the whole window: 22:00-00:00 and 02:00-03:00 read, 00:00-02:00 left out
  const first = await read(db, MIDNIGHT, TWO);
  assert.equal(first.s.records, 4 * objectsIn(served, [A, B], MIDNIGHT, TWO).length);
  const wide = await read(db, SINCE, UNTIL);
  assert.equal(wide.queries.length, 1);
  assert.ok(wide.queries[0]!.includes(`AND (NOT (start >= ${secs(MIDNIGHT)} AND start < ${secs(TWO)}))`), wide.queries[0]);
  assert.equal(wide.s.records, 4 * objectsIn(served, [A, B], SINCE, MIDNIGHT).length);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, UNTIL), join(dir, 'time-both-local.duckdb'));

  // the first forgotten: its records go, the later result's stay
  const forgotten = await forget(db, `${TABLE}@*/${MIDNIGHT}..*`);
  assert.deepEqual(forgotten.files.map((f) => [f.name, f.records]), [[`${TABLE}@${A}/us-east-1/${MIDNIGHT}..${TWO}/w60`, first.s.records]]);
  assert.deepEqual((await counts(db)).map((c) => [c.records, c.fact_records]), [[wide.s.records, wide.s.records]]);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, MIDNIGHT), join(dir, 'time-forgotten-local.duckdb'));

  // the whole window again: one query, of 00:00-02:00 alone (before: none, the later result's name held it)
  const again = await read(db, SINCE, UNTIL);
  assert.equal(again.queries.length, 1);
  assert.ok(again.queries[0]!.includes(`WHERE start >= ${secs(MIDNIGHT)} AND start < ${secs(TWO)} AND`) && !again.queries[0]!.includes('NOT ('), again.queries[0]);
  assert.deepEqual(again.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: MIDNIGHT }, { since: TWO, until: UNTIL }]);
  assert.ok(again.said.includes('Athena flowlogs.crawled: 2026-09-01 22:00Z to 2026-09-02 00:00Z, 2026-09-02 02:00Z to 2026-09-02 03:00Z read before '
    + '(the dataset holds what they returned), not read again'), again.said.join('\n'));
  assert.equal(again.s.records, first.s.records);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, UNTIL), join(dir, 'time-again-local.duckdb'));

  // and once more: every part held, nothing runs, the dataset as it was
  const before = await counts(db);
  const held = await read(db, SINCE, UNTIL);
  assert.deepEqual([held.queries.length, held.s.records, held.s.sources[0]!.athena!.readBefore], [0, 0, [{ since: SINCE, until: UNTIL }]]);
  assert.deepEqual(await counts(db), before);
}));

test("one account's result forgotten, whose time a later read of every account left out for it: that account's time is read again, and no other's", () => withDataset('accounts', async (db) => {
  // A up to midnight (its 22:00 objects), then every account over the whole window: A's from midnight, B's from 22:00
  const early = await read(db, SINCE, MIDNIGHT, [A]);
  assert.equal(early.s.records, 4 * objectsIn(served, [A], SINCE, MIDNIGHT).length);
  const every = await read(db, SINCE, UNTIL);
  assert.equal(every.s.records, 4 * (objectsIn(served, [A], MIDNIGHT, UNTIL).length + objectsIn(served, [B], SINCE, UNTIL).length));

  const forgotten = await forget(db, `${TABLE}@*/accounts=${A}`);
  assert.deepEqual(forgotten.files.map((f) => [f.name, f.records]), [[`${TABLE}@${A}/us-east-1/${SINCE}..${MIDNIGHT}/w60/accounts=${A}`, early.s.records]]);

  // every account again: one query, of A's 22:00-00:00 alone (before: none, the later result's name held it for every account)
  const again = await read(db, SINCE, UNTIL);
  assert.equal(again.queries.length, 1);
  const q = again.queries[0]!;
  assert.ok(q.includes(`WHERE start >= ${secs(SINCE)} AND start < ${secs(MIDNIGHT)} AND`) && q.includes(`AND ("partition_0" IN ('${A}'))`) && !q.includes(B), q);
  assert.deepEqual(again.s.sources[0]!.athena!.readBefore, [{ since: SINCE, until: MIDNIGHT, accounts: { except: [A] } }, { since: MIDNIGHT, until: UNTIL }]);
  assert.ok(again.said.includes(`Athena flowlogs.crawled: 2026-09-01 22:00Z to 2026-09-02 00:00Z read before for every account but ${A}; `
    + '2026-09-02 00:00Z to 2026-09-02 03:00Z read before (the dataset holds what they returned), not read again'), again.said.join('\n'));
  assert.equal(again.s.records, early.s.records);
  await assertLocalRead(db, objectsIn(served, [A, B], SINCE, UNTIL), join(dir, 'accounts-local.duckdb'));
}));
