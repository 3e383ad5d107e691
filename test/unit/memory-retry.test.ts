/**
 * A read-only query that runs out of DuckDB's memory budget runs once more on one thread (src/core/memory.ts): each
 * thread builds hash tables of its own; at 100 M records sg-unused-rules runs out on two threads and answers on one.
 * A real DuckDB database; the query is a function that fails as DuckDB does when out of its budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../src/core/api';
import { onOneThreadIfOutOfMemory } from '../../src/core/memory';
import type { Db } from '../../src/core/store/db';

const OOM = 'Out of Memory Error: failed to pin block of size 256.0 KiB (476.6 MiB/476.8 MiB used)';
const threadsOf = async (db: Db) => Number(await db.value<bigint>(`SELECT current_setting('threads')`));
const retried = (db: Db, run: () => Promise<number>) =>
  onOneThreadIfOutOfMemory(run, () => threadsOf(db), (n) => db.exec(`SET threads = ${n}`));

test('out of memory on two threads: run again on one, and the thread count is put back', async () => {
  const db = await openDataset(':memory:');
  try {
    await db.exec('SET threads = 2');
    const seen: number[] = [];
    const answer = await retried(db, async () => {
      seen.push(await threadsOf(db));
      if (seen.length === 1) throw new Error(OOM);
      return 17;
    });
    assert.equal(answer, 17);
    assert.deepEqual(seen, [2, 1], 'the second run was on one thread');
    assert.equal(await threadsOf(db), 2, 'put back');
  } finally {
    db.close();
  }
});

test('out of memory on one thread too, or another error: the error as it was, the thread count put back', async () => {
  const db = await openDataset(':memory:');
  try {
    await db.exec('SET threads = 2');
    let runs = 0;
    await assert.rejects(retried(db, async () => { runs++; throw new Error(OOM); }), { message: OOM });
    assert.equal(runs, 2);
    assert.equal(await threadsOf(db), 2);
    runs = 0;
    await assert.rejects(retried(db, async () => { runs++; throw new Error('Binder Error: column "x" not found'); }), /Binder Error/);
    assert.equal(runs, 1, 'no second run for another error');
    await db.exec('SET threads = 1');
    runs = 0;
    await assert.rejects(retried(db, async () => { runs++; throw new Error(OOM); }), { message: OOM });
    assert.equal(runs, 1, 'already on one thread: nothing to gain');
  } finally {
    db.close();
  }
});
