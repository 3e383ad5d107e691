/**
 * An inventory change after the flows were enriched re-attributes only the stored facts it covers (the sides and
 * spans of time whose holder changed): the facts and windows must then be what re-attributing every stored fact
 * gives, compared by value (the sides' attributes, not their numbers). A change that says nothing of time (what
 * an ENI is) re-attributes every fact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { rebuild } from '../../src/core/enrich/rebuild';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';

let dir: string;
let base: string;
let copies = 0;
let manifest: SampleManifest;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-reattribute-'));
  manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 5, days: 2, start: '2026-09-29T00:00:00Z', scale: 0.2 });
  base = join(dir, 'base.duckdb');
  const db = await openDataset(base);
  try {
    const summary = await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
    assert.ok(summary.conversations > 500, `the estate should have conversations: ${summary.conversations}`);
    await db.exec('CHECKPOINT');
  } finally {
    db.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

const VIEWS = ['conversations', 'conversations_v', 'windows_1m', 'windows_5m', 'windows_1h'];

/** Keeps each view's rows as they are now in temporary tables `<tag>_<view>`. */
async function snapshot(db: Db, tag: string): Promise<void> {
  for (const v of VIEWS) await db.exec(`CREATE OR REPLACE TEMP TABLE ${tag}_${v} AS SELECT * FROM ${v}`);
}

/** Per view, the rows of snapshot a missing from snapshot b, and the extra ones. */
async function differences(db: Db, a: string, b: string): Promise<Record<string, { missing: number; extra: number }>> {
  const out: Record<string, { missing: number; extra: number }> = {};
  for (const v of VIEWS) {
    const [d] = await db.json<{ missing: number; extra: number }>(`SELECT
      (SELECT count(*) FROM (SELECT * FROM ${a}_${v} EXCEPT ALL SELECT * FROM ${b}_${v})) AS missing,
      (SELECT count(*) FROM (SELECT * FROM ${b}_${v} EXCEPT ALL SELECT * FROM ${a}_${v})) AS extra`);
    out[v] = { missing: Number(d.missing), extra: Number(d.extra) };
  }
  return out;
}

const SAME = Object.fromEntries(VIEWS.map((v) => [v, { missing: 0, extra: 0 }]));

/** The enrichment's messages (which re-attribution it chose). */
async function reattribute(db: Db): Promise<string[]> {
  const said: string[] = [];
  await rebuild(db, { onProgress: (p) => said.push(p.message ?? '') });
  return said;
}

/**
 * A copy of the enriched sample dataset; `change` changes its inventory. The re-attribution that follows must
 * take the path expected, change the views, and give what re-attributing every stored fact gives.
 */
async function afterChange(change: (db: Db) => Promise<void>, expect: { partial: boolean; changes?: string[] }): Promise<{ covered: number }> {
  const path = join(dir, `copy-${++copies}.duckdb`);
  copyFileSync(base, path);
  const db = await openDataset(path);
  try {
    await snapshot(db, 'before');
    await change(db);
    const said = await reattribute(db);
    const partial = said.find((m) => /the inventory change covers/.test(m));
    assert.equal(partial !== undefined, expect.partial, said.join('; '));
    if (!expect.partial) assert.ok(said.includes('attributing the stored conversations again'), said.join('; '));
    const covered = Number(partial?.match(/again the (\d+) /)?.[1] ?? -1);
    await snapshot(db, 'partial');
    // the change shows (else the test proves nothing)
    const moved = await differences(db, 'before', 'partial');
    for (const v of expect.changes ?? ['conversations']) assert.ok(moved[v].missing > 0, `${v} should change: ${JSON.stringify(moved)}`);
    // every stored fact attributed again with the same inventory: the basis forgotten, the inventory said changed
    await db.exec(`DELETE FROM attribution_basis; UPDATE meta SET value = 'forced' WHERE key = 'attributed_inventory'`);
    assert.ok((await reattribute(db)).includes('attributing the stored conversations again'));
    await snapshot(db, 'whole');
    assert.deepEqual(await differences(db, 'partial', 'whole'), SAME);
    // and nothing changed since: nothing is attributed again
    assert.deepEqual(await reattribute(db), []);
    return { covered };
  } finally {
    db.close();
  }
}

/** Hands `h.addr` over to `h.other` at `h.mid`. */
async function handOver(db: Db, h: Awaited<ReturnType<typeof heldAddress>>): Promise<void> {
  await db.exec(`UPDATE inv_addresses SET valid_to = TIMESTAMP '${h.mid}' WHERE addr = '${h.addr}' AND eni_id = '${h.eni}'`);
  await db.exec(`INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn, valid_from)
    VALUES ('${h.addr}', 4, 'secondary', '${h.vpc}', '${h.other}', ${h.otherArn === null ? 'NULL' : `'${h.otherArn}'`}, TIMESTAMP '${h.mid}')`);
}

/** A private address held by one ENI across the data, the ENI, another ENI of its VPC, and the middle of its facts. */
async function heldAddress(db: Db): Promise<{ addr: string; eni: string; vpc: string; other: string; otherArn: string | null; mid: string }> {
  const [row] = await db.json<{ addr: string; eni: string; vpc: string; other: string; otherArn: string | null; mid: string }>(`
    WITH used AS (
      SELECT addr, count(*) AS n, median(start) AS mid FROM (
        SELECT client_addr AS addr, start FROM conversation_facts UNION ALL SELECT server_addr, start FROM conversation_facts)
      GROUP BY addr
    )
    SELECT a.addr, a.eni_id AS eni, a.vpc_id AS vpc, o.eni_id AS other, o.arn AS "otherArn",
           strftime(make_timestamp((u.mid::BIGINT // 60 * 60) * 1000000), '%Y-%m-%d %H:%M:%S') AS mid
    FROM inv_addresses a JOIN used u ON u.addr = a.addr
    JOIN (SELECT DISTINCT eni_id, vpc_id, arn FROM inv_addresses WHERE addr_kind = 'primary') o
      ON o.vpc_id = a.vpc_id AND o.eni_id <> a.eni_id
    WHERE a.addr_kind = 'primary' AND a.family = 4
      AND (SELECT count(*) FROM inv_addresses x WHERE x.addr = a.addr) = 1
      AND a.valid_from < make_timestamp(u.mid::BIGINT * 1000000) AND a.valid_to > make_timestamp(u.mid::BIGINT * 1000000)
    ORDER BY u.n DESC, a.addr, o.eni_id LIMIT 1`);
  assert.ok(row, 'the estate should have a busy private address held by one ENI');
  return row;
}

test('an address handed to another ENI mid-period: only the facts of that address after the hand-over are attributed again', async () => {
  const { covered } = await afterChange(async (db) => handOver(db, await heldAddress(db)),
    { partial: true, changes: VIEWS.filter((v) => v !== 'windows_1h') });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('a new ENI (as CloudTrail tells of one) takes an address over from a time on', async () => {
  const { covered } = await afterChange(async (db) => {
    const h = await heldAddress(db);
    const [e] = await db.json<{ subnet_id: string; az: string; account_id: string; region: string }>(
      `SELECT subnet_id, az, account_id, region FROM inv_enis WHERE eni_id = '${h.eni}' LIMIT 1`);
    await db.exec(`INSERT INTO inv_enis (eni_id, arn, kind, interface_type, account_id, region, vpc_id, subnet_id, az, valid_from)
      VALUES ('eni-0cafe0000000new', NULL, 'unknown', 'interface', '${e.account_id}', '${e.region}', '${h.vpc}', '${e.subnet_id}', '${e.az}', TIMESTAMP '${h.mid}')`);
    await db.exec(`UPDATE inv_addresses SET valid_to = TIMESTAMP '${h.mid}' WHERE addr = '${h.addr}' AND eni_id = '${h.eni}'`);
    await db.exec(`INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn, valid_from)
      VALUES ('${h.addr}', 4, 'primary', '${h.vpc}', 'eni-0cafe0000000new', NULL, TIMESTAMP '${h.mid}')`);
  }, { partial: true, changes: ['conversations', 'windows_1m'] });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('a resource renamed and retagged: nothing is attributed again, and the tags the conversations show are the new ones', async () => {
  const { covered } = await afterChange(async (db) => {
    const [r] = await db.json<{ arn: string }>(`SELECT e.arn FROM endpoints e JOIN inv_tags t ON t.arn = e.arn
      WHERE t.key = 'Name' GROUP BY e.arn ORDER BY e.arn LIMIT 1`);
    assert.ok(r, 'the estate should have a named resource');
    await db.exec(`UPDATE inv_tags SET value = 'renamed' WHERE arn = '${r.arn}' AND key = 'Name'`);
    await db.exec(`UPDATE inv_resources SET name = 'renamed' WHERE arn = '${r.arn}'`);
  }, { partial: true, changes: ['conversations_v'] });
  assert.equal(covered, 0);
});

test('a tag alone changed (no other inventory table): the conversations show the new value', async () => {
  const { covered } = await afterChange(async (db) => {
    const [t] = await db.json<{ arn: string; key: string }>(`SELECT t.arn, t.key FROM endpoints e JOIN inv_tags t ON t.arn = e.arn
      WHERE t.key <> 'Name' ORDER BY t.arn, t.key LIMIT 1`);
    assert.ok(t, 'the estate should have tagged resources');
    await db.exec(`UPDATE inv_tags SET value = 'someone-else' WHERE arn = '${t.arn}' AND key = '${t.key}'`);
  }, { partial: true, changes: ['conversations_v'] });
  assert.equal(covered, 0);
});

test('an ENI moved to another subnet (not bounded in time): every stored fact is attributed again', async () => {
  await afterChange(async (db) => {
    const [e] = await db.json<{ eni: string }>(`SELECT e.eni FROM endpoints e JOIN conversation_facts f ON f.client_ep = e.ep
      WHERE e.eni IS NOT NULL GROUP BY e.eni ORDER BY count(*) DESC, e.eni LIMIT 1`);
    await db.exec(`UPDATE inv_enis SET subnet_id = 'subnet-0moved', az = 'elsewhere-1z' WHERE eni_id = '${e.eni}'`);
  }, { partial: false, changes: ['conversations'] });
});

test('an ENI attached to another instance from mid-period (its owner and its addresses\' owner change then)', async () => {
  const { covered } = await afterChange(async (db) => {
    const h = await heldAddress(db);
    const [o] = await db.json<{ arn: string }>(`SELECT arn FROM inv_resources WHERE type = 'ec2:instance'
      AND arn NOT IN (SELECT arn FROM inv_enis WHERE eni_id = '${h.eni}' AND arn IS NOT NULL) ORDER BY arn LIMIT 1`);
    assert.ok(o, 'the estate should have instances');
    for (const t of ['inv_enis', 'inv_addresses']) {
      await db.exec(`INSERT INTO ${t} BY NAME SELECT * REPLACE ('${o.arn}' AS arn, greatest(valid_from, TIMESTAMP '${h.mid}') AS valid_from)
        FROM ${t} WHERE eni_id = '${h.eni}' AND valid_to > TIMESTAMP '${h.mid}'`);
      await db.exec(`UPDATE ${t} SET valid_to = TIMESTAMP '${h.mid}' WHERE eni_id = '${h.eni}' AND arn IS DISTINCT FROM '${o.arn}'
        AND valid_to > TIMESTAMP '${h.mid}'`);
    }
  }, { partial: true, changes: VIEWS.filter((v) => v !== 'windows_1h') });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('an ENI that reached the internet through a NAT gateway gets a public address mid-period: its path changes from then', async () => {
  const { covered } = await afterChange(async (db) => {
    const [n] = await db.json<{ eni: string; mid: string }>(`SELECT c.client_eni AS eni,
        strftime(make_timestamp((median(c.start)::BIGINT // 60 * 60) * 1000000), '%Y-%m-%d %H:%M:%S') AS mid
      FROM conversations c WHERE c.egress_path = 'nat-gateway' AND c.client_type = 'ec2:instance'
      GROUP BY c.client_eni ORDER BY count(*) DESC, c.client_eni LIMIT 1`);
    assert.ok(n, 'the estate should have instances behind a NAT gateway');
    await db.exec(`INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn, valid_from)
      SELECT '198.51.100.77', 4, 'public', vpc_id, eni_id, arn, TIMESTAMP '${n.mid}' FROM inv_addresses
      WHERE eni_id = '${n.eni}' AND addr_kind = 'primary' LIMIT 1`);
  }, { partial: true, changes: ['conversations', 'windows_1m'] });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('a change that covers most of the facts (every address held only from mid-period): every stored fact is attributed again', async () => {
  await afterChange(async (db) => {
    const [m] = await db.json<{ mid: string }>(`SELECT strftime(make_timestamp((median(start)::BIGINT // 60 * 60) * 1000000),
      '%Y-%m-%d %H:%M:%S') AS mid FROM conversation_facts`);
    await db.exec(`UPDATE inv_addresses SET valid_from = greatest(valid_from, TIMESTAMP '${m.mid}')`);
  }, { partial: false, changes: ['conversations'] });
});

test('a record\'s own ENI, unknown to the addresses, changes owner mid-period: its proven side changes from then', async () => {
  const { covered } = await afterChange(async (db) => {
    // an observer whose addresses the inventory does not know: its side is the one its records prove (the ENI, its owner then)
    const [e] = await db.json<{ eni: string; mid: string }>(`SELECT o.eni,
        strftime(make_timestamp((median(f.start)::BIGINT // 60 * 60) * 1000000), '%Y-%m-%d %H:%M:%S') AS mid
      FROM conversation_facts f JOIN observers o ON o.obs = f.observer JOIN inv_enis i ON i.eni_id = o.eni
      WHERE i.arn IS NOT NULL GROUP BY o.eni ORDER BY count(*) DESC, o.eni LIMIT 1`);
    await db.exec(`DELETE FROM inv_addresses WHERE eni_id = '${e.eni}'`);
    await db.exec(`DELETE FROM attribution_basis; UPDATE meta SET value = 'forced' WHERE key = 'attributed_inventory'`);
    await rebuild(db);
    const [o] = await db.json<{ arn: string }>(`SELECT arn FROM inv_resources WHERE type = 'ec2:instance'
      AND arn NOT IN (SELECT arn FROM inv_enis WHERE eni_id = '${e.eni}' AND arn IS NOT NULL) ORDER BY arn LIMIT 1`);
    await db.exec(`INSERT INTO inv_enis BY NAME SELECT * REPLACE ('${o.arn}' AS arn, greatest(valid_from, TIMESTAMP '${e.mid}') AS valid_from)
      FROM inv_enis WHERE eni_id = '${e.eni}' AND valid_to > TIMESTAMP '${e.mid}'`);
    await db.exec(`UPDATE inv_enis SET valid_to = TIMESTAMP '${e.mid}' WHERE eni_id = '${e.eni}' AND arn IS DISTINCT FROM '${o.arn}'
      AND valid_to > TIMESTAMP '${e.mid}'`);
  }, { partial: true, changes: ['conversations', 'windows_1m'] });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('a server ENI that logged too (the client\'s records counted), proven before its AttachTime, is known to its owner earlier: its side changes from then', async () => {
  const { covered } = await afterChange(async (db) => {
    // the ingest service address's ENI (the sample's failover ENI): before its AttachTime its own records prove the server's side
    const [e] = await db.json<{ eni: string; mid: string }>(`SELECT o.eni,
        strftime(make_timestamp((median(f.start)::BIGINT // 60 * 60) * 1000000), '%Y-%m-%d %H:%M:%S') AS mid
      FROM conversation_facts f JOIN observers o ON o.obs = f.server_observer JOIN endpoints s ON s.ep = f.server_ep
      WHERE s.type = 'ec2:network-interface' AND s.eni = o.eni AND s.arn IS NULL GROUP BY o.eni ORDER BY count(*) DESC, o.eni LIMIT 1`);
    assert.ok(e, 'the estate should have a server side proven by its own ENI while the client\'s records are counted');
    await db.exec(`UPDATE inv_enis SET valid_from = TIMESTAMP '${e.mid}' WHERE eni_id = '${e.eni}' AND valid_from > TIMESTAMP '${e.mid}'`);
  }, { partial: true, changes: ['conversations', 'windows_1m'] });
  assert.ok(covered > 0, `some facts are covered: ${covered}`);
});

test('an inventory change and new records in one enrichment: the covered facts attributed again, then the records added', async () => {
  const db = await openDataset(join(dir, 'two-steps.duckdb'));
  try {
    await loadInventory(db, [manifest.inventoryDir]);
    const files = manifest.flowLogDirs.flatMap((d) => readdirSync(d, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))).sort();
    await ingestFiles(db, files.filter((_, i) => i % 3 !== 2));
    await rebuild(db);
    await handOver(db, await heldAddress(db));
    await ingestFiles(db, files.filter((_, i) => i % 3 === 2));
    const said = await reattribute(db);
    assert.ok(said.some((m) => /the inventory change covers/.test(m)), said.join('; '));
    await snapshot(db, 'partial');
    await db.exec(`DELETE FROM attribution_basis; UPDATE meta SET value = 'forced' WHERE key = 'attributed_inventory'`);
    assert.ok((await reattribute(db)).includes('attributing the stored conversations again'));
    await snapshot(db, 'whole');
    assert.deepEqual(await differences(db, 'partial', 'whole'), SAME);
  } finally {
    db.close();
  }
});
