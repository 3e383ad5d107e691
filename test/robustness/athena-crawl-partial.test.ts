/**
 * A Glue crawler's table (partition_0 … partition_5) whose crawler registered only part of the window: a daily
 * crawler has registered up to 2026-09-03 and the dataset is made over 2026-09-03 00:00 .. 09-05 00:00. The read ends
 * where the registered partitions end (less the hour a record may take to reach S3), which the summary says, and the
 * dataset is remembered to hold only that; after the crawler registers 09-04, a Refresh reads from there, and the
 * facts are those of one clean read of the whole window with every day registered: nothing lost, nothing counted
 * twice. Real DuckDB, the real SDK against the local endpoint, whose Athena runs the SQL it is sent over the
 * registered days' objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrich, openDataset, type Db } from '../../src/core/api';
import { athenaScanLine, formatAcquireSummary } from '../../src/core/aws/acquire';
import type { EnrichRequest } from '../../src/protocol/enrich';
import { athenaCost } from '../../src/host/acquirePlan';
import { refreshRequest, requestAsRead, storableRequest } from '../../src/host/planRequest';
import type { TempHome } from '../support/aws-endpoint/home';
import { miniEstateSource } from '../support/aws-endpoint/mini-estate';
import type { CrawledEstate } from '../support/aws-endpoint/crawled-estate';
import { useCrawledEstate } from './crawled';

let dir: string;
let home: TempHome;
let served: CrawledEstate;
useCrawledEstate('flowlens-robust-athena-crawl-partial-', (f) => ({ dir, home, served } = f));

const SINCE = '2026-09-03T00:00:00.000Z';
const UNTIL = '2026-09-05T00:00:00.000Z';

/** The request the editor remembers for a dataset read from the crawler's table over since..until (the profile's own account). */
function request(since: string, until: string): EnrichRequest {
  const { accounts: _all, externalId: _id, ...source } = miniEstateSource(home, served.ep.url, { inventory: false, sources: ['athena:flowlogs.crawled'], athena: { pollMs: 10 }, since, until });
  return { source };
}

/** The dataset's conversation facts: bytes, packets and the records they stand for. */
async function facts(db: Db) {
  return db.json(`SELECT sum(uploaded + downloaded) AS bytes, sum(packets_up + packets_down) AS packets, sum(records) AS records FROM conversation_facts`);
}

/** The records of the estate's objects that start in since..until. */
const recordsIn = (since: string, until: string) => served.objects.flatMap((o) => o.starts).filter((s) => s >= Date.parse(since) / 1000 && s < Date.parse(until) / 1000).length;

test("a crawler's table registered up to within the window: read to where its partitions end, and the next Refresh reads the rest once registered", async () => {
  const db = await openDataset(join(dir, 'refreshed.duckdb'));
  try {
    // made while the crawler has registered up to 09-03
    const r = request(SINCE, UNTIL);
    const progress: string[] = [];
    const made = await enrich(db, { ...r, onProgress: (p) => progress.push(p.message) });
    const s = made.aws!;
    assert.deepEqual(s.issues, []);
    const read = '2026-09-03T23:00:00.000Z';
    assert.equal(s.records, recordsIn(SINCE, read));
    const a = s.sources[0]!.athena!;
    assert.equal(a.until, read);
    const why = 'the partitions registered for flowlogs.crawled in us-east-1, eu-west-1 end at 2026-09-04 00:00Z, so the window is read to 2026-09-03 23:00Z '
      + '(a record reaches S3 up to an hour after it starts, in a later partition) and the rest once its partitions are added '
      + "(the crawler's next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)";
    assert.equal(a.partitionsEnd, why);
    assert.ok(progress.includes(`Athena flowlogs.crawled: ${why}`), progress.join('\n'));
    assert.ok(s.athenaSql[0]!.includes(`WHERE start >= ${Date.parse(SINCE) / 1000} AND start < ${Date.parse(read) / 1000}`), s.athenaSql[0]);
    const lines = formatAcquireSummary(s).split('\n');
    assert.ok(lines.includes(`Athena athena://AwsDataCatalog/flowlogs/crawled: ${athenaScanLine(a)}`), lines.join('\n'));
    assert.ok(athenaScanLine(a).endsWith(`; ${why}`), athenaScanLine(a));
    assert.ok(athenaCost(s).includes('; flowlogs.crawled is read to 2026-09-03 23:00Z: no partition registered for it holds the rest yet (see Show details)'), athenaCost(s));
    // the dataset is remembered to hold the window up to there
    const remembered = storableRequest(requestAsRead(r, s));
    assert.equal(remembered.source.kind === 'aws' && remembered.source.until, read);

    // a Refresh before the crawler's next run: nothing of its window (from 23:00) is registered yet, so no query runs, and it says why
    const queries = served.ep.athenaQueries.length;
    const r1 = refreshRequest(remembered, new Date('2026-09-04T12:00:00.000Z'));
    const early = (await enrich(db, r1)).aws!;
    assert.deepEqual([early.issues, early.records, early.athenaSql, served.ep.athenaQueries.length], [[], 0, [], queries]);
    assert.equal(athenaCost(early), 'Athena: flowlogs.crawled is read to 2026-09-03 23:00Z: no partition registered for it holds the rest yet (see Show details)');
    const still = storableRequest(requestAsRead(r1, early));
    assert.equal(still.source.kind === 'aws' && still.source.until, read);

    // the crawler's next run registers 09-04; Refresh at 09-05 00:00 reads from 23:00 on
    const added = await served.crawl('2026/09/04');
    assert.equal(added.length, 12);
    const r2 = refreshRequest(remembered, new Date(UNTIL));
    assert.equal(r2.source.kind === 'aws' && r2.source.since, read);
    const second = (await enrich(db, r2)).aws!;
    assert.deepEqual(second.issues, []);
    assert.equal(s.records + second.records, recordsIn(SINCE, '2026-09-04T23:00:00.000Z'), 'no record read twice, none left out');
    assert.ok(second.records > 0);

    // one clean read of the whole window, every day registered
    const clean = await openDataset(join(dir, 'clean.duckdb'));
    try {
      const c = (await enrich(clean, request(SINCE, UNTIL))).aws!;
      assert.deepEqual(c.issues, []);
      assert.equal(c.records, s.records + second.records);
      assert.deepEqual(await facts(db), await facts(clean), 'the facts of one clean read');
    } finally {
      clean.close();
    }
  } finally {
    db.close();
  }
});

test("a window whose middle the dataset holds already: the estimate counts the partitions of the parts read, and the query keeps only those", async () => {
  const db = await openDataset(join(dir, 'middle.duckdb'));
  try {
    // 09-01 23:00 .. 09-03 00:00 read first: the records of 09-02's partition all start in it (a record is in its day's
    // partition, or the next day's when it reaches S3 after midnight, up to an hour after it starts)
    const middle = (await enrich(db, request('2026-09-01T23:00:00.000Z', '2026-09-03T00:00:00.000Z'))).aws!;
    assert.deepEqual(middle.issues, []);
    const whole = (await enrich(db, request('2026-09-01T00:00:00.000Z', '2026-09-04T00:00:00.000Z'))).aws!;
    assert.deepEqual(whole.issues, []);
    const a = whole.sources[0]!.athena!;
    assert.deepEqual(a.readBefore, [{ since: '2026-09-01T23:00:00.000Z', until: '2026-09-03T00:00:00.000Z' }]);
    // 09-01's and 09-03's objects (and 09-04's, when the crawler registered it: a record of 09-03 may lie there), not 09-02's
    const read = served.objects.filter((o) => o.day !== '2026/09/02' && o.day >= '2026/09/01' && o.day <= '2026/09/04');
    assert.equal(a.estimatedBytes, read.reduce((n, o) => n + o.size, 0));
    assert.ok(served.objects.some((o) => o.day === '2026/09/02'));
    assert.ok(!whole.athenaSql[0]!.includes(`"partition_5" = '02'`), whole.athenaSql[0]);
    // and nothing is lost: every record of the window once
    const end = a.until ?? '2026-09-04T00:00:00.000Z';
    assert.equal(middle.records + whole.records, recordsIn('2026-09-01T00:00:00.000Z', end));
  } finally {
    db.close();
  }
});
