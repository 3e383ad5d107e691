/**
 * The catalogue of VPC flow-log fields (versions 2 to 8), their types in S3 Parquet, and the
 * parsing of a `LogFormat` string. Column names in the store are the field names with `-` → `_`.
 * The vocabulary the store, the flow-log readers, the sample estate and AWS discovery share: it imports nothing.
 */

export type FieldType = 'INTEGER' | 'BIGINT' | 'VARCHAR';

export interface FlowField {
  /** The name AWS uses in `${...}` format strings and text headers, e.g. `pkt-srcaddr`. */
  readonly name: string;
  /** The DuckDB column name, e.g. `pkt_srcaddr` (`end` is quoted where used). */
  readonly column: string;
  /** The flow-log version that introduced the field. */
  readonly version: number;
  readonly type: FieldType;
}

function f(name: string, version: number, type: FieldType = 'VARCHAR'): FlowField {
  return { name, column: name.replace(/-/g, '_'), version, type };
}

/** Every field, in the order of AWS's table of available fields. */
export const FLOW_FIELDS: readonly FlowField[] = [
  f('version', 2, 'INTEGER'),
  f('account-id', 2),
  f('interface-id', 2),
  f('srcaddr', 2),
  f('dstaddr', 2),
  f('srcport', 2, 'INTEGER'),
  f('dstport', 2, 'INTEGER'),
  f('protocol', 2, 'INTEGER'),
  f('packets', 2, 'BIGINT'),
  f('bytes', 2, 'BIGINT'),
  f('start', 2, 'BIGINT'),
  f('end', 2, 'BIGINT'),
  f('action', 2),
  f('log-status', 2),
  f('vpc-id', 3),
  f('subnet-id', 3),
  f('instance-id', 3),
  f('tcp-flags', 3, 'INTEGER'),
  f('type', 3),
  f('pkt-srcaddr', 3),
  f('pkt-dstaddr', 3),
  f('region', 4),
  f('az-id', 4),
  f('sublocation-type', 4),
  f('sublocation-id', 4),
  f('pkt-src-aws-service', 5),
  f('pkt-dst-aws-service', 5),
  f('flow-direction', 5),
  f('traffic-path', 5, 'INTEGER'),
  // Version 6: transit gateway flow-log fields.
  f('resource-type', 6),
  f('tgw-id', 6),
  f('tgw-attachment-id', 6),
  f('tgw-src-vpc-account-id', 6),
  f('tgw-dst-vpc-account-id', 6),
  f('tgw-src-vpc-id', 6),
  f('tgw-dst-vpc-id', 6),
  f('tgw-src-subnet-id', 6),
  f('tgw-dst-subnet-id', 6),
  f('tgw-src-eni', 6),
  f('tgw-dst-eni', 6),
  f('tgw-src-az-id', 6),
  f('tgw-dst-az-id', 6),
  f('tgw-pair-attachment-id', 6),
  f('packets-lost-no-route', 6, 'BIGINT'),
  f('packets-lost-blackhole', 6, 'BIGINT'),
  f('packets-lost-mtu-exceeded', 6, 'BIGINT'),
  f('packets-lost-ttl-expired', 6, 'BIGINT'),
  // Version 7: ECS.
  f('ecs-cluster-arn', 7),
  f('ecs-cluster-name', 7),
  f('ecs-container-instance-arn', 7),
  f('ecs-container-instance-id', 7),
  f('ecs-container-id', 7),
  f('ecs-second-container-id', 7),
  f('ecs-service-name', 7),
  f('ecs-task-definition-arn', 7),
  f('ecs-task-arn', 7),
  f('ecs-task-id', 7),
  // Version 8.
  f('reject-reason', 8),
  // Later additions (strings; kept so that records carrying them load rather than fail).
  f('resource-id', 8),
  f('encryption-status', 8),
];

const BY_NAME = new Map(FLOW_FIELDS.map((x) => [x.name, x]));
const BY_COLUMN = new Map(FLOW_FIELDS.map((x) => [x.column, x]));

/** The 14 fields of the default (version 2) format, in order. */
export const DEFAULT_FORMAT: readonly FlowField[] = FLOW_FIELDS.filter((x) => x.version === 2);

/**
 * The format of a transit gateway flow log created without a LogFormat: every transit gateway field, in the order of
 * AWS's table of transit gateway flow-log fields (version 6).
 */
export const TGW_DEFAULT_FORMAT: readonly FlowField[] = [
  'version', 'resource-type', 'account-id', 'tgw-id', 'tgw-attachment-id', 'tgw-src-vpc-account-id', 'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id', 'tgw-dst-vpc-id', 'tgw-src-subnet-id', 'tgw-dst-subnet-id', 'tgw-src-eni', 'tgw-dst-eni', 'tgw-src-az-id',
  'tgw-dst-az-id', 'tgw-pair-attachment-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start',
  'end', 'log-status', 'type', 'packets-lost-no-route', 'packets-lost-blackhole', 'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired', 'tcp-flags', 'region', 'flow-direction', 'pkt-src-aws-service', 'pkt-dst-aws-service',
].map((n) => BY_NAME.get(n)!);

export function fieldByName(name: string): FlowField | undefined {
  return BY_NAME.get(name) ?? BY_COLUMN.get(name);
}

export class FormatError extends Error {}

/**
 * Parses a `LogFormat` (`${version} ${vpc-id} …`) or a header line (`version vpc-id …`, or Parquet
 * column names with `_`). Throws FormatError naming the unknown field.
 */
export function parseLogFormat(format: string): FlowField[] {
  const tokens = format.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new FormatError('empty log format');
  const out: FlowField[] = [];
  const seen = new Set<string>();
  for (const raw of tokens) {
    const name = raw.replace(/^\$\{/, '').replace(/\}$/, '');
    const field = fieldByName(name);
    if (!field) throw new FormatError(`unknown flow-log field "${name}" in format "${format.trim()}"`);
    if (seen.has(field.name)) throw new FormatError(`field "${field.name}" appears twice in format "${format.trim()}"`);
    seen.add(field.name);
    out.push(field);
  }
  return out;
}

/** The `${a} ${b}` form of a list of fields, as DescribeFlowLogs reports it. */
export function formatString(fields: readonly FlowField[]): string {
  return fields.map((x) => '${' + x.name + '}').join(' ');
}

/** True when every token of the line names a known field: the line is a header, not a record. */
export function isHeaderLine(line: string): boolean {
  const tokens = line.trim().split(/\s+/);
  return tokens.length > 0 && tokens.every((t) => BY_NAME.has(t) || BY_COLUMN.has(t));
}

/** The version a record in this format carries: the highest version among its fields. */
export function formatVersion(fields: readonly FlowField[]): number {
  return fields.reduce((m, x) => Math.max(m, x.version), 2);
}

/** Quotes a column name for SQL (`end`, `type`, `start`, `action`... are quoted always). */
export function q(column: string): string {
  return '"' + column.replace(/"/g, '""') + '"';
}
