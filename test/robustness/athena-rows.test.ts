/**
 * Issue 14: an Athena reduction's result rows are checked like flow records before they are stored. A bad row is
 * a bad line with its row number and reason, never stored; a result with no good row is refused and the dataset
 * is unchanged; the same rows again, in any order, add nothing. Real DuckDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { forget, openDataset } from '../../src/core/api';
import { rebuild } from '../../src/core/enrich/rebuild';
import { loadInventory } from '../../src/core/inventory/load';
import { REDUCED_COLUMNS } from '../../src/core/aws/athenaReduction';
import { ingestReducedRows } from '../../src/core/flowlogs/reduced';
import { fingerprint, useTempDir, writeInventory } from './fixture';

let dir: string;
useTempDir('flowlens-robust-athena-rows-', (d) => (dir = d));

type Col = (typeof REDUCED_COLUMNS)[number];
/** A good reduced row (instance a -> instance b on 8080, one minute), with values to override. */
function row(o: Partial<Record<Col, string | null>> = {}): (string | null)[] {
  const base: Record<Col, string | null> = {
    interface_id: 'eni-0a0000000000000a1', vpc_id: null, client_addr: '10.0.1.10', server_addr: '10.0.2.20', server_port: '8080',
    protocol: '6', action: 'ACCEPT', window_start: '1790000040', first_start: '1790000040', last_end: '1790000099',
    bytes_up: '4249', bytes_down: '332', packets_up: '10', packets_down: '5', records: '2', client_ports: '1', flags: '9',
    path_up: null, path_down: null, client_service: null, server_service: null,
  };
  return REDUCED_COLUMNS.map((c) => (c in o ? o[c]! : base[c]));
}

const latest = new Date((Math.floor(Date.now() / 1000) + 86400) * 1000).toISOString().slice(0, 10);

test('every rule: a bad row is reported with its row number and reason and not stored; the good ones are', async () => {
  const cases: [(string | null)[], string | null][] = [
    [row(), null],
    [row({ client_addr: '2001:DB8::1', server_addr: '2001:db8::2' }), null],
    [row({ server_port: null, protocol: '1' }), null],
    [row({ client_addr: '10.0.0.256' }), 'client_addr: "10.0.0.256" is not an IPv4 or IPv6 address'],
    [row({ server_addr: 'fe80::1%eth0' }), 'server_addr: "fe80::1%eth0" carries a zone id (%eth0); flow logs never do, so the record is refused'],
    [row({ server_port: '70000' }), 'server_port: 70000 is not a port (0 to 65535)'],
    [row({ protocol: '300' }), 'protocol: 300 is not an IP protocol number (0 to 255)'],
    [row({ bytes_up: '-1' }), 'bytes_up: -1 is negative'],
    [row({ packets_down: String(2 ** 49) }), `packets_down: ${2 ** 49} is more than one record can carry (at most 2^48 = 281474976710656)`],
    [row({ bytes_down: '12.5' }), 'bytes_down: "12.5" is not an integer'],
    [row({ action: 'DROP' }), 'action: "DROP" is neither ACCEPT nor REJECT'],
    [row({ window_start: '1790000050' }), 'window_start: 1790000050 is not the start of a 60-second window'],
    [row({ first_start: '1790000100', last_end: '1790000120' }), 'first_start: 1790000100 is outside its window (from 1790000040, 60 s)'],
    [row({ last_end: '1790000000' }), 'first_start 1790000040 is after last_end 1790000000'],
    [row({ window_start: '99999999999960', first_start: '99999999999960', last_end: '99999999999999' }), `first_start: 99999999999960 is not a plausible time (2015-01-01 to ${latest}, a day from now)`],
    [row({ records: '0' }), 'records: 0 is not a count of records (1 or more)'],
    [row({ client_ports: '-2' }), 'client_ports: -2 is negative'],
    [row({ flags: '16' }), 'flags: 16 is not a mask of the four SYN/SYN-ACK bits (0 to 15)'],
    [row({ flags: 'SYN' }), 'flags: "SYN" is not a flag mask (0 to 255)'],
    [row({ path_up: '99' }), 'path_up: 99 is not a traffic-path code'],
    [row({ interface_id: null }), 'interface_id is missing'],
    [row({ client_addr: null }), 'client_addr is missing'],
  ];
  const path = join(dir, 'rules.duckdb');
  const db = await openDataset(path);
  try {
    const r = await ingestReducedRows(db, 'athena://AwsDataCatalog/flowlogs/t@w60', 60, cases.map((c) => c[0]), 100);
    const want = cases.flatMap(([, reason], i) => (reason ? [{ line: i + 1, message: reason }] : []));
    assert.deepEqual(r.errors, want);
    assert.equal(r.status, 'loaded');
    assert.equal(r.badLines, want.length);
    assert.equal(r.rows, 3);
    assert.equal(r.records, 6, 'the records the good rows stand for');
    const stored = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM athena_reduced`);
    assert.equal(Number(stored[0]!.n), 3);
    const reported = await db.all<{ line: bigint; message: string }>(`SELECT line, message FROM ingest_errors ORDER BY line`);
    assert.deepEqual(reported.map((e) => ({ line: Number(e.line), message: e.message })), want.slice(0, 100));
  } finally {
    db.close();
  }
});

test('a result with no good row is refused, naming the first bad one, and the dataset is unchanged', async () => {
  const path = join(dir, 'none.duckdb');
  (await openDataset(path)).close();
  const before = await fingerprint(path);
  const db = await openDataset(path);
  try {
    const r = await ingestReducedRows(db, 'athena://AwsDataCatalog/flowlogs/t@bad', 60, [row({ action: 'maybe' }), row({ server_port: '-1' })]);
    assert.equal(r.status, 'failed');
    assert.equal(r.error, 'athena://AwsDataCatalog/flowlogs/t@bad: none of its 2 rows is a reduced flow row (row 1: action: "maybe" is neither ACCEPT nor REJECT)');
    assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 0);
  } finally {
    db.close();
  }
  assert.deepEqual(await fingerprint(path), before);
});

test('the same rows again, in another order and under another name, add nothing', async () => {
  const path = join(dir, 'again.duckdb');
  const db = await openDataset(path);
  try {
    const rows = [row(), row({ client_addr: '10.0.1.11' }), row({ action: 'REJECT' })];
    assert.equal((await ingestReducedRows(db, 'athena://x@1', 60, rows)).status, 'loaded');
    const again = await ingestReducedRows(db, 'athena://x@2', 60, [...rows].reverse());
    assert.equal(again.status, 'duplicate');
    assert.equal(again.duplicateOf, 'athena://x@1');
    assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 3);
  } finally {
    db.close();
  }
});

test('forgetting an Athena result takes its facts and windows away; another batch appends to the facts as records do', async () => {
  const path = join(dir, 'forget.duckdb');
  const db = await openDataset(path);
  try {
    await loadInventory(db, [writeInventory(dir)]);
    const first = [row(), row({ action: 'REJECT', bytes_up: '60', bytes_down: '0', packets_up: '1', packets_down: '0', records: '1', flags: '1' })];
    // the next minute of the same conversation, and the same minute seen again by the server's interface
    const second = [row({ window_start: '1790000100', first_start: '1790000100', last_end: '1790000159', client_ports: '3' }),
      row({ interface_id: 'eni-0a0000000000000b2', client_ports: '1' })];
    assert.equal((await ingestReducedRows(db, 'athena://t@1', 60, first)).status, 'loaded');
    await rebuild(db);
    assert.equal((await ingestReducedRows(db, 'athena://t@2', 60, second)).status, 'loaded');
    await rebuild(db);
    const facts = await db.all<{ minute: string; action: string; up: bigint; down: bigint; port: number | null; observer_eni: string }>(
      `SELECT strftime(window_start, '%H:%M') AS minute, action, uploaded AS up, downloaded AS down, client_port AS port, observer_eni FROM conversations ORDER BY 1`);
    assert.deepEqual(facts.map((f) => [f.minute, f.action, Number(f.up), Number(f.down), f.port, f.observer_eni]), [
      // both interfaces logged the first minute: counted once, from the client's, REJECT as any of its rows
      ['14:14', 'REJECT', 4309, 332, null, 'eni-0a0000000000000a1'],
      ['14:15', 'ACCEPT', 4249, 332, null, 'eni-0a0000000000000a1'],
    ]);
    const w = await db.all<{ n: bigint }>(`SELECT sum(conversations) AS n FROM windows_1m`);
    assert.equal(Number(w[0]!.n), 2 + 3, 'the first minute: the client ports of its two rows (1 + 1); the second: 3');
    const f = await forget(db, 'athena://t@2');
    assert.deepEqual(f.files.map((x) => x.name), ['athena://t@2']);
    assert.deepEqual((await db.all<{ m: string }>(`SELECT strftime(window_start, '%H:%M') AS m FROM conversations`)).map((x) => x.m), ['14:14']);
    assert.equal(Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM athena_reduced'))!.n), 2);
  } finally {
    db.close();
  }
});
