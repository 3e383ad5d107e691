/** The dataset's meta table (key → value): read and written here only. */
import type { Db } from './db';

/** A meta value; undefined when the key is not set. */
export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  return (await db.one<{ value: string }>(`SELECT value FROM meta WHERE key = $k`, { k: key }))?.value;
}

/** Sets a meta value (inside the caller's transaction, if any). */
export async function setMeta(db: Db, key: string, value: string): Promise<void> {
  await db.exec(`INSERT INTO meta VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, { k: key, v: value });
}
