/**
 * Security-group rule usage (issue 15): the views sg_rule_matches (the accepted conversations with the rules that
 * admitted them), sg_rule_ranges and eni_group_intervals, and the address macros they and the templates use
 * (usage.sql). Made when a dataset is opened for writing, like the schema's other views.
 */
import type { Db } from '../store/db';
import { installMacros } from '../enrich/macros';
import { installDefinitions } from '../store/definitions';
import USAGE_SQL from './usage.sql';

export async function ensureSgRuleViews(db: Db): Promise<void> {
  await installMacros(db); // fl_ip_int, fl_ip_family
  await installDefinitions(db, 'sg-usage', USAGE_SQL);
}
