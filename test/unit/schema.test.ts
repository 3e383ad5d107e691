import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { FLOW_FIELDS, parseLogFormat, isHeaderLine, formatVersion, FormatError } from '../../src/core/model/flowFields';

test('schema creates every table and is idempotent', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await ensureSchema(db);
    const cols = await db.all<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'flow_records'`,
    );
    assert.equal(cols.length, FLOW_FIELDS.length + 2); // file_id, the fields, record_no
  } finally {
    db.close();
  }
});

test('a schema version 1 dataset is upgraded: its wide derived tables become views, records and inventory stay', async () => {
  const db = await Db.open(':memory:');
  try {
    // What version 1 had: conversations and windows as tables, beside records and inventory.
    await db.exec(`CREATE TABLE conversations (start BIGINT, client_node VARCHAR);
      INSERT INTO conversations VALUES (1, 'x');
      CREATE TABLE windows_1h (window_start TIMESTAMP, client_node VARCHAR);
      CREATE TABLE flow_records (file_id INTEGER NOT NULL, srcaddr VARCHAR);
      INSERT INTO flow_records VALUES (1, '10.0.0.1');
      CREATE TABLE inv_tags (arn VARCHAR, key VARCHAR, value VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP);
      INSERT INTO inv_tags VALUES ('arn:x', 'app', 'web', TIMESTAMP '2026-01-01', TIMESTAMP '9999-12-31');`);
    await ensureSchema(db);
    const kinds = await db.json<{ name: string; kind: string }>(
      `SELECT table_name AS name, table_type AS kind FROM information_schema.tables
       WHERE table_name IN ('conversations', 'windows_1m', 'windows_5m', 'windows_1h') ORDER BY 1`,
    );
    assert.deepEqual(kinds.map((k) => `${k.name}:${k.kind}`), ['conversations:VIEW', 'windows_1h:VIEW', 'windows_1m:VIEW', 'windows_5m:VIEW']);
    assert.equal(await db.value('SELECT count(*) FROM conversations'), 0n);
    assert.equal(await db.value('SELECT count(*) FROM flow_records'), 1n);
    assert.equal(await db.value('SELECT count(*) FROM inv_tags'), 1n);
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'schema_version'`), '7');
  } finally {
    db.close();
  }
});

test('a schema version 2 dataset is upgraded: its facts (which cannot be merged into) go, its records stay pending', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    // What version 2 stored: facts with the observer's ENI as text and no evidence, a watermark-less meta.
    await db.exec(`DROP VIEW conversations; DROP TABLE conversation_facts;
      CREATE TABLE conversation_facts (start BIGINT, observer_eni VARCHAR); INSERT INTO conversation_facts VALUES (1, 'eni-1');
      INSERT INTO endpoints (ep, node) VALUES (1, 'internet');
      INSERT INTO meta VALUES ('enriched_file_id', '7');
      CREATE TABLE flow_records_x (file_id INTEGER NOT NULL, srcaddr VARCHAR); INSERT INTO flow_records_x VALUES (1, '10.0.0.1');
      INSERT INTO flow_record_tables VALUES ('flow_records_x', 'srcaddr');`);
    await ensureSchema(db);
    assert.equal(await db.value('SELECT count(*) FROM conversations'), 0n);
    assert.equal(await db.value('SELECT count(*) FROM endpoints'), 0n);
    assert.equal(await db.value(`SELECT count(*) FROM meta WHERE key = 'enriched_file_id'`), 0n, 'every stored record is pending again');
    assert.equal(await db.value('SELECT count(*) FROM flow_records'), 1n);
    assert.deepEqual((await db.all(`SELECT column_name FROM duckdb_columns() WHERE table_name = 'conversation_facts' AND column_name IN ('observer', 'evidence', 'paths') ORDER BY 1`)).map((r) => r.column_name), ['evidence', 'observer', 'paths']);
  } finally {
    db.close();
  }
});

test('a schema version 3 dataset is upgraded: its sides say how they were found, and its facts are attributed again at the next enrichment', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    // What version 3 stored: sides without attribution, facts attributed with some inventory.
    await db.exec(`DROP VIEW conversations; ALTER TABLE endpoints DROP COLUMN attribution;
      INSERT INTO endpoints (ep, type, node, unknown) VALUES (1, 'ec2:instance', 'arn:x', NULL), (2, 'unknown', 'unknown:10.9.9.9', '10.9.9.9');
      INSERT INTO conversation_facts (start, client_ep, server_ep, uploaded) VALUES (1, 1, 2, 10);
      INSERT INTO meta VALUES ('attributed_inventory', 'abc'), ('enriched_file_id', '7'), ('schema_version', '3')
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;`);
    await ensureSchema(db);
    assert.deepEqual(await db.json(`SELECT client_attribution, server_attribution, cross_vpc, uploaded FROM conversations`),
      [{ client_attribution: 'exact', server_attribution: null, cross_vpc: null, uploaded: 10 }]);
    assert.equal(await db.value(`SELECT count(*) FROM meta WHERE key = 'attributed_inventory'`), 0n, 'attributed again at the next enrichment');
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'enriched_file_id'`), '7', 'no record is pending again');
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'schema_version'`), '7');
    await ensureSchema(db);
    assert.equal(await db.value(`SELECT count(*) FROM duckdb_columns() WHERE table_name = 'endpoints' AND column_name = 'attribution'`), 1n);
  } finally {
    db.close();
  }
});

test('a schema version 4 dataset is upgraded: the findings the templates and the map read are defined in it, and the windows name both sides as conversations do', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    // What version 4 had: no finding macros, views without the endpoint numbers.
    await db.exec(`DROP MACRO TABLE fl_finding_alb_bypass; DROP MACRO fl_finding_lambda_rds; DROP MACRO fl_finding_nat_endpoint;
      CREATE OR REPLACE VIEW windows_1h AS SELECT window_start FROM windows_1h_facts;
      INSERT INTO meta VALUES ('schema_version', '4') ON CONFLICT (key) DO UPDATE SET value = excluded.value;`);
    await assert.rejects(db.all(`SELECT * FROM fl_finding_alb_bypass(NULL, NULL)`), /fl_finding_alb_bypass/);
    await ensureSchema(db);
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'schema_version'`), '7');
    assert.deepEqual(await db.all(`SELECT * FROM fl_finding_alb_bypass(NULL, NULL)`), []);
    assert.equal(await db.value(`SELECT fl_finding_lambda_rds('lambda:function', 'rds:db', 'ACCEPT') AND NOT fl_finding_lambda_rds('lambda:function', 'rds:db-proxy', 'ACCEPT')
      AND fl_finding_nat_endpoint('nat-gateway', 'S3') AND NOT fl_finding_nat_endpoint('internet-gateway', 'S3')`), true);
    const cols = async (t: string) => (await db.all<{ column_name: string }>(`SELECT column_name FROM duckdb_columns() WHERE table_name = '${t}' AND column_name IN ('client_arn', 'server_eni', 'client_subnet', 'server_kind', 'cross_vpc') ORDER BY 1`)).map((r) => r.column_name);
    assert.deepEqual(await cols('windows_1h'), ['client_arn', 'client_subnet', 'cross_vpc', 'server_eni', 'server_kind']);
    assert.deepEqual(await cols('conversations'), await cols('windows_1h'));
  } finally {
    db.close();
  }
});

test('a schema version 5 dataset is upgraded: its facts get the server ENI that logged them too, empty, and keep their figures', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await db.exec(`DROP VIEW conversations; ALTER TABLE conversation_facts DROP COLUMN server_observer;
      INSERT INTO conversation_facts (start, uploaded) VALUES (1, 10);
      INSERT INTO meta VALUES ('schema_version', '5') ON CONFLICT (key) DO UPDATE SET value = excluded.value;`);
    await ensureSchema(db);
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'schema_version'`), '7');
    assert.deepEqual(await db.json(`SELECT uploaded, server_observer FROM conversation_facts`), [{ uploaded: 10, server_observer: null }]);
  } finally {
    db.close();
  }
});

test('a schema version 6 dataset not enriched yet is upgraded: the templates can name apps by tag (fl_tag_values over tag_sets)', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    // version 6 made tag_sets at the first enrichment only, and had no fl_tag_values
    await db.exec(`DROP MACRO TABLE fl_tag_values; DROP TABLE tag_sets;
      INSERT INTO meta VALUES ('schema_version', '6') ON CONFLICT (key) DO UPDATE SET value = excluded.value;`);
    await ensureSchema(db);
    assert.equal(await db.value(`SELECT value FROM meta WHERE key = 'schema_version'`), '7');
    assert.deepEqual(await db.all(`FROM fl_tag_values('app')`), []);
    await db.exec(`INSERT INTO tag_sets VALUES ('arn:a', TIMESTAMP '2026-09-01', TIMESTAMP '2026-09-02', MAP {'app': 'shop', 'owner': 'ann'}),
      ('arn:b', TIMESTAMP '2026-09-01', TIMESTAMP '2026-09-02', MAP {'owner': 'bob'})`);
    assert.deepEqual(await db.json(`SELECT arn, value FROM fl_tag_values('app')`), [{ arn: 'arn:a', value: 'shop' }]);
  } finally {
    db.close();
  }
});

test('inv_sg_rules reads the rules the last inventory rebuild made; after an earlier version made it its own view again, they are made anew', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    // an earlier version opened the dataset for writing (its view of the observations) and loaded a rule
    await db.exec(`CREATE OR REPLACE VIEW inv_sg_rules AS SELECT *, NULL::TIMESTAMP AS valid_from, NULL::TIMESTAMP AS valid_to FROM inv_obs_sg_rules;
      INSERT INTO inv_obs_sg_rules (rule_id, group_id, egress, protocol, port_lo, port_hi, peer_kind, peer, source)
        VALUES ('sgr-1', 'sg-1', false, 6, 443, 443, 'cidr', '10.0.0.0/16', 'rules');`);
    assert.equal(await db.value(`SELECT count(*) FROM inv_sg_rules_rebuilt`), 0n);
    await ensureSchema(db);
    const rows = `SELECT rule_id, group_id, port_lo, strftime(valid_from, '%Y-%m-%d') AS valid_from, strftime(valid_to, '%Y-%m-%d') AS valid_to FROM inv_sg_rules`;
    const rule = { rule_id: 'sgr-1', group_id: 'sg-1', port_lo: 443, valid_from: '1970-01-01', valid_to: '9999-12-31' };
    assert.deepEqual(await db.json(rows), [rule]);
    assert.match(String(await db.value(`SELECT sql FROM duckdb_views() WHERE view_name = 'inv_sg_rules'`)), /inv_sg_rules_rebuilt/);
    // opened again, the view reads the table as it is (the rules are made again by an inventory rebuild, not here)
    await db.exec(`DELETE FROM inv_obs_sg_rules`);
    await ensureSchema(db);
    assert.deepEqual(await db.json(rows), [rule]);
  } finally {
    db.close();
  }
});

test('tables a rebuild left beside the current ones (its process ended) are dropped when the dataset opens; the current ones stay', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await db.exec(`INSERT INTO conversation_facts (start, uploaded) VALUES (1, 10);
      CREATE TABLE conversation_facts_next AS SELECT * FROM conversation_facts;
      CREATE TABLE windows_1h_facts_next AS SELECT * FROM windows_1h_facts;`);
    await ensureSchema(db);
    const left = await db.all(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%\\_next' ESCAPE '\\'`);
    assert.deepEqual(left, []);
    assert.equal(await db.value('SELECT sum(uploaded) FROM conversation_facts'), 10n);
  } finally {
    db.close();
  }
});

test('log formats parse from ${} strings and header lines', () => {
  const v5 = parseLogFormat('${version} ${vpc-id} ${srcaddr} ${traffic-path} ${flow-direction}');
  assert.deepEqual(v5.map((x) => x.column), ['version', 'vpc_id', 'srcaddr', 'traffic_path', 'flow_direction']);
  assert.equal(formatVersion(v5), 5);
  assert.ok(isHeaderLine('version account-id interface-id srcaddr'));
  assert.ok(!isHeaderLine('2 123456789010 eni-1235b8ca123456789 172.31.16.139'));
  assert.throws(() => parseLogFormat('${version} ${bogus}'), FormatError);
});
