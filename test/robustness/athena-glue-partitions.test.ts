/**
 * Issue 14: an Athena table a Glue crawler made (partition_0 … partition_5), read by a role that may not read its
 * registered partitions (glue:GetPartitions refused). The run succeeds (exit 0, no issue); the summary says, naming
 * the table and glue:GetPartitions, that the keys are not constrained and the estimate is of the whole location;
 * the query is the one sent without the partitions (no predicate on them, as before; the account asked for on the
 * records' account_id column), the estimate the whole location's bytes; and the facts are those of a local read of
 * the account's objects in the window, in every region the table holds (an unconstrained query reads them all). A
 * principal allowed glue:GetPartitions has its query pruned to the window's days. Real CLI processes, real DuckDB,
 * the real SDK against the local endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import { reductionSql } from '../../src/core/aws/athenaReduction';
import { scanPrice } from '../../src/core/aws/athenaTable';
import { formatBytes, formatUsd } from '../../src/core/format';
import { flowlensAsync } from './fixture';
import { EXTERNAL_ID, localAwsEnv, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, B } from '../support/aws-endpoint/mini-estate';
import { CRAWLED_LOCATION, serveCrawledEstate, type CrawledEstate } from '../support/aws-endpoint/crawled-estate';

const SINCE = '2026-09-01T22:00:00.000Z';
const UNTIL = '2026-09-02T03:00:00.000Z';

let home: TempHome;
let estate: string;
let work: string;
let served: CrawledEstate;

before(async () => {
  home = makeTempHome();
  estate = mkdtempSync(join(tmpdir(), 'flowlens-glue-estate-'));
  work = mkdtempSync(join(tmpdir(), 'flowlens-glue-'));
  // a read-only role without glue:GetPartitions
  served = await serveCrawledEstate(estate, { name: 'FlowLogIntrospector', externalId: EXTERNAL_ID, denied: ['glue:GetPartitions'] });
});

after(async () => {
  await served.close();
  for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
  home.cleanup();
});

const cli = (args: string[]) => flowlensAsync(localAwsEnv(home, served.ep.url), args);

/** The facts a dataset holds, window by window. */
async function facts(path: string): Promise<unknown[]> {
  const db = await openDataset(path, { readOnly: true });
  try {
    return await db.json(`SELECT window_start, client_node, server_node, protocol, server_port, action, uploaded, downloaded, packets_up, packets_down, conversations
      FROM windows_1m ORDER BY ALL`);
  } finally {
    db.close();
  }
}

test('glue:GetPartitions denied: the run succeeds unpruned, the summary names the table, the permission and the whole location, and the facts are those of the window', async () => {
  const common = ['enrich', '--profile', 'base', '--regions', 'us-east-1', '--since', SINCE, '--until', UNTIL, '--source', 'athena:flowlogs.crawled', '--no-inventory', '--quiet'];
  const { ep, objects, table } = served;
  const columns = table.columns.map((c) => c.name);
  const whole = objects.reduce((n, o) => n + o.size, 0);

  // the role, refused the table's partitions
  const deniedDb = join(work, 'denied.duckdb');
  const denied = await cli([...common, '--role', 'FlowLogIntrospector', '--external-id', EXTERNAL_ID, '--accounts', A, '--db', deniedDb]);
  assert.equal(denied.code, 0, denied.stdout + denied.stderr);
  assert.ok(!denied.stdout.includes('  ! '), `no issue: ${denied.stdout}`);
  const refused = ep.requests.filter((r) => r.service === 'glue');
  assert.deepEqual(refused.map((r) => [r.op, r.status]), [['GetPartitions', 400]], 'asked once, refused, not retried');
  assert.deepEqual(ep.athenaQueries, [reductionSql({ table: '"flowlogs"."crawled"', since: new Date(SINCE), until: new Date(UNTIL), columns, partitions: [`"account_id" IN ('${A}')`] })],
    "the query without a predicate on the partitions, as before, and the account asked for on the records' account_id column (before: none, and B's records were read too)");
  const line = denied.stdout.split('\n').find((l) => l.startsWith('Athena athena://AwsDataCatalog/flowlogs/crawled: '));
  const principal = /User: (arn:aws:sts::111111111111:assumed-role\/FlowLogIntrospector\/[\w=,.@-]+) is not authorized/.exec(line ?? '')?.[1];
  assert.ok(principal, denied.stdout);
  const rows = Number(/; (\d+) rows of 60-second windows;/.exec(line!)?.[1]);
  assert.ok(rows > 0, line);
  const cost = `${formatBytes(whole)} (${formatUsd(scanPrice(whole))})`;
  assert.equal(line, `Athena athena://AwsDataCatalog/flowlogs/crawled: estimated scan ${cost}, scanned 0 B (billed as Athena's 10.0 MiB minimum: $0.000052) at $5/TB; ${rows} rows of 60-second windows; partitions none recognised; `
    + `cannot read the partitions registered for flowlogs.crawled (glue:GetPartitions: AccessDeniedException: User: ${principal} is not authorized to perform: glue:GetPartitions `
    + `on resource: arn:aws:glue:us-east-1:${A}:catalog because no identity-based policy allows the glue:GetPartitions action), so partition_0, partition_1, partition_2, `
    + `partition_3, partition_4, partition_5 are not constrained and the estimate is of the whole location ${CRAWLED_LOCATION}; a role allowed glue:GetPartitions on the table has them pruned`);

  // the user's own profile, allowed GetPartitions, over both regions (the unconstrained query reads every region the
  // table holds): pruned to the window's days, a smaller estimate, and the same facts
  const allowedDb = join(work, 'allowed.duckdb');
  const allowed = await cli([...common.map((x) => (x === 'us-east-1' ? 'us-east-1,eu-west-1' : x)), '--db', allowedDb]);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.ok(ep.athenaQueries[1]!.includes(`AND ("partition_2" IN ('us-east-1', 'eu-west-1'))`), ep.athenaQueries[1]);
  assert.ok(ep.athenaQueries[1]!.includes(`"partition_5" = '02'`), ep.athenaQueries[1]);
  const pruned = allowed.stdout.split('\n').find((l) => l.startsWith('Athena athena://AwsDataCatalog/flowlogs/crawled: '))!;
  assert.ok(!pruned.includes('glue:GetPartitions'), pruned);
  const kept = objects.filter((o) => ['2026/09/01', '2026/09/02'].includes(o.day)).reduce((n, o) => n + o.size, 0);
  assert.ok(pruned.includes(`estimated scan ${formatBytes(kept)} (`), pruned);
  // the facts of a local read of the window's objects: A's (every region), and every account's
  const local = async (accounts: string[]) => {
    const path = join(work, `local-${accounts.join('-')}.duckdb`);
    const db = await openDataset(path);
    try {
      await enrich(db, { source: { kind: 'files', flowLogs: objects.filter((o) => accounts.includes(o.account) && o.starts.every((t) => t * 1000 >= Date.parse(SINCE) && t * 1000 < Date.parse(UNTIL))).map((o) => o.path) } });
    } finally {
      db.close();
    }
    return facts(path);
  };
  const [d, a] = [await facts(deniedDb), await facts(allowedDb)];
  assert.ok(d.length > 0);
  assert.deepEqual(d, await local([A]), "A's facts, of every region");
  assert.deepEqual(a, await local([A, B]), "every account's facts");
});
