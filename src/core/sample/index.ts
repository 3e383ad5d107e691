/**
 * The sample estate: a deterministic, seedable simulation of an organisation's AWS network over
 * weeks (inventory dumps, flow logs in every delivery format, and the ground truth).
 *
 *   <dir>/inventory/<account>/<region>/<service>.<Operation>.json   AWS CLI JSON output
 *   <dir>/inventory/ip-ranges.json                                  the estate's own AWS prefixes
 *   <dir>/flowlogs/<bucket>/<prefix>/AWSLogs/…                      S3 delivery (gzip text, Parquet)
 *   <dir>/flowlogs/cloudwatch/<log-group>/<eni>.json                CloudWatch Logs FilterLogEvents output
 *   <dir>/truth/conversations.jsonl, addresses.jsonl               what really happened
 *   <dir>/manifest.json                                             written last: the estate is complete
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Db } from '../store/db';
import { buildEstate, type Estate } from './estate';
import { generateTraffic } from './generate';
import { writeInventory } from './inventory';
import { FOREVER, type Eni } from './model';
import { CloudWatchSink, S3Sink, type FlowLogSink } from './output';

export interface SampleOptions {
  /** Default 42; the same seed and options give byte-identical output. */
  seed?: number;
  /** ISO start of the traffic, default '2026-09-01T00:00:00Z' (whole minutes). */
  start?: string;
  /** Default 61 (two months; the second month grows). */
  days?: number;
  /** Default 1: a few hundred ENIs and a few hundred thousand flow records. */
  scale?: number;
  /** Overrides the traffic volume (conversations started per hour, on average). */
  conversationsPerHour?: number;
}

export interface SampleManifest {
  dir: string;
  inventoryDir: string;
  flowLogDirs: string[];
  truthDir: string;
  accounts: string[];
  regions: string[];
  enis: number;
  records: number;
  conversations: number;
  files: number;
}

export { buildEstate } from './estate';
export type { Estate } from './estate';

/** The options, checked (a clear error naming the one that is wrong), with their defaults. */
export function checkOptions(opts: SampleOptions): { seed: number; start: number; days: number; scale: number } {
  const seed = opts.seed ?? 42;
  const startText = opts.start ?? '2026-09-01T00:00:00Z';
  const start = Date.parse(startText) / 1000;
  const days = opts.days ?? 61;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`sample estate: seed must be an integer, got ${seed}`);
  if (!Number.isFinite(start) || start % 60 !== 0) throw new Error(`sample estate: start must be an ISO time on a whole minute, got "${startText}"`);
  if (!(days > 0) || days > 88 || !Number.isInteger(days * 24)) throw new Error(`sample estate: days must be whole hours between 1 hour and 88 days, got ${days}`);
  if (!(scale > 0) || scale > 200) throw new Error(`sample estate: scale must be in (0, 200], got ${scale}`);
  if (opts.conversationsPerHour !== undefined && !(opts.conversationsPerHour >= 0)) {
    throw new Error(`sample estate: conversationsPerHour must be >= 0, got ${opts.conversationsPerHour}`);
  }
  return { seed, start, days, scale };
}

function addressesJsonl(estate: Estate): string {
  const rows: { addr: string; vpc: string; eni: string; arn: string; from: number; to: number | null; kind: string }[] = [];
  const add = (e: Eni, addr: string, kind: string, arn = e.resource.arn) =>
    rows.push({ addr, vpc: e.vpc.id, eni: e.id, arn, from: e.from, to: e.to === FOREVER ? null : e.to, kind });
  for (const e of estate.enis) {
    add(e, e.primaryIp, 'primary');
    for (const ip of e.secondaryIps) add(e, ip, 'secondary', e.podOwners?.get(ip)?.arn ?? e.resource.arn);
    for (const ip of e.ipv6) add(e, ip, 'ipv6');
    if (e.publicIp) add(e, e.publicIp, 'public');
  }
  rows.sort((a, b) => (a.vpc < b.vpc ? -1 : a.vpc > b.vpc ? 1 : 0) || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0) || a.from - b.from);
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/**
 * Writes the sample estate into `dir` (its inventory/, flowlogs/, truth/ and manifest.json are
 * replaced). Deterministic: the same options give the same bytes.
 */
export async function writeSampleEstate(dir: string, opts: SampleOptions = {}): Promise<SampleManifest> {
  const o = checkOptions(opts);
  dir = resolve(dir);
  for (const sub of ['inventory', 'flowlogs', 'truth', 'manifest.json']) rmSync(join(dir, sub), { recursive: true, force: true });
  const inventoryDir = join(dir, 'inventory');
  const flowDir = join(dir, 'flowlogs');
  const truthDir = join(dir, 'truth');
  for (const d of [inventoryDir, flowDir, truthDir]) mkdirSync(d, { recursive: true });

  const estate = buildEstate(o);
  const period = o.scale >= 2 ? 300 : 3600;
  const tmp = mkdtempSync(join(tmpdir(), 'flowlens-sample-'));
  let db: Db | undefined;
  try {
    const sinks = new Map<string, FlowLogSink>();
    for (const v of estate.vpcs) {
      const fl = v.flowLog;
      if (!fl) continue;
      if (fl.destination === 'cloud-watch-logs') sinks.set(fl.id, new CloudWatchSink(fl, flowDir, o.seed));
      else {
        if (fl.fileFormat === 'parquet' && !db) db = await Db.open(':memory:', { threads: 1 });
        sinks.set(fl.id, new S3Sink(fl, flowDir, o.seed, period, db, tmp));
      }
    }
    const stats = await generateTraffic(estate, {
      conversationsPerHour: opts.conversationsPerHour,
      truthPath: join(truthDir, 'conversations.jsonl'),
      sinks,
    });
    writeFileSync(join(truthDir, 'addresses.jsonl'), addressesJsonl(estate));
    const inventoryFiles = writeInventory(estate, inventoryDir);
    const flowFiles = [...sinks.values()].reduce((n, s) => n + s.stats.files, 0);
    const flowLogDirs = [...new Set(estate.vpcs.filter((v) => v.flowLog).map((v) => {
      const fl = v.flowLog!;
      return fl.destination === 's3' ? join(flowDir, fl.bucket!, fl.prefix!) : join(flowDir, 'cloudwatch', fl.logGroup!.replace(/^\//, ''));
    }))].filter((d) => existsSync(d));
    const manifest: SampleManifest = {
      dir,
      inventoryDir,
      flowLogDirs,
      truthDir,
      accounts: estate.accounts,
      regions: estate.regions,
      enis: estate.enis.length,
      records: stats.records,
      conversations: stats.conversations,
      files: flowFiles + inventoryFiles + 2,
    };
    // The file names paths relative to the estate folder, so that two copies are byte-identical.
    const rel = (p: string) => relative(dir, p) || '.';
    const onDisk = { ...manifest, dir: '.', inventoryDir: rel(inventoryDir), flowLogDirs: flowLogDirs.map(rel), truthDir: rel(truthDir) };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(onDisk, null, 2) + '\n');
    return manifest;
  } finally {
    db?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
