/**
 * Issue 10, item 13 (CloudTrail): the stored CloudTrail events keep only what the inventory history is rebuilt
 * from, not who made each call (other people's access-key ids, user names, session details) or from where
 * (source IP, user agent); a dataset that stored them whole is narrowed when it is opened for writing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';
import { loadInventory } from '../../src/core/inventory/load';
import { rebuildInventory } from '../../src/core/inventory/rebuild';
import { writeSampleEstate } from '../../src/core/sample/index';
import { useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-cloudtrail-', (d) => (dir = d));

interface TrailEvent {
  eventID: string;
  eventName: string;
  userIdentity: { accessKeyId?: string; arn?: string; principalId?: string; userName?: string; sessionContext?: unknown };
  sourceIPAddress: string;
  userAgent: string;
  requestParameters?: Record<string, unknown>;
  responseElements?: Record<string, unknown>;
}

/** Every CloudTrail event of the estate's LookupEvents dumps, parsed. */
function trailEvents(inventoryDir: string): TrailEvent[] {
  return readdirSync(inventoryDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name === 'cloudtrail.LookupEvents.json')
    .flatMap((e) => (JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as { Events: { CloudTrailEvent: string }[] }).Events)
    .map((e) => JSON.parse(e.CloudTrailEvent) as TrailEvent);
}

/** Values found in any text or JSON column of any table of the dataset. */
async function foundAnywhere(db: Db, values: string[]): Promise<string[]> {
  const cols = await db.all<{ t: string; c: string }>(`SELECT table_name AS t, column_name AS c FROM duckdb_columns()
    WHERE database_name = current_database() AND NOT internal AND (data_type IN ('VARCHAR', 'JSON') OR data_type LIKE 'VARCHAR[]%' OR data_type LIKE 'MAP(%' OR data_type LIKE 'STRUCT(%')`);
  const found: string[] = [];
  for (const { t, c } of cols) {
    const rows = await db.all<{ v: string }>(`SELECT DISTINCT v FROM (SELECT "${c}"::VARCHAR AS text FROM "${t}"), unnest(from_json($vals::JSON, '["VARCHAR"]')) AS u(v)
      WHERE contains(text, v)`, { vals: JSON.stringify(values) });
    found.push(...rows.map((r) => `${t}.${c}: ${r.v}`));
  }
  return found;
}

const KEPT = ['eventName', 'eventID', 'eventTime', 'awsRegion', 'recipientAccountId', 'requestParameters', 'responseElements'];

test("stored CloudTrail events keep what enrichment needs and no caller's access-key id, identity, source IP or user agent", async () => {
  const m = await writeSampleEstate(join(dir, 'estate'), { seed: 3, days: 1, start: '2026-09-29T00:00:00Z', scale: 0.2 });
  const events = trailEvents(m.inventoryDir);
  const keys = [...new Set(events.map((e) => e.userIdentity.accessKeyId).filter((k): k is string => !!k))];
  const who = [...new Set(events.flatMap((e) => [e.userIdentity.arn, e.userIdentity.principalId]).filter((k): k is string => !!k))];
  assert.ok(keys.length > 0 && who.length > 0, 'the estate has events made with access keys');
  const db = await openDataset(join(dir, 'trail.duckdb'));
  try {
    const report = await loadInventory(db, [m.inventoryDir]);
    assert.deepEqual(report.warnings, []);
    const stored = await db.all<{ id: string; detail: string }>(`SELECT event_id AS id, detail::VARCHAR AS detail FROM inv_events ORDER BY 1`);
    assert.ok(stored.length > 10, `events are stored: ${stored.length}`);
    for (const s of stored) {
      const d = JSON.parse(s.detail) as Record<string, unknown>;
      assert.deepEqual(Object.keys(d).filter((k) => !KEPT.includes(k)), [], s.id);
    }
    assert.deepEqual(await foundAnywhere(db, keys), [], 'an access-key id is stored');
    assert.deepEqual(await foundAnywhere(db, who), [], "a caller's ARN or principal id is stored");
    const ips = [...new Set(events.map((e) => e.sourceIPAddress))];
    const agents = [...new Set(events.map((e) => e.userAgent))];
    const inEvents = await db.all(`SELECT event_id FROM inv_events, unnest(from_json($v::JSON, '["VARCHAR"]')) AS u(v) WHERE contains(detail::VARCHAR, v)`,
      { v: JSON.stringify([...ips, ...agents, 'userIdentity', 'sourceIPAddress', 'requestID']) });
    assert.deepEqual(inEvents, [], 'a source IP, user agent or request id is stored');
    // what the history is rebuilt from is there: the ENIs the events created and deleted, with their owners
    const fromEvents = await db.value<bigint>(`SELECT count(*) FROM inv_enis e WHERE e.eni_id IN (
      SELECT json_extract_string(detail, '$.responseElements.networkInterface.networkInterfaceId') FROM inv_events
      WHERE event_name = 'CreateNetworkInterface') AND e.valid_from > TIMESTAMP '1970-01-01' AND e.arn IS NOT NULL`);
    const created = events.filter((e) => e.eventName === 'CreateNetworkInterface').length;
    assert.ok(created > 0);
    assert.equal(Number(fromEvents), created);
  } finally {
    db.close();
  }
});

test('a dataset that stored whole CloudTrail events is narrowed when opened for writing; its inventory stays the same', async () => {
  const path = join(dir, 'old.duckdb');
  const m = await writeSampleEstate(join(dir, 'estate-old'), { seed: 4, days: 1, start: '2026-09-29T00:00:00Z', scale: 0.2 });
  const events = trailEvents(m.inventoryDir);
  const keys = [...new Set(events.map((e) => e.userIdentity.accessKeyId).filter((k): k is string => !!k))];
  let db = await openDataset(path);
  const inventory = `SELECT (SELECT count(*) FROM inv_enis) AS enis, (SELECT count(*) FROM inv_addresses) AS addrs,
    (SELECT count(*) FROM inv_tags) AS tags, (SELECT sum(hash(eni_id, arn, valid_from, valid_to)) FROM inv_enis) AS h`;
  let before: unknown;
  try {
    await loadInventory(db, [m.inventoryDir]);
    before = await db.json(inventory);
    // as an earlier version stored them: the whole event
    const whole = new Map(events.map((e) => [e.eventID, JSON.stringify(e)]));
    for (const [id, detail] of whole) await db.exec(`UPDATE inv_events SET detail = $d::JSON WHERE event_id = $id`, { d: detail, id });
    assert.ok((await foundAnywhere(db, keys)).length > 0, 'the old dataset holds access-key ids');
  } finally {
    db.close();
  }
  db = await openDataset(path);
  try {
    assert.deepEqual(await foundAnywhere(db, keys), []);
    const extra = await db.value<bigint>(`SELECT count(*) FROM inv_events, unnest(json_keys(detail)) AS k(k)
      WHERE k NOT IN (${KEPT.map((k) => `'${k}'`).join(', ')})`);
    assert.equal(Number(extra), 0);
    // the history rebuilt from the narrowed events is the one rebuilt from the whole ones
    await rebuildInventory(db);
    assert.deepEqual(await db.json(inventory), before);
  } finally {
    db.close();
  }
});
