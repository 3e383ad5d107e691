/**
 * Tells what a flow-log object is from its first bytes: gzip and Parquet by magic bytes, then (inside
 * gzip when needed) CloudWatch Logs JSON, plain text records, or something that is clearly not a flow log.
 */
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';

export type Container = 'plain' | 'gzip' | 'parquet';
export type Content = 'text' | 'json' | 'empty' | 'binary';

export interface Sniffed {
  container: Container;
  /** What the (decompressed) bytes hold; Parquet is always 'binary'. */
  content: Content;
  /** The first line of the decompressed text, without its line break (text only). */
  firstLine: string;
  /** 1-based number of that line (leading blank lines are skipped). */
  firstLineNumber: number;
}

/** How much of a file tells what it is. */
export const SNIFF_BYTES = 64 * 1024;
const HEAD_BYTES = SNIFF_BYTES;

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export function isParquet(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31; // PAR1
}

/**
 * Decompresses as much of a gzip head as it can (the head is cut off mid-stream by design). Only the
 * first 16 KB of compressed bytes are used, which bounds the output to what a first line needs.
 */
export function gunzipHead(head: Uint8Array): Buffer {
  try {
    return zlib.gunzipSync(head.subarray(0, 16 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Classifies the first bytes of an object. */
export function sniffHead(head: Uint8Array): Sniffed {
  if (isParquet(head)) return { container: 'parquet', content: 'binary', firstLine: '', firstLineNumber: 0 };
  const container: Container = isGzip(head) ? 'gzip' : 'plain';
  const text = container === 'gzip' ? gunzipHead(head) : Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  return { container, ...classifyText(text) };
}

function classifyText(buf: Buffer): Omit<Sniffed, 'container'> {
  const sample = buf.subarray(0, HEAD_BYTES);
  if (sample.includes(0)) return { content: 'binary', firstLine: '', firstLineNumber: 0 };
  const s = sample.toString('utf8');
  const trimmed = s.trimStart();
  if (trimmed === '') return { content: 'empty', firstLine: '', firstLineNumber: 0 };
  if (trimmed[0] === '{' || trimmed[0] === '[') return { content: 'json', firstLine: '', firstLineNumber: 0 };
  const lines = s.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  return { content: 'text', firstLine: lines[i].replace(/\r$/, ''), firstLineNumber: i + 1 };
}

/**
 * A compression Flowlens does not read, by its first bytes: what Firehose writes with CompressionFormat ZIP
 * (a ZIP archive), Snappy (the framing format's stream identifier) or HADOOP_SNAPPY (blocks of a 4-byte
 * big-endian raw length, a 4-byte compressed length, then a raw Snappy block whose varint preamble is at most that
 * raw length; a guess without magic bytes, made only when `hadoopSnappy`). Undefined when the bytes are none of these.
 */
export function unreadCompression(head: Uint8Array, size: number, hadoopSnappy = true): string | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 4 && b.readUInt32BE(0) === 0x504b0304) return 'ZIP';
  if (b.length >= 10 && b.subarray(0, 10).equals(Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]))) return 'Snappy';
  // no magic bytes: only said of what is known to come from Firehose
  if (hadoopSnappy && b.length >= 9) {
    const raw = b.readUInt32BE(0);
    const compressed = b.readUInt32BE(4);
    let varint = 0;
    for (let i = 8, shift = 0; i < Math.min(b.length, 13); i++, shift += 7) {
      varint += (b[i]! & 0x7f) * 2 ** shift;
      if (!(b[i]! & 0x80)) break;
    }
    if (raw > 0 && compressed > 0 && compressed + 8 <= size && varint > 0 && varint <= raw) return 'Hadoop-Snappy';
  }
  return undefined;
}

/** The first bytes of a file. */
export async function fileHead(path: string, bytes = HEAD_BYTES): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Reads the head of a file and classifies it. */
export async function sniffFile(path: string): Promise<Sniffed> {
  return sniffHead(await fileHead(path));
}

/**
 * A first line that could be a flow-log record or header: space-separated tokens made only of the
 * characters flow-log values use (ids, addresses, ARNs, numbers, `-`). Prose, CSV, YAML and the like fail.
 */
export function looksLikeFlowLine(line: string): boolean {
  return /^[A-Za-z0-9.:\/_\-]+( [A-Za-z0-9.:\/_\-]+)+ ?$/.test(line.trim());
}
