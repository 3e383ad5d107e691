/**
 * Issue 13, flow logs as they arrive, through the real `flowlens` process: a headerless version 5 file read with
 * `--log-format` (AWS's `${…}` syntax or plain field names) and refused without it; files joined with `cat` (three
 * header lines); one CloudWatch Logs event a line. Every case: the exact message and counts; a refused file leaves
 * the dataset as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import { HEADER, enrichedDataset, fingerprint, flowlens, record, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-arriving-', (d) => (dir = d));

/** The version 5 custom format of AWS's flow-log record examples (29 fields). */
const V5_FORMAT = '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}';
const V5_HEADER = V5_FORMAT.replace(/\$\{([^}]+)\}/g, '$1');
/** Instance a's ENI: a request to b (SYN, egress inside the VPC) and b's answer (SYN-ACK, ingress). */
const V5_LINES = [
  '5 vpc-0a subnet-0a1 i-0a0000000000000a1 eni-0a0000000000000a1 111111111111 IPv4 10.0.1.10 10.0.2.20 40000 8080 10.0.1.10 10.0.2.20 6 4249 10 1790000040 1790000099 ACCEPT 2 OK us-east-1 use1-az1 - - - - egress 1',
  '5 vpc-0a subnet-0a1 i-0a0000000000000a1 eni-0a0000000000000a1 111111111111 IPv4 10.0.2.20 10.0.1.10 8080 40000 10.0.2.20 10.0.1.10 6 332 5 1790000040 1790000099 ACCEPT 18 OK us-east-1 use1-az1 - - - - ingress -',
];

async function v5Values(db: string): Promise<unknown[]> {
  const d = await openDataset(db, { readOnly: true });
  try {
    return await d.json(`SELECT vpc_id, tcp_flags, flow_direction, traffic_path, bytes FROM flow_records ORDER BY bytes`);
  } finally {
    d.close();
  }
}

test('a headerless version 5 file: refused without --log-format (dataset unchanged), read with it in either syntax', async () => {
  const flows = join(dir, 'v5');
  mkdirSync(flows);
  const file = join(flows, 'eni-0a0000000000000a1-all.log');
  writeFileSync(file, V5_LINES.join('\n') + '\n');
  const inventory = writeInventory(dir);
  const db = enrichedDataset(dir, 'v5.duckdb');
  const before = await fingerprint(db);

  const refused = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--quiet');
  assert.equal(refused.code, 1, refused.stderr + refused.stdout);
  assert.ok(refused.stdout.includes(`  failed: ${file}: no header line and no log format given, and line 1 has 29 fields where the default format has 14 and no known layout (14, 36 fields) fits; give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)\n`), refused.stdout);
  assert.deepEqual(await fingerprint(db), before);

  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--log-format', V5_FORMAT, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /v5\.duckdb: 2 flow records from 1 file, 1 conversation, [\d.]+ s\n/);
  assert.deepEqual(await fingerprint(db), { ...before, files: 2, records: 4, bytes: String(2 * (4249 + 332)), packets: '30', uploaded: String(2 * (4249 + 332)) });

  const plainNames = join(dir, 'v5-plain.duckdb');
  const p = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', plainNames, '--log-format', V5_HEADER, '--quiet');
  assert.equal(p.code, 0, p.stderr + p.stdout);
  assert.match(p.stdout, /v5-plain\.duckdb: 2 flow records from 1 file, 1 conversation, [\d.]+ s\n/);
  assert.deepEqual(await v5Values(plainNames), [
    { vpc_id: 'vpc-0a', tcp_flags: 18, flow_direction: 'ingress', traffic_path: null, bytes: 332 },
    { vpc_id: 'vpc-0a', tcp_flags: 2, flow_direction: 'egress', traffic_path: 1, bytes: 4249 },
  ]);
});

test('files joined with cat: three header lines each switch the format; only the truly bad line is reported, with its line', async () => {
  const flows = join(dir, 'joined');
  mkdirSync(flows);
  const file = join(flows, 'all.log');
  // what `cat a.log b.log c.log > all.log` makes of two default-format files and a version 5 file
  writeFileSync(file, [
    HEADER, record(),
    HEADER, record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 }), record({ dstport: 70000 }),
    V5_HEADER, ...V5_LINES,
  ].join('\n') + '\n');
  const db = join(dir, 'joined.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /joined\.duckdb: 4 flow records from 1 file, 1 conversation, [\d.]+ s\n/);
  assert.ok(r.stdout.includes(`  ${file}: 1 bad line\n    line 5: dstport: 70000 is not a port (0 to 65535)\n`), r.stdout);
  assert.deepEqual(await fingerprint(db), { files: 1, records: 4, bytes: String(2 * (4249 + 332)), packets: '30', conversations: 1, uploaded: String(2 * (4249 + 332)), windows: 1 });
  // again: nothing added
  const again = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', db, '--quiet');
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal((await fingerprint(db)).records, 4);
});

test("one flow log's files joined: its repeated header lines are neither records nor bad lines, and the file is still read where it is", async () => {
  const flows = join(dir, 'one-format');
  mkdirSync(flows);
  const file = join(flows, 'all.log');
  writeFileSync(file, [HEADER, record(), HEADER, record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 }), HEADER].join('\n') + '\n');
  const db = join(dir, 'one-format.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(r.stdout.replace(/[\d.]+ s\n/, 'T s\n'), `${db}: 2 flow records from 1 file, 1 conversation, T s\n`);
  assert.deepEqual(await fingerprint(db), { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
  const d = await openDataset(db, { readOnly: true });
  try {
    assert.deepEqual(await d.json(`SELECT f.reader, f.bad_lines, r.path FROM ingest_files f JOIN record_files r USING (file_id)`), [{ reader: 'text', bad_lines: 0, path: file }]);
  } finally {
    d.close();
  }
});

test('one CloudWatch Logs event a line: read with the line of each bad one', async () => {
  const flows = join(dir, 'events');
  mkdirSync(flows);
  const file = join(flows, 'export.json');
  writeFileSync(file, [
    JSON.stringify({ timestamp: 1790000040000, message: record() }),
    JSON.stringify({ timestamp: 1790000040000, message: record({ src: '10.0.1.300' }) }),
    '',
    JSON.stringify({ timestamp: 1790000040000, message: record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 }) }),
  ].join('\n') + '\n');
  const db = join(dir, 'events.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /events\.duckdb: 2 flow records from 1 file, 1 conversation, [\d.]+ s\n/);
  assert.ok(r.stdout.includes(`  ${file}: 2 bad lines\n    line 2: srcaddr: "10.0.1.300" is not an IPv4 or IPv6 address\n    line 3: an empty line\n`), r.stdout);
  assert.deepEqual(await fingerprint(db), { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
});

test('--log-format with another field count than the records: refused by name and count (dataset unchanged), unless a known layout fits the file', async () => {
  const flows = join(dir, 'mixed');
  mkdirSync(flows);
  const v5 = join(flows, 'v5.log');
  writeFileSync(v5, V5_LINES.join('\n') + '\n');
  const inventory = writeInventory(dir);
  const db = enrichedDataset(dir, 'mixed.duckdb');
  const before = await fingerprint(db);
  const short = V5_FORMAT.split(' ').slice(0, 28).join(' ');
  const refused = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--log-format', short, '--quiet');
  assert.equal(refused.code, 1, refused.stderr + refused.stdout);
  assert.ok(refused.stdout.includes(`  failed: ${v5}: line 1 has 29 fields, but the log format "${short}" has 28; is it the right LogFormat for this flow log?\n`), refused.stdout);
  assert.deepEqual(await fingerprint(db), before);

  // a headerless default-format file beside the version 5 one: the format given reads one, the known layout the other
  writeFileSync(join(flows, 'default.log'), record({ srcport: 40001, bytes: 700 }) + '\n');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--log-format', V5_FORMAT, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /mixed\.duckdb: 3 flow records from 2 files, /);
});
