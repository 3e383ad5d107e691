/**
 * Derived tables and views for people who query the dataset (views.sql): tag sets over time, and the
 * conversations with both sides' security groups and tags (valid at the conversation's start). Its tables are
 * made from the inventory alone: made again only when the inventory's fingerprint differs from the last time.
 */
import type { Db } from '../store/db';
import { installDefinitions } from '../store/definitions';
import VIEWS_SQL from './views.sql';

export async function buildViews(db: Db, inventoryFingerprint: string): Promise<void> {
  await installDefinitions(db, 'views', VIEWS_SQL, inventoryFingerprint);
}
