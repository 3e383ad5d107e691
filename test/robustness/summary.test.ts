/**
 * Issue 10, item 1: the per-file summary is printed even when a later step fails (here: the rebuild, cancelled
 * with Ctrl-C once it has started). A real CLI process and a real signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import { CLI, flowlens, HEADER, record, writeFlowLog } from './fixture';

test('the per-file summary is printed when the rebuild after the ingest fails', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-summary-'));
  try {
    const child = spawn(process.execPath, [CLI, 'enrich', '--sample', '--days', '2', '--db', join(dir, 's.duckdb')], { cwd: dir, env: { ...process.env, TMPDIR: dir } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/\[enrich\] attributing flows/.test(stderr) && !sent) sent = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /cancelling: the dataset keeps what was complete\nflowlens: cancelled\n$/);
    assert.match(stdout, /^.*s\.duckdb: [\d,]+ flow records loaded from \d+ files before the failure\n/);
    const [, records, files] = /: ([\d,]+) flow records loaded from (\d+) files/.exec(stdout)!;
    assert.ok(Number(files) > 100 && Number(records.replace(/,/g, '')) > 1000, stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files read without a record in them are said, five named and the rest counted; the records of the others load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-summary-'));
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFlowLog(join(flows, 'a.log'), [record()]);
    // a header and no record, each of another format (the same content twice would be one file, loaded before)
    const extra = ['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'region', 'az-id'];
    const empty = extra.map((_, i) => join(flows, `e${i + 1}.log`));
    empty.forEach((e, i) => writeFileSync(e, `${HEADER} ${extra[i]}\n`));
    const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', join(dir, 'd.duckdb'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.replace(/, [\d.]+ s\n/, ', … s\n'), `${join(dir, 'd.duckdb')}: 1 flow record from 8 files, 1 conversation, … s\n`
      + empty.slice(0, 5).map((e) => `  ${e}: no records in the file\n`).join('')
      + '  2 more files with no records\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Parquet file whose column holds values of another type fails alone, named once, with the column; the other file loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-summary-'));
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFlowLog(join(flows, 'a.log'), [record()]);
    const bad = join(flows, 'text-ports.parquet');
    const scratch = await openDataset(join(dir, 'scratch.duckdb'));
    try {
      await scratch.exec(`COPY (SELECT 2 AS version, '111111111111' AS account_id, 'eni-0a0000000000000a1' AS interface_id, '10.0.1.10' AS srcaddr,
        '10.0.2.20' AS dstaddr, 'abc' AS srcport, 8080 AS dstport, 6 AS protocol, 10::BIGINT AS packets, 100::BIGINT AS bytes,
        1790000040::BIGINT AS start, 1790000099::BIGINT AS "end", 'ACCEPT' AS action, 'OK' AS log_status) TO '${bad}' (FORMAT parquet)`);
    } finally {
      scratch.close();
    }
    const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', join(dir, 'd.duckdb'));
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.replace(/, [\d.]+ s\n/, ', … s\n'), `${join(dir, 'd.duckdb')}: 1 flow record from 1 file, 1 conversation, … s\n`
      + `  failed: ${bad} cannot be loaded: Conversion Error: Could not convert string 'abc' to INT32 when casting from source column srcport\n`);
    assert.equal(r.stderr.split('\n').at(-2), 'flowlens: 1 file failed to load (the others loaded); --allow-partial accepts that');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
