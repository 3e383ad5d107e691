/**
 * Flow-log text line by line, for what DuckDB's CSV reader cannot say: which line a value came from. The lines
 * are numbered (the header, when there is one, is line 1), and the ones no record can be — empty, longer than
 * any record, a carriage return inside — are bad lines here, with their number, length and reason; the others
 * are written, each prefixed with its number, for DuckDB to parse. A header line after the first line (files
 * joined with `cat`) starts a new segment, written to a file of its own and read in that header's format.
 * Nothing is skipped silently: every line is counted once.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { LineError } from './readers';
import { FormatError, isHeaderLine, parseLogFormat, type FlowField } from '../model/flowFields';

/** No flow record comes near this (every field of every version is about 2 KB); DuckDB's own limit is 2 MB. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Counts lines as numberLines does: every '\n', and a last line without one. */
export class LineCounter {
  private newlines = 0;
  private last = 10;
  private any = false;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.any = true;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.newlines++;
    this.last = chunk[chunk.length - 1];
  }

  get lines(): number {
    return this.newlines + (this.any && this.last !== 10 ? 1 : 0);
  }
}

/** A run of lines in one format: the file's own, or the one a header line inside the file names. */
export interface Segment {
  /** The numbered lines' file. */
  path: string;
  /** The header's fields (undefined: the format the file was opened with). */
  fields?: FlowField[];
  /** Lines written to it. */
  written: number;
}

export interface NumberedLines {
  /** Lines in the file, the header included. */
  lines: number;
  /** Lines written to the numbered files. */
  written: number;
  /** Header lines after the first line: each starts a segment. */
  headers: number;
  segments: Segment[];
  /** Bad lines found here (not written), and the first `maxErrors` of them. */
  bad: number;
  errors: LineError[];
}

const preview = (b: Buffer) => b.subarray(0, 200).toString('utf8');

/**
 * Reads `path` (gunzipping it when `gzip`) and writes `<number> <line>` to `<out>-<segment>` for every line that
 * may be a record; the header line (when `header`) is skipped and counted, and so is every later header line,
 * which starts the next segment.
 */
export async function numberLines(path: string, gzip: boolean, header: boolean, out: string, maxErrors: number): Promise<NumberedLines> {
  const result: NumberedLines = { lines: 0, written: 0, headers: 0, segments: [], bad: 0, errors: [] };
  let sink = createWriteStream(`${out}-0`);
  let segment: Segment = { path: `${out}-0`, written: 0 };
  result.segments.push(segment);
  const write = async (s: string | Buffer) => {
    if (!sink.write(s)) await once(sink, 'drain');
  };
  const close = async () => {
    sink.end();
    await once(sink, 'close');
  };
  const bad = (line: number, message: string, text: string) => {
    result.bad++;
    if (result.errors.length < maxErrors) result.errors.push({ line, message, text });
  };
  let parts: Buffer[] = [];
  let kept = 0;
  let length = 0;
  const endLine = async () => {
    const n = ++result.lines;
    let line = Buffer.concat(parts, kept);
    let len = length;
    parts = [];
    kept = 0;
    length = 0;
    if (header && n === 1) return;
    if (len <= MAX_LINE_BYTES + 1 && line[line.length - 1] === 13) {
      line = line.subarray(0, line.length - 1);
      len--;
    }
    if (len === 0) return bad(n, 'an empty line', '');
    if (len > MAX_LINE_BYTES) {
      return bad(n, `the line is ${len.toLocaleString('en-US')} bytes long; a flow record is at most ${MAX_LINE_BYTES.toLocaleString('en-US')}`, preview(line));
    }
    if (line.includes(13)) return bad(n, 'a carriage return inside the line', preview(line));
    if (line[0] >= 97 && line[0] <= 122 && isHeaderLine(line.toString('utf8'))) {
      // a header inside the file (files joined with cat): its format from here on
      let fields: FlowField[];
      try {
        fields = parseLogFormat(line.toString('utf8'));
      } catch (err) {
        return bad(n, `a header line that is not a valid log format: ${err instanceof FormatError ? err.message : String(err)}`, preview(line));
      }
      result.headers++;
      await close();
      segment = { path: `${out}-${result.segments.length}`, fields, written: 0 };
      result.segments.push(segment);
      sink = createWriteStream(segment.path);
      return;
    }
    result.written++;
    segment.written++;
    await write(`${n} `);
    await write(line);
    await write('\n');
  };
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const chunks: AsyncIterable<Buffer> = gzip ? input.pipe(createGunzip()) : input;
  try {
    for await (const chunk of chunks) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const end = nl < 0 ? chunk.length : nl;
        if (kept + (end - start) <= MAX_LINE_BYTES + 1) {
          parts.push(chunk.subarray(start, end));
          kept += end - start;
        } else if (kept < 200) {
          parts.push(chunk.subarray(start, Math.min(end, start + 200)));
          kept += Math.min(end, start + 200) - start;
        }
        length += end - start;
        if (nl < 0) break;
        await endLine();
        start = nl + 1;
      }
    }
    if (length > 0) await endLine();
  } finally {
    await close();
  }
  return result;
}
