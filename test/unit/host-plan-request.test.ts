import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followRequest, parseStoredRequest, refreshRequest, requestAsRead, requestFor, storableRequest, REFRESH_OVERLAP_MS } from '../../src/host/planRequest';
import type { SourceReport } from '../../src/protocol/reports';
import type { EnrichPlan } from '../../src/host/enrichWizard';

const awsPlan: EnrichPlan = {
  source: 'aws',
  profile: 'ops',
  role: { name: 'FlowLogIntrospector', externalId: 'secret-ext-id', accounts: ['111111111111', '222222222222'] },
  regions: ['us-east-1'],
  flowLogs: [],
  allDiscovered: true,
  window: { from: new Date('2026-11-26T00:00:00Z'), to: new Date('2026-11-27T00:00:00Z'), label: 'last 24 h' },
  dataset: { mode: 'new', name: 'prod' },
};

test('a remembered AWS request holds no external id and survives JSON', () => {
  const stored = storableRequest(requestFor(awsPlan));
  const text = JSON.stringify(stored);
  assert.ok(!text.includes('secret-ext-id'));
  assert.deepEqual(parseStoredRequest(JSON.parse(text)), stored);
});

test('refresh reads the same sources from just before the last window end to now', () => {
  const now = new Date('2026-11-27T06:00:00Z');
  const r = refreshRequest(storableRequest(requestFor(awsPlan)), now, 'ext-from-settings');
  assert.equal(r.source.kind, 'aws');
  if (r.source.kind !== 'aws') return;
  assert.equal(new Date(r.source.since).getTime(), awsPlan.source === 'aws' ? awsPlan.window.to.getTime() - REFRESH_OVERLAP_MS : 0);
  assert.equal(r.source.until, now.toISOString());
  assert.equal(r.source.role, 'FlowLogIntrospector');
  assert.deepEqual(r.source.accounts, ['111111111111', '222222222222']);
  assert.equal(r.source.externalId, 'ext-from-settings');
  assert.equal(r.source.sources, undefined, 'every flow log is discovered again');
});

test('follow reads from just before the last window end, with no end', () => {
  const now = new Date('2026-11-27T06:00:00Z');
  const r = followRequest(storableRequest(requestFor(awsPlan)), now, 'ext-from-settings');
  assert.ok(r.source.kind === 'aws');
  if (r.source.kind !== 'aws') return;
  assert.equal(r.source.since, new Date(Date.parse('2026-11-27T00:00:00Z') - REFRESH_OVERLAP_MS).toISOString());
  assert.equal(r.source.until, undefined);
  assert.equal(r.source.externalId, 'ext-from-settings');
});

test('sample and folder requests refresh and follow as themselves; junk in global state is not a request', () => {
  const folder = storableRequest(requestFor({ source: 'folder', folder: '/logs', dataset: { mode: 'new', name: 'x' } }));
  assert.deepEqual(refreshRequest(folder, new Date()), { source: { kind: 'files', flowLogs: ['/logs'], inventory: ['/logs'] } });
  assert.deepEqual(followRequest(folder, new Date()), folder);
  assert.deepEqual(parseStoredRequest(JSON.parse(JSON.stringify(folder))), folder);
  assert.deepEqual(parseStoredRequest({ source: { kind: 'sample', days: 2, evil: 'x' } }), { source: { kind: 'sample', days: 2 } });
  assert.equal(parseStoredRequest({ source: { kind: 'aws', profile: 'p' } }), undefined);
  assert.equal(parseStoredRequest('rm -rf /'), undefined);
  assert.equal(parseStoredRequest({ source: { kind: 'aws', profile: 'p', regions: ['us-east-1'], since: 'yesterday' } }), undefined);
  assert.equal(parseStoredRequest({ source: { kind: 'files', flowLogs: '/etc' } }), undefined);
  // a plan remembered by an earlier version is not a request: Refresh then only summarises the dataset
  assert.equal(parseStoredRequest({ source: 'folder', folder: '/logs' }), undefined);
});

test('an Athena source refreshes from its last window end exactly: its rows are sums with no name, so an overlap would count twice', () => {
  const now = new Date('2026-11-27T06:00:00Z');
  for (const spec of ['athena:flowlogs.vpc', '111111111111/us-east-1=athena:AwsDataCatalog.flowlogs.vpc']) {
    const plan: EnrichPlan = { ...awsPlan, allDiscovered: false, location: { kind: 'athena', database: 'flowlogs', table: 'vpc' } } as EnrichPlan;
    const stored = storableRequest(requestFor(plan));
    const withSpec = stored.source.kind === 'aws' ? { source: { ...stored.source, sources: [spec] } } : stored;
    const r = refreshRequest(withSpec, now);
    assert.equal(r.source.kind === 'aws' && r.source.since, '2026-11-27T00:00:00.000Z', spec);
  }
  const s3: EnrichPlan = { ...awsPlan, allDiscovered: false, location: { kind: 's3', bucket: 'flow-logs', prefix: 'AWSLogs/' } } as EnrichPlan;
  const r = refreshRequest(storableRequest(requestFor(s3)), now);
  assert.equal(r.source.kind === 'aws' && r.source.since, new Date(Date.parse('2026-11-27T00:00:00Z') - REFRESH_OVERLAP_MS).toISOString());
});

test('an Athena window that ended before the delivery lag is remembered as read: Refresh goes on from where it ended', () => {
  const plan: EnrichPlan = { ...awsPlan, allDiscovered: false, location: { kind: 'athena', database: 'flowlogs', table: 'vpc' } } as EnrichPlan;
  const asked = requestFor(plan);
  const report = (until?: string): SourceReport => ({ source: 'athena://AwsDataCatalog/flowlogs/vpc', kind: 'athena', account: '111111111111', region: 'us-east-1',
    fetched: 1, skipped: 0, failed: 0, records: 1, bytes: 1, files: [], issues: [], athena: { windowSeconds: 60, pricePerTb: 5, partitions: [], rows: 1, ...(until ? { until, settleMinutes: 10 } : {}) } });
  const read = requestAsRead(asked, { sources: [report('2026-11-26T23:50:00.000Z')] });
  assert.equal(read.source.kind === 'aws' && read.source.until, '2026-11-26T23:50:00.000Z');
  const again = refreshRequest(storableRequest(read), new Date('2026-11-27T06:00:00Z'));
  assert.deepEqual(again.source.kind === 'aws' && [again.source.since, again.source.until], ['2026-11-26T23:50:00.000Z', '2026-11-27T06:00:00.000Z'], 'the last 10 minutes, read by the next Refresh');
  // read to its end, no Athena source, no summary: as asked
  for (const summary of [{ sources: [report('2026-11-27T00:00:00.000Z')] }, { sources: [report()] }, undefined]) {
    assert.deepEqual(requestAsRead(asked, summary), asked);
  }
});

test('an Athena source that did not read its window (failed, held back, no partition yet) is remembered as not read: Refresh asks for it again', () => {
  const plan: EnrichPlan = { ...awsPlan, allDiscovered: false, location: { kind: 'athena', database: 'flowlogs', table: 'vpc' } } as EnrichPlan;
  const asked = requestFor(plan);
  const report = (table: string, o: Partial<SourceReport>, athena: Partial<NonNullable<SourceReport['athena']>> = {}): SourceReport => ({ source: `athena://AwsDataCatalog/flowlogs/${table}`,
    kind: 'athena', account: '111111111111', region: 'us-east-1', fetched: 1, skipped: 0, failed: 0, records: 1, bytes: 1, files: [], issues: [],
    athena: { windowSeconds: 60, pricePerTb: 5, partitions: [], rows: 1, ...athena }, ...o });
  const since = asked.source.kind === 'aws' ? new Date(asked.source.since).toISOString() : '';
  // beside another table that read its rows: that one reads only the time it does not hold, next time
  for (const other of [report('vpc', { failed: 1, fetched: 0, records: 0 }), report('vpc', { fetched: 0, records: 0 }, { partitionsMissing: 'none of the 3 partitions …' })]) {
    const read = requestAsRead(asked, { sources: [report('east', {}), other] });
    assert.equal(read.source.kind === 'aws' && read.source.until, since);
    const again = refreshRequest(storableRequest(read), new Date('2026-11-27T06:00:00Z'));
    assert.deepEqual(again.source.kind === 'aws' && [again.source.since, again.source.until], [since, '2026-11-27T06:00:00.000Z']);
  }
});
