/**
 * Issue 14, "when the user has no table, offer to create one": `flowlens enrich … --create-athena-table` with a
 * principal that may not create it (the read-only FlowLogIntrospector role, which lacks glue:CreateTable and
 * glue:CreateDatabase, as Glue refuses a DDL Athena runs for it). The exact message names the principal and the
 * permission, and says the DDL can be run by hand; the exit code is 1; nothing is stored and the dataset is as it was.
 * Without the flag the DDL is printed with the hint to use it. Real CLI processes, real DuckDB, the real SDK against
 * the local endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, type Db } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { fingerprint, flowlensAsync } from './fixture';
import { BASE_USER, EXTERNAL_ID, localAwsEnv, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, WINDOW, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { ddlCatalog, type DdlCatalog } from '../support/aws-endpoint/athena-catalog';

let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;
let athenaDb: Db;
let catalog: DdlCatalog;

before(async () => {
  home = makeTempHome();
  estate = mkdtempSync(join(tmpdir(), 'flowlens-create-estate-'));
  work = mkdtempSync(join(tmpdir(), 'flowlens-create-'));
  writeMiniEstate(estate);
  athenaDb = await openDataset(':memory:');
  await ingestFiles(athenaDb, [join(estate, 'flowlogs', 'flowlens-logs-a')]);
  catalog = ddlCatalog(athenaDb, { databases: ['flowlogs'], region: 'us-east-1' });
  ep = await startAwsEndpoint({
    estateDir: estate, users: [BASE_USER],
    // the role cloudformation/introspector-role.yaml ships: read-only, no Glue write action
    roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID, denied: ['glue:CreateTable', 'glue:CreateDatabase'] }],
    athena: {
      run: async () => {
        throw new Error('no table to query');
      },
      ddl: catalog.ddl!,
      database: catalog.database!,
      table: async (t) => catalog.table(t.database, t.table),
    },
  });
});

after(async () => {
  await ep.close();
  athenaDb.close();
  for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
  home.cleanup();
});

const cli = (args: string[]) => flowlensAsync(localAwsEnv(home, ep.url), args);

test('--create-athena-table denied (the read-only role): the principal and glue:CreateTable named, the DDL left to run by hand, exit 1, nothing stored', async () => {
  const db = join(work, 'denied.duckdb');
  const common = ['enrich', '--profile', 'base', '--role', 'FlowLogIntrospector', '--external-id', EXTERNAL_ID, '--accounts', A, '--regions', 'us-east-1',
    '--since', WINDOW.since.toISOString(), '--until', WINDOW.until.toISOString(), '--source', 'athena:flowlogs.vpc_flow_logs', '--db', db, '--quiet'];

  // without the flag: the DDL printed with the hint, nothing created
  const shown = await cli(common);
  assert.equal(shown.code, 1, shown.stdout + shown.stderr);
  const m = /Athena table to create for athena:\/\/AwsDataCatalog\/flowlogs\/vpc_flow_logs \(run it in Athena, or let Flowlens run it: --create-athena-table; then read the source again\):\n(CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`\.`vpc_flow_logs` \([\s\S]*?\nTBLPROPERTIES \([\s\S]*?\n\))\n/.exec(shown.stdout);
  assert.ok(m, shown.stdout);
  assert.equal(ep.athenaQueries.length, 0, 'nothing run');
  const before = await fingerprint(db);
  const queried = ep.requests.filter((r) => r.op === 'GetQueryExecution').length;

  // with it, as the role that may not create tables (the inventory already in the dataset gives the DDL)
  const denied = await cli([...common, '--no-inventory', '--create-athena-table']);
  assert.equal(denied.code, 1, denied.stdout + denied.stderr);
  assert.deepEqual(ep.athenaQueries, [m[1]], 'the DDL shown, and only it, was sent (the database exists: not made)');
  assert.ok(ep.requests.filter((r) => r.op === 'GetQueryExecution').length > queried, 'and waited for');
  assert.equal(catalog.made.length, 0, 'nothing was created');
  const line = denied.stdout.split('\n').find((l) => l.startsWith('  ! glue:CreateTable '));
  assert.ok(line, denied.stdout);
  const principal = /may not create/.test(line) ? /: AccessDenied: (arn:aws:sts::111111111111:assumed-role\/FlowLogIntrospector\/[\w=,.@-]+) may not create/.exec(line)?.[1] : undefined;
  assert.ok(principal, line);
  assert.equal(line, `  ! glue:CreateTable account ${A} us-east-1 athena://AwsDataCatalog/flowlogs/vpc_flow_logs: AccessDenied: ${principal} may not create flowlogs.vpc_flow_logs: `
    + `it lacks glue:CreateTable (AWS: FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:User: ${principal} is not authorized to perform: glue:CreateTable `
    + `on resource: arn:aws:glue:us-east-1:${A}:table/flowlogs/vpc_flow_logs because no identity-based policy allows the glue:CreateTable action (Service: AWSGlue; Status Code: 400; Error Code: AccessDeniedException))). `
    + 'Creating the table needs a principal allowed glue:CreateTable (your own profile, say; the read-only FlowLogIntrospector role is not); or run the DDL shown by hand in Athena, then read the source again');
  assert.match(denied.stdout, /Athena table to create for athena:\/\/AwsDataCatalog\/flowlogs\/vpc_flow_logs/, 'the DDL still shown, to run by hand');
  assert.deepEqual(await fingerprint(db), before, 'the dataset as it was');
  const d = await openDataset(db, { readOnly: true });
  try {
    assert.equal(Number((await d.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 0, 'nothing stored');
  } finally {
    d.close();
  }
});
