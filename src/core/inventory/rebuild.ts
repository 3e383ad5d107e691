/**
 * Rebuilds the time-aware inventory (inv_enis, inv_addresses, inv_tags, ENI-derived inv_resources,
 * transit-gateway links, LB and proxy targets, security-group rules) from the observations and the CloudTrail events.
 * Deterministic: the same observations give the same tables, whatever order files were loaded in.
 *
 * Time rules:
 * - An ENI lives [created, deleted): created = its CreateNetworkInterface / RunInstances event, else its
 *   snapshot Attachment.AttachTime, else UNKNOWN_START; deleted = its DeleteNetworkInterface event, or the
 *   TerminateInstances of the instance it was attached to with DeleteOnTermination (not false), else OPEN_END.
 *   An ENI known only from events, never deleted there, and absent from a DescribeNetworkInterfaces dump
 *   of its account+region ends at the trail's last event (it was gone when the dump was taken).
 * - Its owner changes with attachments: Attach/Detach events, RunInstances, the snapshot's Attachment.
 *   Each owner period is one inv_enis row; each address row is cut to the owner periods it overlaps.
 * - An address seen in a create event but not in the current snapshot of a still-existing ENI was
 *   unassigned at some unknown time: it ends at the trail's last event.
 * - Tags: CreateTags/DeleteTags (and tags in RunInstances/CreateNetworkInterface) give intervals; the
 *   snapshot's tags are current. A value the snapshot contradicts ends at the trail's last event.
 */
import type { Db } from '../store/db';
import { SG_RULES_REBUILD_SQL } from '../store/schema';
import { buildIndex, classifyInterface, isEksNodeTags, type Candidate, type EniFacts, type Owner } from './classify';
import { arnForResourceId, eniAddresses, type EniAddr } from './parse';
import { arr, insertRows, isObj, RowAppender, OPEN_END, str, ts, tsLess, tsMax, tsMin, UNKNOWN_START, type ColType, type Obj } from './util';

interface AddrSpan {
  a: EniAddr;
  from: string;
  to?: string;
}

interface AttSpan {
  from: string;
  to?: string;
  instance: string;
  attachmentId?: string;
  deleteOnTermination?: boolean;
}

const NO_ADDRS: ReadonlyMap<string, AddrSpan> = new Map();
const NO_ATTS: readonly AttSpan[] = Object.freeze([]);

/**
 * What is known of one ENI. There is one per ENI, so it is kept small (a rebuild of 100 k ENIs holds 100 k):
 * the snapshot's addresses stay JSON text until they are used, and the event-made address and attachment
 * spans, which most ENIs of a snapshot never have, are made on their first write.
 */
class Hist {
  facts: EniFacts & { requester_managed?: boolean; az_id?: string };
  inSnapshot = false;
  created?: string;
  deleted?: string;
  snapAttachTime?: string;
  snapInstance?: string;
  /** The snapshot's addresses, as JSON ([] when the ENI is not in a snapshot). */
  snapAddrs = '[]';
  private addrSpans?: Map<string, AddrSpan>;
  private attSpans?: AttSpan[];

  constructor(eniId: string) {
    this.facts = { eni_id: eniId };
  }

  get addrs(): ReadonlyMap<string, AddrSpan> {
    return this.addrSpans ?? NO_ADDRS;
  }

  setAddr(key: string, span: AddrSpan): void {
    (this.addrSpans ??= new Map()).set(key, span);
  }

  get atts(): readonly AttSpan[] {
    return this.attSpans ?? NO_ATTS;
  }

  addAtt(span: AttSpan): void {
    (this.attSpans ??= []).push(span);
  }
}

/** One copy of each value that many ENIs share (account, region, VPC, subnet, zone, type, security groups). */
class Shared {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();

  str(v: unknown): string | undefined {
    const s = str(v);
    if (s === undefined) return s;
    const had = this.strings.get(s);
    if (had !== undefined) return had;
    this.strings.set(s, s);
    return s;
  }

  list(v: string[] | null): string[] {
    if (!v?.length) return [];
    const key = v.join('\u0000');
    const had = this.lists.get(key);
    if (had) return had;
    const l = v.map((x) => this.str(x)!);
    this.lists.set(key, l);
    return l;
  }
}

interface TagEvent {
  t: string;
  op: 'set' | 'del';
  value?: string;
}

const TS = `'%Y-%m-%d %H:%M:%S.%g'`;

export interface RebuildReport {
  enis: number;
  addresses: number;
  tags: number;
  warnings: string[];
}

/** Rows made for a table, appended a batch at a time through one appender (a rebuild of many ENIs never holds them all at once). */
class TableRows {
  private rows: Obj[] = [];
  private readonly out: RowAppender;
  count = 0;

  constructor(db: Db, table: string, cols: [string, ColType][]) {
    this.out = new RowAppender(db, table, cols);
  }

  async add(row: Obj): Promise<void> {
    this.rows.push(row);
    this.count++;
    if (this.rows.length >= 2_048) await this.out.append(this.rows.splice(0));
  }

  /** Appends what is left and closes the appender. */
  async close(): Promise<void> {
    await this.out.append(this.rows.splice(0));
    this.out.close();
  }

  /** Drops what is buffered, without appending it. */
  discard(): void {
    this.rows = [];
    this.out.discard();
  }
}

export async function rebuildInventory(db: Db, opts: { resolved?: Map<string, string[]> } = {}): Promise<RebuildReport> {
  const warnings: string[] = [];
  const events = await db.all<Obj>(`
    SELECT event_id, strftime(event_time, ${TS}) AS t, event_name, account_id, region, detail::VARCHAR AS detail
    FROM inv_events ORDER BY event_time, event_id`);
  const resources = (
    await db.all<Obj>(`
      SELECT arn, resource_id, type, kind, name, vpc_id, account_id, region, attrs::VARCHAR AS attrs
      FROM inv_resources WHERE coalesce(json_extract_string(attrs, '$.derived'), '') <> 'true'`)
  ).map((r) => ({ ...r, attrs: r.attrs ? JSON.parse(String(r.attrs)) : {} }) as unknown as Candidate);
  const subnetAz = new Map(
    (await db.all<{ subnet_id: string; az: string; az_id: string }>(`SELECT subnet_id, az, az_id FROM inv_subnets`)).map((s) => [s.subnet_id, s]),
  );
  const snapTags = new Map<string, Map<string, string>>();
  for await (const chunk of db.chunks<{ arn: string; key: string; value: string }>(`SELECT arn, key, value FROM inv_obs_tags ORDER BY seq, arn, key`)) {
    for (const t of chunk) {
      let m = snapTags.get(t.arn);
      if (!m) snapTags.set(t.arn, (m = new Map()));
      m.set(t.key, t.value); // ordered by seq: the newest dump wins
    }
  }

  const trailEnd = events.length ? String(events[events.length - 1].t) : OPEN_END;

  // ---------------------------------------------------------------- snapshot
  const hists = new Map<string, Hist>();
  const attIndex = new Map<string, string>();
  const dumped = new Set<string>(); // account|region with a DescribeNetworkInterfaces dump
  const byInstance = new Map<string, Set<Hist>>(); // ENIs ever attached to an instance
  const attachedTo = (iid: string, h: Hist): void => {
    let s = byInstance.get(iid);
    if (!s) byInstance.set(iid, (s = new Set()));
    s.add(h);
  };
  const hist = (id: string): Hist => {
    let h = hists.get(id);
    if (!h) {
      h = new Hist(id);
      hists.set(id, h);
    }
    return h;
  };
  const obs = db.chunks<Obj>(`
    SELECT o.eni_id, o.rank, o.account_id, o.region, o.vpc_id, o.subnet_id, o.az, coalesce(o.az_id, s.az_id) AS az_id,
           o.interface_type, o.description, o.requester_id, o.requester_managed, o.instance_id, o.instance_owner_id,
           o.attachment_id, strftime(o.attach_time, ${TS}) AS attach_time, o.delete_on_termination,
           o.security_group_ids, o.addrs::VARCHAR AS addrs
    FROM inv_obs_enis o LEFT JOIN inv_subnets s USING (subnet_id) ORDER BY o.eni_id`);
  const shared = new Shared();
  for await (const o of rowsOf(obs)) {
    const h = hist(String(o.eni_id));
    h.inSnapshot = true;
    if (Number(o.rank) === 3) dumped.add(`${o.account_id}|${o.region}`);
    h.facts = {
      eni_id: String(o.eni_id), account_id: shared.str(o.account_id), region: shared.str(o.region), vpc_id: shared.str(o.vpc_id),
      subnet_id: shared.str(o.subnet_id), az: shared.str(o.az) ?? subnetAz.get(String(o.subnet_id))?.az, az_id: shared.str(o.az_id),
      interface_type: shared.str(o.interface_type), description: str(o.description), requester_id: shared.str(o.requester_id),
      requester_managed: o.requester_managed as boolean | undefined, instance_owner_id: shared.str(o.instance_owner_id),
      security_group_ids: shared.list(o.security_group_ids as string[] | null),
    };
    h.snapAddrs = String(o.addrs ?? '[]');
    h.snapInstance = str(o.instance_id);
    if (h.snapInstance) attachedTo(h.snapInstance, h);
    h.snapAttachTime = str(o.attach_time);
    if (str(o.attachment_id)) attIndex.set(String(o.attachment_id), String(o.eni_id));
  }

  // ---------------------------------------------------------------- events
  const tagEvents = new Map<string, Map<string, TagEvent[]>>();
  const instStart = new Map<string, { t: string; account?: string; region?: string; vpc?: string }>();
  const instEnd = new Map<string, string>();
  const tagEvent = (arn: string | undefined, key: string, e: TagEvent): void => {
    if (!arn) return;
    let m = tagEvents.get(arn);
    if (!m) tagEvents.set(arn, (m = new Map()));
    let l = m.get(key);
    if (!l) m.set(key, (l = []));
    l.push(e);
  };
  const closeAddrs = (h: Hist, t: string): void => {
    for (const s of h.addrs.values()) if (s.to === undefined) s.to = t;
  };
  const closeAtts = (h: Hist, t: string, instance?: string): AttSpan[] => {
    const closed: AttSpan[] = [];
    for (const a of h.atts) {
      if (a.to === undefined && (!instance || a.instance === instance)) {
        a.to = t;
        closed.push(a);
      }
    }
    return closed;
  };
  const addEventEni = (ni: Obj, t: string, ev: Obj, extra: Partial<EniFacts> = {}): Hist | undefined => {
    const id = str(ni.networkInterfaceId);
    if (!id) return undefined;
    const h = hist(id);
    if (!h.created) h.created = t;
    if (!h.inSnapshot) {
      h.facts = {
        eni_id: id, account_id: str(ni.ownerId) ?? str(ev.account_id), region: str(ev.region), vpc_id: str(ni.vpcId) ?? extra.vpc_id,
        subnet_id: str(ni.subnetId) ?? extra.subnet_id, az: str(ni.availabilityZone) ?? extra.az, interface_type: str(ni.interfaceType),
        description: str(ni.description), requester_id: str(ni.requesterId), requester_managed: typeof ni.requesterManaged === 'boolean' ? ni.requesterManaged : undefined,
        security_group_ids: arr(ni.groupSet).map((g) => str(g.groupId)).filter((x): x is string => !!x).sort(),
      };
      if (!h.facts.az && h.facts.subnet_id) h.facts.az = subnetAz.get(h.facts.subnet_id)?.az;
    }
    for (const a of eniAddresses(ni, `CloudTrail ${ev.event_name} ${ev.event_id}`, warnings)) {
      const k = `${a.kind === 'public' ? 'p' : 'x'}|${a.addr}`;
      const cur = h.addrs.get(k);
      if (!cur || cur.to !== undefined) h.setAddr(k, { a, from: t });
    }
    const arn = arnForResourceId(id, h.facts.region, h.facts.account_id);
    for (const [key, value] of Object.entries(tagSetOf(ni.tagSet))) tagEvent(arn, key, { t, op: 'set', value });
    return h;
  };

  for (const ev of events) {
    const t = String(ev.t);
    const d = JSON.parse(String(ev.detail)) as Obj;
    const rp = isObj(d.requestParameters) ? d.requestParameters : {};
    const re = isObj(d.responseElements) ? d.responseElements : {};
    switch (ev.event_name) {
      case 'CreateNetworkInterface': {
        if (isObj(re.networkInterface)) addEventEni(re.networkInterface, t, ev);
        break;
      }
      case 'DeleteNetworkInterface': {
        const id = str(rp.networkInterfaceId);
        if (!id) break;
        const h = hist(id);
        h.deleted = t;
        closeAddrs(h, t);
        closeAtts(h, t);
        break;
      }
      case 'AttachNetworkInterface': {
        const id = str(rp.networkInterfaceId);
        const inst = str(rp.instanceId);
        if (!id || !inst) break;
        const h = hist(id);
        closeAtts(h, t);
        const attId = str(re.attachmentId);
        h.addAtt({ from: t, instance: inst, attachmentId: attId });
        attachedTo(inst, h);
        if (attId) attIndex.set(attId, id);
        break;
      }
      case 'DetachNetworkInterface': {
        const attId = str(rp.attachmentId);
        const id = attId ? attIndex.get(attId) : undefined;
        if (!id) break;
        const h = hist(id);
        const open = h.atts.find((a) => a.to === undefined && (!a.attachmentId || a.attachmentId === attId));
        if (open) open.to = t;
        else if (h.snapInstance && !h.atts.length) {
          // attached before the trail began: [UNKNOWN_START or attach time, detach)
          h.addAtt({ from: h.snapAttachTime ?? UNKNOWN_START, to: t, instance: h.snapInstance, attachmentId: attId });
          h.snapInstance = undefined;
        }
        break;
      }
      case 'RunInstances': {
        for (const inst of arr(re.instancesSet)) {
          const iid = str(inst.instanceId);
          if (!iid) continue;
          const placement = isObj(inst.placement) ? inst.placement : {};
          const az = str(placement.availabilityZone);
          instStart.set(iid, { t: ts(inst.launchTime) ?? t, account: str(ev.account_id), region: str(ev.region), vpc: str(inst.vpcId) });
          const iarn = arnForResourceId(iid, str(ev.region), str(ev.account_id));
          for (const [key, value] of Object.entries(tagSetOf(inst.tagSet))) tagEvent(iarn, key, { t, op: 'set', value });
          for (const ni of arr(inst.networkInterfaceSet)) {
            const h = addEventEni(ni, t, ev, { az, vpc_id: str(inst.vpcId), subnet_id: str(inst.subnetId) });
            if (!h) continue;
            const att = isObj(ni.attachment) ? ni.attachment : {};
            closeAtts(h, t);
            const attId = str(att.attachmentId);
            h.addAtt({
              from: t, instance: iid, attachmentId: attId,
              deleteOnTermination: typeof att.deleteOnTermination === 'boolean' ? att.deleteOnTermination : undefined,
            });
            if (attId) attIndex.set(attId, h.facts.eni_id);
            attachedTo(iid, h);
          }
        }
        break;
      }
      case 'TerminateInstances': {
        const ids = [...arr(re.instancesSet), ...arr(rp.instancesSet)].map((i) => str(i.instanceId)).filter((x): x is string => !!x);
        for (const iid of new Set(ids)) {
          instEnd.set(iid, t);
          for (const h of byInstance.get(iid) ?? []) {
            const closed = closeAtts(h, t, iid);
            if (!closed.length && h.snapInstance === iid && !h.atts.length) {
              closed.push({ from: h.snapAttachTime ?? UNKNOWN_START, to: t, instance: iid });
              h.addAtt(closed[0]);
              h.snapInstance = undefined;
            }
            if (closed.some((a) => a.deleteOnTermination !== false) && !h.deleted) {
              h.deleted = t;
              closeAddrs(h, t);
            }
          }
        }
        break;
      }
      case 'CreateTags':
      case 'DeleteTags': {
        const tags = arr(rp.tagSet);
        for (const r of arr(rp.resourcesSet)) {
          const id = str(r.resourceId);
          const arn = id ? arnForResourceId(id, str(ev.region), str(ev.account_id)) : undefined;
          for (const tg of tags) {
            const key = str(tg.key);
            if (!key) continue;
            const value = typeof tg.value === 'string' ? tg.value : undefined;
            tagEvent(arn, key, { t, op: ev.event_name === 'CreateTags' ? 'set' : 'del', value: value ?? (ev.event_name === 'CreateTags' ? '' : undefined) });
          }
        }
        break;
      }
    }
  }

  // ---------------------------------------------------------------- classification index
  const idx = buildIndex(resources, opts.resolved);
  for (const r of resources) {
    if (r.type !== 'ec2:instance' || !r.resource_id) continue;
    const tags = snapTags.get(r.arn);
    if (tags && isEksNodeTags(Object.fromEntries(tags))) idx.eksInstances.add(r.resource_id);
  }
  for (const h of hists.values()) {
    const m = /^aws-K8S-(i-[0-9a-f]+)$/i.exec(h.facts.description ?? '');
    if (m) idx.eksInstances.add(m[1]);
  }

  // ---------------------------------------------------------------- ENIs, owners, addresses
  await db.exec(`
    DELETE FROM inv_enis; DELETE FROM inv_addresses; DELETE FROM inv_tags; DELETE FROM inv_eni_owners;
    DELETE FROM inv_resources WHERE coalesce(json_extract_string(attrs, '$.derived'), '') = 'true';
    DELETE FROM inv_vpc_links WHERE kind = 'transit-gateway';`);
  const eniRows = new TableRows(db, 'inv_enis', [
    ['eni_id', 'VARCHAR'], ['arn', 'VARCHAR'], ['kind', 'VARCHAR'], ['interface_type', 'VARCHAR'], ['description', 'VARCHAR'],
    ['requester_id', 'VARCHAR'], ['requester_managed', 'BOOLEAN'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['vpc_id', 'VARCHAR'],
    ['subnet_id', 'VARCHAR'], ['az', 'VARCHAR'], ['az_id', 'VARCHAR'], ['security_group_ids', 'VARCHAR[]'], ['valid_from', 'TIMESTAMP'],
    ['valid_to', 'TIMESTAMP'],
  ]);
  const addrRows = new TableRows(db, 'inv_addresses', [
    ['addr', 'VARCHAR'], ['family', 'TINYINT'], ['addr_kind', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['eni_id', 'VARCHAR'], ['arn', 'VARCHAR'],
    ['valid_from', 'TIMESTAMP'], ['valid_to', 'TIMESTAMP'],
  ]);
  const ownerRows = new TableRows(db, 'inv_eni_owners', [
    ['eni_id', 'VARCHAR'], ['arn', 'VARCHAR'], ['kind', 'VARCHAR'], ['chosen', 'BOOLEAN'], ['rule', 'VARCHAR'], ['valid_from', 'TIMESTAMP'],
    ['valid_to', 'TIMESTAMP'],
  ]);
  const tagRows = new TableRows(db, 'inv_tags', [
    ['arn', 'VARCHAR'], ['key', 'VARCHAR'], ['value', 'VARCHAR'], ['valid_from', 'TIMESTAMP'], ['valid_to', 'TIMESTAMP'],
  ]);
  const derived = new Map<string, Obj & { eni_ids: Set<string> }>();
  const nameOf = new Map<string, string>();
  const writers = [eniRows, addrRows, ownerRows, tagRows];
  try {
    for (const h of [...hists.values()].sort((a, b) => (a.facts.eni_id < b.facts.eni_id ? -1 : 1))) {
      const f = h.facts;
      const from = h.created ?? (h.inSnapshot && h.snapAttachTime && !h.atts.length ? h.snapAttachTime : undefined) ?? UNKNOWN_START;
      const to = h.deleted ?? (h.inSnapshot || !dumped.has(`${f.account_id}|${f.region}`) ? OPEN_END : trailEnd);
      if (h.snapInstance) {
        const open = h.atts.find((a) => a.to === undefined && a.instance === h.snapInstance);
        if (!open) {
          const at = h.snapAttachTime && tsLess(from, h.snapAttachTime) ? h.snapAttachTime : from;
          closeAtts(h, at);
          h.addAtt({ from: at, instance: h.snapInstance });
        }
      }
      if (!tsLess(from, to)) continue;
      // addresses: the snapshot's are current; event-only ones of a still-existing ENI end at the trail's end
      const spans: AddrSpan[] = [];
      const snapKeys = new Set<string>();
      for (const a of JSON.parse(h.snapAddrs) as EniAddr[]) {
        const k = `${a.kind === 'public' ? 'p' : 'x'}|${a.addr}`;
        snapKeys.add(k);
        const ev = h.addrs.get(k);
        spans.push({ a, from: ev && ev.to === undefined ? ev.from : from, to: to });
      }
      for (const [k, s] of h.addrs) {
        if (snapKeys.has(k) && s.to === undefined) continue;
        spans.push({ a: s.a, from: s.from, to: s.to ?? (h.inSnapshot ? trailEnd : to) });
      }
      // owner periods
      const atts = h.atts
        .map((a) => ({ ...a, from: tsMax(a.from, from), to: tsMin(a.to ?? to, to) }))
        .filter((a) => tsLess(a.from, a.to))
        .sort((a, b) => (tsLess(a.from, b.from) ? -1 : 1));
      const periods: { from: string; to: string; instance?: string }[] = [];
      let cursor = from;
      for (const a of atts) {
        if (tsLess(cursor, a.from)) periods.push({ from: cursor, to: a.from });
        const start = tsMax(cursor, a.from);
        if (tsLess(start, a.to)) periods.push({ from: start, to: a.to, instance: a.instance });
        cursor = tsMax(cursor, a.to);
      }
      if (tsLess(cursor, to)) periods.push({ from: cursor, to });
      const facts: EniFacts = { ...f, addrs: spans.map((s) => s.a.addr) };
      const memo = new Map<string, Owner>();
      for (const p of periods) {
        const key = p.instance ?? '';
        let o = memo.get(key);
        if (!o) memo.set(key, (o = classifyInterface(facts, p.instance, idx)));
        await eniRows.add({
          eni_id: f.eni_id, arn: o.arn, kind: o.kind, interface_type: f.interface_type, description: f.description,
          requester_id: f.requester_id, requester_managed: f.requester_managed, account_id: f.account_id, region: f.region,
          vpc_id: f.vpc_id, subnet_id: f.subnet_id, az: f.az, az_id: f.az_id ?? (f.subnet_id ? subnetAz.get(f.subnet_id)?.az_id : undefined),
          security_group_ids: f.security_group_ids ?? [], valid_from: p.from, valid_to: p.to,
        });
        const cands = o.candidates.length ? o.candidates : [o.arn];
        for (const c of cands) {
          await ownerRows.add({ eni_id: f.eni_id, arn: c, kind: o.kind, chosen: c === o.arn, rule: o.rule, valid_from: p.from, valid_to: p.to });
        }
        for (const s of spans) {
          const a0 = tsMax(s.from, p.from);
          const a1 = tsMin(s.to ?? to, p.to);
          if (!tsLess(a0, a1)) continue;
          await addrRows.add({
            addr: s.a.addr, family: s.a.family, addr_kind: s.a.kind, vpc_id: f.vpc_id, eni_id: f.eni_id, arn: o.arn, valid_from: a0, valid_to: a1,
          });
        }
        if (!idx.byArn.has(o.arn)) {
          let dr = derived.get(o.arn);
          if (!dr) {
            const inst = p.instance ? instStart.get(p.instance) : undefined;
            dr = {
              arn: o.arn, resource_id: o.resource_id, type: o.type, kind: o.kind, name: o.name, account_id: f.account_id,
              region: f.region, vpc_id: f.vpc_id, valid_from: inst?.t ?? p.from,
              valid_to: (p.instance && instEnd.get(p.instance)) || p.to, eni_ids: new Set(),
            };
            derived.set(o.arn, dr);
          } else {
            if (!(p.instance && instStart.has(p.instance))) dr.valid_from = tsMin(String(dr.valid_from), p.from);
            if (!(p.instance && instEnd.has(p.instance))) dr.valid_to = tsMax(String(dr.valid_to), p.to);
          }
          dr.eni_ids.add(f.eni_id);
        }
      }
    }

      await eniRows.close();
    await addrRows.close();
    await ownerRows.close();

    // ---------------------------------------------------------------- tags
    const arns = new Set<string>([...snapTags.keys(), ...tagEvents.keys()]);
    for (const arn of [...arns].sort()) {
      const snap = snapTags.get(arn);
      const evs = tagEvents.get(arn) ?? new Map<string, TagEvent[]>();
      const keys = new Set<string>([...(snap?.keys() ?? []), ...evs.keys()]);
      for (const key of keys) {
        const out: [string | undefined, string, string][] = [];
        let cur: { value?: string; from: string } | undefined;
        let last: string | undefined;
        for (const e of evs.get(key) ?? []) {
          last = e.t;
          if (e.op === 'set') {
            if (cur && cur.value === e.value) continue;
            if (cur) out.push([cur.value, cur.from, e.t]);
            cur = { value: e.value, from: e.t };
          } else {
            if (cur) out.push([cur.value, cur.from, e.t]);
            else if (e.value !== undefined && !out.length) out.push([e.value, UNKNOWN_START, e.t]);
            cur = undefined;
          }
        }
        const sv = snap?.get(key);
        if (cur) {
          if (!snap || sv === cur.value) out.push([cur.value, cur.from, OPEN_END]);
          else {
            out.push([cur.value, cur.from, trailEnd]);
            if (sv !== undefined) out.push([sv, trailEnd, OPEN_END]);
          }
        } else if (sv !== undefined) {
          out.push([sv, last ?? UNKNOWN_START, OPEN_END]);
        }
        for (const [value, a, b] of out) {
          if (!tsLess(a, b)) continue;
          await tagRows.add({ arn, key, value: value ?? '', valid_from: a, valid_to: b });
          if (key === 'Name') nameOf.set(arn, value ?? ''); // the latest interval wins
        }
      }
    }
    await tagRows.close();
  } catch (e) {
    for (const w of writers) w.discard(); // rows of a failed rebuild must not reach the table after the rollback
    throw e;
  }
  // instances known only from RunInstances events become resources too
  for (const [iid, s] of instStart) {
    const arn = arnForResourceId(iid, s.region, s.account)!;
    if (idx.byArn.has(arn) || derived.has(arn)) continue;
    derived.set(arn, {
      arn, resource_id: iid, type: 'ec2:instance', kind: idx.eksInstances.has(iid) ? 'eks-node' : 'instance', account_id: s.account,
      region: s.region, vpc_id: s.vpc, valid_from: s.t, valid_to: instEnd.get(iid) ?? OPEN_END, eni_ids: new Set(),
    });
  }
  for (const d of derived.values()) if (!d.name && nameOf.has(String(d.arn))) d.name = nameOf.get(String(d.arn));
  // An ECS task known only by its ENI's attachment ARN is named by the service its ENI's tags give, when they do.
  for (const d of derived.values()) {
    if (d.name || d.type !== 'ecs:task') continue;
    for (const eni of [...d.eni_ids].sort()) {
      const service = snapTags.get(arnForResourceId(eni, d.region as string | undefined, d.account_id as string | undefined)!)?.get('aws:ecs:serviceName');
      if (service) {
        d.name = service;
        break;
      }
    }
  }

  // ---------------------------------------------------------------- write
  await insertRows(db, 'inv_resources', [
    ['arn', 'VARCHAR'], ['resource_id', 'VARCHAR'], ['type', 'VARCHAR'], ['kind', 'VARCHAR'], ['name', 'VARCHAR'], ['account_id', 'VARCHAR'],
    ['region', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['attrs', 'JSON'], ['valid_from', 'TIMESTAMP'], ['valid_to', 'TIMESTAMP'],
  ], [...derived.values()].map((d) => ({ ...d, attrs: { derived: true, eni_ids: [...d.eni_ids].sort() } })));
  const eks = [...idx.eksInstances];
  await db.exec(
    `UPDATE inv_resources SET kind = CASE WHEN resource_id IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]'))) THEN 'eks-node' ELSE 'instance' END
     WHERE type = 'ec2:instance'`,
    { ids: JSON.stringify(eks) },
  );
  await db.exec(`
    INSERT INTO inv_vpc_links
    SELECT json_extract_string(a.attrs, '$.transit_gateway_id'), 'transit-gateway', a.vpc_id, a.account_id, a.region, b.vpc_id, b.account_id, b.region,
           greatest(a.valid_from, b.valid_from), least(a.valid_to, b.valid_to)
    FROM inv_resources a JOIN inv_resources b
      ON json_extract_string(a.attrs, '$.transit_gateway_id') = json_extract_string(b.attrs, '$.transit_gateway_id') AND a.vpc_id <> b.vpc_id
    WHERE a.type = 'ec2:transit-gateway-attachment' AND b.type = 'ec2:transit-gateway-attachment'
      AND json_extract_string(a.attrs, '$.resource_type') = 'vpc' AND json_extract_string(b.attrs, '$.resource_type') = 'vpc'
      AND coalesce(json_extract_string(a.attrs, '$.state'), 'available') IN ('available', 'modifying')
      AND coalesce(json_extract_string(b.attrs, '$.state'), 'available') IN ('available', 'modifying');

    UPDATE inv_gateways g SET az = s.az FROM inv_subnets s WHERE g.subnet_id = s.subnet_id AND g.az IS NULL;

    -- an account's own prefix list (office ranges a security-group rule names) is no AWS prefix: its entries stay
    -- in inv_prefix_list_entries only
    DELETE FROM inv_prefixes WHERE source = 'prefix-list' AND prefix_list_id IN (SELECT prefix_list_id FROM inv_obs_prefix_lists
      WHERE account_id IS NOT NULL AND coalesce(name, '') NOT LIKE 'com.amazonaws.%');

    UPDATE inv_prefixes p SET service = upper(regexp_extract(l.name, '\\.([a-z0-9-]+)$', 1)), region = coalesce(p.region, l.region)
    FROM inv_obs_prefix_lists l WHERE p.source = 'prefix-list' AND p.prefix_list_id = l.prefix_list_id;

    UPDATE inv_vpc_endpoints e SET prefix_list_id = l.prefix_list_id
    FROM inv_obs_prefix_lists l WHERE e.endpoint_type = 'Gateway' AND l.name = e.service_name;

    DELETE FROM inv_lb_targets;
    INSERT INTO inv_lb_targets
    SELECT h.target_group_arn, lb.lb_arn, tg.target_type, h.target_id,
           CASE WHEN tg.target_type = 'instance'
                  THEN (SELECT min(r.arn) FROM inv_resources r WHERE r.type = 'ec2:instance' AND r.resource_id = h.target_id)
                WHEN tg.target_type IN ('lambda', 'alb') THEN h.target_id END,
           coalesce(h.port, tg.port), tg.protocol, h.health
    FROM inv_obs_target_health h
    LEFT JOIN inv_obs_target_groups tg USING (target_group_arn)
    LEFT JOIN (SELECT target_group_arn, unnest(lb_arns) AS lb_arn FROM inv_obs_target_groups) lb USING (target_group_arn);

    DELETE FROM inv_db_proxy_targets;
    INSERT INTO inv_db_proxy_targets
    SELECT coalesce(p.arn, 'arn:aws:rds:' || coalesce(t.region, '') || ':' || coalesce(t.account_id, '') || ':db-proxy:' || t.proxy_name),
           t.target_arn, t.endpoint
    FROM inv_obs_proxy_targets t LEFT JOIN inv_resources p ON p.type = 'rds:db-proxy' AND p.resource_id = t.proxy_name;

    -- the security-group rules over time, from their observations and events (the view inv_sg_rules reads them)
    ${SG_RULES_REBUILD_SQL}
  `);
  return { enis: eniRows.count, addresses: addrRows.count, tags: tagRows.count, warnings };
}

/** The rows of a query read a chunk at a time. */
async function* rowsOf<T>(chunks: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const chunk of chunks) yield* chunk;
}

/** CloudTrail tagSet ({items:[{key,value}]}) or tagSpecificationSet-like shapes, as a map. */
function tagSetOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of arr(v)) {
    const k = str(t.key ?? t.Key);
    if (k) out[k] = typeof (t.value ?? t.Value) === 'string' ? String(t.value ?? t.Value) : '';
  }
  return out;
}
