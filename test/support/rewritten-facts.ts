/**
 * What an append did to the stored facts, row by row: a fact that comes out of it the same (every column) should
 * stay the row it was, not be deleted and written again. DuckDB gives a written row a new rowid, and the checkpoint
 * after the commit compacts a row group a delete left holes in (giving every row after the hole a new rowid), unless
 * another connection's transaction is open: the append runs with one open.
 */
import type { Db } from '../../src/core/store/db';

export interface FactRows {
  /** stored facts the same before and after */
  same: number;
  /** of them, still in the row they were in */
  kept: number;
  /** of `same`, those of a conversation (5-tuple) the append changed or added a fact of: taken back, and made again the same */
  touched: number;
}

/** Runs `append` on db and says which stored facts came out the same, and kept their rows. */
export async function factRows(db: Db, append: () => Promise<unknown>): Promise<FactRows> {
  await db.exec('CREATE OR REPLACE TEMP TABLE test_facts_before AS SELECT rowid AS rid, * FROM conversation_facts');
  const reader = await db.connect();
  try {
    await reader.run('BEGIN TRANSACTION');
    await reader.run('SELECT count(*) FROM conversation_facts');
    await append();
  } finally {
    await reader.run('COMMIT').catch(() => undefined);
    reader.closeSync();
  }
  await db.exec('CREATE OR REPLACE TEMP TABLE test_facts_after AS SELECT rowid AS rid, * FROM conversation_facts');
  const [r] = await db.json<{ same: number; kept: number; touched: number }>(`
    WITH same AS (SELECT * EXCLUDE (rid) FROM test_facts_before INTERSECT ALL SELECT * EXCLUDE (rid) FROM test_facts_after),
    changed AS (SELECT DISTINCT protocol, client_addr, client_port, server_addr, server_port
      FROM (SELECT * EXCLUDE (rid) FROM test_facts_after EXCEPT ALL SELECT * EXCLUDE (rid) FROM test_facts_before))
    SELECT (SELECT count(*) FROM same) AS same,
      (SELECT count(*) FROM (SELECT * FROM test_facts_before INTERSECT ALL SELECT * FROM test_facts_after)) AS kept,
      (SELECT count(*) FROM same s SEMI JOIN changed c USING (protocol, client_addr, client_port, server_addr, server_port)) AS touched`);
  await db.exec('DROP TABLE test_facts_before; DROP TABLE test_facts_after');
  return { same: Number(r.same), kept: Number(r.kept), touched: Number(r.touched) };
}
