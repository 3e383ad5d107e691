import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultName, resultSpan, spansWithout, unreadSpan } from '../../src/core/aws/athenaWindows';
import { parseSourceSpec, type AthenaSource } from '../../src/core/aws/sources';

const src = parseSourceSpec('athena:flowlogs.vpc', '111111111111', 'us-east-1', ['us-east-1']) as AthenaSource;
const t = (hh: string) => Date.parse(`2026-09-01T${hh}:00:00Z`);

test("an Athena result's name says the table, account, region and time it read; another account's or region's is not the source's", () => {
  const name = resultName(src, { since: t('00'), until: t('01') }, 60);
  assert.equal(name, 'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60');
  assert.deepEqual(resultSpan(src, name), { since: t('00'), until: t('01') });
  // named before account and region were: the source's
  assert.deepEqual(resultSpan(src, 'athena://AwsDataCatalog/flowlogs/vpc@2026-09-01T00:00:00.000Z..2026-09-01T02:00:00.000Z/w3600'), { since: t('00'), until: t('02') });
  for (const other of [
    'athena://AwsDataCatalog/flowlogs/vpc@222222222222/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@111111111111/eu-west-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc_old@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T01:00:00.000Z..2026-09-01T00:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@w60',
  ]) assert.equal(resultSpan(src, other), undefined, other);
});

test('what of a window is left to read: the held time at its ends cut off, the held time inside left out, nothing when all is held', () => {
  const w = { since: t('00'), until: t('06') };
  assert.deepEqual(unreadSpan(w, []), { span: w, held: [] });
  // a Refresh asking again from 00:00 after another table failed: this one holds 00:00-02:00 (read in two parts)
  assert.deepEqual(unreadSpan(w, [{ since: t('01'), until: t('02') }, { since: t('00'), until: t('01') }]), { span: { since: t('02'), until: t('06') }, held: [] });
  // held at the end, and a held part inside (a window appended over one read before)
  assert.deepEqual(unreadSpan(w, [{ since: t('05'), until: t('07') }, { since: t('02'), until: t('03') }]),
    { span: { since: t('00'), until: t('05') }, held: [{ since: t('02'), until: t('03') }] });
  // outside the window: nothing of it
  assert.deepEqual(unreadSpan(w, [{ since: t('07'), until: t('08') }]), { span: w, held: [] });
  assert.equal(unreadSpan(w, [{ since: t('00'), until: t('03') }, { since: t('03'), until: t('06') }]), undefined);
});

test('the parts of a window a query reads when it leaves held time out', () => {
  const w = { since: t('00'), until: t('06') };
  assert.deepEqual(spansWithout(w, []), [w]);
  assert.deepEqual(spansWithout(w, [{ since: t('02'), until: t('03') }, { since: t('03'), until: t('04') }, { since: t('07'), until: t('08') }]),
    [{ since: t('00'), until: t('02') }, { since: t('04'), until: t('06') }]);
  assert.deepEqual(spansWithout(w, [{ since: t('05'), until: t('07') }]), [{ since: t('00'), until: t('05') }]);
  assert.deepEqual(spansWithout(w, [{ since: t('00'), until: t('06') }]), []);
});
