/**
 * What the robustness tests of a Glue crawler's table share (test/support/aws-endpoint/crawled-estate.ts): the estate
 * served for a test file, reads of its tables, and the check that a dataset holds what one local read of the same
 * objects has: every record once, the same facts window by window.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import type { AcquireSummary } from '../../src/protocol/reports';
import { serveCrawledEstate, type CrawledEstate, type CrawledObject } from '../support/aws-endpoint/crawled-estate';
import { EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { miniEstateSource } from '../support/aws-endpoint/mini-estate';
import { useTempDir } from './fixture';

export interface CrawledFixture {
  /** The test file's temporary folder (the estate is under estate/). */
  dir: string;
  home: TempHome;
  served: CrawledEstate;
}

/**
 * The crawled estate of `accounts` (A and B unless told) served for a test file's tests: made before them in a
 * temporary folder (given to `set`, with a temporary HOME), closed and removed after.
 */
export function useCrawledEstate(prefix: string, set: (f: CrawledFixture) => void, accounts?: readonly string[]): void {
  let dir = '';
  let f: CrawledFixture | undefined;
  useTempDir(prefix, (d) => (dir = d));
  before(async () => {
    const home = makeTempHome();
    set((f = { dir, home, served: await serveCrawledEstate(join(dir, 'estate'), { name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }, accounts) }));
  });
  after(async () => {
    await f?.served.close();
    f?.home.cleanup();
  });
}

/** `body` over a new dataset at `path`, closed after. */
export async function withDataset(path: string, body: (db: Db) => Promise<void>): Promise<void> {
  const db = await openDataset(path);
  try {
    await body(db);
  } finally {
    db.close();
  }
}

/**
 * A read of the table `flowlogs.<table>` (default crawled) in `regions` (us-east-1 unless told; the first signs the
 * queries) over since..until, of `accounts` (none: every account, signed in as the profile's own account A; else
 * signed in as the first of them).
 */
export function crawledSource(home: TempHome, served: CrawledEstate, o: { since: string; until: string; accounts?: string[]; table?: string; regions?: string[] }): AwsSource {
  const { accounts: _all, ...s } = miniEstateSource(home, served.ep.url, { inventory: false, regions: o.regions ?? ['us-east-1'], since: new Date(o.since), until: new Date(o.until),
    sources: [`athena:flowlogs.${o.table ?? 'crawled'}`], athena: { pollMs: 10 } });
  return o.accounts ? { ...s, accounts: o.accounts } : s;
}

/** A read that raised no issue, what it said as it went, and the queries it sent Athena (its StartQueryExecution calls). */
export async function readCrawled(served: CrawledEstate, db: Db, source: AwsSource): Promise<{ s: AcquireSummary; said: string[]; queries: string[] }> {
  const said: string[] = [];
  const sent = served.ep.athenaQueries.length;
  const s = (await enrich(db, { source, onProgress: (p) => said.push(p.message) })).aws!;
  assert.deepEqual(s.issues, []);
  return { s, said, queries: served.ep.athenaQueries.slice(sent) };
}

/** The estate's objects of `accounts` in `regions` (us-east-1 unless told) whose records all start in since..until. */
export function objectsIn(served: CrawledEstate, accounts: readonly string[], since: string, until: string, regions: readonly string[] = ['us-east-1']): CrawledObject[] {
  return served.objects.filter((o) => accounts.includes(o.account) && regions.includes(o.region)
    && o.starts.every((t) => t * 1000 >= Date.parse(since) && t * 1000 < Date.parse(until)));
}

/**
 * The dataset's reduced rows (records and bytes), and its window table, as one local read of `objects` (into a new
 * dataset at `localPath`) has them.
 */
export async function assertLocalRead(db: Db, objects: readonly CrawledObject[], localPath: string): Promise<void> {
  const local = await openDataset(localPath);
  try {
    await enrich(local, { source: { kind: 'files', flowLogs: objects.map((o) => o.path) } });
    const records = await local.one<{ n: bigint; b: bigint }>('SELECT count(*) AS n, sum(bytes) AS b FROM flow_records');
    const reduced = await db.one<{ n: bigint; b: bigint }>('SELECT sum(records) AS n, sum(bytes_up + bytes_down) AS b FROM athena_reduced');
    assert.deepEqual([reduced!.n, reduced!.b], [records!.n, records!.b], 'every record of the window once, none outside it');
    assert.equal(Number(records!.n), 4 * objects.length);
    const windows = (x: Db) => x.json(`SELECT window_start, client_node, server_node, protocol, server_port, action, sum(uploaded) AS up, sum(downloaded) AS down,
      sum(packets_up) AS pu, sum(packets_down) AS pd, sum(conversations) AS c FROM windows_1m GROUP BY ALL ORDER BY ALL`);
    assert.deepEqual(await windows(db), await windows(local), 'the same facts, window by window');
  } finally {
    local.close();
  }
}
