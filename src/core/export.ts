/**
 * Export of the enriched conversations: JSON lines in the shape people already query, Parquet, CSV.
 * Written by DuckDB's COPY, set-based.
 */
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
    'Tags': ${x}_tags
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
    await db.exec(`COPY (SELECT * FROM conversations_v ORDER BY start) TO ${target} (FORMAT csv, HEADER true)`);
  } else {
    throw new Error(`unknown export format "${format as string}" (jsonl, parquet, csv)`);
  }
  return Number(await db.value<bigint>('SELECT count(*) FROM conversations'));
}
