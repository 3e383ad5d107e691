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
import { isHeaderLine } from './model/flowFields';
import { detectKind, pagesOf } from './inventory/detect';
import { APIS } from './aws/apis';
import { STREAM_ABOVE } from './inventory/load';
import type { FlowLogFormat, FolderScan } from '../protocol/reports';

export type { FlowLogFormat, FolderScan } from '../protocol/reports';

type Kind = { kind: 'flow'; format: FlowLogFormat } | { kind: 'inventory' } | { kind: 'other' };

/** Scans files and folders; `signal` stops between files. */
export async function scanFolder(paths: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<FolderScan> {
  const scan: FolderScan = { files: 0, flowLogs: 0, formats: {}, inventory: 0, other: 0, otherExamples: [] };
  for (const f of await filesUnder(paths)) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('scan cancelled');
    scan.files++;
    const k = typeof f === 'string' ? await classify(f).catch((): Kind => ({ kind: 'other' })) : ({ kind: 'other' } as Kind);
    if (k.kind === 'flow') {
      scan.flowLogs++;
      scan.formats[k.format] = (scan.formats[k.format] ?? 0) + 1;
    } else if (k.kind === 'inventory') scan.inventory++;
    else {
      scan.other++;
      if (scan.otherExamples.length < 3) scan.otherExamples.push((typeof f === 'string' ? f : f.name).replace(/^.*[\\/]/, ''));
    }
  }
  return scan;
}

async function classify(path: string): Promise<Kind> {
  const s = await sniffFile(path);
  if (s.container === 'parquet') return { kind: 'flow', format: 'Parquet' };
  if (s.content === 'text') {
    if (!isHeaderLine(s.firstLine) && !looksLikeFlowLine(s.firstLine)) return { kind: 'other' };
    return { kind: 'flow', format: s.container === 'gzip' ? 'gzip' : 'text' };
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
    if (pagesOf(JSON.parse(text)).some((p) => detectKind(p) !== null)) return { kind: 'inventory' };
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
