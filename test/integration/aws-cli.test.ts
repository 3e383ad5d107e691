/**
 * End to end through the CLI against the local AWS endpoint serving the sample estate: a real
 * `flowlens enrich --profile … --role … --accounts … --regions …` process, real credential files in a
 * temporary HOME, the SDK speaking the wire protocols; the enrichment must equal the estate's truth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db, lit } from '../../src/core/store/db';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { formatBytes } from '../../src/core/format';
import { BASE_USER, EXTERNAL_ID, localAwsEnv, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

const CLI = join(__dirname, '..', '..', 'src', 'cli.js');
const START = '2026-09-29T00:00:00Z';
let dir: string;
let home: TempHome;
let ep: AwsEndpoint;
let manifest: SampleManifest;
let athenaDb: Db;
let bucketBytes = 0;
const BUCKET = 'flowlens-sample-flowlogs-111111111111';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-aws-cli-'));
  manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 5, days: 1, start: START, scale: 0.3 });
  home = makeTempHome();
  ep = await startAwsEndpoint({
    estateDir: join(dir, 'estate'),
    users: [BASE_USER],
    roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }],
    pageSize: 50,
    athena: {
      // Athena: a table over the shop account's bucket, run in DuckDB
      run: async (sql) => {
        const rows = await athenaDb.json(sql);
        const cols = rows.length ? Object.keys(rows[0]!) : [];
        return { columns: cols.map((c) => ({ name: c, type: 'varchar' })), rows: rows.map((r) => cols.map((c) => (r[c] === null ? null : String(r[c])))), scannedBytes: bucketBytes };
      },
      table: async (t) => (t.database === 'flowlogs' && t.table === 'shop'
        ? { columns: (await athenaDb.all<{ column_name: string; column_type: string }>('DESCRIBE flowlogs.shop')).map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })),
            parameters: { location: `s3://${BUCKET}/` } }
        : undefined),
    },
  });
  const bucket = join(dir, 'estate', 'flowlogs', BUCKET);
  athenaDb = await openDataset(':memory:');
  await ingestFiles(athenaDb, [bucket]);
  await athenaDb.exec('CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.shop AS SELECT * FROM flow_records');
  bucketBytes = allFiles(bucket).reduce((n, f) => n + statSync(f).size, 0);
});

after(async () => {
  athenaDb?.close();
  await ep?.close();
  home?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...localAwsEnv(home, ep.url) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(d, e.name)) : [join(d, e.name)]));
}

test('flowlens enrich --profile --role --accounts --regions equals the sample estate truth', async () => {
  const db = join(dir, 'aws.duckdb');
  const issuedBefore = ep.issuedSecrets.length;
  const r = await run(['enrich', '--profile', 'base', '--role', 'FlowLogIntrospector', '--external-id', EXTERNAL_ID,
    '--accounts', manifest.accounts.join(','), '--regions', manifest.regions.join(','),
    '--since', START, '--until', '2026-09-30T00:00:00Z', '--dump-dir', join(dir, 'dumps'), '--db', db, '--quiet']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /conversations/);

  const d = await Db.open(db, { readOnly: true });
  try {
    await d.exec(`CREATE TEMP TABLE truth AS SELECT * FROM read_json(${lit(join(manifest.truthDir, 'conversations.jsonl'))}, format = 'newline_delimited')`);
    const [c] = await d.json<{ truth: number; matched: number; extra: number; wrong: number }>(`
      SELECT count(t.start) AS truth,
             count(*) FILTER (WHERE t.start IS NOT NULL AND c.start IS NOT NULL) AS matched,
             count(*) FILTER (WHERE t.start IS NULL) AS extra,
             count(*) FILTER (WHERE t.start IS NOT NULL AND c.start IS NOT NULL AND (
               t.client.arn IS DISTINCT FROM c.client_arn OR t.server.arn IS DISTINCT FROM c.server_arn
               OR t.client.type IS DISTINCT FROM c.client_type OR t.server.type IS DISTINCT FROM c.server_type
               OR t.client.az IS DISTINCT FROM c.client_az OR t.server.az IS DISTINCT FROM c.server_az
               OR t.uploaded <> c.uploaded OR t.downloaded <> c.downloaded OR t.egressPath <> c.egress_path)) AS wrong
      FROM truth t FULL OUTER JOIN conversations c
        ON c.protocol = t.protocol AND c.client_addr = t.client.addr AND c.client_port = t.client.port
       AND c.server_addr = t.server.addr AND c.server_port = t.server.port AND c.start // 60 * 60 = t.start`);
    assert.ok(c.truth > 100, JSON.stringify(c));
    if (c.wrong > 0) {
      const ex = await d.json(`SELECT t.client.arn AS tca, c.client_arn, t.server.arn AS tsa, c.server_arn, t.client.type AS tct, c.client_type,
          t.server.type AS tst, c.server_type, t.client.az AS tcz, c.client_az, t.server.az AS tsz, c.server_az, t.uploaded, c.uploaded AS cu,
          t.downloaded, c.downloaded AS cd, t.egressPath, c.egress_path
        FROM truth t JOIN conversations c
          ON c.protocol = t.protocol AND c.client_addr = t.client.addr AND c.client_port = t.client.port
         AND c.server_addr = t.server.addr AND c.server_port = t.server.port AND c.start // 60 * 60 = t.start
        WHERE t.client.arn IS DISTINCT FROM c.client_arn OR t.server.arn IS DISTINCT FROM c.server_arn
               OR t.client.type IS DISTINCT FROM c.client_type OR t.server.type IS DISTINCT FROM c.server_type
               OR t.client.az IS DISTINCT FROM c.client_az OR t.server.az IS DISTINCT FROM c.server_az
               OR t.uploaded <> c.uploaded OR t.downloaded <> c.downloaded OR t.egressPath <> c.egress_path LIMIT 3`);
      assert.fail(`${c.wrong} conversations differ from the truth, e.g. ${JSON.stringify(ex)}`);
    }
    assert.deepEqual(c, { truth: c.truth, matched: c.truth, extra: 0, wrong: 0 });
  } finally {
    d.close();
  }

  // Nothing the run wrote or printed holds a key: neither the profile's static keys nor the session credentials
  // (key id, secret, token) the endpoint issued to this run's AssumeRole calls.
  assert.ok(issuedBefore < ep.issuedSecrets.length, 'the run assumed the role: session credentials were issued');
  const secrets = [...home.secrets, ...ep.issuedSecrets.slice(issuedBefore)];
  const produced = [db, `${db}.wal`, ...allFiles(join(dir, 'dumps'))].filter((f) => { try { return statSync(f).isFile(); } catch { return false; } });
  for (const [where, text] of [...produced.map((f) => [f, readFileSync(f).toString('latin1')]), ['stdout', r.stdout], ['stderr', r.stderr]]) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${where} holds a secret`);
  }
});

test('flowlens enrich --source athena:… shows the estimated and the actual scan in bytes and dollars; --max-scan refuses above it', async () => {
  const args = (db: string, ...more: string[]) => ['enrich', '--profile', 'base', '--role', 'FlowLogIntrospector', '--external-id', EXTERNAL_ID,
    '--accounts', '111111111111', '--regions', 'us-east-1', '--since', START, '--until', '2026-09-30T00:00:00Z', '--no-inventory',
    '--source', 'athena:flowlogs.shop', '--db', db, '--quiet', ...more];
  const size = formatBytes(bucketBytes);
  const limit = formatBytes(bucketBytes - 1);
  const refused = await run(args(join(dir, 'athena-refused.duckdb'), '--max-scan', `${bucketBytes - 1}`));
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.ok(refused.stdout.includes(`athena account 111111111111 us-east-1 athena://AwsDataCatalog/flowlogs/shop: ScanLimit: the query would scan about ${size} (billed as Athena's 10.0 MiB minimum: $0.000052 at $5/TB), more than the limit of ${limit}; nothing was run (narrow the window, or raise the limit)`), refused.stdout);
  assert.ok(refused.stdout.includes('\nflowlogs.shop: not run (see below)\n'), refused.stdout);
  const usage = await run(args(join(dir, 'athena-usage.duckdb'), '--max-scan', 'lots'));
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--max-scan takes a size such as 10GB or 500MB, not "lots"/);

  const ok = await run(args(join(dir, 'athena.duckdb'), '--max-scan', '1GB', '--athena-window', '5m'));
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  // (under 10 MiB: billed as 10 MiB, which is said once, on the scan; before: "scanned 1.57 KiB ($0.000052)")
  assert.ok(ok.stdout.includes(`Athena athena://AwsDataCatalog/flowlogs/shop: estimated scan ${size} ($0.000052), scanned ${size} (billed as Athena's 10.0 MiB minimum: $0.000052) at $5/TB; `), ok.stdout);
  assert.match(ok.stdout, /; \d+ rows of 300-second windows; partitions none recognised\n/);
  // what the table returned, in rows and the flow records they stand for (before: "flow logs: 1 fetched, 0 skipped
  // (already loaded), 0 failed; … records, 0.0 MB from 1 sources", S3's words)
  assert.match(ok.stdout, /\nAthena returned \d+ rows \([\d,]+ flow records\) from flowlogs\.shop; [\d.]+ (B|KiB|MiB) of results downloaded\n/);
  assert.doesNotMatch(ok.stdout, /^flow logs: /m);
  const d = await Db.open(join(dir, 'athena.duckdb'), { readOnly: true });
  try {
    const [r] = await d.json<{ rows: number; windows: number; n: number }>(`SELECT (SELECT count(*) FROM athena_reduced) AS rows,
      (SELECT count(DISTINCT window_seconds) FROM athena_reduced) AS windows, (SELECT count(*) FROM windows_5m) AS n`);
    assert.ok(r!.rows > 0);
    assert.equal(r!.windows, 1);
    assert.ok(r!.n > 0, 'enriched into the windows');
  } finally {
    d.close();
  }
});
