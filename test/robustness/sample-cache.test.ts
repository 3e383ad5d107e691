/**
 * Issue 10, item 13 (in part): the sample estate is kept in the user's own cache folder (~/.cache/flowlens/sample,
 * mode 0700), not the shared, predictable $TMPDIR/flowlens-sample; it is built in a temporary folder and renamed
 * into place, so a build that is killed leaves nothing that is taken for an estate (the next run removes it), two
 * builds at once both succeed, and a cache folder that another user could have filled is refused. Real CLI
 * processes under a temporary HOME.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, enrichedDataset, fingerprint, useTempDir, type Run } from './fixture';

let dir: string;
useTempDir('flowlens-robust-sample-cache-', (d) => (dir = d));

/** A temporary HOME and TMPDIR of their own, with no cache setting: the defaults apply. */
function scratch(name: string): { home: string; tmp: string; env: NodeJS.ProcessEnv; cache: string; sample: string } {
  const home = join(dir, name, 'home');
  const tmp = join(dir, name, 'tmp');
  for (const d of [home, tmp]) mkdirSync(d, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp };
  delete env.XDG_CACHE_HOME;
  delete env.FLOWLENS_CACHE;
  const cache = join(home, '.cache', 'flowlens');
  return { home, tmp, env, cache, sample: join(cache, 'sample') };
}

const SMALL = ['--days', '1', '--scale', '0.2'];
const KEY = 'v7-seed-42-days-1-scale-0.2';
/** What the small estate enriches to. */
const SMALL_SUMMARY = /: 9,526 flow records from 111 files, 467 conversations, /;

function run(env: NodeJS.ProcessEnv, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runAsync(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const building = (sample: string) => (existsSync(sample) ? readdirSync(sample).filter((n) => n.startsWith('.building-')) : []);

test('the sample estate is built in ~/.cache/flowlens/sample (mode 0700), none of it in $TMPDIR', async () => {
  const s = scratch('default');
  const db = join(dir, 'default.duckdb');
  const r = run(s.env, 'enrich', '--sample', ...SMALL, '--db', db);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, SMALL_SUMMARY);
  const estate = join(s.sample, KEY);
  assert.equal(r.stderr.split('\n')[0], `[sample] generating the sample estate in ${estate}`);
  assert.deepEqual([mode(s.cache), mode(s.sample), mode(estate)], ['700', '700', '700']);
  assert.deepEqual(readdirSync(s.sample), [KEY]);
  assert.ok(existsSync(join(estate, 'manifest.json')));
  assert.deepEqual(readdirSync(s.tmp).filter((n) => n.startsWith('flowlens-sample')), []);
  // the files loaded are named where the estate is kept, not where it was built
  const names = run(s.env, 'sql', `SELECT count(*) AS n, count(*) FILTER (WHERE starts_with(name, '${estate}/')) AS here FROM ingest_files`, '--db', db, '--format', 'json');
  assert.deepEqual(JSON.parse(names.stdout), [{ n: 111, here: 111 }]);
  // a second run reuses it: nothing generated, nothing new loaded
  const again = run(s.env, 'enrich', '--sample', ...SMALL, '--db', db);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /generating/);
  assert.match(again.stdout, /: 0 flow records from 0 files \(111 already loaded\)/);
});

test('XDG_CACHE_HOME and FLOWLENS_CACHE say where the cache is', async () => {
  const s = scratch('xdg');
  const xdg = join(dir, 'xdg', 'xdg-cache');
  const r = run({ ...s.env, XDG_CACHE_HOME: xdg }, 'enrich', '--sample', ...SMALL, '--db', join(dir, 'xdg.duckdb'), '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(xdg, 'flowlens', 'sample', KEY, 'manifest.json')));
  const own = join(dir, 'xdg', 'own-cache');
  const o = run({ ...s.env, FLOWLENS_CACHE: own }, 'enrich', '--sample', ...SMALL, '--db', join(dir, 'own.duckdb'), '--quiet');
  assert.equal(o.code, 0, o.stderr);
  assert.ok(existsSync(join(own, 'sample', KEY, 'manifest.json')));
  assert.equal(mode(own), '700');
  assert.equal(existsSync(s.cache), false);
});

test('a build killed half-way leaves a temporary folder that is not taken for the estate, and the next run removes it', async () => {
  const s = scratch('killed');
  const child = spawn(process.execPath, [CLI, 'enrich', '--sample', ...SMALL, '--db', join(dir, 'killed.duckdb'), '--quiet'], { cwd: dir, env: s.env, stdio: 'ignore' });
  let gone = false;
  const exited = new Promise<void>((r) =>
    child.on('exit', () => {
      gone = true;
      r();
    }),
  );
  // killed as soon as its temporary folder is there: generating the estate takes a second or more after that
  while (!gone && building(s.sample).length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(gone, false, 'the build ended before it was killed');
  child.kill('SIGKILL');
  await exited;
  const left = building(s.sample);
  assert.equal(left.length, 1);
  assert.match(left[0], new RegExp(`^\\.building-${KEY.replace(/\./g, '\\.')}-${child.pid}-`));
  assert.equal(existsSync(join(s.sample, KEY)), false, 'no estate was renamed into place');
  assert.equal(existsSync(join(s.sample, left[0], 'manifest.json')), false);

  const db = join(dir, 'after-kill.duckdb');
  const r = run(s.env, 'enrich', '--sample', ...SMALL, '--db', db);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.split('\n')[0], `[sample] generating the sample estate in ${join(s.sample, KEY)}`);
  assert.match(r.stdout, SMALL_SUMMARY);
  assert.deepEqual(readdirSync(s.sample), [KEY]);
});

test('two builds of the same estate at once both succeed with the same records, and one estate stays', async () => {
  const s = scratch('concurrent');
  const [a, b] = await Promise.all([
    runAsync(s.env, 'enrich', '--sample', ...SMALL, '--db', join(dir, 'concurrent-a.duckdb')),
    runAsync(s.env, 'enrich', '--sample', ...SMALL, '--db', join(dir, 'concurrent-b.duckdb')),
  ]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, SMALL_SUMMARY);
  }
  assert.deepEqual(readdirSync(s.sample), [KEY]);
  const manifest = JSON.parse(readFileSync(join(s.sample, KEY, 'manifest.json'), 'utf8')) as { records: number; dir: string };
  assert.equal(manifest.dir, '.');
  assert.deepEqual(await fingerprint(join(dir, 'concurrent-a.duckdb')), await fingerprint(join(dir, 'concurrent-b.duckdb')));
});

/** Enriching an existing dataset from the sample with the cache folder as `prepare` left it: refused, nothing changes. */
async function refused(name: string, prepare: (s: ReturnType<typeof scratch>) => string, why: (folder: string) => string): Promise<void> {
  const s = scratch(name);
  const db = enrichedDataset(dir, `${name}.duckdb`);
  const before = await fingerprint(db);
  const folder = prepare(s);
  const r = run(s.env, 'enrich', '--sample', ...SMALL, '--db', db, '--quiet');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `flowlens: the Flowlens cache folder ${folder} ${why(folder)}: remove it (or set FLOWLENS_CACHE to a folder of your own) and try again\n`);
  assert.deepEqual(await fingerprint(db), before);
  assert.equal(existsSync(join(s.sample, KEY)), false);
}

test('a cache folder open to other users is refused, naming it and its mode; nothing is loaded', async () => {
  await refused(
    'open-mode',
    (s) => {
      mkdirSync(s.cache, { recursive: true });
      chmodSync(s.cache, 0o755);
      return s.cache;
    },
    () => 'is open to other users (mode 0755), so what is in it cannot be trusted',
  );
  await refused(
    'open-sample',
    (s) => {
      mkdirSync(s.sample, { recursive: true, mode: 0o700 });
      chmodSync(s.cache, 0o700);
      chmodSync(s.sample, 0o777);
      return s.sample;
    },
    () => 'is open to other users (mode 0777), so what is in it cannot be trusted',
  );
});

test('a cache folder that is a symbolic link is refused', async () => {
  await refused(
    'symlink',
    (s) => {
      const elsewhere = join(dir, 'symlink', 'elsewhere');
      mkdirSync(elsewhere, { recursive: true, mode: 0o700 });
      mkdirSync(join(s.home, '.cache'), { recursive: true });
      symlinkSync(elsewhere, s.cache);
      return s.cache;
    },
    () => 'is a symbolic link, which Flowlens does not follow',
  );
});

test('a cache folder of another user is refused', { skip: process.getuid?.() !== 0 && 'making a folder of another user needs root' }, async () => {
  await refused(
    'other-user',
    (s) => {
      mkdirSync(s.cache, { recursive: true, mode: 0o700 });
      chmodSync(s.cache, 0o700);
      chownSync(s.cache, 65534, 65534);
      return s.cache;
    },
    () => `belongs to another user (uid 65534, you are ${process.getuid!()})`,
  );
});

test('sample options that are not valid are refused before anything is said or made: no folder named, none made', () => {
  const s = scratch('bad-options');
  for (const [args, message] of [
    [['--days', '0'], 'sample estate: days must be whole hours between 1 hour and 88 days, got 0'],
    [['--scale', '500'], 'sample estate: scale must be in (0, 200], got 500'],
  ] as const) {
    const r = run(s.env, 'enrich', '--sample', ...args, '--db', join(dir, 'bad-options.duckdb'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, `flowlens: ${message}\n`);
    assert.ok(!existsSync(s.sample) || readdirSync(s.sample).length === 0, 'no estate folder made');
  }
});
