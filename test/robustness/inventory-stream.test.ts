/**
 * Issue 10, items 5 and 8: an inventory file too big to parse whole (a 587 MB DescribeNetworkInterfaces dump
 * failed with "Cannot create a string longer than 0x1fffffe8") is read as a stream and loaded a batch at a time.
 * What it stores and warns is what the same file parsed whole stores and warns; a big file cut short or broken
 * is reported by name, line and column, and leaves the dataset as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { enrichedDataset, fingerprint, flowlens, useTempDir, type Run } from './fixture';
import { openDataset, type Db } from '../../src/core/api';
import { loadInventory, STREAM_ABOVE, type LoadOptions } from '../../src/core/inventory/load';

let dir: string;
useTempDir('flowlens-robust-stream-', (d) => (dir = d));

/** ENI i as `aws ec2 describe-network-interfaces` describes it; every third has a secondary address, every other a Name tag. */
function eni(i: number, owner = true): Record<string, unknown> {
  const id = `eni-0${i.toString(16).padStart(16, '0')}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const ips = i % 3 === 0 ? [ip, `172.16.${(i >> 8) & 255}.${i & 255}`] : [ip];
  return {
    Attachment: { AttachTime: '2026-01-01T00:00:00+00:00', AttachmentId: `eni-attach-0${i.toString(16).padStart(16, '0')}`, DeleteOnTermination: true,
      DeviceIndex: 0, NetworkCardIndex: 0, InstanceId: `i-0${i.toString(16).padStart(16, '0')}`, InstanceOwnerId: '111111111111', Status: 'attached' },
    AvailabilityZone: ['us-east-1a', 'us-east-1b'][i % 2], Description: '', Groups: [{ GroupId: 'sg-0000000000000000a', GroupName: 'web' }],
    InterfaceType: 'interface', Ipv6Addresses: [], MacAddress: '0e:00:00:00:00:01', NetworkInterfaceId: id, ...(owner ? { OwnerId: '111111111111' } : {}),
    PrivateIpAddress: ip, PrivateIpAddresses: ips.map((a, k) => ({ Primary: k === 0, PrivateIpAddress: a })), RequesterManaged: false,
    SourceDestCheck: true, Status: 'in-use', SubnetId: `subnet-0${(i % 2).toString(16).padStart(16, '0')}`,
    TagSet: i % 2 ? [] : [{ Key: 'Name', Value: `web-${i}` }], VpcId: 'vpc-0000000000000000a',
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** A response of ENIs from..to-1, laid out as the AWS CLI prints it (4 spaces of indent). */
function dump(from: number, to: number, owner = true): string {
  return JSON.stringify({ NetworkInterfaces: range(from, to).map((i) => eni(i, owner)) }, null, 4) + '\n';
}

/** Count and an order-free hash of each table the inventory writes. */
async function tables(db: Db): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['inv_obs_enis', 'inv_obs_tags', 'inv_enis', 'inv_addresses', 'inv_tags', 'inv_eni_owners', 'inv_resources']) {
    out[t] = String(await db.value(`SELECT count(*) || ':' || coalesce(sum(hash(t)::HUGEINT), 0) FROM ${t} t`));
  }
  out.inv_files = String(await db.value(`SELECT count(*) || ':' || coalesce(sum(hash(name, content_hash, kind, items)::HUGEINT), 0) FROM inv_files`));
  return out;
}

/** Loads `paths` into a new dataset; its report and tables. */
async function load(name: string, paths: string[], opts: LoadOptions) {
  const db = await openDataset(join(dir, name));
  try {
    const report = await loadInventory(db, paths, opts);
    return { report, tables: await tables(db), db: name };
  } finally {
    db.close();
  }
}

const STREAMED: LoadOptions = { streamAbove: 2 ** 20, batchItems: 1000 };
const PARSED: LoadOptions = { streamAbove: Infinity };

test('a DescribeNetworkInterfaces file of several MB, streamed a batch at a time, stores what the file parsed whole stores', async () => {
  const inv = join(dir, 'one', '111111111111', 'us-east-1');
  mkdirSync(inv, { recursive: true });
  const file = join(inv, 'ec2.DescribeNetworkInterfaces.json');
  writeFileSync(file, dump(0, 6000));
  assert.ok(statSync(file).size > 4 * 2 ** 20, 'more than 4 times the streaming threshold given');
  const streamed = await load('streamed.duckdb', [inv], STREAMED);
  const parsed = await load('parsed.duckdb', [inv], PARSED);
  assert.deepEqual(streamed.report, { files: [{ name: file, kind: 'ec2:DescribeNetworkInterfaces', items: 6000, status: 'loaded' }], warnings: [] });
  assert.deepEqual(streamed.report, parsed.report);
  assert.deepEqual(streamed.tables, parsed.tables);
  const db = await openDataset(join(dir, streamed.db));
  try {
    const counts = await db.json(`SELECT (SELECT count(*) FROM inv_obs_enis) AS obs, (SELECT count(*) FROM inv_enis) AS enis,
      (SELECT count(*) FROM inv_addresses) AS addresses, (SELECT count(*) FROM inv_tags) AS tags`);
    assert.deepEqual(counts, [{ obs: 6000, enis: 6000, addresses: 6000 + 2000, tags: 3000 }]);
    // loaded again: the same file is a duplicate, told without loading it
    const again = await loadInventory(db, [inv], STREAMED);
    assert.deepEqual(again.files, [{ name: file, kind: 'ec2:DescribeNetworkInterfaces', items: 0, status: 'duplicate' }]);
    assert.deepEqual(await tables(db), streamed.tables);
  } finally {
    db.close();
  }
});

test('a gzip array of pages, one of them no response, items with no account: the same warnings, once per page, as parsed', async () => {
  const inv = join(dir, 'pages');
  mkdirSync(inv);
  const file = join(inv, 'enis.json.gz');
  const pages = `[${dump(0, 2500, false)}, {"NextToken": "x"}, ${dump(2500, 4000, false)}]`;
  writeFileSync(file, gzipSync(pages));
  assert.ok(pages.length > 2 ** 20 && statSync(file).size < 2 ** 20, 'streamed for its size uncompressed');
  const streamed = await load('pages-streamed.duckdb', [inv], STREAMED);
  const parsed = await load('pages-parsed.duckdb', [inv], PARSED);
  const accountUnknown = (n: number) => `${file}: account unknown for ${n.toLocaleString('en-US')} item${n === 1 ? '' : 's'}: the content carries no OwnerId/ARN and the path has no 12-digit account folder`;
  assert.deepEqual(streamed.report, {
    files: [{ name: file, kind: 'ec2:DescribeNetworkInterfaces', items: 4000, status: 'loaded' }],
    warnings: [`${file}: 1 of 3 pages is not a response Flowlens recognises; skipped it`, accountUnknown(2500), accountUnknown(1500)],
  });
  assert.deepEqual(streamed.report, parsed.report);
  assert.deepEqual(streamed.tables, parsed.tables);
});

/** Line and column (1-based, in bytes) of a byte offset of a text. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

test('a big file cut short, or broken half-way, is reported by name, line and column; the dataset keeps all it had', async () => {
  const db = enrichedDataset(dir, 'kept.duckdb');
  const flows = join(dir, 'flows-kept.duckdb');
  const snapshot = async () => {
    const d = await openDataset(db, { readOnly: true });
    try {
      return await tables(d);
    } finally {
      d.close();
    }
  };
  const before = { data: await fingerprint(db), inventory: await snapshot() };
  assert.equal(before.inventory.inv_enis.split(':')[0], '2');
  // the CLI streams what is over its threshold: a file of more ENIs than that, in several batches
  let n = 0;
  let text = '';
  while (Buffer.byteLength(text) < STREAM_ABOVE * 1.25) text = dump(1000, 1000 + (n += 4000));
  const inv = join(dir, 'big', '111111111111', 'us-east-1');
  mkdirSync(inv, { recursive: true });
  const file = join(inv, 'ec2.DescribeNetworkInterfaces.json');

  // cut short at 90 %: batches were loaded before the end was found missing
  const cut = Math.floor(text.length * 0.9);
  writeFileSync(file, text.slice(0, cut));
  const enrich = () => flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', join(dir, 'big'), '--db', db, '--quiet');
  /** What the CLI said about the inventory (a file that failed is told, the enrichment goes on with what loaded). */
  const told = (r: Run) => r.stdout.split('\n').filter((l) => l.startsWith('  inventory: '));
  let r = enrich();
  assert.deepEqual(told(r), [`  inventory: ${file}: invalid JSON at ${position(text, cut)}: the file ends before the JSON does (is it cut short?)`], r.stderr);
  assert.deepEqual({ data: await fingerprint(db), inventory: await snapshot() }, before);

  // a value without its quote two thirds of the way in
  const at = text.indexOf('"Status": "in-use"', Math.floor(text.length * 0.66)) + '"Status": '.length;
  writeFileSync(file, text.slice(0, at) + text.slice(at + 1));
  r = enrich();
  assert.deepEqual(told(r), [`  inventory: ${file}: invalid JSON at ${position(text, at)}: unexpected "i"`], r.stderr);
  assert.deepEqual({ data: await fingerprint(db), inventory: await snapshot() }, before);

  // whole, it loads, and is enriched with the rest
  writeFileSync(file, text);
  r = enrich();
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(told(r), []);
  const after = await snapshot();
  assert.equal(after.inv_obs_enis.split(':')[0], String(2 + n));
  assert.equal(readFileSync(file, 'utf8'), text);
});
