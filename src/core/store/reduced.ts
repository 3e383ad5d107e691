/**
 * Reduced rows: what an Athena reduction returns (aws/athena-reduction.sql), one row per observer interface,
 * client address, server address, server port, protocol, action and window, stored as they came (they exist
 * nowhere else here) and enriched as facts: the enrichment reads the pending ones (loaded after its watermark)
 * beside the pending flow records (enrich/reduced-sums.sql), and an enrichment from the start reads them all.
 * A result is loaded like a file (flowlogs/reduced.ts).
 */
import { REDUCED_COLUMNS } from '../aws/athenaReduction';

export const REDUCED_TABLE = 'athena_reduced';
export const REDUCED_READER = 'athena-reduced';

export const REDUCED_TYPES: Record<(typeof REDUCED_COLUMNS)[number], string> = {
  interface_id: 'VARCHAR', vpc_id: 'VARCHAR', client_addr: 'VARCHAR', server_addr: 'VARCHAR', server_port: 'INTEGER',
  protocol: 'INTEGER', action: 'VARCHAR', window_start: 'BIGINT', first_start: 'BIGINT', last_end: 'BIGINT',
  bytes_up: 'BIGINT', bytes_down: 'BIGINT', packets_up: 'BIGINT', packets_down: 'BIGINT', records: 'BIGINT',
  client_ports: 'BIGINT', flags: 'UTINYINT', path_up: 'TINYINT', path_down: 'TINYINT', client_service: 'VARCHAR', server_service: 'VARCHAR',
};

/** The stored table (created by ensureSchema). window_seconds: the reduction's window. */
export const REDUCED_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${REDUCED_TABLE} (file_id INTEGER NOT NULL, window_seconds INTEGER NOT NULL,
  ${REDUCED_COLUMNS.map((c) => `${c} ${REDUCED_TYPES[c]}`).join(', ')});`;

