/**
 * Issue 10, item 13 (in part): datasets and exports are the user's alone (mode 0600), work folders that ended
 * processes left are cleaned, the external id need not stand in argv, the redaction stops at the end of a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { enrichedDataset, flowlens, useTempDir } from './fixture';
import { redact } from '../../src/core/aws/secrets';

let dir: string;
useTempDir('flowlens-robust-files-', (d) => (dir = d));

test('a dataset and an export are created with mode 0600', () => {
  const db = enrichedDataset(dir);
  assert.equal(statSync(db).mode & 0o777, 0o600);
  const out = join(dir, 'c.csv');
  assert.equal(flowlens(dir, 'export', '--db', db, '--format', 'csv', '--out', out).code, 0);
  assert.equal(statSync(out).mode & 0o777, 0o600);
});

test("work folders of processes that ended are removed on the next ingest; a running process's stay", () => {
  const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = join(dir, `flowlens-ingest-${ended.stdout}-left`);
  const live = join(dir, `flowlens-ingest-${process.pid}-mine`);
  mkdirSync(dead);
  mkdirSync(live);
  enrichedDataset(dir, 'clean.duckdb');
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(live), true);
});

test('the redaction of a secret stops at the end of its line', () => {
  assert.equal(redact('aws_session_token =\nregion = us-east-1'), 'aws_session_token =\nregion = us-east-1');
  assert.equal(redact('aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE\nregion = us-east-1'), 'aws_session_token = [redacted]\nregion = us-east-1');
  assert.equal(redact('"SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE"'), '"SessionToken": "[redacted]"');
});
