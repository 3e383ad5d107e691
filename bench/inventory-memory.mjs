// Inventory loading memory: a DescribeNetworkInterfaces dump of many ENIs (the shape
// `aws ec2 describe-network-interfaces --output json` writes: {"NetworkInterfaces": [...]} with Attachment,
// Association, Groups, TagSet, PrivateIpAddresses, Ipv6Addresses, …) plus a small flow-log file, enriched by
// the CLI (dist/cli.js) in a child process under /usr/bin/time -v: prints the file's size, the wall time and
// the peak RSS of the whole process. Figures, not assertions.
//
//   npm run build && node bench/inventory-memory.mjs [--enis 100000] [--indent 0|4] [--mb 600] [--memory 500MB] [--runs 1]
//
//   --enis N     ENIs in the dump (100,000 with --indent 0 is about 84 MB, the size issue 10 names)
//   --indent K   0: one line (jq -c, SDK dumps); 4: the AWS CLI's pretty print (about 2.4x the bytes)
//   --mb M       instead of --enis: as many ENIs as make an M MB file (600: the 587 MB dump of issue 10)
//   --runs R     enrich R times, each into a new dataset, one after the other
//   --clean      remove the generated dump afterwards (else it stays in bench/.data/inventory-memory and is
//                reused by the next run with the same parameters)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const { values: opt } = parseArgs({
  options: {
    enis: { type: 'string', default: '100000' },
    indent: { type: 'string', default: '0' },
    mb: { type: 'string' },
    memory: { type: 'string' },
    runs: { type: 'string', default: '1' },
    clean: { type: 'boolean' },
  },
});
if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build first`);
const indent = Number(opt.indent);
const targetBytes = opt.mb ? Number(opt.mb) * 1e6 : Infinity;
const maxEnis = opt.mb ? Infinity : Number(opt.enis);
const account = '111111111111';
const region = 'us-east-1';
const data = join(here, '.data', 'inventory-memory');
const tag = opt.mb ? `${opt.mb}mb` : `${maxEnis}`;
const inventory = join(data, `inventory-${tag}-i${indent}`);
const file = join(inventory, account, region, 'ec2.DescribeNetworkInterfaces.json');
const flows = join(data, 'flows.log');
const FLOW_RECORDS = 200_000;
const FLOW_ENIS = 5_000;

/** A deterministic 32-bit hash, so every run makes the same estate. */
function h32(n) {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
const hex = (n, w) => n.toString(16).padStart(w, '0');
const eniId = (i) => `eni-0${hex(i, 16)}`;
/** ENI i's primary address: 10.(i / 65536 % 256).(i / 256 % 256).(i % 256), VPC i / 65536. */
const ip = (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TYPES = ['interface', 'interface', 'interface', 'lambda', 'network_load_balancer', 'vpc_endpoint', 'nat_gateway'];

function eni(i) {
  const r = h32(i);
  const vpc = `vpc-0${hex(i >>> 16, 16)}`;
  const az = AZS[r % 3];
  const type = TYPES[(r >>> 3) % TYPES.length];
  const instance = type === 'interface';
  const secondaries = (r >>> 7) % 4 === 0 ? 1 + ((r >>> 9) % 2) : 0;
  const priv = [ip(i)];
  for (let k = 1; k <= secondaries; k++) priv.push(`172.${16 + (k % 16)}.${(i >>> 8) & 255}.${i & 255}`);
  const dns = (a) => `ip-${a.replaceAll('.', '-')}.ec2.internal`;
  const pub = (r >>> 11) % 4 === 0 ? `54.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}` : undefined;
  const assoc = pub ? { IpOwnerId: 'amazon', PublicDnsName: `ec2-${pub.replaceAll('.', '-')}.compute-1.amazonaws.com`, PublicIp: pub } : undefined;
  return {
    ...(assoc ? { Association: assoc } : {}),
    Attachment: {
      AttachTime: new Date(Date.UTC(2026, 0, 1) + (r % 86_400_000) * 100).toISOString().replace(/\.\d+Z$/, '+00:00'),
      AttachmentId: `${instance ? 'eni-attach' : 'ela-attach'}-0${hex(i, 16)}`,
      DeleteOnTermination: instance,
      DeviceIndex: instance ? 0 : 1,
      NetworkCardIndex: 0,
      ...(instance ? { InstanceId: `i-0${hex(i, 16)}` } : {}),
      InstanceOwnerId: instance ? account : 'amazon-aws',
      Status: 'attached',
    },
    AvailabilityZone: az,
    AvailabilityZoneId: `use1-az${1 + (r % 3)}`,
    Description: instance ? '' : `${type} interface ${i}`,
    Groups: [{ GroupId: `sg-0${hex(r % 997, 16)}`, GroupName: `app-${r % 997}` }, ...((r >>> 5) % 2 ? [{ GroupId: 'sg-0000000000000001a', GroupName: 'default' }] : [])],
    InterfaceType: type,
    Ipv6Addresses: [],
    MacAddress: `0e:${hex((i >>> 24) & 255, 2)}:${hex((i >>> 16) & 255, 2)}:${hex((i >>> 8) & 255, 2)}:${hex(i & 255, 2)}:${hex(r & 255, 2)}`,
    NetworkInterfaceId: eniId(i),
    OwnerId: account,
    PrivateDnsName: dns(priv[0]),
    PrivateIpAddress: priv[0],
    PrivateIpAddresses: priv.map((a, k) => ({ ...(k === 0 && assoc ? { Association: assoc } : {}), Primary: k === 0, PrivateDnsName: dns(a), PrivateIpAddress: a })),
    RequesterId: instance ? undefined : 'AROAEXAMPLE:service',
    RequesterManaged: !instance,
    SourceDestCheck: true,
    Status: 'in-use',
    SubnetId: `subnet-0${hex(((i >>> 16) << 2) | (r % 3), 16)}`,
    TagSet: instance ? [{ Key: 'Name', Value: `app-${r % 997}-${i}` }, { Key: 'team', Value: `team-${r % 31}` }] : [],
    VpcId: vpc,
  };
}

/** Writes the dump in pieces (never one string of it all), as the AWS CLI lays it out. */
function writeInventory() {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const nl = indent ? '\n' : '';
  const pad = (n) => ' '.repeat(indent * n);
  let bytes = 0;
  let n = 0;
  const put = (s) => {
    writeSync(fd, s);
    bytes += Buffer.byteLength(s);
  };
  put(`{${nl}${pad(1)}"NetworkInterfaces":${indent ? ' ' : ''}[${nl}`);
  let chunk = [];
  for (; n < maxEnis && bytes < targetBytes; n++) {
    const text = JSON.stringify(eni(n), null, indent || undefined);
    chunk.push((n ? `,${nl}` : '') + (indent ? text.replace(/^/gm, pad(2)) : text));
    if (chunk.length === 1000) {
      put(chunk.join(''));
      chunk = [];
    }
  }
  put(chunk.join('') + `${nl}${pad(1)}]${nl}}${nl}`);
  closeSync(fd);
  return n;
}

/** FLOW_RECORDS default-format records between the first FLOW_ENIS ENIs of the dump. */
function writeFlows() {
  mkdirSync(data, { recursive: true });
  const fd = openSync(flows, 'w');
  writeSync(fd, 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n');
  const t0 = Date.UTC(2026, 8, 1) / 1000;
  let lines = [];
  for (let k = 0; k < FLOW_RECORDS; k++) {
    const r = h32(k + 1e9);
    const a = r % FLOW_ENIS;
    const b = (r >>> 13) % FLOW_ENIS;
    const t = t0 + (k % 1440) * 60;
    lines.push(`2 ${account} ${eniId(a)} ${ip(a)} ${ip(b)} ${32768 + (r % 28000)} 443 6 ${1 + (r % 50)} ${100 + (r % 100000)} ${t} ${t + 59} ACCEPT OK`);
    if (lines.length === 10000) {
      writeSync(fd, lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length) writeSync(fd, lines.join('\n') + '\n');
  closeSync(fd);
}

let t = performance.now();
let count;
if (!existsSync(file)) {
  rmSync(inventory, { recursive: true, force: true });
  count = writeInventory();
  console.log(`generated ${count.toLocaleString('en-US')} ENIs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (!existsSync(flows)) writeFlows();
const size = statSync(file).size;
console.log(`inventory: ${file.slice(here.length + 1)}, ${(size / 1e6).toFixed(1)} MB (indent ${indent}); flows: ${FLOW_RECORDS.toLocaleString('en-US')} records`);

/** One CLI enrich into a new dataset under /usr/bin/time -v: wall seconds, peak RSS, exit status, its last lines. */
function enrichOnce(run) {
  const db = join(data, `run.duckdb`);
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  const args = ['-v', process.execPath, cli, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--quiet',
    ...(opt.memory ? ['--memory', opt.memory] : [])];
  t = performance.now();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t) / 1000;
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  const said = (r.stdout + r.stderr).split('\n').filter((l) => l && !/^\s+\S.*:\s/.test(l) && !l.startsWith('\tCommand')).slice(-3);
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  console.log(`run ${run}: exit ${r.status}, ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB${r.status ? `\n  ${said.join('\n  ')}` : ''}`);
  return { status: r.status, seconds, peak };
}

const runs = [];
for (let i = 1; i <= Number(opt.runs); i++) runs.push(enrichOnce(i));
const ok = runs.filter((r) => r.status === 0);
if (ok.length) {
  console.log(`${ok.length}/${runs.length} succeeded; peak RSS max ${Math.max(...ok.map((r) => r.peak)).toFixed(0)} MiB, ` +
    `time min ${Math.min(...ok.map((r) => r.seconds)).toFixed(1)} s (${(size / 1e6 / Math.min(...ok.map((r) => r.seconds))).toFixed(1)} MB/s of inventory)`);
}
if (opt.clean) rmSync(inventory, { recursive: true, force: true });
