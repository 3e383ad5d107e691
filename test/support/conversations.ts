/**
 * Hand-made conversations for tests that need a dataset without running the enrichment: rows in the shape
 * of the `conversations` view go into a temp table, and are then stored as the enrichment stores them
 * (endpoints + conversation_facts), so the views read them back unchanged.
 */
import type { Db } from '../../src/core/store/db';
import { EGRESS_PATHS, OBSERVER_SIDES, ORIENTATIONS, WINDOW_TABLES, encode } from '../../src/core/store/schema';
import { windowsAnewSql } from '../../src/core/enrich/windows';

export const WIDE_TABLE = 'test_wide_conversations';

/** Creates the (temp) table to insert conversation rows into, with every column of the view. */
export async function createWideConversations(db: Db): Promise<void> {
  await db.exec(`CREATE OR REPLACE TEMP TABLE ${WIDE_TABLE} AS SELECT * FROM conversations LIMIT 0`);
}

const SIDE = ['eni', 'arn', 'type', 'kind', 'vpc', 'subnet', 'az', 'account', 'region', 'aws_service', 'node'];

/** Stores the rows of the wide table as endpoints, facts and windows (replacing what was there). */
export async function storeWideConversations(db: Db): Promise<void> {
  const pick = (side: string) => SIDE.map((c) => `${side}_${c} AS ${c}`).join(', ');
  const same = (e: string, side: string) => SIDE.map((c) => `${e}.${c} IS NOT DISTINCT FROM w.${side}_${c}`).join(' AND ');
  await db.exec(`
    DELETE FROM endpoints; DELETE FROM conversation_facts; DELETE FROM observers;
    INSERT INTO endpoints (ep, ${SIDE.join(', ')})
    SELECT row_number() OVER ()::INTEGER, * FROM (SELECT ${pick('client')} FROM ${WIDE_TABLE} UNION SELECT ${pick('server')} FROM ${WIDE_TABLE});
    INSERT INTO observers SELECT row_number() OVER ()::INTEGER, eni, NULL FROM (SELECT DISTINCT observer_eni AS eni FROM ${WIDE_TABLE});
    INSERT INTO conversation_facts BY NAME
    SELECT w.start, w."end", w.window_start, w.protocol, w.action = 'REJECT' AS rejected,
      w.client_addr, w.client_port, c.ep AS client_ep, w.client_rfc1918, w.server_addr, w.server_port, s.ep AS server_ep, w.server_rfc1918,
      w.uploaded, w.downloaded, w.packets_up, w.packets_down, w.records, o.obs AS observer,
      ${encode(OBSERVER_SIDES, 'w.observer_side')} AS observer_side, ${encode(ORIENTATIONS, 'w.orientation')} AS orientation,
      ${encode(EGRESS_PATHS, 'w.egress_path')} AS egress_path
    FROM ${WIDE_TABLE} w JOIN endpoints c ON ${same('c', 'client')} JOIN endpoints s ON ${same('s', 'server')}
    LEFT JOIN observers o ON o.eni IS NOT DISTINCT FROM w.observer_eni;`);
  await db.exec(windowsAnewSql('conversation_facts'));
  for (const t of WINDOW_TABLES) await db.exec(`DELETE FROM ${t}_facts; INSERT INTO ${t}_facts FROM ${t}_facts_next; DROP TABLE ${t}_facts_next;`);
}
