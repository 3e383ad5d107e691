/**
 * Derived tables and views for people who query the dataset (views.sql): tag sets over time, and the
 * conversations with both sides' security groups and tags (valid at the conversation's start).
 */
import type { Db } from '../store/db';
import VIEWS_SQL from './views.sql';

export async function buildViews(db: Db): Promise<void> {
  await db.exec(VIEWS_SQL);
}
