/**
 * The `flowlens` command as a user runs it: a real process, real files, exit codes and one-line errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';

const CLI = join(__dirname, '..', '..', 'src', 'cli.js');
let dir: string;

function flowlens(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, TMPDIR: dir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('usage errors are one line and exit 2', () => {
  const r = flowlens('frobnicate');
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  const e = flowlens('enrich', '--db', join(dir, 'x.duckdb'));
  assert.equal(e.code, 2);
  assert.match(e.stderr, /enrich needs --sample, --flow-logs <files\/dirs> with --inventory <dir>, or AWS options/);
  const m = flowlens('enrich', '--flow-logs', join(dir, 'missing'), '--db', join(dir, 'x.duckdb'));
  assert.match(m.stderr, /no such file or folder: .*missing/);
  const q = flowlens('query', 'cross-az', '--db', join(dir, 'nope.duckdb'));
  assert.equal(q.code, 2);
  assert.match(q.stderr, /no dataset at .*nope\.duckdb/);
  const t = flowlens('query', 'no-such-template', '--db', join(dir, 'nope.duckdb'));
  assert.match(t.stderr, /no template "no-such-template"; templates: alb-bypass/);
  const p = flowlens('query', 'top-talkers', '--param', 'top=many', '--db', join(dir, 'nope.duckdb'));
  assert.match(p.stderr, /parameter top: "many" is not a whole number/);
  assert.equal(t.code, 2);
});

test('templates lists every template with its parameters, including user snippets', () => {
  const snippets = join(dir, 'snippets');
  mkdirSync(snippets);
  writeFileSync(join(snippets, 'busiest-ports.sql'), '-- title: Busiest ports\n-- description: ports by bytes, my own question\nSELECT server_port, sum(uploaded + downloaded) AS bytes FROM conversations GROUP BY 1 ORDER BY 2 DESC\n');
  const r = flowlens('templates', '--snippets', snippets);
  assert.equal(r.code, 0, r.stderr);
  for (const id of ['cross-az', 'alb-bypass', 'lambda-rds-without-proxy', 'transfer-growth', 'busiest-ports']) assert.match(r.stdout, new RegExp(`^${id}$`, 'm'));
  assert.match(r.stdout, /--param tag_key=app/);
});

test('enrich from folders, query in every format, export jsonl; a bad line is reported with its line number', () => {
  const flows = join(dir, 'flows');
  const inv = join(dir, 'inventory');
  mkdirSync(flows);
  mkdirSync(inv);
  writeFileSync(join(inv, 'ec2.DescribeNetworkInterfaces.json'), JSON.stringify({ NetworkInterfaces: [
    { NetworkInterfaceId: 'eni-0a0000000000000a1', InterfaceType: 'interface', Description: 'Primary network interface', OwnerId: '111111111111',
      AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1', VpcId: 'vpc-0a', Status: 'in-use', RequesterManaged: false,
      Attachment: { InstanceId: 'i-0a0000000000000a1', InstanceOwnerId: '111111111111', DeviceIndex: 0, Status: 'attached' },
      Groups: [{ GroupId: 'sg-0a1', GroupName: 'web' }], PrivateIpAddress: '10.0.1.10',
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.10' }], Ipv6Addresses: [], TagSet: [] },
    { NetworkInterfaceId: 'eni-0a0000000000000b2', InterfaceType: 'interface', Description: 'Primary network interface', OwnerId: '111111111111',
      AvailabilityZone: 'us-east-1b', SubnetId: 'subnet-0b2', VpcId: 'vpc-0a', Status: 'in-use', RequesterManaged: false,
      Attachment: { InstanceId: 'i-0a0000000000000b2', InstanceOwnerId: '111111111111', DeviceIndex: 0, Status: 'attached' },
      Groups: [{ GroupId: 'sg-0b2', GroupName: 'api' }], PrivateIpAddress: '10.0.2.20',
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.2.20' }], Ipv6Addresses: [], TagSet: [] },
  ] }));
  writeFileSync(join(flows, 'a.log'), [
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    '2 111111111111 eni-0a0000000000000a1 10.0.1.10 10.0.2.20 40000 8080 6 10 4249 1790000040 1790000099 ACCEPT OK',
    '2 111111111111 eni-0a0000000000000a1 10.0.2.20 10.0.1.10 8080 40000 6 5 332 1790000040 1790000099 ACCEPT OK',
    '2 111111111111 eni-0a0000000000000a1 10.0.1.10 10.0.2.20 notaport 8080 6 1 1 1790000040 1790000099 ACCEPT OK',
  ].join('\n') + '\n');
  const db = join(dir, 'd.duckdb');
  const r = flowlens('enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /2 flow records from 1 file/);
  assert.match(r.stdout, /a\.log: 1 bad line\n\s+line 4: /);
  const again = flowlens('enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.match(again.stdout, /0 flow records from 0 files \(1 already loaded\)/);

  const json = JSON.parse(flowlens('query', 'cross-az', '--db', db, '--format', 'json').stdout);
  assert.equal(json.length, 1);
  assert.equal(json[0].client_app, 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000a1');
  assert.equal(json[0].bytes, 4249 + 332);
  const csv = flowlens('query', 'cross-az', '--db', db, '--format', 'csv').stdout.trim().split('\n');
  assert.equal(csv.length, 2);
  assert.match(csv[0], /^client_app,client_az,server_app,server_az,uploaded,downloaded,bytes/);
  const table = flowlens('query', 'cross-az', '--db', db).stdout;
  assert.match(table, /4\.15 KiB/);
  // est_cost_usd is money by its name: written with a dollar sign, not a bare 0.
  assert.match(table, /\$0\.00\b/);

  const out = join(dir, 'c.jsonl');
  const ex = flowlens('export', '--db', db, '--format', 'jsonl', '--out', out);
  assert.equal(ex.code, 0, ex.stderr);
  const line = JSON.parse(readFileSync(out, 'utf8').trim());
  assert.equal(line.Protocol, 'tcp');
  assert.equal(line.Uploaded, 4249);
  assert.equal(line.Downloaded, 332);
  assert.equal(line.Start, '1790000040');
  assert.equal(line.Client.Type, 'ec2:instance');
  assert.equal(line.Server.InterfaceId, 'eni-0a0000000000000b2');
  assert.deepEqual(line.Server.SecurityGroupIds, ['sg-0b2']);
  assert.equal(line.CrossAz, true);

  // lists and maps (tags) as JSON, alike in every output: a map is an object of its keys, as the JSONL export writes it
  const nested = flowlens('sql', `SELECT MAP {'Name': 'web', 'owner': 'team-web'} AS tags, ['sg-0a1'] AS groups, [MAP {1: 'a'}] AS deep`, '--db', db, '--format', 'json');
  assert.equal(nested.code, 0, nested.stderr);
  assert.deepEqual(JSON.parse(nested.stdout), [{ tags: { Name: 'web', owner: 'team-web' }, groups: ['sg-0a1'], deep: [{ 1: 'a' }] }]);
  assert.equal(flowlens('sql', `SELECT MAP {'Name': 'web'} AS tags`, '--db', db, '--format', 'csv').stdout, 'tags\n"{""Name"":""web""}"\n');
  const exports = join(dir, 'exports');
  mkdirSync(exports);
  const csvOut = join(exports, 'c.csv');
  assert.equal(flowlens('export', '--db', db, '--format', 'csv', '--out', csvOut).code, 0);
  const back = flowlens('sql', `SELECT server_security_group_ids AS g FROM read_csv('${csvOut}')`, '--db', db, '--export-dir', exports, '--format', 'json');
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(JSON.parse(JSON.parse(back.stdout)[0].g), ['sg-0b2'], 'the export\'s CSV writes a list as JSON');
});

test('the memory budget: 500MB unless --memory says otherwise; a bad size is a usage error', async () => {
  const db = join(dir, 'mem.duckdb');
  (await openDataset(db)).close();
  const setting = (...extra: string[]) => {
    const r = flowlens('sql', `SELECT current_setting('memory_limit') AS m`, '--db', db, '--format', 'json', ...extra);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout)[0].m as string;
  };
  // DuckDB reports 1000-based sizes in binary units: 500MB is 476.8 MiB
  assert.equal(setting(), '476.8 MiB');
  assert.equal(setting('--memory', '2GB'), '1.8 GiB');
  const bad = flowlens('sql', 'SELECT 1', '--db', db, '--memory', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--memory takes a size such as 500MB or 4GB, not "lots"/);
  // a budget too small for the work: DuckDB's error, and what to do about it, on one line
  const small = flowlens('enrich', '--sample', '--days', '1', '--memory', '16MB', '--db', join(dir, 'small.duckdb'), '--quiet');
  assert.equal(small.code, 1, small.stderr + small.stdout);
  assert.equal(small.stderr.trim().split('\n').length, 1, small.stderr);
  assert.match(small.stderr, /Out of Memory Error.* — DuckDB ran out of its memory budget: give it more with --memory \(it is 16MB\), e\.g\. --memory 2GB/);
});

test('enrich keeps no raw records unless --keep-records; --rebuild makes every fact again, the same', async () => {
  const flows = join(dir, 'keep-flows');
  mkdirSync(flows, { recursive: true });
  const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  writeFileSync(join(flows, 'a.log'), `${header}\n2 111111111111 eni-1 10.0.1.10 10.0.2.20 40000 8080 6 10 4249 1790000040 1790000099 ACCEPT OK\n`);
  writeFileSync(join(flows, 'b.log'), `${header}\n2 111111111111 eni-1 10.0.2.20 10.0.1.10 8080 40000 6 5 332 1790000040 1790000099 ACCEPT OK\n`);
  const state = async (path: string) => {
    const db = await openDataset(path, { readOnly: true });
    try {
      const [r] = await db.json(`SELECT (SELECT value FROM meta WHERE key = 'keep_records') AS keep,
        (SELECT count(*) FROM flow_record_tables) AS stored_tables, (SELECT count(*) FROM record_files) AS read_from_files,
        (SELECT count(*) FROM flow_records) AS records, (SELECT sum(bytes) FROM flow_records) AS bytes,
        (SELECT count(*) FROM conversations) AS conversations, (SELECT sum(uploaded + downloaded) FROM conversations) AS total`);
      return r;
    } finally {
      db.close();
    }
  };
  const lean = join(dir, 'lean.duckdb');
  assert.equal(flowlens('enrich', '--flow-logs', flows, '--db', lean, '--quiet').code, 0);
  assert.deepEqual(await state(lean), { keep: 'false', stored_tables: 0, read_from_files: 2, records: 2, bytes: 4581, conversations: 1, total: 4581 });
  const kept = join(dir, 'kept.duckdb');
  assert.equal(flowlens('enrich', '--flow-logs', flows, '--db', kept, '--keep-records', '--quiet').code, 0);
  assert.deepEqual(await state(kept), { keep: 'true', stored_tables: 1, read_from_files: 0, records: 2, bytes: 4581, conversations: 1, total: 4581 });
  for (const path of [lean, kept]) {
    const before = await state(path);
    const r = flowlens('enrich', '--flow-logs', flows, '--db', path, '--rebuild', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 flow records from 0 files \(2 already loaded\), 1 conversation/);
    assert.deepEqual(await state(path), before);
  }
  // --no-keep-records on a dataset that kept them: the choice is the dataset's from then on
  assert.equal(flowlens('enrich', '--flow-logs', flows, '--db', kept, '--no-keep-records', '--quiet').code, 0);
  assert.equal((await state(kept)).keep, 'false');
  const both = flowlens('enrich', '--flow-logs', flows, '--db', kept, '--keep-records', '--no-keep-records');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--keep-records or --no-keep-records, not both/);
});

test('a table for people names resources (Name tag, load balancer and target group names), never a cut ARN; JSON keeps the ARNs', () => {
  const db = join(dir, 'names.duckdb');
  const made = flowlens('enrich', '--sample', '--days', '3', '--db', db, '--quiet');
  assert.equal(made.code, 0, made.stderr);
  const table = flowlens('query', 'alb-bypass', '--db', db);
  assert.equal(table.code, 0, table.stderr);
  assert.doesNotMatch(table.stdout, /arn:|…/);
  const json = JSON.parse(flowlens('query', 'alb-bypass', '--db', db, '--format', 'json').stdout) as Record<string, string>[];
  assert.ok(json.length > 0);
  const lines = table.stdout.trimEnd().split('\n').slice(2);
  assert.equal(lines.length, json.length);
  // each row's load balancer and target group by the names their ARNs carry; a client by its Name tag and short id
  for (const [i, r] of json.entries()) {
    const lb = /loadbalancer\/app\/([^/]+)\//.exec(r.load_balancer)![1];
    const tg = /targetgroup\/([^/]+)\//.exec(r.target_group)![1];
    assert.match(lines[i], new RegExp(`\\s${lb}\\s+${tg}\\s`));
    assert.match(lines[i], new RegExp(`^\\S+ \\(i-[0-9a-f]{6}\\)\\s+ec2:instance`));
  }
});

test('enrich prints the files it has read at most once a second, and the last count, not a line per file', () => {
  const logs = join(dir, 'many');
  mkdirSync(logs);
  // each prose file is read on its own (no batch), so ingest tells every one of them
  for (let k = 0; k < 40; k++) writeFileSync(join(logs, `note-${String(k).padStart(2, '0')}.txt`), `Meeting notes, week ${k}: nothing yet.\n`);
  writeFileSync(join(logs, 'z.log'), 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 111111111111 eni-0a1b2c3d4e5f60001 10.0.0.1 10.0.0.2 40000 443 6 1 100 1790000000 1790000060 ACCEPT OK\n');
  const r = flowlens('enrich', '--flow-logs', logs, '--inventory', logs, '--db', join(dir, 'many.duckdb'), '--allow-partial');
  const counted = r.stderr.split('\n').filter((l) => /^\[flow-logs\] \d+ of 41 files read$/.test(l));
  assert.ok(counted.length >= 1 && counted.length <= 3, r.stderr);
  assert.equal(counted.at(-1), '[flow-logs] 41 of 41 files read');
});
