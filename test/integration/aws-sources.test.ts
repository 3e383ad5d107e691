import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { enrich, openDataset, type AwsSource, type Db, type EnrichOptions } from '../../src/core/api';
import type { EnrichRequest } from '../../src/protocol/enrich';
import { refreshRequest, requestAsRead, storableRequest } from '../../src/host/planRequest';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { readAthenaSource } from '../../src/core/aws/athena';
import { clientConfig } from '../../src/core/aws/clients';
import { SETTLE_MINUTES } from '../../src/core/aws/delivery';
import { parseSourceSpec, type AthenaSource } from '../../src/core/aws/sources';
import { reductionSql, REQUIRED_COLUMNS } from '../../src/core/aws/athenaReduction';
import { athenaScanLine, createAthenaTableFor, formatAcquireSummary } from '../../src/core/aws/acquire';
import { windowPrefixes } from '../../src/core/aws/s3';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { formatBytes } from '../../src/core/format';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, B, FLOW_LOGS, REGIONS, WINDOW, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { duckDbAthenaRun, startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { ddlCatalog, type DdlCatalog } from '../support/aws-endpoint/athena-catalog';

const HIVE_KEYS = ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day', 'hour'];

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

async function totals(db: Db) {
  const r = await db.one<{ files: bigint; recs: bigint; stored: bigint }>(
    'SELECT (SELECT count(*) FROM ingest_files) AS files, (SELECT coalesce(sum(records), 0) FROM ingest_files) AS recs, (SELECT count(*) FROM flow_records) AS stored',
  );
  return { files: Number(r!.files), recs: Number(r!.recs), stored: Number(r!.stored) };
}

describe('flow-log sources through enrich() against the local endpoint', () => {
  let home: TempHome;
  let estate: string;
  let work: string;
  let ep: AwsEndpoint;
  let counts: Record<string, number>;
  let athenaDb: Db;
  let base: AwsSource;
  let expected: number;
  let bucketBytes = 0;
  /** Tables and databases made by DDL sent to the local Athena. */
  let catalog: DdlCatalog;

  before(async () => {
    home = makeTempHome();
    estate = mkdtempSync(join(tmpdir(), 'flowlens-estate-'));
    work = mkdtempSync(join(tmpdir(), 'flowlens-acq-'));
    counts = writeMiniEstate(estate);
    expected = Object.values(counts).reduce((a, b) => a + b, 0);
    // Athena runs the generated SQL for real, in DuckDB, over the same flow logs (S3 objects of the estate).
    athenaDb = await openDataset(':memory:');
    await ingestFiles(athenaDb, [join(estate, 'flowlogs', 'flowlens-logs-a')]);
    await athenaDb.exec(`CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records;
      CREATE VIEW flowlogs.denied AS SELECT * FROM flow_records;
      CREATE VIEW flowlogs.hive_logs AS SELECT *, account_id AS "aws-account-id", 'vpcflowlogs' AS "aws-service", 'us-east-1' AS "aws-region",
        strftime(to_timestamp("start"), '%Y') AS "year", strftime(to_timestamp("start"), '%m') AS "month", strftime(to_timestamp("start"), '%d') AS "day",
        strftime(to_timestamp("start"), '%H') AS "hour" FROM flow_records`);
    bucketBytes = allFiles(join(estate, 'flowlogs', 'flowlens-logs-a')).reduce((n, f) => n + statSync(f).size, 0);
    catalog = ddlCatalog(athenaDb, { databases: ['flowlogs'], region: 'us-east-1' });
    ep = await startAwsEndpoint({
      estateDir: estate,
      users: [BASE_USER],
      roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }],
      pageSize: 50,
      athena: {
        pageSize: 7,
        run: (sql, ctx) => duckDbAthenaRun(athenaDb, bucketBytes)(sql, ctx),
        ddl: catalog.ddl!,
        database: catalog.database!,
        table: async (t) => {
          const made = catalog.table(t.database, t.table);
          if (made) return made;
          if (t.database === 'flowlogs' && t.table === 'denied') {
            // a role that may query the table but not read its definition from the Glue catalogue
            throw Object.assign(new Error(`User: arn:aws:sts::${A}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: glue:GetTable on resource: arn:aws:glue:us-east-1:${A}:table/flowlogs/denied`), { code: 'AccessDeniedException' });
          }
          const cols = await athenaDb.all<{ column_name: string; column_type: string }>('DESCRIBE flowlogs.vpc_flow_logs');
          if (t.database === 'flowlogs' && t.table === 'hive_logs') {
            // AWS's DDL for Hive-compatible delivery, its partitions registered (MSCK REPAIR TABLE), not projected
            return { columns: cols.map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })), partitionKeys: HIVE_KEYS.map((name) => ({ name, type: 'string' })),
              parameters: { location: 's3://flowlens-hive-table/logs/AWSLogs/' } };
          }
          if (t.database !== 'flowlogs' || !['vpc_flow_logs', 'unlocated'].includes(t.table)) return undefined;
          // unlocated: a table whose location is not said (its scan cannot be estimated)
          return { columns: cols.map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })), parameters: (t.table === 'unlocated' ? {} : { location: 's3://flowlens-logs-a/' }) as Record<string, string> };
        },
      },
    });
    base = miniEstateSource(home, ep.url);
  });
  /** enrich() from AWS: what acquisition read (the rebuild that follows it is enrich's too). */
  async function read(db: Db, source: Partial<AwsSource>, o: Omit<EnrichOptions, 'source'> = {}) {
    return (await enrich(db, { source: { ...base, ...source }, ...o })).aws!;
  }

  after(async () => {
    await ep.close();
    athenaDb.close();
    for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
    home.cleanup();
  });

  it('lists only the window prefixes of each layout', () => {
    const root = { path: 'vpc/AWSLogs/111111111111/', account: A, hive: false };
    assert.deepEqual(windowPrefixes(root, 'us-east-1', new Date('2026-09-01T22:00Z'), new Date('2026-09-02T01:00Z'), false), [
      'vpc/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/09/01/',
      'vpc/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/09/02/',
    ]);
    const hive = { path: 'AWSLogs/aws-account-id=111111111111/', account: A, hive: true };
    assert.deepEqual(windowPrefixes(hive, 'eu-west-1', new Date('2026-09-01T22:30Z'), new Date('2026-09-02T00:10Z'), true), [
      'AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=01/hour=22/',
      'AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=01/hour=23/',
      'AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=02/hour=00/',
    ]);
  });

  it('discovers every flow log, reads S3 (default, Hive hourly, org id) and CloudWatch Logs, and re-running adds nothing', async () => {
    const dbPath = join(work, 'full.duckdb');
    const db = await openDataset(dbPath);
    try {
      const s = await read(db, { dumpDir: join(work, 'dump-full') });
      assert.deepEqual(s.issues, []);
      assert.deepEqual(s.accounts, [A, B]);
      assert.deepEqual(s.sources.map((x) => x.kind).sort(), ['cloudwatch', 's3', 's3', 's3']);
      assert.equal(s.records, expected);
      assert.equal(s.failed, 0);
      const t = await totals(db);
      assert.equal(t.stored, expected);
      assert.equal(t.recs, expected);
      // Inventory went into the dataset.
      const enis = Number(await db.value('SELECT count(DISTINCT eni_id) FROM inv_enis'));
      assert.ok(enis >= 48, `ENIs loaded: ${enis}`);
      assert.equal(Number(await db.value('SELECT count(*) FROM inv_flow_logs')), FLOW_LOGS.length);
      // The object from the day before the window was never listed into a fetch.
      assert.ok(!ep.requests.some((r) => r.op === 'GetObject' && r.key?.includes('outside')));
      const gets = ep.requests.filter((r) => r.op === 'GetObject').length;

      const again = await read(db, { dumpDir: join(work, 'dump-full') });
      assert.equal(again.fetched, 0);
      assert.equal(again.records, 0);
      assert.deepEqual(await totals(db), t);
      assert.equal(ep.requests.filter((r) => r.op === 'GetObject').length, gets, 'loaded objects are not fetched again');
    } finally {
      db.close();
    }
  });

  it('a dropped connection resumes, a malformed object is reported by key, AccessDenied in one account leaves the others complete', async () => {
    const bad = join(estate, 'flowlogs', 'flowlens-logs-a', 'vpc', 'AWSLogs', A, 'vpcflowlogs', 'us-east-1', '2026', '09', '01', `${A}_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20260901T0130Z_badbad.log.gz`);
    writeFileSync(bad, gzipSync('this is not a flow log\n').subarray(0, 20)); // truncated gzip
    ep.faults.push({ kind: 'truncate', service: 's3', op: 'GetObject', key: '20260901T0100Z', times: 2 });
    ep.faults.push({ kind: 'access-denied', service: 's3', account: B });
    const db = await openDataset(join(work, 'faults.duckdb'));
    try {
      const s = await read(db, { dumpDir: join(work, 'dump-faults') });
      const malformed = s.issues.filter((i) => i.code === 'MalformedObject');
      assert.equal(malformed.length, 1, JSON.stringify(s.issues));
      assert.match(malformed[0]!.resource!, /badbad\.log\.gz$/);
      const denied = s.issues.filter((i) => i.code === 'AccessDenied');
      assert.equal(denied.length, 1);
      assert.equal(denied[0]!.account, B);
      assert.equal(denied[0]!.api, 's3:ListObjectsV2');
      const orgLog = FLOW_LOGS.find((f) => f.kind === 's3-org')!;
      assert.equal(s.records, expected - counts[orgLog.id]!, 'everything but the denied account is loaded, the resumed objects included');
      assert.ok(ep.requests.some((r) => r.fault === 'truncate'));
      assert.equal((await totals(db)).stored, s.records);
    } finally {
      ep.faults.length = 0;
      rmSync(bad);
      db.close();
    }
  });

  it('cancelling mid-way leaves the dataset consistent and a re-run completes without duplicates', async () => {
    const db = await openDataset(join(work, 'cancel.duckdb'));
    try {
      const ac = new AbortController();
      let seen = 0;
      await assert.rejects(
        read(db, { accounts: [A], inventory: false, sources: ['s3://flowlens-logs-a/vpc', 's3://flowlens-logs-a/hive/AWSLogs/'], s3Concurrency: 1 }, {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.phase === 'flow-logs' && p.done !== undefined && ++seen === 2) ac.abort(new Error('user cancelled'));
          },
        }),
      );
      const mid = await totals(db);
      assert.equal(mid.stored, mid.recs, 'no half-loaded object');
      assert.ok(mid.stored < expected && mid.stored > 0);
      const named = { accounts: [A], inventory: false, sources: ['s3://flowlens-logs-a/vpc', 's3://flowlens-logs-a/hive/AWSLogs/'] };
      const s = await read(db, named);
      assert.deepEqual(s.issues, []);
      const want = FLOW_LOGS.filter((f) => f.account === A).reduce((n, f) => n + counts[f.id]!, 0);
      const t = await totals(db);
      assert.equal(t.stored, want);
      assert.equal(t.recs, want);
      assert.equal((await read(db, named)).records, 0, 'user-named sources are idempotent too');
    } finally {
      db.close();
    }
  });

  it('Athena: reduces in Athena, shows the SQL and the scan, downloads the result file, and loads its rows as facts', async () => {
    const db = await openDataset(join(work, 'athena.duckdb'));
    try {
      const before = ep.requests.filter((r) => r.op === 'GetQueryResults').length;
      const files = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.csv')).length;
      const s = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } });
      assert.deepEqual(s.issues, []);
      assert.equal(s.athenaSql.length, 1);
      const columns = (await athenaDb.all<{ column_name: string }>('DESCRIBE flowlogs.vpc_flow_logs')).map((c) => c.column_name);
      // (the account asked for on the records' account_id column: the table has no account key)
      assert.equal(s.athenaSql[0], reductionSql({ table: '"flowlogs"."vpc_flow_logs"', since: WINDOW.since, until: WINDOW.until, columns, partitions: [`"account_id" IN ('${A}')`] }));
      assert.ok(s.athenaSql[0]!.includes('tcp_flags AS flags'), 'the table has tcp_flags: the reduction orients by them');
      assert.deepEqual(ep.athenaQueries.at(-1), s.athenaSql[0]);
      const a = s.sources[0]!.athena!;
      assert.equal(a.estimatedBytes, bucketBytes, 'estimated from the sizes of the objects under the table location');
      assert.equal(a.scannedBytes, bucketBytes, 'scanned, from the query statistics');
      assert.ok(a.rows > 7, `${a.rows} rows`);
      assert.equal(ep.requests.filter((r) => r.op === 'GetQueryResults').length, before, 'no page asked for');
      const got = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.csv'));
      assert.equal(got.length, files + 1, 'the result file, downloaded once');
      assert.equal(s.sources[0]!.bytes, statSync(join(estate, 'flowlogs', 'athena-results', got.at(-1)!.key!)).size, 'its bytes, as downloaded');
      const want = await athenaDb.one<{ b: bigint; n: bigint }>("SELECT sum(bytes) AS b, count(*) AS n FROM flow_records WHERE log_status = 'OK'");
      const stored = await db.one<{ b: bigint; n: bigint; rows: bigint }>('SELECT sum(bytes_up + bytes_down) AS b, sum(records) AS n, count(*) AS rows FROM athena_reduced');
      assert.equal(stored!.b, want!.b, 'the rows carry every byte');
      assert.equal(stored!.n, want!.n, 'and stand for every record');
      assert.equal(Number(stored!.rows), a.rows);
      assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM flow_records'))!.n), 0, 'not disguised as flow records');
      const enriched = await db.one<{ b: bigint }>('SELECT sum(uploaded + downloaded) AS b FROM conversations');
      assert.ok(Number(enriched!.b) > 0 && Number(enriched!.b) <= Number(want!.b), 'enriched as facts (a flow logged at both ends counted once)');
      const again = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } });
      assert.equal(again.records, 0, 'the same window adds nothing');
    } finally {
      db.close();
    }
  });

  it('Athena: with an output location the rows come down as the Parquet files of an UNLOAD, and give the rows of the CSV result', async () => {
    const csv = await openDataset(join(work, 'athena-csv.duckdb'));
    const pq = await openDataset(join(work, 'athena-parquet.duckdb'));
    try {
      const output = 's3://athena-results/flowlens/';
      const c = await read(csv, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, outputLocation: output, resultFormat: 'csv' } });
      assert.deepEqual(c.issues, []);
      assert.ok(!ep.athenaQueries.at(-1)!.startsWith('UNLOAD'), 'the CSV result asked for: a plain SELECT');
      const parquetBefore = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.parquet')).length;
      const csvBefore = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.csv')).length;
      const pagesBefore = ep.requests.filter((r) => r.op === 'GetQueryResults').length;
      const p = await read(pq, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, outputLocation: output } });
      assert.deepEqual(p.issues, []);
      const sent = ep.athenaQueries.at(-1)!;
      const m = /^UNLOAD \(\n([\s\S]*)\n\) TO '(s3:\/\/athena-results\/flowlens\/flowlens-unload\/[0-9a-f-]{36}\/)' WITH \(format = 'PARQUET'\)$/.exec(sent);
      assert.ok(m, sent.slice(0, 200));
      assert.equal(m[1], c.athenaSql[0], 'the same reduction, unloaded to a folder of its own');
      assert.equal(p.athenaSql[0], sent, 'the statement shown is the one that ran');
      const got = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.parquet')).slice(parquetBefore);
      assert.equal(got.length, 2, 'both files Athena wrote, downloaded');
      assert.ok(got.every((r) => r.key!.startsWith(m[2]!.replace('s3://athena-results/', ''))));
      assert.equal(ep.requests.filter((r) => r.op === 'GetObject' && r.key?.endsWith('.csv')).length, csvBefore, 'no CSV downloaded');
      assert.equal(ep.requests.filter((r) => r.op === 'GetQueryResults').length, pagesBefore, 'no page asked for');
      assert.equal(p.sources[0]!.bytes, got.reduce((n, r) => n + statSync(join(estate, 'flowlogs', 'athena-results', r.key!)).size, 0), 'the bytes downloaded are the files\'');
      const rowsOf = (db: Db) => db.json(`SELECT * EXCLUDE (file_id) FROM athena_reduced ORDER BY ALL`);
      assert.equal(p.sources[0]!.athena!.rows, c.sources[0]!.athena!.rows);
      assert.deepEqual(await rowsOf(pq), await rowsOf(csv), 'the same rows as the CSV result, value for value');
      const facts = (db: Db) => db.json(`SELECT * FROM conversations ORDER BY ALL`);
      assert.deepEqual(await facts(pq), await facts(csv), 'and the same conversations');
      const again = await read(pq, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, outputLocation: output } });
      assert.deepEqual(again.issues, []);
      assert.equal(again.records, 0, 'the same window again adds nothing (another folder, the same rows)');
      // no location given: the workgroup's (GetWorkGroup), when it sets one
      ep.athenaEngine!.workgroupOutput = { analysts: 's3://athena-results/analysts' };
      const wg = await openDataset(join(work, 'athena-workgroup.duckdb'));
      try {
        const w = await read(wg, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, workgroup: 'analysts' } });
        assert.deepEqual(w.issues, []);
        assert.match(ep.athenaQueries.at(-1)!, /\) TO 's3:\/\/athena-results\/analysts\/flowlens-unload\/[0-9a-f-]{36}\/' WITH \(format = 'PARQUET'\)$/);
        assert.deepEqual(await rowsOf(wg), await rowsOf(csv));
      } finally {
        delete ep.athenaEngine!.workgroupOutput;
        wg.close();
      }
    } finally {
      csv.close();
      pq.close();
    }
  });

  it('Athena: refuses to run a query estimated above --max-scan, and names the estimate', async () => {
    const db = await openDataset(join(work, 'athena-max.duckdb'));
    try {
      const started = ep.athenaQueries.length;
      const s = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, maxScanBytes: bucketBytes - 1 } });
      assert.equal(ep.athenaQueries.length, started, 'nothing was started');
      assert.equal(s.issues.length, 1);
      assert.equal(s.issues[0]!.code, 'ScanLimit');
      assert.equal(s.issues[0]!.message, `the query would scan about ${formatBytes(bucketBytes)} (billed as Athena's 10.0 MiB minimum: $0.000052 at $5/TB), more than the limit of ${formatBytes(bucketBytes - 1)}; nothing was run (narrow the window, or raise the limit)`);
      const ok = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10, maxScanBytes: bucketBytes } });
      assert.deepEqual(ok.issues, []);
      assert.ok(ok.records > 0);
      const unknown = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.unlocated'], athena: { pollMs: 10, maxScanBytes: 1e12 } });
      assert.equal(ep.athenaQueries.length, started + 1, 'a scan that cannot be estimated does not run under a limit');
      assert.deepEqual(unknown.issues.map((i) => [i.code, i.message]), [['ScanNotEstimated',
        'the bytes this query would scan cannot be estimated (no S3 location or listing), so the scan limit of 931 GiB cannot be checked; nothing was run (with no limit it runs: --max-scan unset, or flowlens.athena.confirmScanAbove empty)']]);
    } finally {
      db.close();
    }
  });

  it('Athena: no such table: the DDL for each S3 flow log of the account, with partition projection, shown and not run', async () => {
    const db = await openDataset(join(work, 'athena-ddl.duckdb'));
    try {
      const started = ep.athenaQueries.length;
      const made = catalog.made.length;
      const s = await read(db, { accounts: [A], sources: ['athena:flowlogs.missing'], athena: { pollMs: 10 } });
      assert.equal(ep.athenaQueries.length, started, 'nothing was run');
      assert.equal(catalog.made.length, made, 'nothing was created');
      assert.equal(ep.requests.filter((r) => r.op === 'GetDatabase').length, 0, 'not even asked whether the database exists');
      const issue = s.issues.find((i) => i.code === 'NoSuchTable');
      assert.ok(issue, JSON.stringify(s.issues));
      const ddl = s.sources.find((x) => x.kind === 'athena')!.athena!.ddl!;
      const s3Logs = FLOW_LOGS.filter((f) => f.account === A && f.bucket);
      assert.equal(ddl.length, s3Logs.length);
      assert.match(issue.message, new RegExp(`create it in Athena with the statement shown \\(AWS's DDL for the ${s3Logs.length} S3 flow logs of account ${A}, with partition projection\\), then read it again`));
      assert.ok(ddl.some((d) => d.includes("LOCATION 's3://flowlens-logs-a/vpc/AWSLogs/111111111111/vpcflowlogs/'")), ddl.join('\n\n'));
      assert.ok(ddl.some((d) => d.includes("LOCATION 's3://flowlens-logs-a/hive/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/'")), ddl.join('\n\n'));
      assert.ok(ddl.every((d) => d.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`missing` (')));
      const printed = formatAcquireSummary(s);
      for (const d of ddl) {
        assert.ok(printed.includes(`Athena table to create for athena://AwsDataCatalog/flowlogs/missing (run it in Athena, or let Flowlens run it: --create-athena-table; then read the source again):\n${d}`), printed);
      }
      assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 0);
    } finally {
      db.close();
    }
  });

  it('Athena: no such table, asked to create it: the database is made, then the table (AWS\'s DDL), and it is read in the same run as an existing table is', async () => {
    // the user's own profile (allowed to create tables), not the read-only role; one region: one S3 flow log, one DDL
    const own: Partial<AwsSource> = { accounts: undefined, regions: ['us-east-1'], sources: ['athena:flowlens_new.vpc_flow_logs'] };
    const made = catalog.made.length;
    const starts = ep.athenaStarts.length;
    const created = await openDataset(join(work, 'athena-created.duckdb'));
    const existing = await openDataset(join(work, 'athena-existing.duckdb'));
    try {
      const s = await read(created, { ...own, athena: { pollMs: 10, workgroup: 'analysts', createTable: true } });
      assert.deepEqual(s.issues, []);
      const rep = s.sources.find((x) => x.kind === 'athena')!;
      const ran = rep.athena!.created!;
      assert.equal(ran.length, 2, ran.join('\n\n'));
      assert.equal(ran[0], 'CREATE DATABASE IF NOT EXISTS `flowlens_new`', 'the database did not exist: made first');
      assert.ok(ran[1]!.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `flowlens_new`.`vpc_flow_logs` (\n'), ran[1]);
      assert.ok(ran[1]!.includes("LOCATION 's3://flowlens-logs-a/vpc/AWSLogs/111111111111/vpcflowlogs/'"), 'the us-east-1 flow log\'s bucket and layout');
      assert.ok(ran[1]!.includes("'projection.enabled' = 'true'"), 'with partition projection');
      assert.deepEqual(catalog.made.slice(made), ran, 'what Athena made is what was shown');
      assert.deepEqual(s.athenaSql.slice(0, 2), ran, 'the summary shows the DDL that ran');
      // in the workgroup the source is read in; CREATE DATABASE outside the database it makes
      const sent = ep.athenaStarts.slice(starts);
      assert.deepEqual(sent.slice(0, 2).map((x) => [x.QueryString, x.WorkGroup, x.QueryExecutionContext]), [
        [ran[0], 'analysts', {}], [ran[1], 'analysts', { Database: 'flowlens_new' }]]);
      assert.ok(formatAcquireSummary(s).includes('Athena athena://AwsDataCatalog/flowlens_new/vpc_flow_logs: the table was created (the statements above), then read'));
      assert.ok(rep.records > 0 && rep.athena!.rows > 0, 'read in the same run');
      assert.match(s.athenaSql[2]!, /FROM "flowlens_new"\."vpc_flow_logs"/);
      assert.match(s.athenaSql[2]!, /"region" IN \('us-east-1'\)/, 'its projected partitions pruned');
      // the same source read again, into another dataset, as an existing table (nothing created)
      const e = await read(existing, { ...own, athena: { pollMs: 10, workgroup: 'analysts', createTable: true } });
      assert.deepEqual(e.issues, []);
      assert.equal(e.sources.find((x) => x.kind === 'athena')!.athena!.created, undefined);
      assert.equal(catalog.made.length, made + 2, 'nothing made again');
      assert.equal(e.records, s.records);
      const rowsOf = (db: Db) => db.json(`SELECT * EXCLUDE (file_id) FROM athena_reduced ORDER BY ALL`);
      assert.deepEqual(await rowsOf(created), await rowsOf(existing), 'the same rows');
      const facts = (db: Db) => db.json(`SELECT * FROM conversations ORDER BY ALL`);
      assert.deepEqual(await facts(created), await facts(existing), 'and the same conversations');
    } finally {
      created.close();
      existing.close();
    }
  });

  it("Athena: the editor's request creates the table a run showed, with that run's credentials and workgroup; any other statement is refused", async () => {
    const db = await openDataset(join(work, 'athena-editor.duckdb'));
    try {
      const source: AwsSource = { ...base, accounts: undefined, regions: ['us-east-1'], sources: ['athena:flowlogs.made_by_editor'], athena: { pollMs: 10, workgroup: 'analysts' } };
      const s = await read(db, source);
      const rep = s.sources.find((x) => x.kind === 'athena')!;
      const [ddl] = rep.athena!.ddl!;
      const request = { source, table: rep.source, account: rep.account, region: rep.region, ddl: ddl! };
      const made = catalog.made.length;
      const tampered = await createAthenaTableFor({ ...request, ddl: `${ddl}; DROP TABLE flowlogs.vpc_flow_logs` });
      assert.equal(tampered.created, false);
      assert.equal(tampered.issue?.code, 'NotTheTableDdl');
      assert.equal(catalog.made.length, made, 'nothing run');
      const said: string[] = [];
      const r = await createAthenaTableFor(request, { onProgress: (p) => said.push(p.message) });
      assert.deepEqual({ ...r, principal: undefined }, {
        source: 'athena://AwsDataCatalog/flowlogs/made_by_editor', account: A, region: 'us-east-1', catalog: 'AwsDataCatalog', database: 'flowlogs', table: 'made_by_editor',
        workgroup: 'analysts', principal: undefined, statements: [ddl], created: true,
      });
      assert.equal(r.principal, `arn:aws:iam::${A}:user/tester`, 'the principal that ran it');
      assert.deepEqual(catalog.made.slice(made), [ddl], 'the database exists: only the table made');
      assert.equal(ep.athenaStarts.at(-1)!.WorkGroup, 'analysts');
      assert.ok(said.some((m) => m.startsWith(`Athena flowlogs.made_by_editor: running in workgroup analysts (account ${A}, us-east-1) as arn:aws:iam::${A}:user/tester:\nCREATE EXTERNAL TABLE`)), said.join('\n'));
      const again = await read(db, source);
      assert.deepEqual(again.issues, []);
      assert.ok(again.records > 0, 'read again, the table is there');
    } finally {
      db.close();
    }
  });

  it('Athena: a result file that cannot be read (AccessDenied on the results bucket) is read page by page, the same rows, and it says so', async () => {
    const byFile = await openDataset(join(work, 'athena-file.duckdb'));
    const byPages = await openDataset(join(work, 'athena-pages.duckdb'));
    const said: string[] = [];
    try {
      const f = await read(byFile, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } });
      assert.deepEqual(f.issues, []);
      const before = ep.requests.filter((r) => r.op === 'GetQueryResults').length;
      ep.faults.push({ kind: 'access-denied', service: 's3', op: 'GetObject', key: '.csv' });
      const p = await read(byPages, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } },
        { onProgress: (x) => said.push(x.message) });
      assert.deepEqual(p.issues, []);
      assert.ok(said.some((m) => /^Athena flowlogs\.vpc_flow_logs: cannot read the result file s3:\/\/athena-results\/q-[0-9a-f]+\.csv \(AccessDenied.*\); reading the result page by page$/.test(m)), said.join('\n'));
      const rows = p.sources[0]!.athena!.rows;
      assert.equal(rows, f.sources[0]!.athena!.rows);
      assert.equal(ep.requests.filter((r) => r.op === 'GetQueryResults').length - before, Math.ceil((rows + 1) / 7), 'every page read (7 rows a page, the header first)');
      const facts = 'SELECT count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down, sum(records) AS r FROM athena_reduced';
      assert.deepEqual(await byPages.json(facts), await byFile.json(facts), 'the same rows either way');
    } finally {
      ep.faults.length = 0;
      byFile.close();
      byPages.close();
    }
  });

  it("Athena: the workgroup, output location and result reuse are asked for; a kept result answers the same query without a scan", async () => {
    const settings = { pollMs: 10, workgroup: 'analysts', outputLocation: 's3://athena-results/flowlens/', reuseMinutes: 60 };
    const first = await openDataset(join(work, 'athena-reuse-1.duckdb'));
    const second = await openDataset(join(work, 'athena-reuse-2.duckdb'));
    try {
      const a = await read(first, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } });
      assert.deepEqual(a.issues, []);
      assert.equal(ep.athenaStarts.at(-1)!.ResultReuseConfiguration, undefined, 'no reuse unless asked');
      const b = await read(second, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: settings });
      assert.deepEqual(b.issues, []);
      const start = ep.athenaStarts.at(-1)!;
      assert.equal(start.WorkGroup, 'analysts');
      assert.deepEqual(start.ResultConfiguration, { OutputLocation: 's3://athena-results/flowlens/' });
      assert.deepEqual(start.ResultReuseConfiguration, { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 } });
      const [sa, sb] = [a.sources[0]!.athena!, b.sources[0]!.athena!];
      assert.deepEqual([sa.scannedBytes, sa.reused], [bucketBytes, undefined]);
      assert.deepEqual([sb.scannedBytes, sb.scannedUsd, sb.reused, sb.rows], [0, 0, true, sa.rows], 'the kept result: nothing scanned, the same rows');
      assert.match(athenaScanLine(sb), /, scanned 0 B \(\$0\.00\) at \$5\/TB \(a result Athena kept of the same query, reused\); /);
      const facts = 'SELECT count(*) AS n, sum(uploaded + downloaded) AS b FROM conversations';
      assert.deepEqual(await second.json(facts), await first.json(facts), 'the same facts from the kept result');
    } finally {
      first.close();
      second.close();
    }
  });

  it("Athena: a Hive-layout table's scan is estimated from the objects of the partitions the query keeps, not the whole table", async () => {
    // two accounts, three regions, three days, hourly: the query keeps 22:00-23:59 on the 31st and 00:00-03:59 on
    // the 1st (records to 03:00, delivered up to an hour later) in the two regions asked, of the account asked
    const bucket = join(estate, 'flowlogs', 'flowlens-hive-table');
    let inWindow = 0;
    let whole = 0;
    let n = 0;
    for (const account of [A, B]) {
      for (const region of [...REGIONS, 'ap-southeast-2']) {
        for (const [day, hours] of [['2026/08/31', [0, 21, 22, 23]], ['2026/09/01', [0, 1, 3, 4, 12]], ['2026/09/02', [0, 1]]] as const) {
          for (const hour of hours) {
            const [y, m, d] = day.split('/');
            const h = String(hour).padStart(2, '0');
            const dir = join(bucket, 'logs', 'AWSLogs', `aws-account-id=${account}`, 'aws-service=vpcflowlogs', `aws-region=${region}`, `year=${y}`, `month=${m}`, `day=${d}`, `hour=${h}`);
            mkdirSync(dir, { recursive: true });
            const size = 1000 + 37 * n++;
            writeFileSync(join(dir, `${account}_vpcflowlogs_${region}_fl-0hive_${y}${m}${d}T${h}00Z_${n}.log.gz`), Buffer.alloc(size, 7));
            whole += size;
            const kept = account === A && REGIONS.includes(region) && ((day === '2026/08/31' && hour >= 22) || (day === '2026/09/01' && hour <= 3));
            if (kept) inWindow += size;
          }
        }
      }
    }
    const db = await openDataset(join(work, 'athena-hive.duckdb'));
    try {
      const since = new Date('2026-08-31T22:00:00Z');
      const s = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.hive_logs'], since: since.toISOString(), until: WINDOW.until.toISOString(), athena: { pollMs: 10 } });
      assert.deepEqual(s.issues, []);
      const a = s.sources[0]!.athena!;
      assert.deepEqual(a.partitions, ['aws-region (region)', 'year/month/day/hour (Hive-style date and hour)', 'aws-account-id (account)']);
      assert.equal(a.estimatedBytes, inWindow, `the window's partitions (${inWindow} bytes), not the table's ${whole}`);
      assert.ok(whole > 6 * inWindow);
      assert.ok(s.athenaSql[0]!.includes(`AND ("aws-account-id" IN ('${A}'))`), s.athenaSql[0]);
      assert.ok(s.athenaSql[0]!.includes(`("year" = '2026' AND "month" = '08' AND "day" = '31' AND "hour" IN ('22', '23'))`), s.athenaSql[0]);
      // the predicates ran: every record of the window, none outside it
      const want = await athenaDb.one<{ b: bigint }>("SELECT sum(bytes) AS b FROM flow_records WHERE log_status = 'OK'");
      assert.equal((await db.one<{ b: bigint }>('SELECT sum(bytes_up + bytes_down) AS b FROM athena_reduced'))!.b, want!.b);
    } finally {
      db.close();
    }
  });

  it('Athena: a window ending now stops before the delivery lag, says where and why, and the next Refresh reads the rest once', async () => {
    const credentials = async () => ({ accessKeyId: BASE_USER.accessKeyId, secretAccessKey: BASE_USER.secretAccessKey });
    const settings = { env: { AWS_ENDPOINT_URL: ep.url } };
    const athena = new AthenaClient(clientConfig('ATHENA', 'us-east-1', credentials, settings));
    const s3 = new S3Client(clientConfig('S3', 'us-east-1', credentials, settings));
    const src = parseSourceSpec('athena:flowlogs.vpc_flow_logs', A, 'us-east-1', REGIONS) as AthenaSource;
    const whole = await openDataset(join(work, 'athena-settle-whole.duckdb'));
    const parts = await openDataset(join(work, 'athena-settle-parts.duckdb'));
    const sums = 'SELECT count(*) AS n, sum(records) AS r, sum(bytes_up + bytes_down) AS b FROM athena_reduced';
    const said: string[] = [];
    try {
      const run = (db: Db, since: Date, until: Date, now: Date) => readAthenaSource(db, athena, src, { pollMs: 10, since, until, now, regions: REGIONS, s3, onProgress: (m) => said.push(m) });
      const all = await run(whole, WINDOW.since, WINDOW.until, new Date('2026-09-02T00:00:00Z'));
      assert.deepEqual([all.issues, all.athena!.until, all.athena!.settleMinutes], [[], WINDOW.until.toISOString(), undefined], 'a window long past: read to its end');
      // "now" is 01:05: the window asked ends now, the one read 10 minutes before
      const now = new Date('2026-09-01T01:05:00Z');
      const first = await run(parts, WINDOW.since, now, now);
      assert.deepEqual(first.issues, []);
      assert.deepEqual([first.athena!.until, first.athena!.settleMinutes], ['2026-09-01T00:55:00.000Z', SETTLE_MINUTES]);
      assert.ok(said.includes('Athena flowlogs.vpc_flow_logs: the window ends at 2026-09-01 00:55Z, not at 2026-09-01 01:05Z: flow logs reach S3 about 10 minutes '
        + 'after their capture window, so the last 10 minutes are left for the next run (Refresh), which reads them once delivered'), said.join('\n'));
      assert.match(athenaScanLine(first.athena!), /; window read to 2026-09-01 00:55Z \(the last 10 minutes, still being delivered to S3, are left for the next run\)$/);
      assert.ok(first.sql!.includes(`${Date.parse('2026-09-01T00:55:00Z') / 1000}`), 'the query stops there');
      const upTo = await athenaDb.one<{ n: bigint }>(`SELECT count(*) AS n FROM flow_records WHERE coalesce(log_status, 'OK') = 'OK' AND "start" < ${Date.parse('2026-09-01T00:55:00Z') / 1000}`);
      assert.equal(BigInt((await parts.one<{ r: bigint }>(sums))!.r), upTo!.n, 'the records that started before 00:55, and no later one');
      // the editor remembers the window as read, and its Refresh (now 03:20) goes on from there
      const asked: EnrichRequest = { source: { ...base, sources: ['athena:flowlogs.vpc_flow_logs'], since: WINDOW.since.toISOString(), until: now.toISOString() } };
      const next = refreshRequest(storableRequest(requestAsRead(asked, { sources: [first] })), new Date('2026-09-01T03:20:00Z'));
      assert.ok(next.source.kind === 'aws');
      assert.equal(next.source.since, '2026-09-01T00:55:00.000Z');
      const second = await run(parts, new Date(next.source.since as string), new Date(next.source.until!), new Date('2026-09-01T03:20:00Z'));
      assert.deepEqual([second.issues, second.athena!.until], [[], '2026-09-01T03:10:00.000Z']);
      assert.deepEqual(await parts.json(sums), await whole.json(sums), 'every record once: the two windows give the whole window\'s sums');
      // a Refresh within the lag reads nothing and runs nothing; the window stays where it was
      const started = ep.athenaQueries.length;
      const none = await run(parts, new Date('2026-09-01T03:10:00Z'), new Date('2026-09-01T03:15:00Z'), new Date('2026-09-01T03:15:00Z'));
      assert.deepEqual([none.issues, none.athena!.until, ep.athenaQueries.length], [[], '2026-09-01T03:10:00.000Z', started]);
    } finally {
      athena.destroy();
      s3.destroy();
      whole.close();
      parts.close();
    }
  });

  it("Athena: the editor's Refresh of an Athena dataset counts each record once (no overlap with the window read before)", async () => {
    const athena = { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } };
    const whole = await openDataset(join(work, 'athena-refresh-whole.duckdb'));
    const parts = await openDataset(join(work, 'athena-refresh-parts.duckdb'));
    const facts = 'SELECT count(*) AS n, sum(uploaded + downloaded) AS b FROM conversations';
    try {
      await read(whole, athena);
      // the first run ends at 01:05, inside the records of 01:00-01:10; Refresh goes on from there to the window's end
      const first: EnrichRequest = { source: { ...base, ...athena, role: 'FlowLogIntrospector', since: WINDOW.since.toISOString(), until: '2026-09-01T01:05:00.000Z' } };
      await enrich(parts, first);
      const again = refreshRequest(storableRequest(first), WINDOW.until, EXTERNAL_ID); // the external id from the settings, as the editor does
      assert.equal(again.source.kind === 'aws' && again.source.since, '2026-09-01T01:05:00.000Z');
      await enrich(parts, again);
      assert.deepEqual(await parts.json(facts), await whole.json(facts));
    } finally {
      whole.close();
      parts.close();
    }
  });

  it("Athena: a table whose definition cannot be read (AccessDenied) is reduced as AWS's default format, and it says so", async () => {
    const db = await openDataset(join(work, 'athena-denied.duckdb'));
    const said: string[] = [];
    try {
      const s = await read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.denied'], athena: { pollMs: 10 } },
        { onProgress: (p) => said.push(p.message) });
      assert.deepEqual(s.issues, []);
      assert.ok(said.some((m) => m.startsWith(`Athena flowlogs.denied: cannot read its columns (User: arn:aws:sts::${A}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: glue:GetTable`)
        && m.endsWith("); assuming the default format's, no tcp_flags")), said.join('\n'));
      assert.equal(s.athenaSql[0], reductionSql({ table: '"flowlogs"."denied"', since: WINDOW.since, until: WINDOW.until, columns: REQUIRED_COLUMNS, partitions: [`"account_id" IN ('${A}')`] }));
      assert.ok(!s.athenaSql[0]!.includes('tcp_flags'), 'oriented by port ranks');
      const a = s.sources[0]!.athena!;
      assert.deepEqual([a.partitions, a.estimatedBytes], [[], undefined]);
      assert.ok(a.rows > 0);
      const want = await athenaDb.one<{ b: bigint }>("SELECT sum(bytes) AS b FROM flow_records WHERE log_status = 'OK'");
      assert.equal((await db.one<{ b: bigint }>('SELECT sum(bytes_up + bytes_down) AS b FROM athena_reduced'))!.b, want!.b, 'every byte');
    } finally {
      db.close();
    }
  });

  it('Athena: a cancel stops the running query (StopQueryExecution) and loads nothing', async () => {
    const db = await openDataset(join(work, 'athena-cancel.duckdb'));
    ep.athenaEngine!.runningPolls = 1_000_000; // it runs until stopped
    try {
      const stops = ep.requests.filter((r) => r.op === 'StopQueryExecution').length;
      const polls = ep.requests.filter((r) => r.op === 'GetQueryExecution').length;
      const ac = new AbortController();
      const watch = setInterval(() => {
        if (ep.requests.filter((r) => r.op === 'GetQueryExecution').length >= polls + 3) ac.abort();
      }, 5);
      await assert.rejects(read(db, { accounts: [A], inventory: false, sources: ['athena:flowlogs.vpc_flow_logs'], athena: { pollMs: 10 } }, { signal: ac.signal }));
      clearInterval(watch);
      assert.equal(ep.requests.filter((r) => r.op === 'StopQueryExecution').length, stops + 1);
      assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 0);
      assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM ingest_files'))!.n), 0);
    } finally {
      ep.athenaEngine!.runningPolls = 1;
      db.close();
    }
  });

  it('no credential, token or MFA code reaches any file produced', () => {
    const secrets = [...home.secrets, ...ep.issuedSecrets];
    assert.ok(ep.issuedSecrets.length > 0);
    for (const f of allFiles(work)) {
      if (!statSync(f).isFile()) continue;
      const bytes = readFileSync(f);
      for (const s of secrets) assert.equal(bytes.indexOf(s), -1, `${f} contains a secret`);
    }
  });
});
