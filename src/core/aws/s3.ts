/**
 * Reads VPC flow logs from S3: lists only the date (and hour) prefixes of the window in every key layout
 * (default, Hive-compatible, hourly, with an organisation id level), fetches objects with a bounded pool,
 * resumes an object whose connection drops (Range request, same ETag), and hands each object to the engine.
 * Objects already loaded are not fetched again; a checkpoint per listed prefix skips what was listed before, once
 * the prefix's time is over (while objects can still arrive in it, a new key may sort before one already loaded:
 * another flow log, the same minute — such a prefix is listed whole every time).
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { AwsIssue, FileReport, SourceReport } from '../../protocol/reports';
import { ingestBuffer } from '../flowlogs/ingest';
import type { Db } from '../store/db';
import { ensureCheckpoints, getCheckpoint, loadedNames, setCheckpoint } from './checkpoints';
import { describeAwsError } from './errors';
import { everyPage } from './paging';
import { mapPool } from './pool';
import type { S3Source } from './sources';

export interface S3ReadOptions {
  since: Date;
  until: Date;
  /** Late delivery: objects stamped up to this many minutes after `until` are read too (default 20). */
  lateMinutes?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (message: string, done: number, total: number) => void;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Serialises work on the one DuckDB connection while downloads run in parallel. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

export async function listAll(s3: S3Client, bucket: string, prefix: string, opts: { delimiter?: string; startAfter?: string; signal?: AbortSignal }): Promise<{ keys: { key: string; size: number }[]; prefixes: string[] }> {
  const keys: { key: string; size: number }[] = [];
  const prefixes: string[] = [];
  const input = { Bucket: bucket, Prefix: prefix, ...(opts.delimiter ? { Delimiter: opts.delimiter } : {}), ...(opts.startAfter ? { StartAfter: opts.startAfter } : {}) };
  await everyPage(paginateListObjectsV2({ client: s3 }, input, opts.signal ? { abortSignal: opts.signal } : {}), 'NextContinuationToken', (r) => {
    for (const c of r.Contents ?? []) if (c.Key) keys.push({ key: c.Key, size: c.Size ?? 0 });
    for (const c of r.CommonPrefixes ?? []) if (c.Prefix) prefixes.push(c.Prefix);
  }, { tokenOf: (r) => (r.IsTruncated ? r.NextContinuationToken : undefined) });
  return { keys, prefixes };
}

interface Root {
  /** e.g. `vpc/AWSLogs/o-abc/111111111111/` or `AWSLogs/aws-account-id=111111111111/`. */
  path: string;
  account: string;
  hive: boolean;
}

/** The account folders under <prefix>/AWSLogs/, through an organisation id level when there is one. */
export async function accountRoots(s3: S3Client, src: S3Source, signal?: AbortSignal): Promise<Root[]> {
  const base = `${src.prefix ? src.prefix + '/' : ''}AWSLogs/`;
  const roots: Root[] = [];
  const visit = async (p: string, depth: number) => {
    const { prefixes } = await listAll(s3, src.bucket, p, { delimiter: '/', ...(signal ? { signal } : {}) });
    for (const child of prefixes) {
      const name = child.slice(p.length).replace(/\/$/, '');
      const hive = /^aws-account-id=(\d{12})$/.exec(name);
      if (/^\d{12}$/.test(name)) roots.push({ path: child, account: name, hive: false });
      else if (hive) roots.push({ path: child, account: hive[1]!, hive: true });
      else if (/^o-[a-z0-9]+$/.test(name) && depth === 0) await visit(child, 1);
    }
  };
  await visit(base, 0);
  return roots.filter((r) => !src.logAccounts || src.logAccounts.includes(r.account));
}

/** The date (and hour) prefixes under a root for [since, until]: one per day, or per hour when partitioned so. */
export function windowPrefixes(root: Root, region: string, since: Date, until: Date, perHour: boolean): string[] {
  const out: string[] = [];
  const regionPart = root.hive ? `aws-service=vpcflowlogs/aws-region=${region}/` : `vpcflowlogs/${region}/`;
  const stepMs = perHour ? 3600_000 : 86400_000;
  let t = perHour ? Math.floor(since.getTime() / 3600_000) * 3600_000 : Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (; t <= until.getTime(); t += stepMs) {
    const d = new Date(t);
    const [y, m, dd, h] = [String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours())];
    const date = root.hive ? `year=${y}/month=${m}/day=${dd}/` : `${y}/${m}/${dd}/`;
    out.push(root.path + regionPart + date + (perHour ? (root.hive ? `hour=${h}/` : `${h}/`) : ''));
  }
  return out;
}

/** When no more objects arrive under a date (or hour) prefix: its end plus the late-delivery allowance. */
export function prefixClosesAt(prefix: string, lateMinutes: number): number | undefined {
  const m = /(?:year=)?(\d{4})\/(?:month=)?(\d{2})\/(?:day=)?(\d{2})\/(?:(?:hour=)?(\d{2})\/)?$/.exec(prefix);
  if (!m) return undefined;
  const end = m[4] !== undefined ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]! + 1) : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]! + 1);
  return end + lateMinutes * 60_000;
}

/** The delivery time stamped in a flow-log object's name (`…_20260901T0005Z_hash.log.gz`), if any. */
export function objectTime(key: string): number | undefined {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : undefined;
}

/** GetObject into memory; a connection that drops mid-body is resumed with a Range request (same ETag). */
export async function fetchObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal, attempts = 4): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  let etag: string | undefined;
  let total: number | undefined;
  let lastErr: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const r = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(received > 0 ? { Range: `bytes=${received}-`, ...(etag ? { IfMatch: etag } : {}) } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      if (received === 0) {
        etag = r.ETag;
        total = r.ContentLength;
      }
      const body = r.Body as AsyncIterable<Uint8Array> | undefined;
      if (!body) throw new Error('empty response body');
      for await (const c of body) {
        chunks.push(Buffer.from(c));
        received += c.byteLength;
      }
      if (total !== undefined && received < total) throw new Error(`connection closed after ${received} of ${total} bytes`);
      return Buffer.concat(chunks);
    } catch (err) {
      if (signal?.aborted) throw err;
      lastErr = err;
      const name = (err as { name?: string }).name ?? '';
      // Errors AWS answered (AccessDenied, NoSuchKey, PreconditionFailed) are not retried here.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode && !/Timeout|Reset|closed/i.test(name)) throw err;
    }
  }
  throw Object.assign(new Error(`${(lastErr as Error)?.message ?? 'failed'} (after ${attempts} attempts, ${received} bytes received)`), { name: 'ObjectReadFailed' });
}

/**
 * One object of a source: skipped when loaded before, else fetched and handed to the engine (with `o.logFormat`
 * for headerless records), counted in `rep`. Whether it is loaded now or was before.
 */
export async function readObject(
  db: Db, s3: S3Client, src: Pick<S3Source, 'bucket' | 'account' | 'region'>, key: string, rep: SourceReport, already: Set<string>,
  o: { signal?: AbortSignal; logFormat?: string }, ingestLock: Mutex,
): Promise<boolean> {
  const name = `s3://${src.bucket}/${key}`;
  if (already.has(name)) {
    rep.skipped++;
    return true;
  }
  let data: Buffer;
  try {
    data = await fetchObject(s3, src.bucket, key, o.signal);
  } catch (err) {
    if (o.signal?.aborted) throw err;
    rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api: 's3:GetObject', resource: name }));
    rep.failed++;
    return false;
  }
  const fr = await ingestLock.run(() => ingestBuffer(db, name, data, { ...(o.logFormat ? { logFormat: o.logFormat } : {}), ...(o.signal ? { signal: o.signal } : {}) }));
  rep.files.push(fr);
  if (fr.status === 'failed') {
    rep.failed++;
    rep.issues.push({ account: src.account, region: src.region, api: 'ingest', code: 'MalformedObject', message: fr.error ?? 'unreadable', resource: name });
    return false;
  }
  if (fr.status === 'duplicate') rep.skipped++;
  else {
    rep.fetched++;
    rep.records += fr.records;
    rep.bytes += data.byteLength;
  }
  return true;
}

export async function readS3Source(db: Db, s3: S3Client, src: S3Source, o: S3ReadOptions, ingestLock = new Mutex()): Promise<SourceReport> {
  const rep: SourceReport = { source: src.id, kind: 's3', account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0, files: [], issues: [] };
  const issue = (err: unknown, api: string, resource?: string) =>
    rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api, ...(resource ? { resource } : {}) }));
  const lateMinutes = o.lateMinutes ?? 20;
  const until = new Date(o.until.getTime() + lateMinutes * 60_000);
  await ingestLock.run(() => ensureCheckpoints(db));
  let roots: Root[];
  try {
    roots = await accountRoots(s3, src, o.signal);
  } catch (err) {
    if (o.signal?.aborted) throw err;
    issue(err, 's3:ListObjectsV2', `s3://${src.bucket}/${src.prefix}`);
    rep.failed++;
    return rep;
  }
  const already = await loadedNames(db, `s3://${src.bucket}/`);
  // Every prefix of the window, and its objects (filtered by the time in their name).
  const work: { scope: string; closed: boolean; keys: { key: string; size: number; inWindow: boolean }[] }[] = [];
  const inWindow = (key: string) => {
    const t = objectTime(key);
    return t === undefined || (t >= o.since.getTime() && t <= until.getTime());
  };
  for (const root of roots) {
    const regions = src.logRegions ?? [src.region];
    for (const region of regions) {
      // Hourly partitioning unknown (a user-named bucket): day prefixes, filtered by the time in the name.
      const prefixes = windowPrefixes(root, region, o.since, until, !!src.perHour);
      for (const scope of prefixes) {
        o.signal?.throwIfAborted();
        // A checkpoint stands for "every key up to here is loaded" only once nothing more can arrive.
        const closed = (prefixClosesAt(scope, lateMinutes) ?? Infinity) < Date.now();
        const cp = closed ? await getCheckpoint(db, src.id, scope) : undefined;
        try {
          const { keys } = await listAll(s3, src.bucket, scope, { ...(cp?.lastKey ? { startAfter: cp.lastKey } : {}), ...(o.signal ? { signal: o.signal } : {}) });
          // Objects outside the window stay unread; they also stop the checkpoint, which must only ever
          // stand for "every key up to here is loaded".
          work.push({ scope, closed, keys: keys.map((k) => ({ ...k, inWindow: inWindow(k.key) })) });
        } catch (err) {
          if (o.signal?.aborted) throw err;
          issue(err, 's3:ListObjectsV2', `s3://${src.bucket}/${scope}`);
          rep.failed++;
        }
      }
    }
  }
  const total = work.reduce((n, w) => n + w.keys.filter((k) => k.inWindow).length, 0);
  let done = 0;
  for (const w of work) {
    const status: boolean[] = new Array(w.keys.length).fill(false);
    await mapPool(
      w.keys,
      o.concurrency ?? 8,
      async ({ key, inWindow: wanted }, i) => {
        if (!wanted) return;
        status[i] = await readObject(db, s3, src, key, rep, already, { ...(o.signal ? { signal: o.signal } : {}) }, ingestLock);
        o.onProgress?.(`${src.id}: ${++done}/${total}`, done, total);
      },
      o.signal,
    );
    // The checkpoint moves to the last key before the first one not loaded (a failed object is retried next time).
    let last: string | undefined;
    for (let i = 0; i < w.keys.length && status[i]; i++) last = w.keys[i]!.key;
    if (last && w.closed) await ingestLock.run(() => setCheckpoint(db, src.id, w.scope, { lastKey: last }));
  }
  return rep;
}
