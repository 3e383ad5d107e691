/**
 * Flow-log records written for the tests in the shapes AWS documents (default v2 accept/reject/NODATA/
 * SKIPDATA, custom v3-v5, IPv6, ECS v7, reject-reason v8), with fake account ids and documentation
 * addresses, plus helpers to write them in every container and compare what was stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { fieldByName, parseLogFormat, q, type FlowField } from '../../src/core/model/flowFields';

export interface Sample {
  title: string;
  /** `${field} …` as DescribeFlowLogs reports it. */
  format: string;
  lines: string[];
}

export const DEFAULT_V2: Sample = {
  title: 'default v2',
  format: '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}',
  lines: [
    '2 111111111111 eni-0a1b2c3d4e5f60001 198.51.100.10 10.0.1.5 49152 443 6 10 5200 1700000000 1700000060 ACCEPT OK',
    '2 111111111111 eni-0a1b2c3d4e5f60001 203.0.113.7 10.0.1.5 51000 3389 6 3 180 1700000000 1700000060 REJECT OK',
    '2 111111111111 eni-0a1b2c3d4e5f60001 - - - - - - - 1700000060 1700000120 - NODATA',
    '2 111111111111 eni-0a1b2c3d4e5f60002 - - - - - - - 1700000060 1700000120 - SKIPDATA',
    '2 111111111111 eni-0a1b2c3d4e5f60002 2001:DB8:1234:A100:8D6E:3477:DF66:F105 2001:db8:1234:a102::2 50320 80 6 4 640 1700000000 1700000060 ACCEPT OK',
    '2 unknown eni-0a1b2c3d4e5f60003 10.0.2.9 192.0.2.44 5432 61000 6 2000 9000000 1700000000 1700000060 ACCEPT OK',
  ],
};

export const CUSTOM_V5: Sample = {
  title: 'custom v3-v5 (tcp-flags, pkt-addr, traffic-path)',
  format:
    '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}',
  lines: [
    // NAT gateway ENI: srcaddr is the NAT's own address, pkt-srcaddr the instance behind it
    '5 vpc-0aa11bb22cc33dd44 subnet-0aa11bb22cc33dd01 - eni-0aa11bb22cc33dd99 111111111111 IPv4 10.0.0.20 203.0.113.5 36221 443 10.0.1.5 203.0.113.5 6 3400 12 1700000000 1700000060 ACCEPT 19 OK us-east-1 use1-az1 - - - - egress 8',
    // S3 through a gateway endpoint: aws service on the destination
    '5 vpc-0aa11bb22cc33dd44 subnet-0aa11bb22cc33dd02 i-0123456789abcdef0 eni-0aa11bb22cc33dd02 111111111111 IPv4 10.0.1.5 192.0.2.200 40112 443 10.0.1.5 192.0.2.200 6 90210 80 1700000000 1700000060 ACCEPT 3 OK us-east-1 use1-az2 - - - S3 egress 7',
    // ingress SYN from the internet: traffic-path '-'
    '5 vpc-0aa11bb22cc33dd44 subnet-0aa11bb22cc33dd02 i-0123456789abcdef0 eni-0aa11bb22cc33dd02 111111111111 IPv4 198.51.100.77 10.0.1.5 55001 22 198.51.100.77 10.0.1.5 6 60 1 1700000000 1700000060 REJECT 2 OK us-east-1 use1-az2 - - - - ingress -',
    // IPv6 on an outpost
    '5 vpc-0aa11bb22cc33dd44 subnet-0aa11bb22cc33dd03 i-0fedcba9876543210 eni-0aa11bb22cc33dd03 111111111111 IPv6 2001:DB8::A 2001:db8::b 443 50000 2001:DB8::A 2001:db8::b 6 1200 9 1700000000 1700000060 ACCEPT 18 OK us-east-1 use1-az1 outpost op-0123456789abcdef0 - - egress 1',
    '5 vpc-0aa11bb22cc33dd44 subnet-0aa11bb22cc33dd03 - eni-0aa11bb22cc33dd03 111111111111 - - - - - - - - - - 1700000060 1700000120 - - NODATA us-east-1 use1-az1 - - - - - -',
  ],
};

export const ECS_V7: Sample = {
  title: 'ECS v7',
  format:
    '${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${ecs-cluster-name} ${ecs-cluster-arn} ${ecs-container-instance-id} ${ecs-container-instance-arn} ${ecs-service-name} ${ecs-task-definition-arn} ${ecs-task-id} ${ecs-task-arn} ${ecs-container-id} ${ecs-second-container-id}',
  lines: [
    '7 10.0.3.17 10.0.4.30 41000 8080 shop arn:aws:ecs:us-east-1:111111111111:cluster/shop 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e arn:aws:ecs:us-east-1:111111111111:container-instance/shop/0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e cart arn:aws:ecs:us-east-1:111111111111:task-definition/cart:7 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d arn:aws:ecs:us-east-1:111111111111:task/shop/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d-1111111111 -',
    '7 10.0.3.18 10.0.4.30 41001 8080 shop arn:aws:ecs:us-east-1:111111111111:cluster/shop - - checkout arn:aws:ecs:us-east-1:111111111111:task-definition/checkout:2 2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e arn:aws:ecs:us-east-1:111111111111:task/shop/2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e 2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e-2222222222 2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e-3333333333',
  ],
};

export const REJECT_V8: Sample = {
  title: 'reject-reason v8',
  format: '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action} ${log-status} ${reject-reason}',
  lines: [
    '8 eni-0a1b2c3d4e5f60009 10.0.5.5 198.51.100.20 44321 443 6 REJECT OK BPA',
    '8 eni-0a1b2c3d4e5f60009 198.51.100.20 10.0.5.5 443 44321 6 ACCEPT OK -',
  ],
};

export const SAMPLES: readonly Sample[] = [DEFAULT_V2, CUSTOM_V5, ECS_V7, REJECT_V8];

export function fieldsOf(sample: Sample): FlowField[] {
  return parseLogFormat(sample.format);
}

/** The header line of a sample as AWS writes it in S3 text files. */
export function headerOf(sample: Sample): string {
  return fieldsOf(sample).map((f) => f.name).join(' ');
}

export function textOf(sample: Sample, withHeader: boolean): string {
  return (withHeader ? [headerOf(sample), ...sample.lines] : sample.lines).join('\n') + '\n';
}

const ADDRESS_FIELDS = new Set(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']);

/** What the store should hold for each line: '-' as null, numbers as numbers, addresses lower-case. */
export function expectedRows(fields: readonly FlowField[], lines: readonly string[]): Record<string, string | number | null>[] {
  return lines.map((line) => {
    const tokens = line.split(' ');
    const row: Record<string, string | number | null> = {};
    fields.forEach((f, i) => {
      const t = tokens[i];
      if (t === '-') row[f.column] = null;
      else if (f.type !== 'VARCHAR') row[f.column] = Number(t);
      else row[f.column] = ADDRESS_FIELDS.has(f.name) ? t.toLowerCase() : t;
    });
    return row;
  });
}

/** The stored rows of one loaded file, in the given fields, as plain values, in load order of `start`/text. */
export async function storedRows(db: Db, name: string, fields: readonly FlowField[]): Promise<Record<string, string | number | null>[]> {
  const cols = fields.map((f) => q(f.column)).join(', ');
  const rows = await db.all(
    `SELECT ${cols} FROM flow_records WHERE file_id = (SELECT file_id FROM ingest_files WHERE name = $name) ORDER BY record_no`,
    { name },
  );
  return rows.map((r) => {
    const out: Record<string, string | number | null> = {};
    for (const f of fields) {
      const v = r[f.column];
      out[f.column] = typeof v === 'bigint' ? Number(v) : (v as string | number | null);
    }
    return out;
  });
}

/** Every other column of flow_records for that file is NULL (nothing leaked across fields). */
export async function otherColumnsNull(db: Db, name: string, fields: readonly FlowField[]): Promise<string[]> {
  const used = new Set(fields.map((f) => f.column));
  const others = (await db.all<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'flow_records'`))
    .map((r) => r.column_name)
    .filter((c) => c !== 'file_id' && !used.has(c) && fieldByName(c));
  if (others.length === 0) return [];
  const row = await db.one(
    `SELECT ${others.map((c) => `count(${q(c)}) AS ${q(c)}`).join(', ')} FROM flow_records WHERE file_id = (SELECT file_id FROM ingest_files WHERE name = $name)`,
    { name },
  );
  const bad = others.filter((c) => row && row[c] !== 0n);
  return bad;
}

export async function withDb<T>(fn: (db: Db, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-test-'));
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    return await fn(db, dir);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a sample as an S3 Parquet file with AWS's column names (`_`) and types (INT32/INT64/STRING). */
export async function writeParquet(db: Db, sample: Sample, path: string): Promise<void> {
  const fields = fieldsOf(sample);
  const values = sample.lines
    .map((line) => {
      const tokens = line.split(' ');
      return '(' + fields.map((f, i) => (tokens[i] === '-' ? `NULL::${f.type}` : f.type === 'VARCHAR' ? `'${tokens[i]}'` : `${tokens[i]}::${f.type}`)).join(', ') + ')';
    })
    .join(', ');
  const names = fields.map((f) => q(f.column)).join(', ');
  await db.exec(`COPY (SELECT * FROM (VALUES ${values}) AS t(${names})) TO '${path.replace(/'/g, "''")}' (FORMAT parquet)`);
}
