/**
 * The traffic engine: hour by hour, draws conversations from the estate's patterns, writes every
 * observer's flow records to its flow log's sink and one truth line per conversation per minute.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Estate, PatternCtx } from './estate';
import { AGGREGATION_INTERVAL as WINDOW, DAY, type Conversation, type Endpoint, type Eni, type Resource } from './model';
import { isRfc1918 } from './net';
import { observeMinute, statusRecord, type FlowRecord } from './observe';
import type { FlowLogSink } from './output';
import { Rng } from './rng';
import { admittingRules } from './secgroups';

/** A gap in an ENI's logging (truth/coverage.jsonl): SKIPDATA records, or none at all (NONE), over [from, to). */
interface Gap {
  from: number;
  to: number;
  status: 'SKIPDATA' | 'NONE';
}

export interface TrafficStats {
  conversations: number;
  truthLines: number;
  records: number;
}

/** Share of the day's traffic by UTC hour: a daytime peak, quieter nights and weekends. */
function dailyCurve(t: number): number {
  const d = new Date(t * 1000);
  const h = d.getUTCHours();
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  return (1 + 0.55 * Math.sin((2 * Math.PI * (h - 9)) / 24)) * (weekend ? 0.75 : 1.08);
}

function tagsAt(res: Resource, t: number): number {
  const v = res.tagVersions;
  let i = v.length - 1;
  while (i > 0 && v[i].from > t) i--;
  return i;
}

const sideCache = new WeakMap<Estate, Map<string, string>>();

/** The truth's JSON for one side of a conversation (without the port), cached per holder and tag version. */
function sideJson(estate: Estate, e: Endpoint, t: number): string {
  let cache = sideCache.get(estate);
  if (!cache) sideCache.set(estate, (cache = new Map()));
  if (e.kind !== 'eni') {
    const key = `${e.kind}|${e.addr}`;
    let s = cache.get(key);
    if (s === undefined) {
      s = JSON.stringify({
        arn: null,
        type: e.kind === 'aws' ? 'aws:service' : 'internet',
        eni: null,
        vpc: null,
        subnet: null,
        az: null,
        account: null,
        region: e.kind === 'aws' ? e.region : null,
        sgs: [],
        tags: {},
        awsService: e.kind === 'aws' ? e.service : null,
        rfc1918: isRfc1918(e.addr),
      }).slice(1);
      cache.set(key, s);
    }
    return s;
  }
  const eni = e.eni!;
  const res = e.resource!;
  const version = tagsAt(res, t);
  // before the AttachTime the inventory shows, only the ENI's own records prove the side: the ENI, not its owner
  const proven = eni.attachedAt !== undefined && t < eni.attachedAt;
  const key = `${eni.id}|${e.addr}|${res.type}|${version}|${proven}`;
  let s = cache.get(key);
  if (s === undefined) {
    s = JSON.stringify({
      arn: proven ? null : res.arn,
      type: proven ? 'ec2:network-interface' : res.type,
      ...(proven ? { owner: res.arn } : {}),
      eni: eni.id,
      vpc: eni.vpc.id,
      subnet: eni.subnet.id,
      az: eni.subnet.az,
      account: eni.vpc.account,
      region: eni.vpc.region,
      sgs: eni.sgs.map((g) => g.id),
      tags: proven ? {} : res.tagVersions[version].tags,
      awsService: null,
      rfc1918: isRfc1918(e.addr),
    }).slice(1);
    cache.set(key, s);
  }
  return s;
}

/** The truth's "rules" and "mostSpecific": the security-group rules that admitted the conversation's minute t (secgroups.ts). */
function rulesJson(c: Conversation, t: number): string {
  const use = admittingRules(c, t);
  return `"rules":${JSON.stringify(use.rules)},"mostSpecific":${JSON.stringify(use.mostSpecific)}`;
}

function truthLine(estate: Estate, c: Conversation, i: number, observers: string[]): string {
  const t = c.start + i * 60;
  const cl = c.client;
  const sv = c.server;
  // Cross-AZ within a region (between regions the traffic is inter-region, billed as such).
  const crossAz =
    cl.kind === 'eni' && sv.kind === 'eni' && cl.eni!.vpc.region === sv.eni!.vpc.region && cl.eni!.subnet.azId !== sv.eni!.subnet.azId;
  return (
    `{"start":${t},"protocol":6,"action":"${c.action}",` +
    `"client":{"addr":"${cl.addr}","port":${c.clientPort},${sideJson(estate, cl, t)},` +
    `"server":{"addr":"${sv.addr}","port":${c.serverPort},${sideJson(estate, sv, t)},` +
    `"uploaded":${c.up[i]},"downloaded":${c.down[i]},"egressPath":"${c.path}","crossAz":${crossAz},` +
    `"observers":${JSON.stringify(observers)},${rulesJson(c, t)},"pattern":"${c.pattern}"}\n`
  );
}

export interface GenerateOptions {
  conversationsPerHour?: number;
  truthPath: string;
  sinks: Map<string, FlowLogSink>;
}

export async function generateTraffic(estate: Estate, o: GenerateOptions): Promise<TrafficStats> {
  const rng = new Rng(estate.seed, 'traffic');
  const streams = estate.patterns.map((p) => (p.stream ? new Rng(estate.seed, `traffic:${p.stream}`) : rng));
  const noise = new Rng(estate.seed, 'status-records');
  // the patterns on the shared stream set the rate a caller asks for (one added on a stream of its own changes nothing)
  const base = estate.patterns.reduce((s, p) => s + (p.stream ? 0 : p.perHour), 0);
  const factor = o.conversationsPerHour !== undefined ? o.conversationsPerHour / base : estate.scale * 0.55;
  const hours = Math.round((estate.end - estate.start) / 3600);
  const month2 = estate.start + 30 * DAY;
  const stats: TrafficStats = { conversations: 0, truthLines: 0, records: 0 };
  const fd = openSync(o.truthPath, 'w');
  // Every pattern happens at least once early on, so short windows hold every pattern.
  const forced = new Map<number, number[]>();
  estate.patterns.forEach((_, k) => {
    const h = (k * 5) % Math.min(hours, 24);
    forced.set(h, [...(forced.get(h) ?? []), k]);
  });
  const loggedEnis = new Map<string, Eni[]>();
  for (const eni of estate.enis) {
    const fl = eni.vpc.flowLog;
    if (!fl) continue;
    loggedEnis.set(fl.id, [...(loggedEnis.get(fl.id) ?? []), eni]);
  }

  // logging coverage (truth/coverage.jsonl): the gaps each ENI's records leave, SKIPDATA or none at all
  const gaps = new Map<string, Gap[]>();
  const gap = (eni: Eni, from: number, to: number, status: Gap['status']) => {
    const list = gaps.get(eni.id) ?? [];
    const last = list[list.length - 1];
    if (last && last.status === status && last.to === from) last.to = to;
    else list.push({ from, to, status });
    gaps.set(eni.id, list);
  };
  // the logging-gap pattern's hours (a day's worth of hours at least, so that they fall inside the window apart)
  const skippedHour = hours >= 4 ? Math.floor(hours * 0.25) : -1;
  const silentHours = hours >= 4 ? [Math.floor(hours * 0.7), Math.floor(hours * 0.7) + 1] : [];

  let carry: { c: Conversation; i: number }[] = [];
  try {
    for (let h = 0; h < hours; h++) {
      const hourStart = estate.start + h * 3600;
      const hourEnd = hourStart + 3600;
      const items = carry;
      carry = [];
      const curve = dailyCurve(hourStart);
      const isMonth2 = hourStart >= month2;
      estate.patterns.forEach((p, k) => {
        const rng = streams[k];
        let count = rng.poisson(p.perHour * factor * curve * (isMonth2 ? p.rateGrowth : 1));
        if (count === 0 && forced.get(h)?.includes(k)) count = 1;
        for (let j = 0; j < count; j++) {
          const t = hourStart + rng.int(60) * 60;
          const roll = rng.next();
          const minutes = Math.min(roll < 0.5 ? 1 : roll < 0.8 ? 2 : 3, (estate.end - t) / 60);
          const ctx: PatternCtx = { t, minutes, rng, grow: (f) => (t >= month2 ? f : 1) };
          for (const c of p.make(ctx)) {
            stats.conversations++;
            for (let i = 0; i < c.minutes; i++) {
              const m = c.start + i * 60;
              (m < hourEnd ? items : carry).push({ c, i });
            }
          }
        }
      });
      items.sort((a, b) => a.c.start + a.i * 60 - (b.c.start + b.i * 60));
      let text = '';
      const busy = new Set<string>();
      const busyWindows = new Set<string>();
      for (const { c, i } of items) {
        const m = c.start + i * 60;
        const observers = observeMinute(c, i, (fl, eni, rec) => {
          o.sinks.get(fl.id)!.add(m, eni, rec);
          stats.records++;
          busy.add(`${eni.id}|${m}`);
          busyWindows.add(`${eni.id}|${m - (m % WINDOW)}`);
        });
        text += truthLine(estate, c, i, observers);
        stats.truthLines++;
        if (text.length > 1 << 20) {
          writeSync(fd, text);
          text = '';
        }
      }
      if (text) writeSync(fd, text);
      // Now and then an interface reports NODATA (idle interval) or, rarely (AWS writes SKIPDATA only on an internal
      // error or capacity limit: one in a hundred here; one in ten made most rules of the demo "not proven"), SKIPDATA.
      for (const [flId, enis] of loggedEnis) {
        if (!noise.chance(0.3)) continue;
        const m = hourStart + noise.int(60) * 60;
        const idle = enis.filter((e) => e.from <= m && e.to >= m + 60 && !busy.has(`${e.id}|${m}`));
        if (idle.length === 0) continue;
        const eni = noise.pick(idle);
        const status = noise.chance(0.01) ? 'SKIPDATA' : 'NODATA';
        const rec: FlowRecord = statusRecord(eni, m, status);
        o.sinks.get(flId)!.add(m, eni, rec);
        stats.records++;
        if (status === 'SKIPDATA') {
          busyWindows.add(`${eni.id}|${m - (m % WINDOW)}`);
          gap(eni, m, m + 60, 'SKIPDATA');
        }
      }
      // Every logged ENI's idle aggregation interval (no record in it) is a NODATA record, as AWS writes them; but the
      // logging-gap pattern's ENI (estate.loggingGap) writes SKIPDATA instead over one hour, and nothing over two.
      for (const [flId, enis] of loggedEnis) {
        for (let w = hourStart; w < hourEnd; w += WINDOW) {
          for (const eni of enis) {
            if (eni.from >= w + WINDOW || eni.to <= w || busyWindows.has(`${eni.id}|${w}`)) continue;
            const from = Math.max(w, eni.from);
            const to = Math.min(w + WINDOW, eni.to);
            const pattern = eni === estate.loggingGap ? (h === skippedHour ? 'SKIPDATA' : silentHours.includes(h) ? 'NONE' : undefined) : undefined;
            if (pattern) gap(eni, from, to, pattern);
            if (pattern === 'NONE') continue;
            o.sinks.get(flId)!.add(from, eni, statusRecord(eni, from, pattern ?? 'NODATA', to));
            stats.records++;
          }
        }
      }
      for (const sink of o.sinks.values()) await sink.flush(hourEnd);
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dirname(o.truthPath), 'coverage.jsonl'), estate.enis.map((e) => JSON.stringify({
    eni: e.id, sgs: e.sgs.map((g) => g.id), from: e.from, to: Number.isFinite(e.to) ? e.to : null, logged: e.vpc.flowLog !== undefined,
    gaps: gaps.get(e.id) ?? [],
  }) + '\n').join(''));
  for (const sink of o.sinks.values()) await sink.finish();
  return stats;
}
