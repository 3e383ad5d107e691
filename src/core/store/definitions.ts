/**
 * SQL that defines a dataset's views and macros (`CREATE OR REPLACE VIEW|MACRO …`), run when a dataset is opened
 * for writing and before an enrichment. Running it again when the dataset already holds what it makes cost
 * 0.15–0.3 s of every open (the security-group views and macros alone): it is skipped when the text's hash is
 * the one kept in meta and every view it names is there. Another text (a newer or older Flowlens), or one of its
 * views dropped, and it runs again. (Its macros are not looked for: duckdb_functions() lists every built-in
 * function, 30–100 ms; a macro goes only by a DROP MACRO of its own.)
 */
import { createHash } from 'node:crypto';
import type { Db } from './db';

const SET_META = `INSERT INTO meta VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

const viewNames = (sql: string) => [...new Set([...sql.matchAll(/CREATE OR REPLACE VIEW (\w+)/g)].map((m) => m[1]!.toLowerCase()))];

const inList = (xs: string[]) => (xs.length ? xs.map((x) => `'${x}'`).join(', ') : 'NULL');

/** Runs `sql` unless the dataset holds what it defines already (meta key `definitions:<name>`). */
export async function installDefinitions(db: Db, name: string, sql: string): Promise<void> {
  const key = `definitions:${name}`;
  const hash = createHash('sha256').update(sql).digest('hex');
  const views = viewNames(sql);
  const [held] = await db.all<{ stored: string | null; views: bigint }>(`SELECT
      (SELECT value FROM meta WHERE key = $k) AS stored,
      (SELECT count(DISTINCT view_name) FROM duckdb_views() WHERE NOT temporary AND database_name = current_database()
         AND view_name IN (${inList(views)})) AS views`, { k: key });
  if (held && held.stored === hash && Number(held.views) === views.length) return;
  await db.exec(sql);
  await db.exec(SET_META, { k: key, v: hash });
}
