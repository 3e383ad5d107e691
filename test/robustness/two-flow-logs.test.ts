/**
 * One interface logged by two flow logs (a VPC's flow log to S3 beside an interface's, say): the same traffic arrives
 * twice, in files whose names say which flow log they are from. One flow log's records are counted where both log
 * the same time, the other's are left out and said so; nothing is counted twice, in one run or across runs, and a
 * later file of the flow log left out that meets nothing counted is counted. Real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Follower, openDataset } from '../../src/core/api';
import { fingerprint, flowlens, HEADER, record, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-two-logs-', (d) => (dir = d));

const A = 'fl-0aaaaaaaaaaaaaaa1';
const B = 'fl-0bbbbbbbbbbbbbbb2';
/** S3's object name for a flow log's file. */
const s3Name = (flowLog: string, hash: string) => `111111111111_vpcflowlogs_us-east-1_${flowLog}_20260922T0000Z_${hash}.log`;
/** The request and its answer, as the fixture's instance a logs them; `shift` moves them later. */
const pair = (shift = 0) => [
  record({ start: 1790000040 + shift, end: 1790000099 + shift }),
  record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332, start: 1790000040 + shift, end: 1790000099 + shift }),
];
/** Flow log A: the default format. */
const writeA = (folder: string, hash: string, shift = 0) => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, s3Name(A, hash)), [HEADER, ...pair(shift)].join('\n') + '\n');
};
/** Flow log B: the same traffic in a format with one more field (tcp-flags). */
const writeB = (folder: string, hash: string, shift = 0) => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, s3Name(B, hash)), [`${HEADER} tcp-flags`, ...pair(shift).map((l, i) => `${l} ${i === 0 ? 2 : 18}`)].join('\n') + '\n');
};
const warning = (left: string, counted: string) =>
  `  flow logs: eni-0a0000000000000a1 is logged by more than one flow log: 2 records of ${left} from 2026-09-21 14:14Z to 2026-09-21 14:14Z were left out where ${counted} logs the same time, so that its traffic counts once\n`;

test('two flow logs on one interface in one run: the better one (more fields) counted, the other left out and said', async () => {
  const flows = join(dir, 'both');
  writeA(flows, 'aaaa');
  writeB(flows, 'bbbb');
  const db = join(dir, 'both.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(warning(A, B)), r.stdout);
  // both files' records are loaded; the conversation counts them once (4,249 up, 332 down), not twice
  assert.deepEqual(await fingerprint(db), { files: 2, records: 4, bytes: '9162', packets: '30', conversations: 1, uploaded: '4581', windows: 1 });
});

test('the second flow log loaded later: what was counted stays, the copy is left out; a later file of it that meets nothing is counted; forgetting the first counts the second', async () => {
  const inv = writeInventory(dir);
  const db = join(dir, 'later.duckdb');
  writeA(join(dir, 'a'), 'aaaa');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', join(dir, 'a'), '--inventory', inv, '--db', db, '--quiet').code, 0);
  const first = await fingerprint(db);
  assert.deepEqual(first, { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });

  // B arrives: it has more fields, but A's facts are made: A stays counted (the first loaded)
  writeB(join(dir, 'b'), 'bbbb');
  const r = flowlens(dir, 'enrich', '--flow-logs', join(dir, 'b'), '--db', db);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(warning(B, A)), r.stdout);
  assert.deepEqual(await fingerprint(db), { ...first, files: 2, records: 4, bytes: '9162', packets: '30' });
  // and again: nothing new, nothing changes
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', join(dir, 'b'), '--db', db, '--quiet').code, 0);
  assert.deepEqual(await fingerprint(db), { ...first, files: 2, records: 4, bytes: '9162', packets: '30' });

  // an hour later only B logs: counted (a second conversation-minute of the same 5-tuple)
  writeB(join(dir, 'b2'), 'cccc', 3600);
  const later = flowlens(dir, 'enrich', '--flow-logs', join(dir, 'b2'), '--db', db);
  assert.equal(later.code, 0, later.stderr);
  assert.doesNotMatch(later.stdout, /flow logs:/);
  assert.deepEqual(await fingerprint(db), { files: 3, records: 6, bytes: '13743', packets: '45', conversations: 2, uploaded: '9162', windows: 2 });

  // A forgotten: every record enriched anew, B's first file counted now
  const f = flowlens(dir, 'forget', join(dir, 'a', s3Name(A, 'aaaa')), '--db', db);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(await fingerprint(db), { files: 2, records: 4, bytes: '9162', packets: '30', conversations: 2, uploaded: '9162', windows: 2 });
});

test('following a folder: a cycle that loads the second flow log says whose records it left out, and counts them once', async () => {
  const logs = join(dir, 'followed');
  writeA(logs, 'aaaa');
  const path = join(dir, 'followed.duckdb');
  const db = await openDataset(path);
  try {
    const f = new Follower({ source: { kind: 'files', flowLogs: [logs], inventory: [writeInventory(dir)] } }, 0);
    const first = await f.cycle(db);
    assert.deepEqual([first.fetched, first.issues], [1, []]);
    writeB(logs, 'bbbb');
    const second = await f.cycle(db);
    assert.deepEqual([second.fetched, second.records, second.conversations], [1, 2, 1]);
    assert.deepEqual(second.issues, [warning(B, A).replace(/^  flow logs: /, '').replace(/\n$/, '')]);
  } finally {
    db.close();
  }
  assert.deepEqual(await fingerprint(path), { files: 2, records: 4, bytes: '9162', packets: '30', conversations: 1, uploaded: '4581', windows: 1 });
});

test('two flow logs on several interfaces: one line for them all, naming the first three', async () => {
  const flows = join(dir, 'several');
  mkdirSync(flows, { recursive: true });
  // the same request and answer logged at both ends (a1 and b2), by both flow logs
  const both = (lines: string[]) => [...lines, ...lines.map((l) => l.replace('eni-0a0000000000000a1', 'eni-0a0000000000000b2'))];
  writeFileSync(join(flows, s3Name(A, 'aaaa')), [HEADER, ...both(pair())].join('\n') + '\n');
  writeFileSync(join(flows, s3Name(B, 'bbbb')), [`${HEADER} tcp-flags`, ...both(pair()).map((l, i) => `${l} ${i % 2 === 0 ? 2 : 18}`)].join('\n') + '\n');
  const db = join(dir, 'several.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`  flow logs: 2 interfaces (eni-0a0000000000000a1, eni-0a0000000000000b2) are logged by more than one flow log: 4 records of ${A} `
    + `from 2026-09-21 14:14Z to 2026-09-21 14:14Z were left out where ${B} logs the same time, so that their traffic counts once\n`), r.stdout);
  assert.equal(r.stdout.match(/flow logs:/g)?.length, 1);
  // counted once: the client's interface's records (4,249 up, 332 down)
  assert.deepEqual(await fingerprint(db), { files: 2, records: 8, bytes: '18324', packets: '60', conversations: 1, uploaded: '4581', windows: 1 });
});
