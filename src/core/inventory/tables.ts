/**
 * The inventory's own observation tables (inv_obs_*): what each loaded AWS response said, keyed so a
 * newer dump replaces an older one. The time-aware tables of the schema (inv_enis, inv_addresses,
 * inv_tags, inv_vpc_links, ENI-derived inv_resources, inv_lb_targets, inv_db_proxy_targets, inv_sg_rules) are
 * rebuilt from these plus inv_events by rebuildInventory(), so the order files arrive in never matters.
 * Additive to src/core/store/schema.ts; created on first load.
 */
import type { Db } from '../store/db';
import { ensureSchemaOnce } from '../store/schema';

export const INVENTORY_OBS_SQL = `
CREATE SEQUENCE IF NOT EXISTS inv_obs_seq START 1;

-- One row per ENI as the most authoritative snapshot described it (rank: 3 DescribeNetworkInterfaces,
-- 2 DescribeInstances, 1 DescribeNatGateways). addrs: [{addr, family, kind}] with kind
-- primary | secondary | prefix | ipv6 | public.
CREATE TABLE IF NOT EXISTS inv_obs_enis (
  eni_id VARCHAR PRIMARY KEY, rank INTEGER, seq BIGINT,
  account_id VARCHAR, region VARCHAR, vpc_id VARCHAR, subnet_id VARCHAR, az VARCHAR, az_id VARCHAR,
  interface_type VARCHAR, description VARCHAR, requester_id VARCHAR, requester_managed BOOLEAN, status VARCHAR,
  instance_id VARCHAR, instance_owner_id VARCHAR, attachment_id VARCHAR, attach_time TIMESTAMP,
  delete_on_termination BOOLEAN, security_group_ids VARCHAR[], addrs JSON
);

-- Current tags per resource as a snapshot reported them (replaced per arn and source on reload).
CREATE TABLE IF NOT EXISTS inv_obs_tags (arn VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR, source VARCHAR, seq BIGINT);

CREATE TABLE IF NOT EXISTS inv_obs_prefix_lists (
  prefix_list_id VARCHAR PRIMARY KEY, name VARCHAR, account_id VARCHAR, region VARCHAR, address_family VARCHAR, arn VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_obs_target_groups (
  target_group_arn VARCHAR PRIMARY KEY, name VARCHAR, lb_arns VARCHAR[], target_type VARCHAR,
  protocol VARCHAR, port INTEGER, vpc_id VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_obs_target_health (
  target_group_arn VARCHAR, target_id VARCHAR, port INTEGER, az VARCHAR, health VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_obs_proxy_targets (
  proxy_name VARCHAR, account_id VARCHAR, region VARCHAR, target_arn VARCHAR, endpoint VARCHAR,
  target_type VARCHAR, rds_resource_id VARCHAR, tracked_cluster_id VARCHAR
);

-- Every resource an ENI may belong to when more than one fits: a Lambda ENI shared by all functions
-- with the same subnet + security groups, an RDS ENI that several DB instances could own.
-- chosen is the one written to inv_enis.arn. Rebuilt with the ENIs.
CREATE TABLE IF NOT EXISTS inv_eni_owners (
  eni_id VARCHAR, arn VARCHAR, kind VARCHAR, chosen BOOLEAN, rule VARCHAR,
  valid_from TIMESTAMP, valid_to TIMESTAMP
);
`;

export async function ensureInventoryTables(db: Db): Promise<void> {
  await ensureSchemaOnce(db);
  await db.exec(INVENTORY_OBS_SQL);
}
