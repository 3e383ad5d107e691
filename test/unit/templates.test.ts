import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { rebuild } from '../../src/core/enrich/rebuild';
import { ensureSgRuleViews } from '../../src/core/secgroups/usage';
import { listTemplates, bindTemplate, parseTemplate, findTemplate, TemplateError } from '../../src/core/templates/index';

const EXPECTED = ['alb-bypass', 'app-dependencies', 'cross-az', 'internet-egress-by-owner', 'lambda-rds-without-proxy',
  'nat-gateway-endpoint-candidates', 'rejected-by-security-group', 'sg-rule-usage', 'sg-unused-rules', 'sg-would-have-allowed', 'top-talkers', 'transfer-growth'];

test('every built-in template parses, has a title and a description, and binds its defaults', () => {
  const all = listTemplates();
  assert.deepEqual(all.map((t) => t.id).sort(), EXPECTED);
  for (const t of all) {
    assert.ok(t.title.length > 5, t.id);
    assert.ok(t.description.length > 20, t.id);
    const { params } = bindTemplate(t);
    assert.deepEqual(Object.keys(params).sort(), t.params.map((p) => p.name).sort());
  }
});

test('every built-in template runs on an enriched empty dataset and answers nothing (their answers are checked by value in enrich-sample and enrich-core)', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await ensureSgRuleViews(db); // as openDataset does
    await rebuild(db);
    for (const t of listTemplates()) {
      const { sql, params } = bindTemplate(t);
      assert.deepEqual(await db.all(sql, params), [], t.id);
    }
  } finally {
    db.close();
  }
});

test('values are bound, typed and checked; nothing is pasted into the SQL', async () => {
  const t = findTemplate('top-talkers');
  assert.equal(bindTemplate(t, { top: '3' }).params.top, 3);
  assert.throws(() => bindTemplate(t, { top: '3; DROP TABLE conversations' }), /parameter top: .* is not a whole number/);
  assert.throws(() => bindTemplate(t, { nope: '1' }), /has no parameter "nope"/);
  assert.throws(() => bindTemplate(t, { since: 'yesterday' }), /parameter since/);
  assert.throws(() => bindTemplate(t, { since: '2026-10-01', until: '2026-09-01T12:00:00Z' }),
    { message: 'parameter since (2026-10-01) is not before until (2026-09-01 12:00:00): the window holds nothing' });
  assert.throws(() => bindTemplate(t, { since: '2026-09-01', until: '2026-09-01 00:00' }), /is not before until/);
  assert.equal(bindTemplate(t, { since: '2026-09-01', until: '2026-09-01 00:01' }).params.until, '2026-09-01 00:01');
  // a duration is a time back from now, as enrich --since takes it
  const now = new Date('2026-12-07T10:30:15.500Z');
  assert.deepEqual([bindTemplate(t, { since: '7d', until: '90m' }, now).params.since, bindTemplate(t, { since: '7d', until: '90m' }, now).params.until],
    ['2026-11-30 10:30:15', '2026-12-07 09:00:15']);
  assert.throws(() => bindTemplate(t, { since: '1h', until: '7d' }, now), /parameter since \(2026-12-07 09:30:15\) is not before until \(2026-11-30 10:30:15\)/);
  assert.throws(() => bindTemplate(t, { since: '7 days' }),
    { message: 'parameter since: "7 days" is not a time (2026-09-01, 2026-09-01T12:00:00Z, or back from now: 24h, 7d)' });
  const cross = findTemplate('cross-az');
  const evil = "app' OR 1=1 --";
  const bound = bindTemplate(cross, { tag_key: evil });
  assert.ok(!bound.sql.includes(evil));
  assert.equal(bound.params.tag_key, evil);
});

test('user snippets load from a folder, and header mistakes name the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-snippets-'));
  try {
    writeFileSync(join(dir, 'mine.sql'), '-- title: Mine\n-- description: my own question about flows\n-- param: n INTEGER = 5 -- how many\nSELECT * FROM conversations LIMIT $n\n');
    const mine = listTemplates([dir]).find((t) => t.id === 'mine');
    assert.ok(mine);
    assert.equal(mine.params[0].default, '5');
    assert.throws(() => parseTemplate('-- title: X\n-- param: n WIDGET\nSELECT $n', 'bad.sql'), (e: Error) =>
      e instanceof TemplateError && /bad\.sql:2: parameter n has type WIDGET/.test(e.message));
    assert.throws(() => parseTemplate('-- title: X\nSELECT $m', 'undeclared.sql'), /undeclared\.sql: the SQL uses \$m/);
    assert.throws(() => parseTemplate('SELECT 1', 'untitled.sql'), /untitled\.sql: the header has no/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
