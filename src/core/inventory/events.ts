/**
 * What is stored of a CloudTrail event (inv_events.detail): only what the inventory history is rebuilt from
 * (rebuild.ts), per event name. Who made the call (userIdentity: other people's access-key ids, user names,
 * session details) and from where (sourceIPAddress, userAgent, tlsDetails) are never stored.
 */
import type { Db } from '../store/db';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The event's own fields kept: which event, when, where. */
const TOP = ['eventName', 'eventID', 'eventTime', 'awsRegion', 'recipientAccountId'];

/** An instance in RunInstances / TerminateInstances: what its ENIs, attachments and tags are rebuilt from. */
const INSTANCE = ['instanceId', 'placement', 'launchTime', 'vpcId', 'subnetId', 'tagSet', 'networkInterfaceSet'];

/** Per event name, the request parameters and response elements read (a list of instances is narrowed too). */
const KEEP: Record<string, { requestParameters?: string[]; responseElements?: string[] }> = {
  CreateNetworkInterface: { responseElements: ['networkInterface'] },
  DeleteNetworkInterface: { requestParameters: ['networkInterfaceId'] },
  AttachNetworkInterface: { requestParameters: ['networkInterfaceId', 'instanceId'], responseElements: ['attachmentId'] },
  DetachNetworkInterface: { requestParameters: ['attachmentId'] },
  RunInstances: { responseElements: ['instancesSet'] },
  TerminateInstances: { requestParameters: ['instancesSet'], responseElements: ['instancesSet'] },
  CreateTags: { requestParameters: ['resourcesSet', 'tagSet'] },
  DeleteTags: { requestParameters: ['resourcesSet', 'tagSet'] },
  // security-group rules: when each was added and revoked, and what a revoked one admitted (sgRules.ts)
  AuthorizeSecurityGroupIngress: { requestParameters: ['groupId'], responseElements: ['securityGroupRuleSet'] },
  AuthorizeSecurityGroupEgress: { requestParameters: ['groupId'], responseElements: ['securityGroupRuleSet'] },
  RevokeSecurityGroupIngress: { requestParameters: ['groupId', 'securityGroupRuleIds'], responseElements: ['revokedSecurityGroupRuleSet'] },
  RevokeSecurityGroupEgress: { requestParameters: ['groupId', 'securityGroupRuleIds'], responseElements: ['revokedSecurityGroupRuleSet'] },
  ModifySecurityGroupRules: { requestParameters: ['ModifySecurityGroupRulesRequest'] },
};

function pick(o: Obj, keys: string[]): Obj {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** A list of instances ({items: [...]} as CloudTrail writes it, or an array), each narrowed to INSTANCE. */
function instances(v: unknown): unknown {
  const narrow = (xs: unknown[]) => xs.map((x) => (isObj(x) ? pick(x, INSTANCE) : x));
  if (Array.isArray(v)) return narrow(v);
  if (isObj(v) && Array.isArray(v.items)) return { items: narrow(v.items) };
  return v;
}

/** The part of a CloudTrail event that is stored. */
export function eventDetail(ev: Obj): Obj {
  const out = pick(ev, TOP);
  const keep = KEEP[String(ev.eventName)] ?? {};
  for (const part of ['requestParameters', 'responseElements'] as const) {
    const src = ev[part];
    const keys = keep[part];
    if (!keys || !isObj(src)) continue;
    const kept = pick(src, keys);
    if ('instancesSet' in kept) kept.instancesSet = instances(kept.instancesSet);
    if (Object.keys(kept).length) out[part] = kept;
  }
  return out;
}

/**
 * Events stored whole by earlier versions are narrowed to what eventDetail keeps (a dataset opened for writing;
 * a query over the events that have a field beyond those kept, so nothing is read when there are none).
 */
export async function narrowStoredEvents(db: Db): Promise<number> {
  const allowed = [...TOP, 'requestParameters', 'responseElements'].map((k) => `'${k}'`).join(', ');
  const rows = await db.all<{ id: string; detail: string }>(`SELECT event_id AS id, detail::VARCHAR AS detail FROM inv_events
    WHERE json_type(detail) = 'OBJECT' AND len(list_filter(json_keys(detail), k -> k NOT IN (${allowed}))) > 0`);
  if (!rows.length) return 0;
  const narrowed = rows.map((r) => ({ id: r.id, d: JSON.stringify(eventDetail(JSON.parse(r.detail) as Obj)) }));
  await db.exec(`UPDATE inv_events SET detail = u.d::JSON
    FROM (SELECT x.id, x.d FROM (SELECT unnest(from_json($rows::JSON, '[{"id": "VARCHAR", "d": "VARCHAR"}]')) AS x)) u
    WHERE inv_events.event_id = u.id`, { rows: JSON.stringify(narrowed) });
  return rows.length;
}
