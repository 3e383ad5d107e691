/**
 * SQL that defines a dataset's views, macros and derived tables (`CREATE OR REPLACE VIEW|MACRO|TABLE …`), run when a
 * dataset is opened for writing and in an enrichment. Running it again when the dataset already holds what it makes
 * cost 0.15–0.3 s of every open (the security-group views and macros alone): it is skipped when the hash of the
 * text (and of `basis`, what its tables are made from) is the one kept in meta and every view and table it names is
 * there. Another text (a newer or older Flowlens), another basis, or one of its views or tables dropped, and it runs
 * again. (Its macros are not looked for: duckdb_functions() lists every built-in function, 30–100 ms; a macro goes
 * only by a DROP MACRO of its own.)
 */
import { createHash } from 'node:crypto';
import { lit, type Db } from './db';
import { setMeta } from './meta';

const named = (sql: string, kind: 'VIEW' | 'TABLE') =>
  [...new Set([...sql.matchAll(new RegExp(`CREATE OR REPLACE ${kind} (\\w+)`, 'g'))].map((m) => m[1]!.toLowerCase()))];

const inList = (xs: string[]) => (xs.length ? xs.map(lit).join(', ') : 'NULL');

/** Runs `sql` unless the dataset holds what it defines already (meta key `definitions:<name>`). */
export async function installDefinitions(db: Db, name: string, sql: string, basis = ''): Promise<void> {
  const key = `definitions:${name}`;
  const hash = createHash('sha256').update(sql).update('\0').update(basis).digest('hex');
  const views = named(sql, 'VIEW');
  const tables = named(sql, 'TABLE');
  const [held] = await db.all<{ stored: string | null; views: bigint; tables: bigint }>(`SELECT
      (SELECT value FROM meta WHERE key = $k) AS stored,
      (SELECT count(DISTINCT view_name) FROM duckdb_views() WHERE NOT temporary AND database_name = current_database()
         AND view_name IN (${inList(views)})) AS views,
      (SELECT count(DISTINCT table_name) FROM duckdb_tables() WHERE NOT temporary AND database_name = current_database()
         AND table_name IN (${inList(tables)})) AS tables`, { k: key });
  if (held && held.stored === hash && Number(held.views) === views.length && Number(held.tables) === tables.length) return;
  await db.exec(sql);
  await setMeta(db, key, hash);
}
