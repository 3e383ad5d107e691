/**
 * The record layouts a headerless flow log can be recognised as by its field count, when no LogFormat is given:
 * AWS's two formats that need no choosing (a VPC flow log's default, a transit gateway flow log's default), and
 * the formats this dataset already knows (its flow logs as DescribeFlowLogs described them in the inventory, and
 * the formats its loaded files were read with). A layout fits a record when the counts match and, when the layout
 * starts with `version`, the record's first field is that layout's version (AWS writes the highest version among
 * the chosen fields). Exactly one fitting layout is used, and the file's report says so; two or more are refused.
 */
import type { Db } from '../store/db';
import { firehoseObjectName, streamOfArn } from './firehose';
import { DEFAULT_FORMAT, FormatError, TGW_DEFAULT_FORMAT, formatString, formatVersion, parseLogFormat, type FlowField } from '../model/flowFields';

export interface KnownLayout {
  fields: readonly FlowField[];
  /** Where it is known from, as the user reads it. */
  source: string;
  /**
   * The Firehose stream the flow log delivers to: the layout is used for that stream's objects (firehose.ts names
   * them), and never for records recognised by their field count alone.
   */
  stream?: string;
}

export const AWS_LAYOUTS: readonly KnownLayout[] = [
  { fields: DEFAULT_FORMAT, source: "AWS's default format" },
  { fields: TGW_DEFAULT_FORMAT, source: "AWS's default transit gateway format" },
];

/**
 * AWS's layouts, then the dataset's flow logs' LogFormats (inventory), then the formats its files were read with;
 * and the LogFormat of each flow log that delivers to a Firehose stream, bound to that stream.
 */
export async function knownLayouts(db: Db): Promise<KnownLayout[]> {
  const rows = await db.all<{ log_format: string; source: string; destination: string | null }>(
    `SELECT log_format, 'flow log ' || min(flow_log_id) AS source, NULL AS destination FROM inv_flow_logs WHERE coalesce(trim(log_format), '') <> '' GROUP BY log_format
     UNION ALL
     SELECT log_format, 'the format of ' || arg_min(name, file_id) AS source, NULL FROM ingest_files WHERE coalesce(log_format, '') <> '' GROUP BY log_format
     UNION ALL
     SELECT log_format, 'flow log ' || flow_log_id, log_destination FROM inv_flow_logs
     WHERE destination_type = 'kinesis-data-firehose' AND coalesce(trim(log_format), '') <> ''`,
  );
  const out: KnownLayout[] = [...AWS_LAYOUTS];
  for (const r of rows) {
    try {
      const stream = r.destination === null ? undefined : streamOfArn(r.destination)?.name;
      if (r.destination !== null && !stream) continue;
      out.push({ fields: parseLogFormat(r.log_format), source: r.source, ...(stream ? { stream } : {}) });
    } catch {
      // a LogFormat naming a field Flowlens does not know cannot be read with anyway
    }
  }
  return dedupe(out);
}

/**
 * The layouts of the Firehose stream whose object this is (by its name) that a record with these tokens fits: the
 * flow logs delivering to it, one or several.
 */
export function streamLayouts(name: string, tokens: readonly string[], layouts: readonly KnownLayout[]): { stream: string; all: KnownLayout[]; fitting: KnownLayout[] } | undefined {
  const stream = firehoseObjectName(name)?.stream;
  const all = stream === undefined ? [] : dedupe(layouts).filter((l) => l.stream === stream);
  return stream !== undefined && all.length ? { stream, all, fitting: all.filter((l) => fitsRecord(tokens, l)) } : undefined;
}

function dedupe(layouts: readonly KnownLayout[]): KnownLayout[] {
  const seen = new Set<string>();
  return layouts.filter((l) => {
    const key = `${l.stream ?? ''}|${formatString(l.fields)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The layouts a record with these tokens fits. */
export function fittingLayouts(tokens: readonly string[], layouts: readonly KnownLayout[]): KnownLayout[] {
  return dedupe(layouts).filter((l) => !l.stream && fitsRecord(tokens, l));
}

const fitsRecord = (tokens: readonly string[], l: KnownLayout) =>
  l.fields.length === tokens.length && (l.fields[0]?.name !== 'version' || tokens[0] === String(formatVersion(l.fields)));

/**
 * The one layout a headerless record fits, or a FormatError naming the file, the line and what fits (none, or
 * several: then the LogFormat has to be given).
 */
export function inferLayout(name: string, lineNumber: number, tokens: readonly string[], layouts: readonly KnownLayout[]): KnownLayout {
  const fits = fittingLayouts(tokens, layouts);
  if (fits.length === 1) return fits[0];
  const count = tokens.length;
  if (fits.length > 1) {
    throw new FormatError(
      `${name}: no header line and no log format given, and line ${lineNumber} has ${count} fields, which fits ${fits.length} known layouts (` +
        fits.map((l) => l.source).join('; ') + `); give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)`,
    );
  }
  const counts = [...new Set(dedupe(layouts).filter((l) => !l.stream).map((l) => l.fields.length))].sort((a, b) => a - b).join(', ');
  throw new FormatError(
    `${name}: no header line and no log format given, and line ${lineNumber} has ${count} fields where the default format has ${DEFAULT_FORMAT.length}` +
      ` and no known layout (${counts} fields) fits; give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)`,
  );
}
