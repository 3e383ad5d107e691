/**
 * SQL macros for address arithmetic (macros.sql): DuckDB's `inet` extension cannot be installed offline, so
 * addresses become integers in plain SQL.
 */
import type { Db } from '../store/db';
import MACROS_SQL from './macros.sql';

export async function installMacros(db: Db): Promise<void> {
  await db.exec(MACROS_SQL);
}
