/**
 * Issue 10, item 2: neither `flowlens export` nor `flowlens sql` nor a notebook cell can destroy the dataset.
 * Real CLI processes and a real worker over a real dataset; after every refusal the dataset is unchanged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrichedDataset, fingerprint, flowlens, type Fingerprint } from './fixture';
import { WorkerClient, WorkerRequestError } from '../../src/host/workerClient';

let dir: string;
let db: string;
let clean: Fingerprint;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-export-'));
  db = enrichedDataset(dir);
  clean = await fingerprint(db);
  assert.deepEqual(clean, { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => flowlens(dir, ...args);

test('export refuses the dataset, its WAL, a folder and a symlinked path to the dataset; nothing changes', async () => {
  const linked = join(dir, 'linked');
  symlinkSync(dir, linked);
  for (const [out, what] of [
    [db, 'is the dataset'],
    [`${db}.wal`, "is the dataset's write-ahead log"],
    [join(linked, 'd.duckdb'), 'is the dataset'],
  ]) {
    const r = run('export', '--db', db, '--format', 'csv', '--out', out);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `flowlens: --out ${out} ${what}: export to another file\n`);
    assert.equal(r.stdout, '');
  }
  const folder = run('export', '--db', db, '--format', 'csv', '--out', dir);
  assert.equal(folder.code, 2);
  assert.equal(folder.stderr, `flowlens: --out ${dir} is a folder: give the name of the file to write\n`);
  assert.equal(existsSync(`${db}.wal`), false);
  assert.deepEqual(await fingerprint(db), clean);
});

test('export refuses an existing file without --force, replaces it with --force, and leaves no temporary file', async () => {
  const out = join(dir, 'mine.csv');
  writeFileSync(out, 'my own work\n');
  const r = run('export', '--db', db, '--format', 'csv', '--out', out);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `flowlens: ${out} exists: add --force to replace it\n`);
  assert.equal(readFileSync(out, 'utf8'), 'my own work\n');
  const forced = run('export', '--db', db, '--format', 'csv', '--out', out, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stdout, `${out}: 1 conversation\n`);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^start,end,window_start,protocol,action,/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('flowlens-tmp')), []);
  assert.deepEqual(await fingerprint(db), clean);
});

test('export --out - writes to standard output, not to a file named "-"', async () => {
  const r = run('export', '--db', db, '--format', 'jsonl', '--out', '-');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].Uploaded + lines[0].Downloaded, 4581);
  assert.equal(r.stderr, 'standard output: 1 conversation\n');
  assert.equal(existsSync(join(dir, '-')), false);
});

test('flowlens sql cannot read files outside the export folder or change the dataset (DuckDB refuses)', async () => {
  const cases: [string, RegExp][] = [
    [`SELECT * FROM read_csv('/etc/passwd')`, /^flowlens: Permission Error: Cannot access file "\/etc\/passwd" - file system operations are disabled by configuration — flowlens sql reads and writes files only in the folder given with --export-dir\n$/],
    [`SET enable_external_access = true`, /^flowlens: Invalid Input Error: Cannot change configuration option "enable_external_access" - the configuration has been locked\n$/],
    [`DELETE FROM flow_records_base`, /^flowlens: Invalid Input Error: Cannot execute statement of type "DELETE" on database "d" which is attached in read-only mode!\n$/],
    [`DROP TABLE ingest_files`, /^flowlens: Invalid Input Error: Cannot execute statement of type "DROP" on database "d" which is attached in read-only mode!\n$/],
  ];
  for (const [sql, expected] of cases) {
    const r = run('sql', sql, '--db', db);
    assert.equal(r.code, 1, `${sql}: ${r.stderr}`);
    assert.match(r.stderr, expected, sql);
  }
  assert.deepEqual(await fingerprint(db), clean);
});

test('flowlens sql cannot write the dataset or its WAL, which DuckDB itself would allow: COPY is checked before it runs', async () => {
  const exports = mkdtempSync(join(tmpdir(), 'flowlens-robust-exports-'));
  const wal = `${db}.wal`;
  const plain = "flowlens: COPY ... TO takes its file as a plain quoted name ('out.csv'), without $, comments or the USE_TMP_FILE option\n";
  try {
    const cases: [string[], string][] = [
      [[`COPY (SELECT 1) TO 'd.duckdb.wal'`], 'flowlens: COPY ... TO needs an export folder (flowlens sql --export-dir <folder>; in the editor, the flowlens.exportFolder setting)\n'],
      [[`COPY (SELECT 1) TO '${wal}'`, '--export-dir', exports], `flowlens: COPY ... TO writes only inside the export folder ${exports}, not ${wal}\n`],
      [[`COPY (SELECT 1) TO '${exports}/../${db.split('/').slice(-2).join('/')}'`, '--export-dir', exports], `flowlens: COPY ... TO writes only inside the export folder ${exports}, not ${exports}/../${db.split('/').slice(-2).join('/')}\n`],
      [[`COPY (SELECT 1) TO ('${db}' || '.wal')`, '--export-dir', exports], plain],
      [[`COPY (SELECT 1) TO E'${db}\\x2ewal'`, '--export-dir', exports], plain],
      [[`COPY (SELECT 1) TO $$${wal}$$`, '--export-dir', exports], plain],
      [[`COPY (SELECT 1) TO '${join(exports, 'x.csv')}' (USE_TMP_FILE false)`, '--export-dir', exports], plain],
      [[`COPY (SELECT 1) /* */ TO '${join(exports, 'x.csv')}'`, '--export-dir', exports], plain],
      [[`SELECT 1; COPY (SELECT 1) TO '${join(exports, 'x.csv')}'`, '--export-dir', exports], 'flowlens: COPY ... TO runs as a statement of its own\n'],
      [[`ATTACH '${wal}' AS w`, '--export-dir', exports], 'flowlens: ATTACH and DETACH are refused: SQL here works on the open dataset only\n'],
      [[`EXPORT DATABASE '${exports}'`, '--export-dir', exports], 'flowlens: EXPORT DATABASE is refused: COPY a query into the export folder, or use flowlens export\n'],
    ];
    for (const [args, expected] of cases) {
      const r = run('sql', args[0], '--db', db, ...args.slice(1));
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr, expected, args[0]);
    }
    assert.equal(existsSync(wal), false);
    assert.deepEqual(readdirSync(exports), []);
  } finally {
    rmSync(exports, { recursive: true, force: true });
  }
  assert.deepEqual(await fingerprint(db), clean);
});

test('flowlens sql refuses INSTALL and LOAD before they run', async () => {
  for (const sql of ['INSTALL httpfs', 'LOAD json', 'SELECT 1; FORCE INSTALL inet']) {
    const r = run('sql', sql, '--db', db);
    assert.equal(r.code, 2, sql);
    assert.equal(r.stderr, 'flowlens: INSTALL and LOAD are refused: Flowlens downloads and loads no DuckDB extension without your consent\n');
  }
  assert.deepEqual(await fingerprint(db), clean);
});

test('flowlens sql --export-dir: COPY and reads there work; the dataset folder is refused as an export folder', async () => {
  const exports = mkdtempSync(join(tmpdir(), 'flowlens-robust-exports-'));
  try {
    const r = run('sql', `COPY (SELECT count(*) AS n FROM conversations) TO '${join(exports, 'n.csv')}'`, '--db', db, '--export-dir', exports);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(exports, 'n.csv'), 'utf8'), 'n\n1\n');
    const back = run('sql', `SELECT n FROM read_csv('${join(exports, 'n.csv')}')`, '--db', db, '--export-dir', exports, '--format', 'json');
    assert.deepEqual(JSON.parse(back.stdout), [{ n: 1 }]);
    const same = run('sql', 'SELECT 1', '--db', db, '--export-dir', dir);
    assert.equal(same.code, 2);
    assert.equal(same.stderr, `flowlens: the export folder ${dir} holds the dataset ${db}: choose a folder beside it, so that no COPY can overwrite the dataset or its WAL\n`);
  } finally {
    rmSync(exports, { recursive: true, force: true });
  }
  assert.deepEqual(await fingerprint(db), clean);
});

test('notebook cells (the worker): read-only unless writes are allowed, files only in the export folder, no INSTALL/LOAD', async () => {
  const exports = join(dir, '..', `${join(dir).split('/').pop()}-exports`);
  mkdirSync(exports, { recursive: true });
  const client = new WorkerClient({ workerPath: join(__dirname, '../../src/host/duckdbWorker.js') });
  try {
    await client.request('open', { path: db, exportDir: exports });
    const refused = async (sql: string, allowWrites: boolean, expected: RegExp) =>
      assert.rejects(client.request('query', { sql, rowCap: 10, allowWrites }), (e: unknown) => e instanceof WorkerRequestError && expected.test(e.message), sql);
    await refused('DROP TABLE ingest_files', false, /read-only mode/);
    await refused(`COPY (SELECT 1) TO '${db}.wal'`, true, /^COPY \.\.\. TO writes only inside the export folder .*-exports, not .*d\.duckdb\.wal$/);
    await refused(`COPY (SELECT 1) TO ('${db}' || '.wal')`, false, /^COPY \.\.\. TO takes its file as a plain quoted name/);
    await refused(`SELECT * FROM read_csv('/etc/passwd')`, false, /Permission Error: Cannot access file "\/etc\/passwd" - file system operations are disabled by configuration/);
    await refused('INSTALL httpfs', true, /^INSTALL and LOAD are refused: Flowlens downloads and loads no DuckDB extension without your consent$/);
    await refused('SET enable_external_access = true', true, /the configuration has been locked/);
    const copied = await client.request('query', { sql: `COPY (SELECT 42 AS x) TO '${join(exports, 'x.csv')}'`, rowCap: 10 });
    assert.deepEqual(copied.rows, [[1]]);
    assert.equal(readFileSync(join(exports, 'x.csv'), 'utf8'), 'x\n42\n');
    const made = await client.request('query', { sql: 'CREATE TABLE my_notes AS SELECT 1 AS x; SELECT count(*) FROM my_notes', rowCap: 10, allowWrites: true });
    assert.deepEqual(made.rows, [[1]]);
  } finally {
    await client.dispose();
    rmSync(exports, { recursive: true, force: true });
  }
  assert.deepEqual(await fingerprint(db), clean);
});
