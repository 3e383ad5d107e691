/**
 * SQL macros (macros.sql): address arithmetic (DuckDB's `inet` extension cannot be installed offline, so
 * addresses become integers in plain SQL) and the enrichment's small expressions; and, made here from the code
 * lists in store/schema.ts (the one place they are written), a macro per stored code: `fl_code_egress_path('same-vpc')`.
 */
import type { Db } from '../store/db';
import { EGRESS_PATHS, OBSERVER_SIDES, ORIENTATIONS, encode } from '../store/schema';
import { installDefinitions } from '../store/definitions';
import MACROS_SQL from './macros.sql';

const CODES = { observer_side: OBSERVER_SIDES, orientation: ORIENTATIONS, egress_path: EGRESS_PATHS };

/** `fl_code_<name>(x)`: the stored code of a text value (see encode). */
const CODE_MACROS_SQL = Object.entries(CODES)
  .map(([name, xs]) => `CREATE OR REPLACE MACRO fl_code_${name}(x) AS ${encode(xs, 'x')};`).join('\n');

export async function installMacros(db: Db): Promise<void> {
  await installDefinitions(db, 'macros', `${MACROS_SQL}\n${CODE_MACROS_SQL}`);
}
