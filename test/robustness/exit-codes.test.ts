/**
 * Issue 10, item 4: exit codes are 0 when everything asked was done, 1 when anything failed (--allow-partial
 * accepts partial success), 2 on usage. Real CLI processes, a real local AWS endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, fingerprint, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';
import { BASE_USER, EXTERNAL_ID, localAwsEnv, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { writeSampleEstate } from '../../src/core/sample/index';

let dir: string;
useTempDir('flowlens-robust-exit-', (d) => (dir = d));

test('local enrich exits 1 when a flow-log file failed, 0 with --allow-partial; a stray non-flow-log file is no failure', async () => {
  const flows = join(dir, 'partly');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'good.log'), [record()]);
  writeFileSync(join(flows, 'broken.log.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
  const inv = writeInventory(dir);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', join(dir, 'p1.duckdb'), '--quiet');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stderr, 'flowlens: 1 file failed to load (the others loaded); --allow-partial accepts that\n');
  assert.match(r.stdout, /: 1 flow record from 1 file, 1 conversation/);
  assert.match(r.stdout, /failed: .*broken\.log\.gz: /);
  const ok = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', join(dir, 'p2.duckdb'), '--quiet', '--allow-partial');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  const stray = join(dir, 'stray');
  mkdirSync(stray);
  writeFlowLog(join(stray, 'good.log'), [record()]);
  writeFileSync(join(stray, 'README.md'), '# Flow logs, collected by ops.\n');
  const s = flowlens(dir, 'enrich', '--flow-logs', stray, '--inventory', inv, '--db', join(dir, 'p3.duckdb'), '--quiet');
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.match(s.stdout, /failed: .*README\.md: not a flow-log file/);
  // named on the command line, it was meant to be read: a failure
  const named = flowlens(dir, 'enrich', '--flow-logs', join(stray, 'README.md'), '--inventory', inv, '--db', join(dir, 'p4.duckdb'), '--quiet');
  assert.equal(named.code, 1, named.stdout + named.stderr);
  assert.equal(named.stderr, 'flowlens: 1 file failed to load (nothing was loaded); --allow-partial accepts that\n');
  assert.match(named.stdout, /: 0 flow records from 0 files, 0 conversations/);
  assert.match(named.stdout, /failed: .*README\.md: not a flow-log file/);
});

test('a named pipe in a folder is reported and never read (its read would wait for ever); named, it fails; /dev/null too', async () => {
  const flows = join(dir, 'with-pipe');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'good.log'), [record()]);
  const pipe = join(flows, 'p.log');
  execFileSync('mkfifo', [pipe]);
  const inv = writeInventory(dir);
  const db = join(dir, 'pipe.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /: 1 flow record from 1 file, 1 conversation/);
  assert.ok(r.stdout.includes(`  failed: ${pipe}: not a flow-log file: ${pipe} is a named pipe (FIFO), not a file\n`), r.stdout);
  const before = await fingerprint(db);
  for (const [named, what] of [[pipe, 'a named pipe (FIFO)'], ['/dev/null', 'a character device']] as const) {
    const n = flowlens(dir, 'enrich', '--flow-logs', named, '--inventory', inv, '--db', db, '--quiet');
    assert.equal(n.code, 1, n.stdout + n.stderr);
    assert.equal(n.stderr, 'flowlens: 1 file failed to load (nothing was loaded); --allow-partial accepts that\n');
    assert.ok(n.stdout.includes(`  failed: ${named}: not a flow-log file: ${named} is ${what}, not a file\n`), n.stdout);
    assert.deepEqual(await fingerprint(db), before);
  }
});

test('a folder with no file in it is said (a wrong folder is not taken for nothing new); exit 0, nothing loaded', async () => {
  const empty = join(dir, 'no-logs-yet');
  mkdirSync(empty);
  const db = join(dir, 'empty-folder.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', empty, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `flowlens: no file under ${empty}\n`);
  assert.match(r.stdout, /: 0 flow records from 0 files, 0 conversations, /);
  // loaded before, its files are reports (already loaded): nothing is said
  writeFlowLog(join(empty, 'a.log'), [record()]);
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', empty, '--db', db, '--quiet').stderr, '');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', empty, '--db', db, '--quiet').stderr, '');
});

test('usage errors exit 2', () => {
  for (const args of [['enrich', '--db', join(dir, 'u.duckdb')], ['export', '--db', join(dir, 'u.duckdb'), '--format', 'xml'], ['sql', '--db', join(dir, 'u.duckdb')], ['--no-such-option']]) {
    const r = flowlens(dir, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('SQL that is not valid exits 2 with what DuckDB says of it, and the dataset is unchanged', async () => {
  const inv = writeInventory(dir);
  const flows = join(dir, 'sqlflows');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record()]);
  const db = join(dir, 's.duckdb');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
  const before = await fingerprint(db);
  const cases: [string, string][] = [
    ['SELEC 1', 'flowlens: the SQL is not valid: Parser Error: syntax error at or near "SELEC"\n'],
    ['SELECT nope FROM conversations', 'flowlens: the SQL is not valid: Binder Error: Referenced column "nope" not found in FROM clause!\n'],
    ['SELECT * FROM no_such_table', 'flowlens: the SQL is not valid: Catalog Error: Table with name no_such_table does not exist!\n'],
  ];
  for (const [sql, stderr] of cases) {
    const r = flowlens(dir, 'sql', sql, '--db', db);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, stderr);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(await fingerprint(db), before);
});

test('AWS mode exits 1 when no account could be read (a wrong external id, half a key pair), with the reason', async () => {
  const estate = join(dir, 'estate');
  const manifest = await writeSampleEstate(estate, { seed: 5, days: 1, start: '2026-09-29T00:00:00Z', scale: 0.1 });
  const home: TempHome = makeTempHome();
  const ep: AwsEndpoint = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 50 });
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...localAwsEnv(home, ep.url), ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  try {
    const db = join(dir, 'aws.duckdb');
    const common = ['--accounts', manifest.accounts.join(','), '--regions', manifest.regions.join(','), '--since', '2026-09-29T00:00:00Z', '--until', '2026-09-29T01:00:00Z', '--db', db, '--quiet'];
    const wrong = await run(['enrich', '--profile', 'base', '--role', 'FlowLogIntrospector', '--external-id', 'not-the-id', ...common]);
    assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
    assert.match(wrong.stderr, /^flowlens: could not sign in to any account: could not get credentials for profile arn:aws:iam::111111111111:role\/FlowLogIntrospector: AccessDenied: /m);
    assert.doesNotMatch(wrong.stdout, /conversations\n$/);
    // the external id from the environment instead of argv: signed in, enriched, exit 0
    const env = await run(['enrich', '--profile', 'base', '--role', 'FlowLogIntrospector', ...common], { FLOWLENS_EXTERNAL_ID: EXTERNAL_ID });
    assert.equal(env.code, 0, env.stdout + env.stderr);
    assert.match(env.stdout, /aws\.duckdb: [\d,]+ conversations\n$/);
    const half = await run(['enrich', ...common], { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEHALFPAIR00', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' });
    assert.equal(half.code, 1, half.stdout + half.stderr);
    assert.match(half.stderr, /^flowlens: could not sign in to any account: /m);
  } finally {
    await ep.close();
    home.cleanup();
  }
});

test('a dataset in a folder that does not exist: exit 2 naming the folder, and nothing is made', async () => {
  const missing = join(dir, 'no-such-folder');
  const db = join(missing, 'x.duckdb');
  const r = flowlens(dir, 'enrich', '--sample', '--days', '1', '--db', db, '--quiet');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stderr, `flowlens: cannot make the dataset ${db}: the folder ${missing} does not exist\n`);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(missing), false);
});

test('an --athena-output that is not s3://bucket/prefix/ is a usage error naming what is wrong, before anything runs', () => {
  const db = join(dir, 'athena-output.duckdb');
  const cases: [string, string][] = [
    ['athena-results/flowlens', 'flowlens: --athena-output: "athena-results/flowlens" is not an S3 address: write it as s3://bucket/prefix/\n'],
    ['s3://', 'flowlens: --athena-output: "s3://" names no bucket: write it as s3://bucket/prefix/\n'],
    ['s3://Athena_Results/x/', 'flowlens: --athena-output: "Athena_Results" is not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit\n'],
  ];
  for (const [output, stderr] of cases) {
    const r = flowlens(dir, 'enrich', '--profile', 'nobody', '--regions', 'us-east-1', '--since', '24h', '--source', 'athena:flowlogs.vpc', '--athena-output', output, '--db', db);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, stderr);
    assert.equal(existsSync(db), false);
  }
});

test('output piped into a reader that stops early (`| head`): exit 0 without a word, the dataset unchanged', async () => {
  const inv = writeInventory(dir);
  const flows = join(dir, 'pipeflows');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record()]);
  const db = join(dir, 'pipe.duckdb');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
  const before = await fingerprint(db);
  // about 2 MB of rows: far more than a pipe holds, so the CLI is still writing when the reader goes
  const child = spawn(process.execPath, [CLI, 'sql', 'SELECT range AS n, repeat(\'x\', 10) AS pad FROM range(200000)', '--db', db], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const firstLine = await new Promise<string>((done) => child.stdout.once('data', (d) => done(String(d).split('\n')[0])));
  child.stdout.destroy();
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  assert.match(firstLine, /^ *n {2}pad$/);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.deepEqual(await fingerprint(db), before);
});
