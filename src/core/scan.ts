/**
 * What a folder holds before it is enriched: its flow-log files by format and its inventory files, told apart by
 * the engine's own detection (flowlogs/sniff.ts and the header test for flow logs, inventory/detect.ts for AWS API
 * responses, flowlogs/cloudwatch.ts for CloudWatch Logs JSON), over the files ingest would read (filesUnder).
 * Nothing is loaded; a file's head is read, and a JSON file whole when it is small.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { filesUnder } from './flowlogs/ingest';
import { looksLikeFlowLine, sniffFile } from './flowlogs/sniff';
import { parseCloudWatchJson } from './flowlogs/cloudwatch';
import { isHeaderLine, parseLogFormat } from './model/flowFields';
import { AWS_LAYOUTS, fittingLayouts, streamLayouts, type KnownLayout } from './flowlogs/layouts';
import { streamOfArn } from './flowlogs/firehose';
import { detectKind, pagesOf } from './inventory/detect';
import { APIS } from './aws/apis';
import { STREAM_ABOVE } from './inventory/load';
import type { FlowLogFormat, FolderScan } from '../protocol/reports';

export type { FlowLogFormat, FolderScan } from '../protocol/reports';

type Kind = { kind: 'flow'; format: FlowLogFormat; tokens?: string[] } | { kind: 'inventory'; logFormats?: { format: string; stream?: string }[] } | { kind: 'other' };

/** Scans files and folders; `signal` stops between files. */
export async function scanFolder(paths: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<FolderScan> {
  const scan: FolderScan = { files: 0, flowLogs: 0, formats: {}, inventory: 0, other: 0, otherExamples: [] };
  const layouts: KnownLayout[] = [...AWS_LAYOUTS];
  const headerless: { name: string; tokens: string[] }[] = [];
  for (const f of await filesUnder(paths)) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('scan cancelled');
    scan.files++;
    const k = typeof f === 'string' ? await classify(f).catch((): Kind => ({ kind: 'other' })) : ({ kind: 'other' } as Kind);
    if (k.kind === 'flow') {
      scan.flowLogs++;
      scan.formats[k.format] = (scan.formats[k.format] ?? 0) + 1;
      if (k.tokens && typeof f === 'string') headerless.push({ name: f.replace(/^.*[\\/]/, ''), tokens: k.tokens });
    } else if (k.kind === 'inventory') {
      scan.inventory++;
      for (const { format, stream } of k.logFormats ?? []) {
        try {
          layouts.push({ fields: parseLogFormat(format), source: 'DescribeFlowLogs', ...(stream ? { stream } : {}) });
        } catch {
          // a LogFormat with a field Flowlens does not know: no file is read with it either
        }
      }
    } else {
      scan.other++;
      if (scan.otherExamples.length < 3) scan.otherExamples.push((typeof f === 'string' ? f : f.name).replace(/^.*[\\/]/, ''));
    }
  }
  // the engine's own inference (layouts.ts, ingest.ts resolveFormat), over what the folder tells: the files it would
  // refuse. A Firehose object takes the format of the flow log publishing to its stream when exactly one fits.
  const inferred = (h: { name: string; tokens: string[] }) => fittingLayouts(h.tokens, layouts).length === 1;
  const unread = headerless.filter((h) => {
    const bound = streamLayouts(h.name, h.tokens, layouts);
    return !(bound ? bound.fitting.length === 1 || (bound.fitting.length > 1 && inferred(h)) : inferred(h));
  });
  if (unread.length) {
    scan.needFormat = {
      files: unread.length,
      fieldCounts: [...new Set(unread.map((h) => h.tokens.length))].sort((a, b) => a - b),
      examples: unread.slice(0, 3).map((h) => h.name),
    };
  }
  return scan;
}

/**
 * The LogFormats a DescribeFlowLogs response names (what ingest would infer headerless layouts from, once loaded),
 * each with the Firehose stream its flow log publishes to.
 */
function logFormatsOf(page: unknown): { format: string; stream?: string }[] {
  const flowLogs = (page as { FlowLogs?: unknown } | null)?.FlowLogs;
  if (!Array.isArray(flowLogs)) return [];
  return flowLogs.flatMap((f) => {
    const { LogFormat: format, LogDestinationType: type, LogDestination: dest } = (f ?? {}) as { LogFormat?: unknown; LogDestinationType?: unknown; LogDestination?: unknown };
    if (typeof format !== 'string' || format.trim() === '') return [];
    const stream = type === 'kinesis-data-firehose' && typeof dest === 'string' ? streamOfArn(dest)?.name : undefined;
    return stream ? [{ format }, { format, stream }] : [{ format }];
  });
}

async function classify(path: string): Promise<Kind> {
  const s = await sniffFile(path);
  if (s.container === 'parquet') return { kind: 'flow', format: 'Parquet' };
  if (s.content === 'text') {
    const header = isHeaderLine(s.firstLine);
    if (!header && !looksLikeFlowLine(s.firstLine)) return { kind: 'other' };
    return { kind: 'flow', format: s.container === 'gzip' ? 'gzip' : 'text', ...(header ? {} : { tokens: s.firstLine.trim().split(/ +/) }) };
  }
  if (s.content !== 'json') return { kind: 'other' };
  const raw = await readFile(path);
  if (raw.byteLength >= STREAM_ABOVE) {
    // too big to parse here (the loader streams it): an API response names its list near the start
    const head = raw.subarray(0, 64 * 1024).toString('utf8');
    return APIS.some((d) => head.includes(`"${d.listKey}"`)) ? { kind: 'inventory' } : { kind: 'other' };
  }
  let text = (s.container === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    const pages = pagesOf(JSON.parse(text));
    if (pages.some((p) => detectKind(p) !== null)) return { kind: 'inventory', logFormats: pages.flatMap(logFormatsOf) };
  } catch {
    // not one JSON document: CloudWatch deliveries may be several back to back
  }
  try {
    parseCloudWatchJson(text);
    return { kind: 'flow', format: 'CloudWatch JSON' };
  } catch {
    return { kind: 'other' };
  }
}
