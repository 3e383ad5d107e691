/**
 * Issue 10, item 3: the same content loads once whatever its name (a copy, a symbolic link, a re-download), and
 * the skipped files are named. Real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-dedupe-', (d) => (dir = d));

test('a copy, a symbolic link and a re-download of loaded content add nothing and are named', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  const a = writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  const inv = writeInventory(dir);
  const db = join(dir, 'd.duckdb');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
  const before = await fingerprint(db);
  assert.deepEqual(before, { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });

  const again = join(dir, 'again');
  mkdirSync(again);
  copyFileSync(a, join(again, 'copy.log'));
  symlinkSync(a, join(again, 'link.log'));
  symlinkSync(flows, join(dir, 'flows-link'));
  const r = flowlens(dir, 'enrich', '--flow-logs', again, '--flow-logs', join(dir, 'flows-link'), '--inventory', inv, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: 0 flow records from 0 files \(3 already loaded\), 1 conversation, /);
  assert.ok(r.stdout.includes(`  skipped: ${join(again, 'copy.log')}: the same content as ${a}, loaded before\n`), r.stdout);
  assert.ok(r.stdout.includes(`  skipped: ${join(again, 'link.log')}: the same content as ${a}, loaded before\n`), r.stdout);
  assert.ok(r.stdout.includes(`  skipped: ${join(dir, 'flows-link', 'a.log')}: the same content as ${a}, loaded before\n`), r.stdout);
  assert.deepEqual(await fingerprint(db), before);

  // two copies new in one run: the first loads, the second is named as its duplicate
  const pair = join(dir, 'pair');
  mkdirSync(pair);
  writeFlowLog(join(pair, 'x.log'), [record({ srcport: 41000 })]);
  copyFileSync(join(pair, 'x.log'), join(pair, 'y.log'));
  const p = flowlens(dir, 'enrich', '--flow-logs', pair, '--inventory', inv, '--db', db, '--quiet');
  assert.match(p.stdout, /: 1 flow record from 1 file \(1 already loaded\), 2 conversations, /);
  assert.ok(p.stdout.includes(`  skipped: ${join(pair, 'y.log')}: the same content as ${join(pair, 'x.log')}, loaded before\n`), p.stdout);
  assert.equal((await fingerprint(db)).records, 3);
});

test('a file loaded before is known again by its name, size and modification time, unread; a new time reads it again', async () => {
  const flows = join(dir, 'known');
  mkdirSync(flows);
  const a = writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  // whole seconds: a time utimes gives back exactly (the dataset keeps the file's time in nanoseconds)
  const mtime = new Date(Math.floor(statSync(a).mtimeMs / 1000) * 1000 - 60_000);
  utimesSync(a, mtime, mtime);
  const inv = writeInventory(dir);
  const db = join(dir, 'known.duckdb');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
  const facts = async () => { const f = await fingerprint(db); return { files: f.files, conversations: f.conversations, uploaded: f.uploaded }; };
  assert.deepEqual(await facts(), { files: 1, conversations: 1, uploaded: '4581' });

  // other bytes of the same size under the same time: taken for the file loaded before (it is not read, as make and
  // rsync do not read it), so nothing is loaded
  writeFlowLog(a, [record({ bytes: 4248 }), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  utimesSync(a, mtime, mtime);
  const same = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /: 0 flow records from 0 files \(1 already loaded\), 1 conversation, /);
  assert.deepEqual(await facts(), { files: 1, conversations: 1, uploaded: '4581' });

  // a new modification time: the file is read, and its new content loads
  utimesSync(a, mtime, new Date(mtime.getTime() + 5000));
  const changed = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.equal(changed.code, 0, changed.stderr);
  assert.match(changed.stdout, /: 2 flow records from 1 file, /);
  assert.equal((await facts()).files, 2);

  // and then it is known by its new time
  const again = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.match(again.stdout, /: 0 flow records from 0 files \(1 already loaded\), /);
  assert.equal((await facts()).files, 2);

  // touched, the same content: read, found loaded, and its new time kept (a dataset made before times were kept,
  // with none, is the same case): then other bytes under that time are not read
  const touched = new Date(mtime.getTime() + 10_000);
  utimesSync(a, touched, touched);
  const read = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.match(read.stdout, /: 0 flow records from 0 files \(1 already loaded\), /);
  writeFlowLog(a, [record({ bytes: 4247 }), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  utimesSync(a, touched, touched);
  const unread = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.match(unread.stdout, /: 0 flow records from 0 files \(1 already loaded\), /);
  assert.equal((await facts()).files, 2);
});
