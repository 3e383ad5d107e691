import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/core/store/db';
import { RowAppender, type ColType } from '../../src/core/inventory/util';

const COLS: [string, ColType][] = [['id', 'INTEGER'], ['name', 'VARCHAR'], ['seen', 'TIMESTAMP']];

test('one appender across batches: every row of every batch lands, once, at close', async () => {
  const db = await Db.open(':memory:');
  try {
    await db.exec(`CREATE TABLE t (id INTEGER, name VARCHAR, seen TIMESTAMP, extra VARCHAR DEFAULT 'd')`);
    await db.transaction(async () => {
      const w = new RowAppender(db, 't', COLS);
      for (let b = 0; b < 5; b++) {
        await w.append(Array.from({ length: 3_000 }, (_, i) => ({ id: b * 3_000 + i, name: `n${i}`, seen: '2026-01-01 00:00:00' })));
      }
      w.close();
    });
    const r = await db.all<{ n: bigint; d: bigint; e: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS d, any_value(extra) AS e FROM t`);
    assert.deepEqual(r.map((x) => [Number(x.n), Number(x.d), x.e]), [[15_000, 15_000, 'd']]);
  } finally {
    db.close();
  }
});

test('a rebuild that fails half-way leaves nothing behind: the appender drops what it buffers and the transaction rolls back', async () => {
  const db = await Db.open(':memory:');
  try {
    await db.exec(`CREATE TABLE t (id INTEGER, name VARCHAR, seen TIMESTAMP); INSERT INTO t VALUES (-1, 'kept', '2025-01-01')`);
    await assert.rejects(
      db.transaction(async () => {
        const w = new RowAppender(db, 't', COLS);
        try {
          await w.append([{ id: 1, name: 'a', seen: '2026-01-01 00:00:00' }]);
          await w.append([{ id: 2, name: 'b', seen: 'not a time' }]);
        } catch (e) {
          w.discard();
          throw e;
        }
        w.close();
      }),
      /not a timestamp: not a time/,
    );
    // and nothing lands later either (an appender closed after the rollback would append on its own)
    await db.exec(`CHECKPOINT`);
    assert.deepEqual(await db.all(`SELECT id, name FROM t ORDER BY id`), [{ id: -1, name: 'kept' }]);
  } finally {
    db.close();
  }
});
