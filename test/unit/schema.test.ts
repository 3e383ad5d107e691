import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { FLOW_FIELDS, parseLogFormat, isHeaderLine, formatVersion, FormatError } from '../../src/core/flowlogs/fields';

test('schema creates every table and is idempotent', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await ensureSchema(db);
    const cols = await db.all<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'flow_records'`,
    );
    assert.equal(cols.length, FLOW_FIELDS.length + 1);
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
