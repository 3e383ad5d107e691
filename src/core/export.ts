/**
 * Export of the enriched conversations: JSON lines in the shape people already query, Parquet, CSV.
 * Written by DuckDB's COPY, set-based, into a temporary file beside the target that is renamed over it when
 * complete: an export never leaves half a file, never writes over the dataset, its WAL or a folder, and
 * replaces an existing file only when asked to.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { q } from './model/flowFields';
import { Db, lit } from './store/db';

export type ExportFormat = 'jsonl' | 'parquet' | 'csv';

function sideJson(x: 'client' | 'server'): string {
  return `{
    'Addr': ${x}_addr,
    'Arns': ${x}_arn,
    'InterfaceId': ${x}_eni,
    'SubnetId': ${x}_subnet,
    'VpcId': ${x}_vpc,
    'AccountId': ${x}_account,
    'SecurityGroupIds': ${x}_security_group_ids,
    'AvailabilityZone': ${x}_az,
    'Region': ${x}_region,
    'Type': ${x}_type,
    'AwsService': lower(${x}_aws_service),
    'Rfc1918': ${x}_rfc1918,
    'Tags': ${x}_tags,
    'ElasticIp': ${x}_elastic_ip,
    'ElasticIpTags': ${x}_elastic_ip_tags
  }`;
}

/** One JSON object per conversation: the documented fields first, then what else the engine knows. */
export const JSONL_SELECT = `
SELECT json_merge_patch('{}', to_json({
  'Protocol': fl_protocol_name(protocol),
  'Uploaded': uploaded,
  'Downloaded': downloaded,
  'Start': CAST(start AS VARCHAR),
  'End': CAST("end" AS VARCHAR),
  'Action': action,
  'Client': ${sideJson('client')},
  'Server': ${sideJson('server')},
  'ClientPort': client_port,
  'ServerPort': server_port,
  'EgressPath': egress_path,
  'CrossAz': cross_az,
  'CrossRegion': cross_region,
  'CrossVpc': cross_vpc,
  'CrossAccount': cross_account,
  'Window': strftime(window_start, '%Y-%m-%dT%H:%M:%SZ'),
  'ObserverInterfaceId': observer_eni,
  'Orientation': orientation
})) AS line
FROM conversations_v
ORDER BY start, client_addr, client_port, server_addr, server_port`;

export async function exportConversations(db: Db, format: ExportFormat, file: string): Promise<number> {
  const target = lit(file);
  if (format === 'jsonl') {
    // One JSON text per line; the delimiter is a character JSON text never contains unescaped.
    await db.exec(`COPY (${JSONL_SELECT}) TO ${target} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')`);
  } else if (format === 'parquet') {
    await db.exec(`COPY (SELECT * FROM conversations_v ORDER BY start) TO ${target} (FORMAT parquet, COMPRESSION zstd)`);
  } else if (format === 'csv') {
    // lists, maps and structs as JSON text (tags: {"Name":"web",…}), as `flowlens sql --format csv` writes them,
    // not DuckDB's own rendering ({Name=web, …}), which nothing else reads
    const columns = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM conversations_v`);
    const select = columns.map((c) => (/MAP\(|STRUCT\(|\[\]$|\[\d+\]$/.test(c.column_type)
      ? `to_json(${q(c.column_name)})::VARCHAR AS ${q(c.column_name)}` : q(c.column_name))).join(', ');
    await db.exec(`COPY (SELECT ${select} FROM conversations_v ORDER BY start) TO ${target} (FORMAT csv, HEADER true)`);
  } else {
    throw new Error(`unknown export format "${format as string}" (jsonl, parquet, csv)`);
  }
  return Number(await db.value<bigint>('SELECT count(*) FROM conversations'));
}

/** An export the user asked for that would destroy something: said in one line, nothing written. */
export class ExportRefused extends Error {}

/** The path with its folder resolved through symbolic links (the file itself need not exist). */
function resolvedTarget(path: string): string {
  const abs = resolve(path);
  let dir = dirname(abs);
  try {
    dir = realpathSync(dir);
  } catch {
    // a folder that does not exist: COPY reports it
  }
  return join(dir, basename(abs));
}

const sameFile = (a: string, b: string) => (process.platform === 'linux' ? a === b : a.toLowerCase() === b.toLowerCase());

/** Refuses the dataset itself, its WAL, a folder, and an existing file unless `force`. */
export function checkExportTarget(datasetPath: string, out: string, force = false): void {
  const target = resolvedTarget(out);
  let dataset = resolve(datasetPath);
  try {
    dataset = realpathSync(dataset);
  } catch {
    // checked by name
  }
  for (const [file, what] of [[dataset, 'the dataset'], [`${dataset}.wal`, "the dataset's write-ahead log"]] as const) {
    if (sameFile(target, file) || sameFile(resolvedTarget(realOr(out)), file)) throw new ExportRefused(`--out ${out} is ${what}: export to another file`);
  }
  let st;
  try {
    st = statSync(out);
  } catch {
    return; // a new file
  }
  if (st.isDirectory()) throw new ExportRefused(`--out ${out} is a folder: give the name of the file to write`);
  if (!force) throw new ExportRefused(`${out} exists: add --force to replace it`);
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Exports to `out` (checked by checkExportTarget) through a temporary file renamed over it; returns the count. */
export async function exportToFile(db: Db, format: ExportFormat, out: string, opts: { force?: boolean } = {}): Promise<number> {
  checkExportTarget(db.path, out, opts.force);
  const target = resolve(out);
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.flowlens-tmp`);
  try {
    const n = await exportConversations(db, format, tmp);
    await chmod(tmp, 0o600);
    await rename(tmp, target);
    return n;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Exports to a stream (standard output for `--out -`), through a private temporary file. */
export async function exportToStream(db: Db, format: ExportFormat, stream: NodeJS.WritableStream): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-export-'));
  try {
    const file = join(dir, `conversations.${format}`);
    const n = await exportConversations(db, format, file);
    await pipeline(createReadStream(file), stream, { end: false });
    return n;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
