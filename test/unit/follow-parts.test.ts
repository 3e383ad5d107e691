import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixClosesAt } from '../../src/core/aws/s3';
import { heldElsewhere } from '../../src/core/follow';
import { formatCycle } from '../../src/core/format';
import { parseDuration, parseTime } from '../../src/core/time';
import { isEnrichRequest, isWorkerMessage } from '../../src/protocol/worker';
import type { FollowCycle } from '../../src/protocol/enrich';

test('an S3 date or hour prefix closes at its end plus the late-delivery allowance', () => {
  assert.equal(prefixClosesAt('vpc/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/09/30/', 20), Date.parse('2026-10-01T00:20:00Z'));
  assert.equal(prefixClosesAt('AWSLogs/111111111111/vpcflowlogs/eu-west-1/2026/12/31/23/', 0), Date.parse('2027-01-01T00:00:00Z'));
  assert.equal(
    prefixClosesAt('AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=01/hour=22/', 20),
    Date.parse('2026-09-01T23:20:00Z'),
  );
  assert.equal(prefixClosesAt('AWSLogs/111111111111/', 20), undefined);
});

test("DuckDB's lock refusal becomes one sentence; other errors are not taken for it", () => {
  const err = new Error('IO Error: Could not set lock on file "/d/x.duckdb": Conflicting lock is held in /usr/bin/node (PID 7046). However, you would be able to open this database in read-only mode');
  assert.equal(heldElsewhere(err), '/d/x.duckdb is open in another process (/usr/bin/node, PID 7046); trying again at the next cycle');
  assert.equal(heldElsewhere(new Error('IO Error: Cannot open file "/d/x.duckdb": Permission denied')), undefined);
  // wrapped in a message that names the holder already: that message is what is said
  const wrapped = new Error('/d/x.duckdb is in use by flowlens sql (pid 7046); try again when it has finished, or stop it', { cause: err });
  assert.equal(heldElsewhere(wrapped), '/d/x.duckdb is in use by flowlens sql (pid 7046); trying again at the next cycle');
  assert.equal(heldElsewhere(new Error('failed', { cause: new Error('disk full') })), undefined);
});

test('durations and times as typed', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration(' 1.5h'), 5_400_000);
  assert.equal(parseDuration('60'), undefined);
  assert.equal(parseDuration('soon'), undefined);
  const now = new Date('2026-09-02T00:00:00Z');
  assert.equal(parseTime('24h', now).toISOString(), '2026-09-01T00:00:00.000Z');
  assert.equal(parseTime('2026-09-01T12:00Z', now).toISOString(), '2026-09-01T12:00:00.000Z');
  assert.throws(() => parseTime('yesterday', now), /use an ISO time/);
});

test('a follow cycle is one line, then its issues', () => {
  const base: FollowCycle = { cycle: 3, kind: 'files', at: '2026-12-06T03:10:05.123Z', fetched: 0, records: 0, bytes: 0, failed: 0, rebuilt: false, seconds: 0.04, issues: [] };
  assert.equal(formatCycle(base), '2026-12-06T03:10:05Z cycle 3: nothing new; 0.0 s');
  assert.equal(
    formatCycle({ ...base, fetched: 2, records: 1234, bytes: 2048, rebuilt: true, conversations: 17, seconds: 1.26 }),
    '2026-12-06T03:10:05Z cycle 3: 2 new files (1,234 records, 2.00 KiB); 17 conversations; 1.3 s',
  );
  assert.equal(
    formatCycle({ ...base, kind: 'aws', fetched: 1, records: 1, bytes: 10, failed: 1, issues: ['s3:GetObject account 1: AccessDenied: no'] }),
    '2026-12-06T03:10:05Z cycle 3: 1 new object/batch (1 record, 10 B); 1 failed; 0.0 s\n  ! s3:GetObject account 1: AccessDenied: no',
  );
  assert.equal(formatCycle({ ...base, busy: true, issues: ['x is open in another process'] }), '2026-12-06T03:10:05Z cycle 3 skipped: x is open in another process');
});

test('the worker checks what it is asked to enrich, and the host what a cycle message holds', () => {
  assert.ok(isEnrichRequest({ source: { kind: 'sample' } }));
  assert.ok(isEnrichRequest({ source: { kind: 'files', flowLogs: ['/l'], inventory: ['/i'] } }));
  assert.ok(isEnrichRequest({ source: { kind: 'aws', regions: ['us-east-1'], since: '24h' } }));
  assert.ok(!isEnrichRequest({ sample: true }), 'the shape before one options type');
  assert.ok(!isEnrichRequest({ source: { kind: 'files', flowLogs: '/l' } }));
  assert.ok(!isEnrichRequest({ source: { kind: 'aws', regions: ['us-east-1'] } }));
  assert.ok(!isEnrichRequest({ source: { kind: 'ftp' } }));
  assert.ok(isWorkerMessage({ kind: 'cycle', id: 3, cycle: { cycle: 1, issues: [] } }));
  assert.ok(!isWorkerMessage({ kind: 'cycle', id: 3, cycle: { cycle: '1' } }));
});
