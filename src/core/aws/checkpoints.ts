/**
 * Per-source checkpoints, stored in the dataset (an additive table owned by the AWS acquisition): for S3 the
 * last object key under a date/hour prefix up to which everything is loaded, for CloudWatch Logs the time up to
 * which events were fetched. Together with ingest_files' (name, content hash) they make re-running a window add
 * only what is new. Nothing secret is ever stored here.
 */
import type { Db } from '../store/db';

export const CHECKPOINT_SQL = `
CREATE TABLE IF NOT EXISTS aws_checkpoints (
  source_id VARCHAR NOT NULL,     -- s3://bucket/prefix/, cwl://account/region/group, athena://catalog/db/table
  scope VARCHAR NOT NULL,         -- the listed prefix (S3) or '' (CloudWatch Logs)
  last_key VARCHAR,               -- S3: every key <= last_key under scope is loaded
  last_event_time BIGINT,         -- CloudWatch Logs: events up to this epoch ms were fetched
  updated_at TIMESTAMP DEFAULT current_timestamp,
  PRIMARY KEY (source_id, scope)
);`;

export async function ensureCheckpoints(db: Db): Promise<void> {
  await db.exec(CHECKPOINT_SQL);
}

export async function getCheckpoint(db: Db, sourceId: string, scope = ''): Promise<{ lastKey?: string; lastEventTime?: number } | undefined> {
  const row = await db.one<{ last_key: string | null; last_event_time: bigint | null }>(
    'SELECT last_key, last_event_time FROM aws_checkpoints WHERE source_id = $s AND scope = $p',
    { s: sourceId, p: scope },
  );
  if (!row) return undefined;
  return {
    ...(row.last_key !== null ? { lastKey: row.last_key } : {}),
    ...(row.last_event_time !== null ? { lastEventTime: Number(row.last_event_time) } : {}),
  };
}

export async function setCheckpoint(db: Db, sourceId: string, scope: string, value: { lastKey?: string; lastEventTime?: number }): Promise<void> {
  await db.exec(
    `INSERT INTO aws_checkpoints (source_id, scope, last_key, last_event_time, updated_at) VALUES ($s, $p, $k, $t, current_timestamp)
     ON CONFLICT (source_id, scope) DO UPDATE SET last_key = excluded.last_key, last_event_time = excluded.last_event_time, updated_at = excluded.updated_at`,
    { s: sourceId, p: scope, k: value.lastKey ?? null, t: value.lastEventTime !== undefined ? BigInt(value.lastEventTime) : null },
  );
}

/** Names already loaded (so an S3 object is not even fetched again). */
export async function loadedNames(db: Db, prefix: string): Promise<Set<string>> {
  const rows = await db.all<{ name: string }>(`SELECT DISTINCT name FROM ingest_files WHERE starts_with(name, $p)`, { p: prefix });
  return new Set(rows.map((r) => r.name));
}
