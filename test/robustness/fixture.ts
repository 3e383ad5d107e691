/**
 * What the robustness tests share: the real `flowlens` process, a tiny estate (two instances, one flow-log
 * folder) and a fingerprint of a dataset (row counts and sums of every stored table) to show it unchanged.
 */
import { after, before } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';

export const CLI = join(__dirname, '..', '..', 'src', 'cli.js');

/** A temporary folder for a test file's tests: made before them (given to `set`), removed after. */
export function useTempDir(prefix: string, set: (dir: string) => void): void {
  let dir = '';
  before(() => set((dir = mkdtempSync(join(tmpdir(), prefix)))));
  after(() => rmSync(dir, { recursive: true, force: true }));
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function flowlens(cwd: string, ...args: string[]): Run {
  // a CLI that hangs (a read that never ends) fails its test after 10 minutes (code null) instead of stalling the suite
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, env: { ...process.env, TMPDIR: cwd }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The `flowlens` process with `env` over this one's, run without blocking this process: a test's local AWS endpoint,
 * which answers it, runs here.
 */
export function flowlensAsync(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** A default-format record from instance a (10.0.1.10) to instance b (10.0.2.20), with fields to override. */
export function record(o: Partial<Record<'src' | 'dst' | 'srcport' | 'dstport' | 'protocol' | 'packets' | 'bytes' | 'start' | 'end', string | number>> = {}): string {
  return `2 111111111111 eni-0a0000000000000a1 ${o.src ?? '10.0.1.10'} ${o.dst ?? '10.0.2.20'} ${o.srcport ?? 40000} ${o.dstport ?? 8080} ${o.protocol ?? 6} ${o.packets ?? 10} ${o.bytes ?? 4249} ${o.start ?? 1790000040} ${o.end ?? 1790000099} ACCEPT OK`;
}

/** The inventory of the two instances, in a folder. */
export function writeInventory(dir: string): string {
  const inv = join(dir, 'inventory');
  mkdirSync(inv, { recursive: true });
  const eni = (id: string, az: string, subnet: string, ip: string, instance: string) => ({
    NetworkInterfaceId: id, InterfaceType: 'interface', Description: 'Primary network interface', OwnerId: '111111111111',
    AvailabilityZone: az, SubnetId: subnet, VpcId: 'vpc-0a', Status: 'in-use', RequesterManaged: false,
    Attachment: { InstanceId: instance, InstanceOwnerId: '111111111111', DeviceIndex: 0, Status: 'attached' },
    Groups: [{ GroupId: 'sg-0a1', GroupName: 'web' }], PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: [], TagSet: [],
  });
  writeFileSync(join(inv, 'ec2.DescribeNetworkInterfaces.json'), JSON.stringify({ NetworkInterfaces: [
    eni('eni-0a0000000000000a1', 'us-east-1a', 'subnet-0a1', '10.0.1.10', 'i-0a0000000000000a1'),
    eni('eni-0a0000000000000b2', 'us-east-1b', 'subnet-0b2', '10.0.2.20', 'i-0a0000000000000b2'),
  ] }));
  return inv;
}

/** Writes `lines` (a header first) as a flow-log file. */
export function writeFlowLog(path: string, lines: string[]): string {
  writeFileSync(path, [HEADER, ...lines].join('\n') + '\n');
  return path;
}

/** A dataset enriched from two good records; returns its path. */
export function enrichedDataset(dir: string, name = 'd.duckdb'): string {
  const flows = join(dir, `flows-${name}`);
  mkdirSync(flows, { recursive: true });
  writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  const db = join(dir, name);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  if (r.code !== 0) throw new Error(`fixture enrich failed: ${r.stderr}${r.stdout}`);
  return db;
}

export interface Fingerprint {
  files: number;
  records: number;
  bytes: string;
  packets: string;
  conversations: number;
  uploaded: string;
  windows: number;
}

/** Row counts and sums of what a dataset stores (opened read-only: looking changes nothing). */
export async function fingerprint(path: string): Promise<Fingerprint> {
  const db = await openDataset(path, { readOnly: true });
  try {
    const [r] = await db.json<Record<string, unknown>>(`SELECT
      (SELECT count(*) FROM ingest_files) AS files,
      (SELECT count(*) FROM flow_records) AS records,
      (SELECT coalesce(sum(bytes), 0)::VARCHAR FROM flow_records) AS bytes,
      (SELECT coalesce(sum(packets), 0)::VARCHAR FROM flow_records) AS packets,
      (SELECT count(*) FROM conversations) AS conversations,
      (SELECT coalesce(sum(uploaded + downloaded), 0)::VARCHAR FROM conversations) AS uploaded,
      (SELECT count(*) FROM windows_1m) AS windows`);
    return r as unknown as Fingerprint;
  } finally {
    db.close();
  }
}
