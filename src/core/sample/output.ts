/**
 * Flow-log writers in AWS's delivery formats: gzip text files in the S3 key layout (plain or
 * Hive-compatible, per hour or not), Parquet through DuckDB, and CloudWatch Logs events.
 */
import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatVersion, type FlowField } from '../model/flowFields';
import type { Db } from '../store/db';
import { lit } from '../store/db';
import type { Eni, FlowLogConfig } from './model';
import type { FlowRecord } from './observe';
import { hash32 } from './rng';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function line(fields: readonly FlowField[], version: string, rec: FlowRecord): string {
  let s = '';
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i].name;
    const v = name === 'version' ? version : rec[name];
    s += (i ? ' ' : '') + (v === undefined ? '-' : v);
  }
  return s;
}

export interface SinkStats {
  files: number;
  records: number;
  bytes: number;
  paths: string[];
}

export abstract class FlowLogSink {
  protected readonly version: string;
  readonly stats: SinkStats = { files: 0, records: 0, bytes: 0, paths: [] };

  constructor(
    readonly fl: FlowLogConfig,
    readonly root: string,
    readonly seed: number,
  ) {
    this.version = String(formatVersion(fl.fields));
  }

  abstract add(start: number, eni: Eni, rec: FlowRecord): void;
  /** Writes everything buffered for periods before `until` (epoch s). */
  abstract flush(until: number): Promise<void>;
  abstract finish(): Promise<void>;
}

/** S3 delivery: one object per flow log per period (5 minutes, or an hour at small scales). */
export class S3Sink extends FlowLogSink {
  private readonly buffers = new Map<number, string[]>();
  private readonly made = new Set<string>();

  constructor(
    fl: FlowLogConfig,
    root: string,
    seed: number,
    private readonly period: number,
    private readonly db?: Db,
    private readonly tmpDir?: string,
  ) {
    super(fl, root, seed);
  }

  /** The folder of the flow log's objects for one period, as S3 keys under the bucket folder. */
  keyFor(periodStart: number): string {
    const fl = this.fl;
    const d = new Date(periodStart * 1000);
    const [y, m, day, h, min] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours()), pad(d.getUTCMinutes())];
    const account = fl.vpc.account;
    const region = fl.vpc.region;
    let folder: string;
    if (fl.hive) {
      folder = `${fl.prefix}/AWSLogs/aws-account-id=${account}/aws-service=vpcflowlogs/aws-region=${region}/year=${y}/month=${m}/day=${day}`;
      if (fl.perHour) folder += `/hour=${h}`;
    } else {
      folder = `${fl.prefix}/AWSLogs/${account}/vpcflowlogs/${region}/${y}/${m}/${day}`;
      if (fl.perHour) folder += `/${h}`;
    }
    const hash = hash32(`${this.seed}|${fl.id}|${periodStart}`).toString(16).padStart(8, '0');
    const ext = fl.fileFormat === 'parquet' ? 'log.parquet' : 'log.gz';
    return `${folder}/${account}_vpcflowlogs_${region}_${fl.id}_${y}${m}${day}T${h}${min}Z_${hash}.${ext}`;
  }

  add(start: number, _eni: Eni, rec: FlowRecord): void {
    const p = start - (start % this.period);
    let buf = this.buffers.get(p);
    if (!buf) this.buffers.set(p, (buf = []));
    buf.push(line(this.fl.fields, this.version, rec));
  }

  async flush(until: number): Promise<void> {
    const ready = [...this.buffers.keys()].filter((p) => p + this.period <= until).sort((a, b) => a - b);
    for (const p of ready) {
      const lines = this.buffers.get(p)!;
      this.buffers.delete(p);
      const path = join(this.root, this.fl.bucket!, this.keyFor(p));
      const folder = dirname(path);
      if (!this.made.has(folder)) {
        mkdirSync(folder, { recursive: true });
        this.made.add(folder);
      }
      if (this.fl.fileFormat === 'parquet') await this.writeParquet(path, lines);
      else {
        const body = gzipSync(this.fl.fields.map((f) => f.name).join(' ') + '\n' + lines.join('\n') + '\n', { level: 6 });
        writeFileSync(path, body);
        this.stats.bytes += body.length;
      }
      this.stats.files++;
      this.stats.records += lines.length;
      this.stats.paths.push(path);
    }
    if (until % 86400 === 0 || until === Number.POSITIVE_INFINITY) await this.finishParquet();
  }

  /** Parquet rows wait in a text file (with their object's index) and are written once a day in one COPY. */
  private parquetKeys: string[] = [];
  private parquetBatch = 0;

  private parquetText(): string {
    return join(this.tmpDir!, `parquet-${this.fl.id}-${this.parquetBatch}.txt`);
  }

  private async writeParquet(path: string, lines: string[]): Promise<void> {
    if (!this.db || !this.tmpDir) throw new Error('sample estate: Parquet output needs a DuckDB connection');
    const k = this.parquetKeys.length;
    this.parquetKeys.push(path);
    appendFileSync(this.parquetText(), lines.map((l) => `${k} ${l}`).join('\n') + '\n');
  }

  private async finishParquet(): Promise<void> {
    if (this.parquetKeys.length === 0) return;
    const db = this.db!;
    const tmp = this.parquetText();
    const out = join(this.tmpDir!, `parquet-${this.fl.id}-${this.parquetBatch}`);
    const cols = [`'file_key': 'INTEGER'`, ...this.fl.fields.map((f) => `'${f.column}': '${f.type}'`)].join(', ');
    const select = this.fl.fields.map((f) => `"${f.column}"`).join(', ');
    // AWS's Parquet: INT32 / INT64 / STRING columns named with '_'; '-' becomes NULL. One COPY
    // partitioned by object, then each partition is moved to its S3 key.
    await db.exec(
      `COPY (SELECT file_key, ${select} FROM read_csv(${lit(tmp)}, delim = ' ', header = false, nullstr = '-', columns = {${cols}}))
       TO ${lit(out)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (file_key))`,
    );
    this.parquetKeys.forEach((path, k) => {
      const dir = join(out, `file_key=${k}`);
      const files = readdirSync(dir);
      if (files.length !== 1) throw new Error(`sample estate: expected one Parquet file in ${dir}, found ${files.length}`);
      renameSync(join(dir, files[0]), path);
      this.stats.bytes += statSync(path).size;
    });
    rmSync(out, { recursive: true, force: true });
    rmSync(tmp, { force: true });
    this.parquetKeys = [];
    this.parquetBatch++;
  }

  async finish(): Promise<void> {
    await this.flush(Number.POSITIVE_INFINITY);
  }
}

/**
 * CloudWatch Logs delivery: one log stream per ENI (`<eni>-all`), written as FilterLogEvents output
 * (`{"events":[{logStreamName,timestamp,message,ingestionTime,eventId}], "searchedLogStreams":[…]}`),
 * one file per ENI: `<root>/cloudwatch/<log-group>/<eni>.json`. Messages have no header.
 */
export class CloudWatchSink extends FlowLogSink {
  private readonly buffers = new Map<string, string[]>();
  private readonly started = new Set<string>();
  private seq = 0;

  private fileFor(eniId: string): string {
    return join(this.root, 'cloudwatch', this.fl.logGroup!.replace(/^\//, ''), `${eniId}.json`);
  }

  add(start: number, eni: Eni, rec: FlowRecord): void {
    let buf = this.buffers.get(eni.id);
    if (!buf) this.buffers.set(eni.id, (buf = []));
    const ts = start * 1000;
    const digits = (BigInt(ts) * 1000000n + BigInt(this.seq++ % 1000000)).toString().padStart(56, '3');
    buf.push(
      JSON.stringify({
        logStreamName: `${eni.id}-all`,
        timestamp: ts,
        message: line(this.fl.fields, this.version, rec),
        ingestionTime: ts + 60000 + (hash32(digits) % 240000),
        eventId: digits,
      }),
    );
    this.stats.records++;
    this.buffered++;
  }

  private buffered = 0;

  /** Appends the buffered events once a day (or when many are waiting). */
  async flush(until: number = Number.POSITIVE_INFINITY): Promise<void> {
    if (until % 86400 !== 0 && this.buffered < 20000 && until !== Number.POSITIVE_INFINITY) return;
    this.buffered = 0;
    for (const [eni, events] of this.buffers) {
      if (events.length === 0) continue;
      const path = this.fileFor(eni);
      let text = events.join(',\n');
      if (!this.started.has(eni)) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '{"events":[\n');
        this.started.add(eni);
        this.stats.files++;
        this.stats.paths.push(path);
      } else text = ',\n' + text;
      appendFileSync(path, text);
      this.stats.bytes += text.length;
      events.length = 0;
    }
  }

  async finish(): Promise<void> {
    await this.flush();
    for (const eni of [...this.started].sort()) {
      const tail = `\n],"searchedLogStreams":[${JSON.stringify({ logStreamName: `${eni}-all`, searchedCompletely: true })}]}\n`;
      appendFileSync(this.fileFor(eni), tail);
      this.stats.bytes += tail.length;
    }
  }
}
