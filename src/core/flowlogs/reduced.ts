/**
 * Loading an Athena reduction's result rows (store/reduced.ts): like a file, one ingest_files row (reader
 * 'athena-reduced'; the same content loads once, under any name), every row checked by the value rules of a flow
 * record said of its columns and by its own (action, window, counts, flag bits), a bad row reported with its row
 * number and reason and never stored, all in one transaction.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileReport } from '../../protocol/reports';
import { REDUCED_COLUMNS } from '../aws/athenaReduction';
import type { FieldType, FlowField } from '../model/flowFields';
import { reasonSql } from '../model/validate';
import { lit, type Db } from '../store/db';
import { REDUCED_READER, REDUCED_TABLE, REDUCED_TYPES as TYPES } from '../store/reduced';
import { addLoaded } from './totals';
import { plural } from '../../shared/numbers';

/**
 * The value rules of flow records (model/validate.ts), said of a reduced row's columns: the addresses, the server
 * port, the protocol, the sums, the times.
 */
const AS_FLOW: { name: string; column: string; type: FieldType }[] = [
  { name: 'client_addr', column: 'srcaddr', type: 'VARCHAR' },
  { name: 'server_addr', column: 'dstaddr', type: 'VARCHAR' },
  { name: 'server_port', column: 'dstport', type: 'INTEGER' },
  { name: 'protocol', column: 'protocol', type: 'INTEGER' },
  { name: 'bytes_up', column: 'bytes', type: 'BIGINT' },
  { name: 'bytes_down', column: 'bytes', type: 'BIGINT' },
  { name: 'packets_up', column: 'packets', type: 'BIGINT' },
  { name: 'packets_down', column: 'packets', type: 'BIGINT' },
  { name: 'first_start', column: 'start', type: 'BIGINT' },
  { name: 'last_end', column: 'end', type: 'BIGINT' },
];

const num = (c: string) => `TRY_CAST(v.${c} AS ${TYPES[c as keyof typeof TYPES]})`;

/** SQL over the text row v: why the row may not be stored (NULL when it may). */
function rowReasonSql(windowSeconds: number): string {
  const typed = REDUCED_COLUMNS.filter((c) => TYPES[c] !== 'VARCHAR');
  const notNumber = typed.map((c) => `WHEN v.${c} IS NOT NULL AND (${num(c)} IS NULL OR NOT regexp_full_match(v.${c}, '-?[0-9]+')) THEN format('${c}: "{}" is not ${TYPES[c] === 'UTINYINT' ? 'a flag mask (0 to 255)' : TYPES[c] === 'TINYINT' ? 'a traffic-path code' : 'an integer'}', v.${c})`);
  const required = ['interface_id', 'client_addr', 'server_addr', 'action', 'window_start', 'first_start', 'last_end', 'records']
    .map((c) => `WHEN v.${c} IS NULL THEN '${c} is missing'`);
  const flow = AS_FLOW.map((f) => {
    // one rule set per column, each naming its own column
    const field: FlowField = { name: f.name, column: f.column, version: 2, type: f.type as FieldType };
    return reasonSql([field], () => (f.type === 'VARCHAR' ? `lower(v.${f.name})` : num(f.name)));
  });
  const own = [
    `WHEN v.action NOT IN ('ACCEPT', 'REJECT') THEN format('action: "{}" is neither ACCEPT nor REJECT', v.action)`,
    `WHEN ${num('window_start')} % ${windowSeconds} <> 0 THEN format('window_start: {} is not the start of a ${windowSeconds}-second window', v.window_start)`,
    `WHEN ${num('first_start')} < ${num('window_start')} OR ${num('first_start')} >= ${num('window_start')} + ${windowSeconds} THEN format('first_start: {} is outside its window (from {}, ${windowSeconds} s)', v.first_start, v.window_start)`,
    `WHEN ${num('first_start')} > ${num('last_end')} THEN format('first_start {} is after last_end {}', v.first_start, v.last_end)`,
    `WHEN ${num('records')} < 1 THEN format('records: {} is not a count of records (1 or more)', v.records)`,
    `WHEN ${num('client_ports')} < 0 THEN format('client_ports: {} is negative', v.client_ports)`,
    `WHEN ${num('flags')} > 15 THEN format('flags: {} is not a mask of the four SYN/SYN-ACK bits (0 to 15)', v.flags)`,
    ...['path_up', 'path_down'].map((c) => `WHEN ${num(c)} NOT BETWEEN 0 AND 15 THEN format('${c}: {} is not a traffic-path code', v.${c})`),
  ];
  return `coalesce(CASE ${[...notNumber, ...required, ...own].join(' ')} END, ${flow.join(', ')})`;
}

/** CSV field: quoted, quotes doubled; NULL is the empty unquoted field. */
const csv = (v: string | null | undefined) => (v === null || v === undefined ? '' : `"${v.replace(/"/g, '""')}"`);

export interface ReducedLoad extends FileReport {
  /** Rows stored. */
  rows: number;
}

/**
 * A reduction's result as it arrives, page by page, written to a temporary CSV file (millions of rows are never
 * held in memory), with a hash of its content that does not depend on the rows' order (a query's result has
 * none): the sum of each row's SHA-256, modulo 2^256. load() loads it; close() removes the file.
 */
export class ReducedRows {
  private sum = 0n;
  count = 0;
  private constructor(private readonly dir: string, readonly file: string) {}

  static async open(): Promise<ReducedRows> {
    const dir = await mkdtemp(join(tmpdir(), 'flowlens-reduced-'));
    const r = new ReducedRows(dir, join(dir, 'rows.csv'));
    writeFileSync(r.file, '');
    return r;
  }

  /** Appends rows (text values in REDUCED_COLUMNS order, NULL for an absent value). */
  add(rows: readonly (string | null)[][]): void {
    if (!rows.length) return;
    for (const r of rows) this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(JSON.stringify(r)).digest('hex')}`)) % 2n ** 256n;
    this.count += rows.length;
    appendFileSync(this.file, rows.map((r) => REDUCED_COLUMNS.map((_, i) => csv(r[i])).join(',')).join('\n') + '\n');
  }

  contentHash(windowSeconds: number): string {
    return createHash('sha256').update(`reduced w${windowSeconds}\n${REDUCED_COLUMNS.join(',')}\n${this.count}\n${this.sum.toString(16)}`).digest('hex');
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Loads one reduction's result rows (text values in REDUCED_COLUMNS order, as GetQueryResults gives them; NULL
 * for an absent value) under `name`, in one transaction: the same content again (under any name, in any order)
 * adds nothing.
 */
export async function ingestReducedRows(db: Db, name: string, windowSeconds: number, rows: readonly (string | null)[][], maxReportedErrors = 5): Promise<ReducedLoad> {
  const r = await ReducedRows.open();
  try {
    r.add(rows);
    return await loadReducedRows(db, name, windowSeconds, r, { maxReportedErrors });
  } finally {
    await r.close();
  }
}

/**
 * Loads the rows written to `rows` (see ingestReducedRows). A result of no row is loaded too, as a row of
 * ingest_files with no record: the time its name says was read (athenaWindows.ts), and is not paid for again. It has
 * no content to be known by, so it is known by its name. `read`: what the query read, kept beside the name
 * (ingest_files.athena_read, athenaWindows.ts's resultRecordText) when its name's span holds time it left out.
 */
export async function loadReducedRows(db: Db, name: string, windowSeconds: number, rows: ReducedRows,
  o: { maxReportedErrors?: number; read?: string } = {}): Promise<ReducedLoad> {
  const maxReportedErrors = o.maxReportedErrors ?? 5;
  const base: ReducedLoad = { name, status: 'loaded', records: 0, badLines: 0, errors: [], rows: 0 };
  const contentHash = rows.count ? rows.contentHash(windowSeconds) : createHash('sha256').update(`reduced w${windowSeconds}\nno row\n${name}`).digest('hex');
  const file = rows.file;
  try {
    return await db.transaction(async () => {
      const existing = await db.one<{ name: string }>(`SELECT name FROM ingest_files WHERE content_hash = $h ORDER BY file_id LIMIT 1`, { h: contentHash });
      if (existing) return { ...base, status: 'duplicate', duplicateOf: existing.name };
      if (!rows.count) {
        await db.exec(`INSERT INTO ingest_files (file_id, name, content_hash, bytes, reader, log_format, records, bad_lines, athena_read, loaded_at)
          VALUES (nextval('ingest_file_seq'), $name, $hash, NULL, '${REDUCED_READER}', $format, 0, 0, $read, current_timestamp)`, { name, hash: contentHash, format: `reduction/${windowSeconds}s`, read: o.read ?? null });
        return base;
      }
      await db.exec(`CREATE OR REPLACE TEMP TABLE fl_reduced_text AS
        SELECT row_number() OVER () AS row_no, * FROM read_csv(${lit(file)}, header = false, delim = ',', quote = '"', escape = '"',
          nullstr = '', allow_quoted_nulls = false, auto_detect = false,
          columns = {${REDUCED_COLUMNS.map((c) => `'${c}': 'VARCHAR'`).join(', ')}})`);
      await db.exec(`CREATE OR REPLACE TEMP TABLE fl_reduced_checked AS SELECT v.*, ${rowReasonSql(windowSeconds)} AS reason FROM fl_reduced_text v`);
      const badCount = Number(await db.value<bigint>(`SELECT count(*) FROM fl_reduced_checked WHERE reason IS NOT NULL`));
      const firstBad = await db.all<{ row_no: bigint; reason: string }>(`SELECT row_no, reason FROM fl_reduced_checked WHERE reason IS NOT NULL
        ORDER BY row_no LIMIT ${Math.max(1, Math.floor(maxReportedErrors))}`);
      const good = rows.count - badCount;
      const errors = firstBad.slice(0, Math.max(0, maxReportedErrors)).map((b) => ({ line: Number(b.row_no), message: b.reason }));
      if (rows.count > 0 && good === 0) {
        return { ...base, status: 'failed', badLines: badCount, errors, error: `${name}: none of its ${plural(badCount, 'row')} is a reduced flow row (row ${firstBad[0]!.row_no}: ${firstBad[0]!.reason})` } as ReducedLoad;
      }
      const fileId = await db.value<number>(`INSERT INTO ingest_files (file_id, name, content_hash, bytes, reader, log_format, records, bad_lines, athena_read, loaded_at)
        VALUES (nextval('ingest_file_seq'), $name, $hash, NULL, '${REDUCED_READER}', $format, 0, $bad, $read, current_timestamp) RETURNING file_id`,
        { name, hash: contentHash, format: `reduction/${windowSeconds}s`, bad: badCount, read: o.read ?? null });
      await db.exec(`INSERT INTO ${REDUCED_TABLE} SELECT ${Math.floor(fileId)}, ${Math.floor(windowSeconds)},
        ${REDUCED_COLUMNS.map((c) => (TYPES[c] === 'VARCHAR' ? (c.endsWith('_addr') ? `lower(${c})` : c) : `CAST(${c} AS ${TYPES[c]})`)).join(', ')}
        FROM fl_reduced_checked WHERE reason IS NULL ORDER BY row_no`);
      const sums = await db.one<{ records: bigint; bytes: bigint; packets: bigint }>(`SELECT coalesce(sum(records), 0)::BIGINT AS records,
        coalesce(sum(bytes_up + bytes_down), 0)::HUGEINT AS bytes, coalesce(sum(packets_up + packets_down), 0)::HUGEINT AS packets
        FROM ${REDUCED_TABLE} WHERE file_id = ${Math.floor(fileId)}`);
      await db.exec(`UPDATE ingest_files SET records = $r WHERE file_id = $id`, { r: sums!.records, id: fileId });
      for (const e of errors) {
        await db.exec(`INSERT INTO ingest_errors (file_id, name, line, message, text) VALUES ($id, $name, $line, $message, NULL)`, { id: fileId, name, line: e.line, message: e.message });
      }
      await addLoaded(db, [{ bytes: BigInt(sums!.bytes), packets: BigInt(sums!.packets) }], (m) => new Error(`${name}: ${m}`));
      await db.exec('DROP TABLE fl_reduced_text; DROP TABLE fl_reduced_checked');
      return { ...base, records: Number(sums!.records), badLines: badCount, errors, rows: good };
    });
  } catch (err) {
    return { ...base, status: 'failed', error: `cannot load ${name}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
