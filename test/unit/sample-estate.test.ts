import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseLogFormat } from '../../src/core/model/flowFields';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';
import { Db } from '../../src/core/store/db';

interface Side {
  addr: string;
  port: number;
  arn: string | null;
  /** The ENI's real owner where the truth says only what its records prove (arn null: seen before its AttachTime). */
  owner?: string;
  type: string;
  eni: string | null;
  vpc: string | null;
  subnet: string | null;
  az: string | null;
  account: string | null;
  region: string | null;
  sgs: string[];
  tags: Record<string, string>;
  awsService: string | null;
  rfc1918: boolean;
}
interface Truth {
  start: number;
  protocol: number;
  action: string;
  client: Side;
  server: Side;
  uploaded: number;
  downloaded: number;
  egressPath: string;
  crossAz: boolean;
  observers: string[];
  pattern: string;
}
interface Held {
  addr: string;
  vpc: string;
  eni: string;
  arn: string;
  from: number;
  to: number | null;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function digest(dir: string): Map<string, string> {
  return new Map(walk(dir).map((p) => [relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex')]));
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

interface Rec {
  fields: Record<string, string>;
  file: string;
}

const root = mkdtempSync(join(tmpdir(), 'flowlens-sample-test-'));
const dirA = join(root, 'a');
let manifest: SampleManifest;
let truth: Truth[];
let held: Held[];
const records: Rec[] = [];
const inventoryFiles = new Map<string, unknown>();

before(async () => {
  manifest = await writeSampleEstate(dirA, { seed: 42, days: 2, scale: 0.2 });
  truth = readJsonl<Truth>(join(manifest.truthDir, 'conversations.jsonl'));
  held = readJsonl<Held>(join(manifest.truthDir, 'addresses.jsonl'));
  for (const p of walk(manifest.inventoryDir)) inventoryFiles.set(relative(manifest.inventoryDir, p), JSON.parse(readFileSync(p, 'utf8')));
  // Read every flow record back, checking each line against its header as we go.
  const db = await Db.open(':memory:');
  try {
    for (const file of walk(join(dirA, 'flowlogs'))) {
      if (file.endsWith('.log.gz')) {
        const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
        const names = parseLogFormat(lines[0]).map((f) => f.name);
        lines.slice(1).forEach((line, i) => {
          const tokens = line.split(' ');
          assert.equal(tokens.length, names.length, `${file} line ${i + 2}: ${tokens.length} fields, header has ${names.length}`);
          records.push({ file, fields: Object.fromEntries(names.map((n, k) => [n, tokens[k]])) });
        });
      } else if (file.endsWith('.log.parquet')) {
        const rows = await db.all(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
        const cols = await db.all(`SELECT name, type FROM parquet_schema('${file.replace(/'/g, "''")}') WHERE num_children IS NULL`);
        const types = Object.fromEntries(cols.map((c) => [String(c.name), String(c.type)]));
        assert.equal(types.srcport, 'INT32', `${file}: srcport is INT32`);
        assert.equal(types.bytes, 'INT64', `${file}: bytes is INT64`);
        assert.equal(types.pkt_srcaddr, 'BYTE_ARRAY', `${file}: pkt_srcaddr is a string`);
        for (const r of rows) {
          records.push({ file, fields: Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/_/g, '-'), v === null ? '-' : String(v)])) });
        }
      } else if (file.includes('/cloudwatch/')) {
        const doc = JSON.parse(readFileSync(file, 'utf8')) as { events: { message: string; timestamp: number; logStreamName: string }[] };
        const names = parseLogFormat('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status').map((f) => f.name);
        for (const ev of doc.events) {
          const tokens = ev.message.split(' ');
          assert.equal(tokens.length, names.length, `${file}: event ${ev.message}`);
          const fields = Object.fromEntries(names.map((n, k) => [n, tokens[k]]));
          assert.equal(ev.timestamp, Number(fields.start) * 1000, `${file}: event timestamp is the record's start`);
          assert.equal(ev.logStreamName, `${fields['interface-id']}-all`);
          records.push({ file, fields });
        }
      } else assert.fail(`unexpected file in flowlogs/: ${file}`);
    }
  } finally {
    db.close();
  }
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('sample estate: determinism', () => {
  test('the same seed gives byte-identical output; another seed differs', async () => {
    const dirB = join(root, 'b');
    const dirC = join(root, 'c');
    await writeSampleEstate(dirB, { seed: 42, days: 2, scale: 0.2 });
    const a = digest(dirA);
    const b = digest(dirB);
    assert.ok(a.size > 100, `${a.size} files`);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, v] of a) assert.equal(b.get(k), v, `${k} differs between two runs with seed 42`);
    rmSync(dirB, { recursive: true, force: true });
    await writeSampleEstate(dirC, { seed: 7, days: 2, scale: 0.2 });
    const c = digest(dirC);
    assert.notEqual(c.get('truth/conversations.jsonl'), a.get('truth/conversations.jsonl'));
    assert.notEqual(c.get('inventory/111111111111/us-east-1/ec2.DescribeNetworkInterfaces.json'), a.get('inventory/111111111111/us-east-1/ec2.DescribeNetworkInterfaces.json'));
    rmSync(dirC, { recursive: true, force: true });
  });

  test('bad options are refused with a clear error', async () => {
    await assert.rejects(writeSampleEstate(join(root, 'x'), { days: 0 }), /days must be/);
    await assert.rejects(writeSampleEstate(join(root, 'x'), { start: 'yesterday' }), /start must be an ISO time/);
    await assert.rejects(writeSampleEstate(join(root, 'x'), { scale: -1 }), /scale must be/);
  });
});

describe('sample estate: internal consistency', () => {
  test('the manifest counts what was written', () => {
    assert.equal(manifest.records, records.length);
    assert.ok(manifest.conversations > 300, `${manifest.conversations} conversations`);
    assert.deepEqual(manifest.accounts, ['111111111111', '222222222222', '333333333333']);
    assert.equal(manifest.flowLogDirs.length, 5);
  });

  test('every truth address is in the inventory dumps (or CloudTrail) or is a public address', () => {
    const known = new Set<string>();
    for (const [name, doc] of inventoryFiles) {
      if (name.endsWith('ec2.DescribeNetworkInterfaces.json')) {
        for (const e of (doc as { NetworkInterfaces: { PrivateIpAddresses: { PrivateIpAddress: string }[]; Ipv6Addresses: { Ipv6Address: string }[]; NetworkInterfaceId: string }[] }).NetworkInterfaces) {
          for (const a of e.PrivateIpAddresses) known.add(`${e.NetworkInterfaceId}|${a.PrivateIpAddress}`);
          for (const a of e.Ipv6Addresses) known.add(`${e.NetworkInterfaceId}|${a.Ipv6Address}`);
        }
      }
      if (name.endsWith('cloudtrail.LookupEvents.json')) {
        for (const ev of (doc as { Events: { CloudTrailEvent: string }[] }).Events) {
          const d = JSON.parse(ev.CloudTrailEvent) as { eventName: string; responseElements: any };
          const items = d.eventName === 'CreateNetworkInterface' ? [d.responseElements.networkInterface]
            : d.eventName === 'RunInstances' ? d.responseElements.instancesSet.items.flatMap((i: any) => i.networkInterfaceSet.items) : [];
          for (const e of items) for (const a of e.privateIpAddressesSet.item) known.add(`${e.networkInterfaceId}|${a.privateIpAddress}`);
        }
      }
    }
    const ranges = JSON.parse(readFileSync(join(manifest.inventoryDir, 'ip-ranges.json'), 'utf8')) as { prefixes: { ip_prefix: string; service: string }[] };
    const inAws = (addr: string) => ranges.prefixes.some((p) => {
      const [base, len] = p.ip_prefix.split('/');
      const toInt = (a: string) => a.split('.').reduce((n, x) => n * 256 + Number(x), 0);
      const size = 2 ** (32 - Number(len));
      return toInt(addr) >= toInt(base) && toInt(addr) < toInt(base) + size;
    });
    let checked = 0;
    for (const t of truth) {
      for (const s of [t.client, t.server]) {
        if (s.eni) {
          assert.ok(known.has(`${s.eni}|${s.addr}`), `${s.addr} on ${s.eni} (${s.type}) is in no inventory dump`);
          checked++;
        } else if (s.type === 'aws:service') {
          assert.ok(inAws(s.addr), `${s.addr} (${s.awsService}) is not in ip-ranges.json`);
          assert.equal(s.rfc1918, false);
        } else {
          assert.equal(s.type, 'internet');
          assert.ok(!s.rfc1918 && !inAws(s.addr), `${s.addr} should be a public non-AWS address`);
        }
      }
    }
    assert.ok(checked > 500);
  });

  test("every conversation's observers logged records for it, and nobody else did", () => {
    const index = new Map<string, Rec[]>();
    for (const r of records) {
      if (r.fields['log-status'] !== 'OK') continue;
      const key = `${r.fields['interface-id']}|${r.fields.start}`;
      let list = index.get(key);
      if (!list) index.set(key, (list = []));
      list.push(r);
    }
    let matched = 0;
    for (const t of truth) {
      assert.ok(t.observers.length > 0 || t.client.vpc === null || true);
      for (const eni of t.observers) {
        const recs = index.get(`${eni}|${t.start}`) ?? [];
        const mine = recs.filter(
          (r) =>
            (r.fields.srcport === String(t.client.port) && r.fields.dstport === String(t.server.port)) ||
            (r.fields.srcport === String(t.server.port) && r.fields.dstport === String(t.client.port)),
        );
        assert.ok(mine.length >= 1, `${eni} logged nothing for ${t.pattern} at ${t.start} (${t.client.addr}:${t.client.port} -> ${t.server.addr}:${t.server.port})`);
        const up = mine.find((r) => r.fields.srcport === String(t.client.port));
        assert.equal(Number(up!.fields.bytes), t.uploaded, `${eni}: client->server bytes`);
        assert.equal(up!.fields.action, eni === t.server.eni ? t.action : 'ACCEPT');
        matched++;
      }
    }
    let ok = 0;
    for (const r of records) if (r.fields['log-status'] === 'OK') ok++;
    // Each observation is 2 records (4 for a NAT gateway, 1 for a rejected connection at the server).
    assert.ok(ok >= matched && ok <= matched * 4, `${ok} records for ${matched} observations`);
    // Shared-services has no flow log: its side of a conversation is never an observer.
    const tgw = truth.filter((t) => t.egressPath === 'transit-gateway');
    assert.ok(tgw.length > 0);
    for (const t of tgw) assert.deepEqual(t.observers, [t.client.eni]);
  });

  test('records carry what AWS records: own primary IP, pkt-* addresses, flags, NODATA/SKIPDATA', () => {
    const statuses = new Set(records.map((r) => r.fields['log-status']));
    assert.ok(statuses.has('NODATA') && statuses.has('SKIPDATA'), [...statuses].join(','));
    // EKS pod traffic: srcaddr is the CNI ENI's primary address, pkt-srcaddr the pod IP.
    const pod = truth.find((t) => t.client.type === 'eks:pod')!;
    const rec = records.find((r) => r.fields['interface-id'] === pod.client.eni && r.fields.start === String(pod.start) && r.fields.srcport === String(pod.client.port))!;
    assert.notEqual(rec.fields.srcaddr, pod.client.addr);
    assert.equal(rec.fields['pkt-srcaddr'], pod.client.addr);
    // A NAT gateway logs both legs: 4 records with its own address on its side.
    const viaNat = truth.find((t) => t.egressPath === 'nat-gateway' && t.observers.length === 2 && t.server.awsService === 'S3')!;
    const nat = viaNat.observers[1];
    const natRecs = records.filter((r) => r.fields['interface-id'] === nat && r.fields.start === String(viaNat.start) && (r.fields['pkt-dstaddr'] === viaNat.server.addr || r.fields['pkt-srcaddr'] === viaNat.server.addr));
    assert.equal(natRecs.length, 4);
    assert.ok(natRecs.some((r) => r.fields.srcaddr === viaNat.client.addr && r.fields['pkt-dstaddr'] === viaNat.server.addr && r.fields['flow-direction'] === 'ingress'));
    assert.ok(natRecs.some((r) => r.fields.dstaddr === viaNat.server.addr && r.fields['traffic-path'] === '8' && r.fields['pkt-dst-aws-service'] === 'S3'));
    // TCP flags: SYN from the client and SYN-ACK from the server in the first minute.
    const firsts = records.filter((r) => r.fields['tcp-flags'] !== undefined && r.fields['tcp-flags'] !== '-');
    const flags = new Set(firsts.map((r) => r.fields['tcp-flags']));
    for (const f of ['2', '18', '1', '0', '3', '19']) assert.ok(flags.has(f), `tcp-flags ${f} appears`);
    // Interface endpoint ENIs log with account-id 'unknown'.
    assert.ok(records.some((r) => r.fields['account-id'] === 'unknown'));
  });

  test('private addresses are reused over time, never by two holders at once', () => {
    const byAddr = new Map<string, Held[]>();
    for (const h of held) {
      const k = `${h.vpc}|${h.addr}`;
      byAddr.set(k, [...(byAddr.get(k) ?? []), h]);
    }
    let reused = 0;
    for (const [k, list] of byAddr) {
      list.sort((a, b) => a.from - b.from);
      for (let i = 1; i < list.length; i++) {
        if (list[i].eni === list[i - 1].eni) continue;
        assert.ok(list[i - 1].to !== null && list[i - 1].to! <= list[i].from, `${k} held by ${list[i - 1].eni} and ${list[i].eni} at once`);
        reused++;
      }
    }
    assert.ok(reused >= 1, 'at least one address changes hands');
    // The truth names the holder at that minute.
    const holderAt = (vpc: string, addr: string, t: number) => byAddr.get(`${vpc}|${addr}`)?.find((h) => h.from <= t && (h.to === null || h.to > t));
    for (const t of truth) {
      for (const s of [t.client, t.server]) {
        if (!s.eni) continue;
        const h = holderAt(s.vpc!, s.addr, t.start);
        assert.ok(h, `${s.addr} in ${s.vpc} had no holder at ${t.start}`);
        assert.equal(h.eni, s.eni);
        assert.equal(h.arn, s.arn ?? s.owner);
      }
    }
    // A reused address carried traffic for more than one holder.
    const holders = new Map<string, Set<string>>();
    for (const t of truth) for (const s of [t.client, t.server]) if (s.eni) holders.set(`${s.vpc}|${s.addr}`, (holders.get(`${s.vpc}|${s.addr}`) ?? new Set()).add(s.eni));
    assert.ok([...holders.values()].some((s) => s.size > 1), 'traffic reached two holders of one address');
  });
});

describe('sample estate: the patterns the query templates look for', () => {
  const some = (what: string, f: (t: Truth) => boolean) => assert.ok(truth.some(f), `no conversation shows ${what}`);

  test('each pattern exists in the truth', () => {
    some('cross-AZ traffic', (t) => t.crossAz);
    assert.ok(truth.every((t) => !t.crossAz || (t.client.region === t.server.region && t.client.az !== t.server.az)));
    some('an ALB in front of instances', (t) => t.client.type === 'elasticloadbalancing:loadbalancer' && t.server.type === 'ec2:instance');
    some('ALB bypass (instance to a target-group instance directly)', (t) => t.pattern === 'alb-bypass' && t.client.type === 'ec2:instance' && t.server.type === 'ec2:instance' && t.server.port === 8080);
    some('an NLB', (t) => t.server.type === 'elasticloadbalancing:loadbalancer' && t.server.port === 443 && t.client.type === 'internet');
    some('Lambda reaching RDS directly', (t) => t.client.type === 'lambda:function' && t.server.type === 'rds:db');
    some('RDS through RDS Proxy', (t) => t.server.type === 'rds:db-proxy');
    some('RDS Proxy to its database', (t) => t.client.type === 'rds:db-proxy' && t.server.type === 'rds:db');
    some('ElastiCache', (t) => t.server.type === 'elasticache:cluster');
    some('S3 through a NAT gateway', (t) => t.egressPath === 'nat-gateway' && t.server.awsService === 'S3');
    some('DynamoDB through a NAT gateway', (t) => t.egressPath === 'nat-gateway' && t.server.awsService === 'DYNAMODB');
    some('S3 through a gateway endpoint', (t) => t.egressPath === 'gateway-endpoint' && t.server.awsService === 'S3');
    some('an interface endpoint', (t) => t.egressPath === 'interface-endpoint' && t.server.type === 'ec2:vpc-endpoint');
    some('intra-region peering', (t) => t.egressPath === 'peering-intra-region' && t.client.account !== t.server.account);
    some('inter-region peering', (t) => t.egressPath === 'peering-inter-region' && t.client.region !== t.server.region);
    some('a transit gateway', (t) => t.egressPath === 'transit-gateway' && t.client.vpc !== t.server.vpc);
    some('an internet gateway', (t) => t.egressPath === 'internet-gateway');
    some('ECS tasks', (t) => t.client.type === 'ecs:task' || t.server.type === 'ecs:task');
    some('EKS pods', (t) => t.client.type === 'eks:pod');
    some('rejected traffic', (t) => t.action === 'REJECT' && t.server.sgs.length > 0);
    some('IPv6', (t) => t.client.addr.includes(':') && t.server.addr.includes(':'));
    some('stack-name tags', (t) => 'aws:cloudformation:stack-name' in t.client.tags);
    const internetOwners = new Set(truth.filter((t) => t.server.type === 'internet' && t.egressPath === 'nat-gateway').map((t) => t.client.tags.owner ?? t.client.type));
    assert.ok(internetOwners.size >= 3, `internet egress from ${[...internetOwners].join(', ')}`);
    const accounts = new Set(truth.map((t) => t.client.account).filter(Boolean));
    assert.equal(accounts.size, 3);
  });

  test('tags change over time and the truth follows them', () => {
    const owners = new Map<string, Set<string>>();
    for (const t of truth) for (const s of [t.client, t.server]) if (s.arn && s.type === 'ec2:instance') owners.set(s.arn, (owners.get(s.arn) ?? new Set()).add(s.tags.owner));
    assert.ok([...owners.values()].some((o) => o.has('team-api') && o.has('team-payments')), 'an instance changed owner');
    const tagEvents = [...inventoryFiles.entries()]
      .filter(([n]) => n.endsWith('cloudtrail.LookupEvents.json'))
      .flatMap(([, d]) => (d as { Events: { EventName: string }[] }).Events.map((e) => e.EventName));
    for (const name of ['CreateTags', 'DeleteTags', 'CreateNetworkInterface', 'DeleteNetworkInterface', 'RunInstances', 'TerminateInstances']) {
      assert.ok(tagEvents.includes(name), `CloudTrail has ${name}`);
    }
  });

  test('ENIs carry the Description / InterfaceType / RequesterId AWS sets for each kind', () => {
    const enis = [...inventoryFiles.entries()]
      .filter(([n]) => n.endsWith('ec2.DescribeNetworkInterfaces.json'))
      .flatMap(([, d]) => (d as { NetworkInterfaces: any[] }).NetworkInterfaces);
    const expect: [string, RegExp, string, (e: any) => boolean][] = [
      ['EC2 instance', /^(Primary network interface)?$/, 'interface', (e) => !!e.Attachment?.InstanceId && e.RequesterManaged === false],
      ['ALB', /^ELB app\/[\w-]+\/[0-9a-f]{16}$/, 'interface', (e) => e.RequesterId === 'amazon-elb'],
      ['NLB', /^ELB net\/[\w-]+\/[0-9a-f]{16}$/, 'network_load_balancer', (e) => e.RequesterId === 'amazon-elb' && !!e.Association?.PublicIp],
      ['NAT gateway', /^Interface for NAT Gateway nat-[0-9a-f]{17}$/, 'nat_gateway', (e) => e.Attachment?.InstanceOwnerId === 'amazon-aws' && e.SourceDestCheck === false],
      ['interface endpoint', /^VPC Endpoint Interface vpce-[0-9a-f]{17}$/, 'vpc_endpoint', (e) => e.RequesterManaged === true],
      ['Lambda', /^AWS Lambda VPC ENI-[\w-]+-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'lambda', (e) => e.RequesterManaged === true],
      ['RDS', /^RDSNetworkInterface$/, 'interface', (e) => e.RequesterId === 'amazon-rds'],
      ['ElastiCache', /^ElastiCache [\w-]+$/, 'interface', (e) => e.RequesterId === 'amazon-elasticache'],
      ['ECS task', /^arn:aws:ecs:[\w-]+:\d{12}:attachment\/[0-9a-f-]{36}$/, 'interface', (e) => e.RequesterManaged === true],
      ['EKS node', /^aws-K8S-i-[0-9a-f]{17}$/, 'interface', (e) => e.PrivateIpAddresses.length > 1 && !!e.Attachment?.InstanceId],
      ['transit gateway attachment', /^Network Interface for Transit Gateway Attachment tgw-attach-/, 'transit_gateway', () => true],
    ];
    for (const [what, desc, type, more] of expect) {
      assert.ok(enis.some((e) => desc.test(e.Description) && e.InterfaceType === type && more(e)), `no ${what} ENI`);
    }
  });

  test('DescribeFlowLogs describes each delivery truthfully', () => {
    const logs = [...inventoryFiles.entries()]
      .filter(([n]) => n.endsWith('ec2.DescribeFlowLogs.json'))
      .flatMap(([, d]) => (d as { FlowLogs: any[] }).FlowLogs);
    assert.equal(logs.length, 5);
    const parquet = logs.find((l) => l.DestinationOptions?.FileFormat === 'parquet')!;
    assert.ok(records.some((r) => r.file.endsWith('.log.parquet') && r.file.includes(parquet.FlowLogId)));
    const hive = logs.find((l) => l.DestinationOptions?.HiveCompatiblePartitions)!;
    assert.equal(hive.DestinationOptions.PerHourPartition, true);
    assert.ok(records.some((r) => r.file.includes('aws-account-id=') && r.file.includes('/hour=') && r.file.includes(hive.FlowLogId)));
    const cwl = logs.find((l) => l.LogDestinationType === 'cloud-watch-logs')!;
    assert.ok(cwl.LogGroupName);
    for (const l of logs) {
      // AWS's default: 10 minutes; an idle interval is a NODATA record, and no record spans more than one
      assert.equal(l.MaxAggregationInterval, 600);
      const mineAll = records.filter((r) => r.file.includes(l.FlowLogId) || (l.LogDestinationType === 'cloud-watch-logs' && r.file.includes('/cloudwatch/')));
      assert.ok(mineAll.some((r) => r.fields['log-status'] === 'NODATA' && Number(r.fields.end) - Number(r.fields.start) === 600), l.FlowLogId);
      assert.deepEqual(mineAll.filter((r) => r.fields.start && Number(r.fields.end) - Number(r.fields.start) > 600), []);
      const fields = parseLogFormat(l.LogFormat).map((f) => f.name);
      const mine = records.find((r) => r.fields['interface-id'] && (r.file.includes(l.FlowLogId) || (l.LogDestinationType === 'cloud-watch-logs' && r.file.includes('/cloudwatch/'))))!;
      assert.deepEqual(Object.keys(mine.fields), fields, `${l.FlowLogId}: records follow the LogFormat`);
    }
  });
});

describe('sample estate: growth over two months', () => {
  test('the second month carries clearly more bytes a day, mostly S3 through NAT', async () => {
    const dir = join(root, 'growth');
    // 36 days: month 2 starts on day 30; compare bytes per day.
    const m = await writeSampleEstate(dir, { seed: 3, days: 36, scale: 0.05, conversationsPerHour: 10 });
    const lines = readJsonl<Truth>(join(m.truthDir, 'conversations.jsonl'));
    const month2 = Date.parse('2026-10-01T00:00:00Z') / 1000;
    const perDay = (f: (t: Truth) => boolean, days: number) => lines.filter(f).reduce((n, t) => n + t.uploaded + t.downloaded, 0) / days;
    const m1 = perDay((t) => t.start < month2, 30);
    const m2 = perDay((t) => t.start >= month2, 6);
    assert.ok(m2 > m1 * 1.5, `month 2 ${m2} bytes/day vs month 1 ${m1}`);
    const nat1 = perDay((t) => t.start < month2 && t.egressPath === 'nat-gateway' && t.server.awsService === 'S3', 30);
    const nat2 = perDay((t) => t.start >= month2 && t.egressPath === 'nat-gateway' && t.server.awsService === 'S3', 6);
    assert.ok(nat2 - nat1 > 0.5 * (m2 - m1), `S3 through NAT grew by ${nat2 - nat1} of ${m2 - m1} bytes/day`);
    // The ASG scaled out in month 2: new instances appear in CloudTrail RunInstances.
    const trail = JSON.parse(readFileSync(join(m.inventoryDir, '111111111111', 'us-east-1', 'cloudtrail.LookupEvents.json'), 'utf8')) as { Events: { EventName: string; EventTime: string }[] };
    assert.ok(trail.Events.some((e) => e.EventName === 'RunInstances' && Date.parse(e.EventTime) / 1000 >= month2));
    rmSync(dir, { recursive: true, force: true });
  });
});
