/**
 * An append's commit on hand-made facts (the real SQL on a real DuckDB; the facts taken back and made again written
 * by hand, as pull.sql and facts.sql leave them): facts the same in every column, NULLs among them, facts alike in every
 * column taken back and made again a different number of times, a fact changed, one gone and one new.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/core/store/db';
import { ensureSchema, WINDOW_TABLES } from '../../src/core/store/schema';
import { installMacros } from '../../src/core/enrich/macros';
import { FACTS_DIFFERENCE_SQL, commitSql } from '../../src/core/enrich/conversations';
import { WINDOW_DELTA_SQL, windowsAnewSql } from '../../src/core/enrich/windows';

const T = 1790000040;

/** A fact row: its minute, client port (NULL: a reduced fact of 3 client ports), bytes up; the rest fixed. */
const fact = (m: number, port: number | null, up: number) => `SELECT ${T + m * 60} AS start, ${T + m * 60 + 50} AS "end",
  fl_ts(${T + m * 60}) AS window_start, 6 AS protocol, false AS rejected, '10.0.0.1' AS client_addr, ${port ?? 'NULL'}::INTEGER AS client_port,
  1 AS client_ep, '10.0.0.2' AS server_addr, 443 AS server_port, 2 AS server_ep, ${up} AS uploaded, 7 AS downloaded,
  ${port === null ? 3 : 'NULL'}::INTEGER AS client_ports, 1 AS records, 1 AS observer`;

test('the commit deletes the facts taken back that differ from the new ones and writes the new ones that differ: the same multiset of facts, the same rows for those that came out the same, the windows given the difference', async () => {
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    await installMacros(db);
    const rows = (xs: string[]) => xs.join(' UNION ALL ');
    // stored: a (reduced: no client port), b twice (alike in every column), c, e and f
    await db.exec(`INSERT INTO conversation_facts BY NAME ${rows([fact(0, null, 10), fact(1, 1, 20), fact(1, 1, 20), fact(2, 2, 30), fact(3, 3, 40), fact(4, 4, 50)])};
      ${windowsAnewSql('conversation_facts')}
      ${WINDOW_TABLES.map((t) => `INSERT INTO ${t}_facts SELECT * FROM ${t}_facts_next; DROP TABLE ${t}_facts_next;`).join('\n')}`);
    // taken back: all but e; made again: a and b the same (b once), c with other bytes, f not, and d (new) twice
    await db.exec(`CREATE TEMP TABLE fl_pulled_all AS SELECT rowid AS frid, * FROM conversation_facts WHERE start <> ${T + 180};
      CREATE TEMP TABLE fl_facts_new AS SELECT * FROM conversation_facts LIMIT 0;
      INSERT INTO fl_facts_new BY NAME ${rows([fact(0, null, 10), fact(1, 1, 20), fact(2, 2, 31), fact(5, 5, 60), fact(5, 5, 60)])};
      CREATE TEMP TABLE fl_endpoints AS FROM endpoints;
      CREATE TEMP TABLE fl_observer AS SELECT obs, eni AS interface_id, vpc AS obs_vpc, true AS new FROM observers;
      CREATE TEMP TABLE expected AS (FROM conversation_facts EXCEPT ALL SELECT * EXCLUDE (frid) FROM fl_pulled_all) UNION ALL FROM fl_facts_new;
      CREATE TEMP TABLE rows_before AS SELECT rowid AS rid, * FROM conversation_facts`);
    await db.exec(FACTS_DIFFERENCE_SQL);
    await db.exec(WINDOW_DELTA_SQL);
    await db.transaction(() => db.exec(commitSql('append')));
    const [d] = await db.json(`SELECT (SELECT count(*) FROM (FROM expected EXCEPT ALL FROM conversation_facts)) AS missing,
      (SELECT count(*) FROM (FROM conversation_facts EXCEPT ALL FROM expected)) AS extra, (SELECT count(*) FROM conversation_facts) AS n`);
    assert.deepEqual(d, { missing: 0, extra: 0, n: 6 });
    // a, one b and e (not taken back) are the rows they were; the other b, c and f are gone; c changed and d twice written
    assert.deepEqual(await db.json(`SELECT (start - ${T}) // 60 AS m, uploaded FROM (SELECT rowid AS rid, * FROM conversation_facts INTERSECT ALL FROM rows_before) ORDER BY rid`),
      [{ m: 0, uploaded: 10 }, { m: 1, uploaded: 20 }, { m: 3, uploaded: 40 }]);
    // the windows: as if made anew from the facts
    await db.exec(windowsAnewSql('conversation_facts'));
    for (const t of WINDOW_TABLES) {
      const [w] = await db.json(`SELECT (SELECT count(*) FROM (FROM ${t}_facts EXCEPT ALL FROM ${t}_facts_next)) AS missing,
        (SELECT count(*) FROM (FROM ${t}_facts_next EXCEPT ALL FROM ${t}_facts)) AS extra`);
      assert.deepEqual(w, { missing: 0, extra: 0 }, t);
    }
  } finally {
    db.close();
  }
});
