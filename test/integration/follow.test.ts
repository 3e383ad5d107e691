/**
 * `flowlens enrich … --follow` as a user runs it: a real CLI process, real DuckDB files, the SDK against the local
 * AWS endpoint (CloudWatch Logs events and S3 objects delivered while it follows). What is checked is what a user
 * would count: every record once (count and sum of bytes against what was written), new data within a cycle or
 * two, `flowlens sql` working between cycles, and nothing lost or doubled across a `kill -9` and a restart.
 * Intervals are short; nothing is timed beyond "within N cycles".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Db } from '../../src/core/store/db';
import { SETTLE_MINUTES } from '../../src/core/aws/cloudwatch';
import { BASE_USER, localAwsEnv, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';
import { ACCOUNT, CLI, Follower, flowLogText, flowRecords, sql } from '../support/follower';

let dir: string;
let estate: string;
let home: TempHome;
let ep: AwsEndpoint;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-follow-'));
  estate = join(dir, 'estate');
  mkdirSync(join(estate, 'flowlogs', 'follow-logs'), { recursive: true });
  mkdirSync(join(estate, 'flowlogs', 'cloudwatch', 'flowlens', 'follow'), { recursive: true });
  writeFileSync(join(estate, 'flowlogs', 'cloudwatch', 'flowlens', 'follow', 'eni-0f0.json'), JSON.stringify({ events: [] }));
  home = makeTempHome();
  assert.equal(BASE_USER.account, ACCOUNT);
  ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], pageSize: 50 });
});

after(async () => {
  await ep?.close();
  home?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** What is in the dataset, read as another process would (the follower must not hold it). */
function counts(db: string): { n: number; b: number; files: number; conv: number } {
  const r = sql(db, 'SELECT (SELECT count(*) FROM flow_records) AS n, (SELECT coalesce(sum(bytes), 0) FROM flow_records) AS b, (SELECT count(*) FROM ingest_files) AS files, (SELECT count(*) FROM conversations) AS conv');
  assert.equal(r.code, 0, `flowlens sql could not read ${db}: ${r.stderr}`);
  const row = r.rows[0]!;
  return { n: Number(row.n), b: Number(row.b), files: Number(row.files), conv: Number(row.conv) };
}

/** Writes flow-log files into `folder`, dated a minute ago (settled); returns the records and bytes written. */
function writeFiles(folder: string, seeds: number[], perFile: number, settled = true): { records: number; bytes: number } {
  mkdirSync(folder, { recursive: true });
  let records = 0;
  let bytes = 0;
  for (const seed of seeds) {
    const { lines, bytes: b } = flowRecords(seed, perFile);
    const path = join(folder, `flows-${String(seed).padStart(4, '0')}.log`);
    writeFileSync(path, flowLogText(lines));
    if (settled) utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    records += perFile;
    bytes += b;
  }
  return { records, bytes };
}

const add = (a: { records: number; bytes: number }, b: { records: number; bytes: number }) => ({ records: a.records + b.records, bytes: a.bytes + b.bytes });

test('following a folder: the files there, then a new one, each loaded once; flowlens sql reads between cycles; SIGTERM stops after the cycle', async () => {
  const logs = join(dir, 'folder-logs');
  const db = join(dir, 'folder.duckdb');
  let truth = writeFiles(logs, [1, 2, 3], 40);
  const f = new Follower(['--flow-logs', logs, '--db', db, '--interval', '4s', '--quiet']);
  try {
    await f.until('the files already there', () => f.records === truth.records);
    assert.ok(f.cycles.length <= 2, f.output());
    // Between cycles the file is closed: another process reads it.
    let c = counts(db);
    assert.deepEqual({ n: c.n, b: c.b, files: c.files }, { n: truth.records, b: truth.bytes, files: 3 });
    assert.ok(c.conv > 0, 'the first cycle enriched them');

    // A file dropped in while following (written now: read once it has settled).
    const at = f.cycles.length;
    truth = add(truth, writeFiles(logs, [4], 25, false));
    await f.until('the new file', () => f.records === truth.records);
    assert.ok(f.cycles.length - at <= 3, `appeared after ${f.cycles.length - at} cycles:\n${f.output()}`);
    assert.match(f.cycles.at(-1)!.line, /1 new file \(25 records, [\d.]+ KiB\); \d+ conversations; [\d.]+ s$/);
    c = counts(db);
    assert.deepEqual({ n: c.n, b: c.b, files: c.files }, { n: truth.records, b: truth.bytes, files: 4 });

    // Nothing new: nothing loaded again.
    const quiet = await f.next(2);
    assert.deepEqual(quiet.map((q) => q.records), [0, 0]);
    assert.match(quiet[1]!.line, /nothing new; [\d.]+ s$/);
    c = counts(db);
    assert.deepEqual({ n: c.n, b: c.b }, { n: truth.records, b: truth.bytes });
  } finally {
    const end = await f.kill('SIGTERM');
    assert.deepEqual(end, { code: 0, signal: null }, f.output());
  }
});

test('a reader holding the dataset makes the follower skip a cycle with a message; once it lets go the new file is appended', async () => {
  const logs = join(dir, 'busy-logs');
  const db = join(dir, 'busy.duckdb');
  let truth = writeFiles(logs, [11], 30);
  const f = new Follower(['--flow-logs', logs, '--db', db, '--interval', '1s', '--quiet']);
  let reader: Db | undefined;
  try {
    await f.until('the first file', () => f.records === truth.records);
    // Open it read-only between two cycles (a cycle may be holding it just then: try after the next one).
    for (let i = 0; i < 10 && !reader; i++) {
      await f.next();
      reader = await Db.open(db, { readOnly: true }).catch(() => undefined);
    }
    assert.ok(reader, 'the dataset could be opened read-only between cycles');
    truth = add(truth, writeFiles(logs, [12], 20));
    const [skipped] = await f.next();
    assert.equal(skipped!.skipped, true, f.output());
    // DuckDB's refusal, as the store words it: who holds the dataset and since when
    assert.match(skipped!.line, /busy\.duckdb is in use by .*\(pid \d+, reading it since [^)]*\); trying again at the next cycle$/);
    assert.equal(Number(await reader!.value('SELECT count(*) FROM flow_records')), truth.records - 20, 'the reader sees what was there');
    reader!.close();
    reader = undefined;
    const at = f.cycles.length;
    await f.until('the file held back', () => f.records === truth.records);
    assert.ok(f.cycles.length - at <= 2, f.output());
  } finally {
    reader?.close();
    await f.kill('SIGTERM');
  }
  assert.deepEqual(counts(db).n, truth.records);
});

test('kill -9 while a cycle loads and while it rebuilds, then a restart: nothing lost, nothing twice, the same conversations as one enrichment', async () => {
  const logs = join(dir, 'kill-logs');
  const db = join(dir, 'kill.duckdb');
  const truth = writeFiles(logs, Array.from({ length: 600 }, (_, i) => 100 + i), 15);
  const args = ['--flow-logs', logs, '--db', db, '--interval', '1s'];

  const first = new Follower(args);
  await first.until('the load to start', () => first.stderr.some((l) => l.startsWith('[flow-logs]')));
  await first.kill('SIGKILL');
  const second = new Follower(args);
  await second.until('the rebuild to start', () => second.stderr.some((l) => l.startsWith('[enrich]')));
  await second.kill('SIGKILL');

  const third = new Follower(args);
  await third.until('a cycle with nothing new after an enriching one', () => third.cycles.length >= 2 && third.cycles.at(-1)!.line.includes('nothing new'));
  assert.deepEqual(await third.kill('SIGTERM'), { code: 0, signal: null }, third.output());

  const c = counts(db);
  assert.deepEqual({ n: c.n, b: c.b, files: c.files }, { n: truth.records, b: truth.bytes, files: 600 });
  // The same files enriched at once give the same conversations.
  const ref = join(dir, 'kill-ref.duckdb');
  const r = spawnSync(process.execPath, [CLI, 'enrich', '--flow-logs', logs, '--db', ref, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(c.conv, counts(ref).conv);
  assert.ok(c.conv > 0);
});

/** `n` CloudWatch events at `ts` (ms) and after, one ms apart, on the follow group's stream; their records and bytes. */
function putEvents(seed: number, n: number, ts: number): { records: number; bytes: number } {
  const { lines, bytes } = flowRecords(seed, n, Math.floor(ts / 1000) - 60);
  ep.putLogEvents('/flowlens/follow', lines.map((message, k) => ({ logStreamName: 'eni-0f0', timestamp: ts + k, message })));
  return { records: n, bytes };
}

/** Events delivered now: timestamped at the edge of what a run reads (it leaves the last SETTLE_MINUTES for later). */
const deliveredNow = () => Date.now() - SETTLE_MINUTES * 60_000;

test('following CloudWatch Logs: events added while following appear within a cycle and never twice, across kill -9 and a lost checkpoint', async () => {
  const db = join(dir, 'cwl.duckdb');
  const env = localAwsEnv(home, ep.url);
  const args = ['--profile', 'base', '--regions', 'us-east-1', '--since', '1h', '--source', 'logs:/flowlens/follow', '--no-inventory', '--db', db, '--interval', '1s'];
  let truth = putEvents(1, 30, Date.now() - 40 * 60_000);

  const f = new Follower(args, env);
  let at: number;
  try {
    await f.until('the events there at the start', () => f.records === truth.records);
    at = f.cycles.length;
    truth = add(truth, putEvents(2, 10, deliveredNow()));
    await f.until('the events added', () => f.records === truth.records);
    assert.ok(f.cycles.length - at <= 2, `within one interval: ${f.cycles.length - at} cycles\n${f.output()}`);
    assert.match(f.cycles.at(-1)!.line, /1 new object\/batch \(10 records, /);
    const quiet = await f.next(3);
    assert.deepEqual(quiet.map((q) => q.records), [0, 0, 0], 'never twice');

    // kill -9 as a cycle starts reading what was just delivered.
    truth = add(truth, putEvents(3, 10, deliveredNow()));
    const from = f.stderr.length;
    await f.until('a cycle reading', () => f.stderr.slice(from).some((l) => l.startsWith('[flow-logs] reading')));
  } finally {
    await f.kill('SIGKILL');
  }

  const g = new Follower(args, env);
  try {
    await g.until('a cycle with nothing new', () => g.cycles.some((c) => c.line.includes('nothing new')));
    at = g.cycles.length;
    truth = add(truth, putEvents(4, 10, deliveredNow()));
    await g.until('the events added after the restart', () => g.cycles.slice(at).some((c) => c.records === 10));
    assert.ok(g.cycles.length - at <= 2, g.output());
  } finally {
    assert.deepEqual(await g.kill('SIGTERM'), { code: 0, signal: null }, g.output());
  }
  let c = counts(db);
  assert.deepEqual({ n: c.n, b: c.b }, { n: truth.records, b: truth.bytes }, 'nothing lost, nothing twice');

  // The checkpoint lost as a kill between a batch's commit and its checkpoint loses it: the batches loaded say
  // how far the source was read, so nothing is read twice.
  const w = await Db.open(db);
  await w.exec('DELETE FROM aws_checkpoints');
  w.close();
  truth = add(truth, putEvents(5, 10, deliveredNow()));
  const h = new Follower(args, env);
  try {
    await h.until('a cycle with nothing new', () => h.cycles.some((c) => c.line.includes('nothing new')));
    assert.equal(h.records, 10, `only the events added meanwhile are read:\n${h.output()}`);
  } finally {
    await h.kill('SIGTERM');
  }
  c = counts(db);
  assert.deepEqual({ n: c.n, b: c.b }, { n: truth.records, b: truth.bytes });
});

/** An S3 flow-log object of flow log `fl` delivered at `stamp` (as AWS names it); its records and bytes. */
function putObject(fl: string, stamp: Date, seed: number, n: number): { records: number; bytes: number } {
  const p2 = (x: number) => String(x).padStart(2, '0');
  const [y, m, d] = [stamp.getUTCFullYear(), p2(stamp.getUTCMonth() + 1), p2(stamp.getUTCDate())];
  const name = `${ACCOUNT}_vpcflowlogs_us-east-1_${fl}_${y}${m}${d}T${p2(stamp.getUTCHours())}${p2(stamp.getUTCMinutes())}Z_${seed.toString(16).padStart(8, '0')}.log.gz`;
  const folder = join(estate, 'flowlogs', 'follow-logs', 'AWSLogs', ACCOUNT, 'vpcflowlogs', 'us-east-1', String(y), m, d);
  mkdirSync(folder, { recursive: true });
  const { lines, bytes } = flowRecords(seed, n, Math.floor(stamp.getTime() / 1000) - 300);
  writeFileSync(join(folder, name), gzipSync(flowLogText(lines)));
  return { records: n, bytes };
}

test('following S3: a new object is read even when its key sorts before one already loaded (another flow log, same prefix)', async () => {
  const db = join(dir, 's3.duckdb');
  const args = ['--profile', 'base', '--regions', 'us-east-1', '--since', '1h', '--source', 's3://follow-logs/', '--no-inventory', '--db', db, '--interval', '1s', '--quiet'];
  let truth = putObject('fl-0bbbbbbbbbbbbbbbb', new Date(Date.now() - 20 * 60_000), 21, 12);
  const f = new Follower(args, localAwsEnv(home, ep.url));
  try {
    await f.until('the object there at the start', () => f.records === truth.records);
    let at = f.cycles.length;
    truth = add(truth, putObject('fl-0aaaaaaaaaaaaaaaa', new Date(Date.now() - 5 * 60_000), 22, 7));
    await f.until('the object of the other flow log', () => f.records === truth.records);
    assert.ok(f.cycles.length - at <= 2, f.output());
    at = f.cycles.length;
    truth = add(truth, putObject('fl-0bbbbbbbbbbbbbbbb', new Date(), 23, 5));
    await f.until('the next object', () => f.records === truth.records);
    assert.ok(f.cycles.length - at <= 2, f.output());
    assert.deepEqual((await f.next(2)).map((q) => q.records), [0, 0], 'never twice');
  } finally {
    await f.kill('SIGTERM');
  }
  const c = counts(db);
  assert.deepEqual({ n: c.n, b: c.b, files: c.files }, { n: truth.records, b: truth.bytes, files: 3 });
});

test('--follow refuses what cannot be followed', () => {
  const run = (...a: string[]) => spawnSync(process.execPath, [CLI, 'enrich', ...a], { encoding: 'utf8', env: { ...process.env, ...localAwsEnv(home, ep.url) } });
  const db = join(dir, 'refused.duckdb');
  let r = run('--sample', '--db', db, '--follow');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /the sample estate does not grow/);
  r = run('--profile', 'base', '--regions', 'us-east-1', '--since', '1h', '--until', '2026-01-01T00:00Z', '--db', db, '--follow');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--follow reads up to now: leave out --until/);
  r = run('--flow-logs', dir, '--db', db, '--follow', '--interval', 'soon');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--interval takes a duration/);
  r = run('--flow-logs', dir, '--db', db, '--interval', '5s');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--interval goes with --follow/);
  r = run('--profile', 'base', '--regions', 'us-east-1', '--since', '1h', '--source', 'athena:flowlogs.vpc', '--db', db, '--follow');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /an Athena source cannot be followed/);
});
