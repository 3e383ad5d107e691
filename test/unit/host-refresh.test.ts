import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storablePlan, refreshedPlan, parseStoredPlan, REFRESH_OVERLAP_MS } from '../../src/host/refreshPlan';
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

test('a remembered AWS plan holds no external id and survives JSON', () => {
  const stored = storablePlan(awsPlan);
  const text = JSON.stringify(stored);
  assert.ok(!text.includes('secret-ext-id'));
  assert.deepEqual(parseStoredPlan(JSON.parse(text)), stored);
});

test('refresh runs the same sources from just before the last window end to now, appending', () => {
  const now = new Date('2026-11-27T06:00:00Z');
  const plan = refreshedPlan(storablePlan(awsPlan), '/data/prod.duckdb', now, 'ext-from-settings');
  assert.equal(plan.source, 'aws');
  if (plan.source !== 'aws') return;
  assert.deepEqual(plan.dataset, { mode: 'append', path: '/data/prod.duckdb' });
  assert.equal(plan.window.from.getTime(), awsPlan.source === 'aws' ? awsPlan.window.to.getTime() - REFRESH_OVERLAP_MS : 0);
  assert.equal(plan.window.to.getTime(), now.getTime());
  assert.deepEqual(plan.role, { name: 'FlowLogIntrospector', accounts: ['111111111111', '222222222222'], externalId: 'ext-from-settings' });
  assert.equal(plan.allDiscovered, true);
});

test('sample and folder plans refresh as themselves; junk in global state is not a plan', () => {
  assert.deepEqual(refreshedPlan(storablePlan({ source: 'folder', folder: '/logs', dataset: { mode: 'new', name: 'x' } }), '/d.duckdb', new Date()),
    { source: 'folder', folder: '/logs', dataset: { mode: 'append', path: '/d.duckdb' } });
  assert.equal(parseStoredPlan({ source: 'aws', profile: 'p' }), undefined);
  assert.equal(parseStoredPlan('rm -rf /'), undefined);
  assert.equal(parseStoredPlan({ source: 'aws', profile: 'p', regions: ['us-east-1'], flowLogs: [], window: { to: 'yesterday' } }), undefined);
});
