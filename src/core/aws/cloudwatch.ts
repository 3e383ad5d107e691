/**
 * Reads VPC flow logs from CloudWatch Logs with FilterLogEvents over the window (all of a group's streams, one
 * per ENI), an hour at a time: every page of the hour, then one ingest batch and a checkpoint at the hour's end,
 * so memory stays bounded and a cancelled run resumes where it stopped. Calls are spaced to the API's rate.
 * A batch names its source and time range; a run killed between a batch and its checkpoint resumes after the
 * batch (read back from its name), so the batch is not loaded a second time with a longer range.
 */
import { paginateFilterLogEvents, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SourceReport } from '../../protocol/reports';
import { ingestCloudWatchEvents, type CloudWatchEvent } from '../flowlogs/ingest';
import type { Db } from '../store/db';
import { ensureCheckpoints, getCheckpoint, setCheckpoint } from './checkpoints';
import { SETTLE_MINUTES, settledEnd } from './delivery';
import { describeAwsError } from './errors';
import { everyPage } from './paging';
import { RateLimiter } from './pool';
import { Mutex } from './s3';
import type { CloudWatchSource } from './sources';

export interface CloudWatchReadOptions {
  since: Date;
  until: Date;
  /** FilterLogEvents calls per second (CloudWatch Logs allows 5 per account and region by default). */
  perSecond?: number;
  /** Minutes before now that are not read yet because delivery is still under way (default SETTLE_MINUTES). */
  settleMinutes?: number;
  signal?: AbortSignal;
  onProgress?: (message: string, done: number, total: number) => void;
}

const HOUR = 3600_000;

/** Events of the last minutes are still being delivered: a run reads up to this many minutes before now. */
export { SETTLE_MINUTES };

/** The ingest name of a batch: the source, then the range it covers ([from, to + 1)). */
function batchName(src: CloudWatchSource, from: number, to: number): string {
  return `${batchPrefix(src)}${new Date(from).toISOString()}..${new Date(to + 1).toISOString()}`;
}

function batchPrefix(src: CloudWatchSource): string {
  return `cwl://${src.account}/${src.region}${src.logGroup.startsWith('/') ? '' : '/'}${src.logGroup}@`;
}

/** The last event time loaded for the source: its checkpoint, or the end of a batch loaded after it. */
async function loadedUpTo(db: Db, src: CloudWatchSource): Promise<number | undefined> {
  const cp = (await getCheckpoint(db, src.id))?.lastEventTime;
  const last = await db.one<{ name: string | null }>('SELECT max(name) AS name FROM ingest_files WHERE starts_with(name, $p)', { p: batchPrefix(src) });
  const end = last?.name ? Date.parse(last.name.slice(last.name.lastIndexOf('..') + 2)) - 1 : NaN;
  return Number.isFinite(end) && (cp === undefined || end > cp) ? end : cp;
}

export async function readCloudWatchSource(db: Db, logs: CloudWatchLogsClient, src: CloudWatchSource, o: CloudWatchReadOptions, ingestLock = new Mutex()): Promise<SourceReport> {
  const rep: SourceReport = { source: src.id, kind: 'cloudwatch', account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0, files: [], issues: [] };
  const limiter = new RateLimiter(o.perSecond ?? 5);
  await ingestLock.run(() => ensureCheckpoints(db));
  const upTo = await loadedUpTo(db, src);
  // Events of the last minutes are still being delivered: they are left for the next run rather than
  // checkpointed past (a checkpoint never moves beyond what can no longer change).
  const end = settledEnd(o.until.getTime(), Date.now(), o.settleMinutes);
  let from = o.since.getTime();
  if (upTo !== undefined && upTo >= from) {
    from = upTo + 1;
    rep.skipped++; // the part of the window fetched before
  }
  const total = Math.max(0, Math.ceil((end - from) / HOUR));
  let done = 0;
  while (from < end) {
    o.signal?.throwIfAborted();
    const to = Math.min(end, Math.floor(from / HOUR) * HOUR + HOUR) - 1; // inclusive end of this hour
    const events: CloudWatchEvent[] = [];
    try {
      const wait = () => limiter.wait(o.signal);
      await wait();
      const pages = paginateFilterLogEvents({ client: logs }, { logGroupName: src.logGroup, startTime: from, endTime: to }, o.signal ? { abortSignal: o.signal } : {});
      // an hour is loaded whole or not at all: a repeated token fails the source (its checkpoint stays put)
      await everyPage(pages, 'nextToken', (r) => {
        for (const e of r.events ?? []) {
          if (e.message === undefined) continue;
          const ev: CloudWatchEvent = { message: e.message };
          if (e.timestamp !== undefined) ev.timestamp = e.timestamp;
          if (e.logStreamName !== undefined) ev.logStreamName = e.logStreamName;
          if (e.ingestionTime !== undefined) ev.ingestionTime = e.ingestionTime;
          if (e.eventId !== undefined) ev.eventId = e.eventId;
          events.push(ev);
        }
      }, { beforeNext: wait });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api: 'logs:FilterLogEvents', resource: src.logGroup }));
      rep.failed++;
      return rep; // the checkpoint stays at the last complete hour
    }
    if (events.length) {
      events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || (a.logStreamName ?? '').localeCompare(b.logStreamName ?? ''));
      const name = batchName(src, from, to);
      const fr = await ingestLock.run(() => ingestCloudWatchEvents(db, name, events, { ...(src.logFormat ? { logFormat: src.logFormat } : {}), ...(o.signal ? { signal: o.signal } : {}) }));
      rep.files.push(fr);
      if (fr.status === 'failed') {
        rep.failed++;
        rep.issues.push({ account: src.account, region: src.region, api: 'ingest', code: 'MalformedEvents', message: fr.error ?? 'unreadable', resource: name });
        return rep;
      }
      if (fr.status === 'duplicate') rep.skipped++;
      else {
        rep.fetched++;
        rep.records += fr.records;
        rep.bytes += events.reduce((n, e) => n + e.message.length, 0);
      }
    }
    await ingestLock.run(() => setCheckpoint(db, src.id, '', { lastEventTime: to }));
    from = to + 1;
    o.onProgress?.(`${src.id}: ${++done}/${total} hours`, done, total);
  }
  return rep;
}
