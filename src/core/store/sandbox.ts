/**
 * What SQL a user types (`flowlens sql`, notebook cells) may touch. The dataset is opened read-only unless writes
 * are asked for; DuckDB's external access is switched off except for one export folder the user chose
 * (`allowed_directories`, then `enable_external_access = false` and `lock_configuration = true`, so no statement
 * can widen it again); INSTALL and LOAD are refused before they run, because the product downloads and loads
 * nothing without consent. The dataset's own folder is not opened: a COPY there could replace the dataset or its WAL.
 *
 * DuckDB's sandbox alone does not protect the dataset: it always allows the open database's own files (the file,
 * its .wal, .wal.checkpoint, .wal.recovery, symbolic links resolved), so `COPY ... TO '<dataset>.wal'` or
 * `TO '<dataset>' (USE_TMP_FILE false)` would overwrite them even read-only (measured with DuckDB 1.5.6). So the
 * statements that write files are checked here before they run: ATTACH, DETACH, EXPORT DATABASE and COPY FROM
 * DATABASE are refused; a COPY ... TO runs alone, names its file as a plain quoted literal inside the export
 * folder, and may not turn off DuckDB's temporary file.
 */
import { realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { Db } from './db';
import { DEFAULT_MEMORY_LIMIT } from '../memory';

export interface UserSqlAccess {
  /** Statements may change the dataset (notebook cells with writes turned on). Default: read-only. */
  allowWrites?: boolean;
  /** The one folder SQL may read files from and COPY to; none when undefined. */
  exportDir?: string;
  memoryLimit?: string;
  /** DuckDB's threads (default: one a core). */
  threads?: number;
  /** Another instance of this process has the dataset open (OpenOptions.second). */
  second?: boolean;
}

/** A user-facing refusal (the CLI exits 2 with it, the notebook shows it in the cell). */
export class SqlRefused extends Error {}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** True when `inner` is `outer` or lies inside it (both resolved through symbolic links). */
function within(inner: string, outer: string): boolean {
  const a = real(inner);
  const b = real(outer);
  return a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
}

/** The export folder, resolved; refused when it holds the dataset (a COPY there could overwrite it or its WAL). */
export function checkExportDir(datasetPath: string, exportDir: string): string {
  const dir = real(exportDir);
  if (within(dirname(real(datasetPath)), dir)) {
    throw new SqlRefused(`the export folder ${exportDir} holds the dataset ${datasetPath}: choose a folder beside it, so that no COPY can overwrite the dataset or its WAL`);
  }
  return dir;
}

/** Opens a dataset for user SQL with the access described above. */
export async function openForUserSql(path: string, access: UserSqlAccess = {}): Promise<Db> {
  const dirs = access.exportDir ? [checkExportDir(path, access.exportDir)] : [];
  return Db.open(path, {
    memoryLimit: access.memoryLimit || DEFAULT_MEMORY_LIMIT,
    readOnly: !access.allowWrites,
    sandbox: { allowedDirectories: dirs.map((d) => join(d, sep)) },
    ...(access.threads ? { threads: access.threads } : {}),
    ...(access.second ? { second: true } : {}),
  });
}

const EXTENSION_STATEMENTS = new Set<number>([StatementType.LOAD, StatementType.UPDATE_EXTENSIONS, StatementType.EXTENSION]);

const REFUSED = new Map<number, string>([
  [StatementType.ATTACH, 'ATTACH and DETACH are refused: SQL here works on the open dataset only'],
  [StatementType.DETACH, 'ATTACH and DETACH are refused: SQL here works on the open dataset only'],
  [StatementType.EXPORT, 'EXPORT DATABASE is refused: COPY a query into the export folder, or use flowlens export'],
  [StatementType.COPY_DATABASE, 'COPY FROM DATABASE is refused: SQL here works on the open dataset only'],
]);

/** Where a checked statement may write: the export folder (resolved), or nowhere. */
interface Scope {
  exportDir?: string;
  statements: number;
}

function check(statement: DuckDBPreparedStatement, sql: string, scope: Scope): void {
  const type = statement.statementType;
  if (EXTENSION_STATEMENTS.has(type)) {
    throw new SqlRefused('INSTALL and LOAD are refused: Flowlens downloads and loads no DuckDB extension without your consent');
  }
  const refused = REFUSED.get(type);
  if (refused) throw new SqlRefused(refused);
  if (type === StatementType.COPY) checkCopy(sql, scope);
}

/** A COPY ... TO writes only a plain file name inside the export folder; COPY ... FROM (a read) passes. */
function checkCopy(sql: string, scope: Scope): void {
  const target = copyTarget(sql);
  if (target === undefined) return;
  if (!scope.exportDir) throw new SqlRefused('COPY ... TO needs an export folder (flowlens sql --export-dir <folder>; in the editor, the flowlens.exportFolder setting)');
  if (scope.statements > 1) throw new SqlRefused('COPY ... TO runs as a statement of its own');
  if (target === null) {
    throw new SqlRefused("COPY ... TO takes its file as a plain quoted name ('out.csv'), without $, comments or the USE_TMP_FILE option");
  }
  const file = resolve(target);
  const folder = real(dirname(file));
  if (!within(folder, scope.exportDir)) throw new SqlRefused(`COPY ... TO writes only inside the export folder ${scope.exportDir}, not ${target}`);
}

/**
 * The file a COPY statement writes: undefined when it writes none (COPY ... FROM), null when it cannot be told
 * for sure (an expression, an escape string, a $-quote, a comment, USE_TMP_FILE): such statements are refused.
 */
export function copyTarget(sql: string): string | undefined | null {
  const tokens: { word?: string; str?: string; depth: number; glued: boolean }[] = [];
  let depth = 0;
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if ((c === '/' && sql[i + 1] === '*') || c === '$') {
      return null;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length) return null;
        if (sql[j] === c && sql[j + 1] === c) {
          text += c;
          j += 2;
        } else if (sql[j] === c) break;
        else text += sql[j++];
      }
      const glued = i > 0 && /[A-Za-z0-9_&]/.test(sql[i - 1]);
      tokens.push(c === "'" ? { str: text, depth, glued } : { word: text.toLowerCase(), depth, glued });
      i = j + 1;
    } else if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1;
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j])) j++;
      tokens.push({ word: sql.slice(i, j).toLowerCase(), depth, glued: false });
      i = j;
    } else {
      i++;
    }
  }
  if (tokens.some((t) => t.word === 'use_tmp_file')) return null;
  const to = tokens.map((t, i) => (t.depth === 0 && t.word === 'to' ? i : -1)).filter((i) => i >= 0);
  if (to.length === 0) return undefined;
  const next = tokens[to[0] + 1];
  if (to.length > 1 || !next || next.str === undefined || next.depth !== 0 || next.glued) return null;
  return next.str;
}

/**
 * Runs every statement of `sql` but the last, each checked before it runs, and returns the last one prepared
 * (checked, not yet run) for the caller to bind and run or stream. Statements are prepared one at a time, so a
 * later statement may use what an earlier one made.
 */
export async function prepareUserSql(conn: DuckDBConnection, sql: string, exportDir?: string): Promise<DuckDBPreparedStatement> {
  const statements = await conn.extractStatements(sql);
  const scope: Scope = { exportDir: exportDir ? real(exportDir) : undefined, statements: statements.count };
  for (let i = 0; i < statements.count - 1; i++) {
    const p = await statements.prepare(i);
    try {
      check(p, sql, scope);
      await p.run();
    } finally {
      p.destroySync();
    }
  }
  const last = await statements.prepare(statements.count - 1);
  try {
    check(last, sql, scope);
  } catch (err) {
    last.destroySync();
    throw err;
  }
  return last;
}
