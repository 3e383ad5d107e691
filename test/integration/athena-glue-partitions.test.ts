/**
 * Issue 14, "Athena does the heavy reduction", for a table a Glue crawler made over AWS's plain S3 layout: its
 * partition keys are partition_0 … partition_5 (account, 'vpcflowlogs', region, year, month, day), registered in
 * Glue at non-Hive locations, and no name says what they hold. Flowlens reads the registered partitions (Glue
 * GetPartitions, paged), recognises the keys by their values, puts the window, the region and the source's account on
 * them (the table holds two accounts' flow logs), and estimates the scan from the kept partitions' objects. The real SDK against the local endpoint, whose Athena runs
 * the SQL it is sent in DuckDB over the same objects (the crawler's partition columns from their folders).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import { formatAcquireSummary } from '../../src/core/aws/acquire';
import { PARTITION_SEGMENTS } from '../../src/core/aws/athena';
import { A, B, miniEstateSource } from '../support/aws-endpoint/mini-estate';
import { EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { CRAWLED_PAGE, serveCrawledEstate, type CrawledEstate } from '../support/aws-endpoint/crawled-estate';

const SINCE = new Date('2026-09-01T22:00:00Z');
const UNTIL = new Date('2026-09-02T03:00:00Z');

/** A window table as (window, client node, server node, protocol, server port, action) -> sums, conversations included. */
async function windows(db: Db): Promise<Map<string, string>> {
  const rows = await db.all<{ k: string; v: string }>(`SELECT concat_ws('|', window_start, client_node, server_node, protocol, server_port, action) AS k,
    concat_ws(' ', sum(uploaded), sum(downloaded), sum(packets_up), sum(packets_down), sum(conversations)) AS v FROM windows_1m GROUP BY ALL`);
  return new Map(rows.map((r) => [r.k, r.v]));
}

describe('an Athena table a Glue crawler made (partition_0 … partition_5)', () => {
  let home: TempHome;
  let estate: string;
  let work: string;
  let served: CrawledEstate;
  let base: AwsSource;

  before(async () => {
    home = makeTempHome();
    estate = mkdtempSync(join(tmpdir(), 'flowlens-crawled-estate-'));
    work = mkdtempSync(join(tmpdir(), 'flowlens-crawled-'));
    served = await serveCrawledEstate(estate, { name: 'FlowLogIntrospector', externalId: EXTERNAL_ID });
    base = miniEstateSource(home, served.ep.url, { accounts: [A], inventory: false, regions: ['us-east-1'], since: SINCE, until: UNTIL, sources: ['athena:flowlogs.crawled'], athena: { pollMs: 10 } });
  });

  after(async () => {
    await served.close();
    for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
    home.cleanup();
  });

  it("puts the window, the region and the account on the keys the registered partitions' values name, estimates the kept partitions' objects, and gives the local read's facts", async () => {
    const { ep, objects, table } = served;
    assert.equal(table.partitions.length, 12, '2 accounts x 2 regions x 3 days');
    const athena = await openDataset(join(work, 'athena.duckdb'));
    const local = await openDataset(join(work, 'local.duckdb'));
    const said: string[] = [];
    try {
      const before = ep.requests.filter((r) => r.service === 'glue').length;
      const s = (await enrich(athena, { source: base, onProgress: (p) => said.push(p.message) })).aws!;
      assert.deepEqual(s.issues, []);
      // the table's partitions: more than a page (CRAWLED_PAGE), so read again in Glue's segments side by side,
      // every segment whole (12 partitions in 10 segments: two of 2, eight of 1, each one page)
      const glue = ep.requests.filter((r) => r.service === 'glue').slice(before);
      assert.ok(CRAWLED_PAGE < 12);
      assert.deepEqual(glue.map((r) => [r.op, r.status, r.segment]).sort((a, b) => String(a[2] ?? '').localeCompare(String(b[2] ?? ''), 'en', { numeric: true })),
        [['GetPartitions', 200, undefined], ...Array.from({ length: PARTITION_SEGMENTS }, (_, n) => ['GetPartitions', 200, `${n}/${PARTITION_SEGMENTS}`])]);
      // the query Athena was sent names the partition keys: the region asked, the two days the window (and its late
      // deliveries) spans, and the source's account (before: none, and B's records were read and counted too)
      const sent = ep.athenaQueries.at(-1)!;
      assert.equal(sent, s.athenaSql[0]);
      assert.ok(sent.includes(`AND ("partition_2" IN ('us-east-1'))`), sent);
      assert.ok(sent.includes(`AND ("partition_0" IN ('${A}'))`), sent);
      assert.ok(sent.includes(`AND ((("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '01') OR ("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '02')))`), sent);
      const a = s.sources[0]!.athena!;
      const from = "from the registered partitions' values";
      assert.deepEqual(a.partitions, [`partition_2 (region, ${from})`, `partition_3/partition_4/partition_5 (year/month/day, ${from})`, `partition_0 (account, ${from})`]);
      assert.equal(a.partitionsUnread, undefined);
      // the estimate: exactly the objects of the kept partitions (account A, us-east-1, the 1st and the 2nd)
      const kept = objects.filter((o) => o.account === A && o.region === 'us-east-1' && ['2026/09/01', '2026/09/02'].includes(o.day));
      assert.equal(kept.length, 6);
      assert.equal(a.estimatedBytes, kept.reduce((n, o) => n + o.size, 0));
      assert.equal(objects.reduce((n, o) => n + o.size, 0) > 5 * a.estimatedBytes!, true, 'a sixth of the table');
      const listed = ep.requests.filter((r) => r.op === 'ListObjectsV2' && r.prefix?.startsWith('AWSLogs/')).map((r) => r.prefix);
      assert.deepEqual(listed.sort(), ['01', '02'].map((d) => `AWSLogs/${A}/vpcflowlogs/us-east-1/2026/09/${d}/`), "each kept partition's location, and no other");
      assert.ok(said.some((m) => m.includes('; 2 of the 12 registered partitions kept; estimated scan ')), said.join('\n'));
      // the same window read locally: the objects holding its records (A's, us-east-1, 22:00 on the 1st and 01:00 on the 2nd)
      const mine = objects.filter((o) => o.account === A && o.region === 'us-east-1');
      const inWindow = mine.filter((o) => o.starts.every((t) => t * 1000 >= SINCE.getTime() && t * 1000 < UNTIL.getTime()));
      assert.equal(inWindow.length, 2);
      assert.ok(mine.every((o) => inWindow.includes(o) || o.starts.every((t) => t * 1000 < SINCE.getTime() || t * 1000 >= UNTIL.getTime())));
      await enrich(local, { source: { kind: 'files', flowLogs: inWindow.map((o) => o.path) } });
      const records = await local.one<{ n: bigint; b: bigint }>(`SELECT count(*) AS n, sum(bytes) AS b FROM flow_records`);
      const reduced = await athena.one<{ n: bigint; b: bigint }>(`SELECT sum(records) AS n, sum(bytes_up + bytes_down) AS b FROM athena_reduced`);
      assert.deepEqual([reduced!.n, reduced!.b], [records!.n, records!.b], 'every record of the window, and none outside it');
      assert.equal(Number(records!.n), 8);
      const [l, r] = [await windows(local), await windows(athena)];
      assert.ok(l.size > 0);
      assert.deepEqual(r, l, 'the same facts, window by window');
    } finally {
      athena.close();
      local.close();
    }
  });

  it('a window after the crawler last ran (no registered partition holds it): nothing is read, and it is said why', async () => {
    const db = await openDataset(join(work, 'later.duckdb'));
    const said: string[] = [];
    try {
      const later: AwsSource = { ...base, since: new Date('2026-09-20T00:00:00Z'), until: new Date('2026-09-20T02:00:00Z') };
      const s = (await enrich(db, { source: later, onProgress: (p) => said.push(p.message) })).aws!;
      const a = s.sources[0]!.athena!;
      const why = `none of the 12 partitions registered for flowlogs.crawled holds the window's days in us-east-1 of account ${A}: Athena reads only registered partitions, `
        + "so it reads nothing there until they are added (the crawler's next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)";
      assert.equal(a.partitionsMissing, why);
      assert.equal(a.rows, 0);
      assert.equal(a.estimatedBytes, 0);
      assert.ok(said.includes(`Athena flowlogs.crawled: ${why}`), said.join('\n'));
      assert.ok(formatAcquireSummary(s).includes(`; ${why}`), formatAcquireSummary(s));
    } finally {
      db.close();
    }
  });
});
