/**
 * The table a user without one would create for their flow logs, following AWS's documented DDL for VPC flow logs
 * in Athena: the columns of the flow log's own format in its order (text) or by name (Parquet), partition
 * projection over the delivery layout (plain `…/AWSLogs/<account>/vpcflowlogs/<region>/<yyyy/MM/dd>/`, or the
 * Hive-compatible one), so that no partition needs adding and the reduction's window and regions prune it.
 * It is shown for the user to run in Athena (or to adapt) and the source read again; Flowlens runs it only when
 * asked (athenaCreate.ts: `--create-athena-table`, the editor's "Create the Athena table…").
 */
import { DEFAULT_FORMAT, parseLogFormat, type FlowField } from '../model/flowFields';
import { parseS3Uri } from './athenaTable';

export interface FlowLogDestination {
  /** The flow log's LogDestination: arn:aws:s3:::bucket/prefix or s3://bucket/prefix. */
  destination: string;
  account: string;
  /** The flow log's LogFormat (`${version} ${vpc-id} …`); absent: AWS's default format. */
  logFormat?: string;
  fileFormat?: 'plain-text' | 'parquet' | string;
  hive?: boolean;
}

export interface DdlOptions {
  database: string;
  table: string;
  regions: readonly string[];
  /** The first day the projection covers (yyyy/MM/dd). */
  since: Date;
}

const ATHENA_TYPE: Record<FlowField['type'], string> = { INTEGER: 'int', BIGINT: 'bigint', VARCHAR: 'string' };
const bq = (s: string) => `\`${s.replace(/`/g, '``')}\``;
const sq = (s: string) => `'${s.replace(/'/g, "''")}'`;
const day = (d: Date) => `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;

/** The s3:// base of a flow log's objects: `<bucket>/<prefix>/AWSLogs/<account>/vpcflowlogs/` (Hive: aws-account-id=…/aws-service=vpcflowlogs/). */
export function flowLogBase(f: FlowLogDestination): string {
  const uri = f.destination.startsWith('arn:') ? `s3://${f.destination.replace(/^arn:[^:]+:s3:::/, '')}` : f.destination;
  const loc = parseS3Uri(uri);
  if (!loc) throw new Error(`${f.destination} is not an S3 destination`);
  const prefix = loc.prefix.replace(/\/+$/, '');
  const root = `s3://${loc.bucket}/${prefix ? `${prefix}/` : ''}AWSLogs/`;
  return f.hive ? `${root}aws-account-id=${f.account}/aws-service=vpcflowlogs/` : `${root}${f.account}/vpcflowlogs/`;
}

/** AWS's DDL for a table over one flow log's objects, with partition projection. */
export function flowLogTableDdl(f: FlowLogDestination, o: DdlOptions): string {
  const fields = f.logFormat?.trim() ? parseLogFormat(f.logFormat) : [...DEFAULT_FORMAT];
  const parquet = f.fileFormat === 'parquet';
  const base = flowLogBase(f);
  const template = f.hive ? `${base}aws-region=\${region}/year=\${year}/month=\${month}/day=\${day}/` : `${base}\${region}/\${day}/`;
  const since = o.since;
  const projection: [string, string][] = [
    ['projection.enabled', 'true'],
    ['projection.region.type', 'enum'],
    ['projection.region.values', o.regions.join(',')],
    ...(f.hive ? [
      ['projection.year.type', 'integer'], ['projection.year.range', `${since.getUTCFullYear()},${new Date().getUTCFullYear() + 1}`],
      ['projection.month.type', 'integer'], ['projection.month.range', '1,12'], ['projection.month.digits', '2'],
      ['projection.day.type', 'integer'], ['projection.day.range', '1,31'], ['projection.day.digits', '2'],
    ] as [string, string][] : [
      ['projection.day.type', 'date'], ['projection.day.range', `${day(since)},NOW`], ['projection.day.format', 'yyyy/MM/dd'],
      ['projection.day.interval', '1'], ['projection.day.interval.unit', 'DAYS'],
    ] as [string, string][]),
    ['storage.location.template', template],
    ...(parquet ? [] : [['skip.header.line.count', '1']] as [string, string][]),
  ];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${bq(o.database)}.${bq(o.table)} (`,
    fields.map((x) => `  ${bq(x.column)} ${ATHENA_TYPE[x.type]}`).join(',\n'),
    ')',
    `PARTITIONED BY (${f.hive ? '`region` string, `year` string, `month` string, `day` string' : '`region` string, `day` string'})`,
    ...(parquet ? [
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
      "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'",
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'",
    ] : ["ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '"]),
    `LOCATION ${sq(base)}`,
    'TBLPROPERTIES (',
    projection.map(([k, v]) => `  ${sq(k)} = ${sq(v)}`).join(',\n'),
    ')',
  ].join('\n');
}
