/**
 * The dataset schema: raw flow records, the time-aware inventory, and the enriched tables.
 * docs/schema.md documents it for users; both change together.
 *
 * Time conventions: TIMESTAMP columns are UTC. An interval is [valid_from, valid_to); an interval
 * that is still open ends at OPEN_END, one whose beginning is unknown starts at UNKNOWN_START.
 */
import { FLOW_FIELDS, q } from '../model/flowFields';
import type { Db } from './db';
import { setMeta } from './meta';
import { RECORDS_BASE, defaultKeepRecords, refreshRecordsView } from './records';
import { narrowStoredEvents } from '../inventory/events';
import { ADDRESS_TYPES, parseCidr } from '../inventory/ip';
import FINDINGS_SQL from '../enrich/findings.sql';
import { REDUCED_TABLE_SQL } from './reduced';

export const UNKNOWN_START = '1970-01-01 00:00:00';
export const OPEN_END = '9999-12-31 00:00:00';
/**
 * 5: the findings' macros (enrich/findings.sql), which the templates and the topology read. 6: the facts say which
 * server ENI logged a minute the client's counts (conversation_facts.server_observer). 7: fl_tag_values (findings.sql),
 * which the templates name apps and owners by, and tag_sets made with the schema.
 */
export const SCHEMA_VERSION = 7;

/** The small codes the facts store, in order (code n is element n, from 1). */
export const OBSERVER_SIDES = ['client', 'server', 'nat-gateway', 'other'] as const;
export const ORIENTATIONS = ['syn', 'syn-ack', 'port'] as const;
export const EGRESS_PATHS = ['same-vpc', 'internet-gateway', 'nat-gateway', 'gateway-endpoint', 'interface-endpoint',
  'peering-intra-region', 'peering-inter-region', 'transit-gateway', 'virtual-private-gateway', 'local-gateway', 'unknown'] as const;
export const WINDOW_TABLES = ['windows_1m', 'windows_5m', 'windows_1h'] as const;
/** The stored derived tables: what an enrichment appends to (and re-attribution rewrites). */
export const DERIVED_FACTS = ['conversation_facts', ...WINDOW_TABLES.map((t) => `${t}_facts`)] as const;
/** An enrichment that makes every fact anew writes `<table>_next` beside the current tables and swaps them in. */
const next = (table: string) => `${table}_next`;
/** meta keys: the last file_id whose records are enriched, and the inventory the facts were attributed with. */
export const META_ENRICHED_FILE = 'enriched_file_id';
export const META_ATTRIBUTED_INVENTORY = 'attributed_inventory';

const list = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
/** SQL: the code of a text value (NULL stays NULL). */
export const encode = (xs: readonly string[], expr: string) => `list_position(${list(xs)}, ${expr})::UTINYINT`;
/** SQL: the text of a code. */
export const decode = (xs: readonly string[], expr: string) => `${list(xs)}[${expr}]`;

/** Both sides' columns from endpoints c (client) and s (server), in the documented order. */
function sideColumns(side: 'client' | 'server', e: string, f: string | null): string {
  const addr = f ? `${f}.${side}_addr, ${f}.${side}_port, ` : '';
  const rfc = f ? `${f}.${side}_rfc1918, ` : '';
  return `${addr}${e}.eni AS ${side}_eni, ${e}.arn AS ${side}_arn, ${e}.type AS ${side}_type, ${e}.kind AS ${side}_kind,
  ${e}.vpc AS ${side}_vpc, ${e}.subnet AS ${side}_subnet, ${e}.az AS ${side}_az, ${e}.account AS ${side}_account,
  ${e}.region AS ${side}_region, ${e}.aws_service AS ${side}_aws_service, ${rfc}${e}.node AS ${side}_node`;
}

/** A cross flag: NULL while either side is unknown (nothing says where it is), else both known and different. */
const cross = (cond: string) => `CASE WHEN c.type IS DISTINCT FROM 'unknown' AND s.type IS DISTINCT FROM 'unknown' THEN ${cond} END`;
const CROSS_AZ = cross(`(c.az IS NOT NULL AND s.az IS NOT NULL AND c.az <> s.az AND c.region IS NOT DISTINCT FROM s.region)`);
const CROSS_REGION = cross(`(c.region IS NOT NULL AND s.region IS NOT NULL AND c.region <> s.region)`);
const CROSS_VPC = cross('(c.vpc IS NOT NULL AND s.vpc IS NOT NULL AND c.vpc <> s.vpc)');
const CROSS_ACCOUNT = cross('(c.account IS NOT NULL AND s.account IS NOT NULL AND c.account <> s.account)');
const ACTION = (f: string) => `CASE WHEN ${f}.rejected THEN 'REJECT' ELSE 'ACCEPT' END`;

/**
 * A window view's rows over `facts` (a window table's stored rows, or a relation of the same columns): both sides
 * named from the endpoints; `extra` adds columns of `facts` (aliased w).
 */
export function windowRowsSql(facts: string, extra = ''): string {
  return `SELECT w.window_start, c.node AS client_node, s.node AS server_node, c.az AS client_az, s.az AS server_az,
  w.protocol, w.server_port, ${ACTION('w')} AS action, ${decode(EGRESS_PATHS, 'w.egress_path')} AS egress_path, ${CROSS_AZ} AS cross_az,
  c.type AS client_type, s.type AS server_type, c.vpc AS client_vpc, s.vpc AS server_vpc,
  c.account AS client_account, s.account AS server_account, c.region AS client_region, s.region AS server_region,
  c.aws_service AS client_aws_service, s.aws_service AS server_aws_service, ${CROSS_REGION} AS cross_region,
  w.uploaded, w.downloaded, w.packets_up, w.packets_down, w.conversations,
  c.eni AS client_eni, s.eni AS server_eni, c.arn AS client_arn, s.arn AS server_arn,
  c.kind AS client_kind, s.kind AS server_kind, c.subnet AS client_subnet, s.subnet AS server_subnet,
  ${CROSS_VPC} AS cross_vpc, ${CROSS_ACCOUNT} AS cross_account${extra ? `, ${extra}` : ''}
FROM ${facts} w JOIN endpoints c ON c.ep = w.client_ep JOIN endpoints s ON s.ep = w.server_ep`;
}

/** The enriched tables as users query them: views over the narrow stored facts. */
export const ENRICHED_VIEWS_SQL = `
CREATE OR REPLACE VIEW conversations AS
SELECT f.start, f."end", f.window_start, f.protocol, ${ACTION('f')} AS action,
  ${sideColumns('client', 'c', 'f')},
  ${sideColumns('server', 's', 'f')},
  f.uploaded, f.downloaded, f.packets_up, f.packets_down, f.records,
  o.eni AS observer_eni, ${decode(OBSERVER_SIDES, 'f.observer_side')} AS observer_side,
  ${decode(ORIENTATIONS, 'f.orientation')} AS orientation, ${decode(EGRESS_PATHS, 'f.egress_path')} AS egress_path,
  ${CROSS_AZ} AS cross_az, ${CROSS_REGION} AS cross_region,
  ${CROSS_VPC} AS cross_vpc, ${CROSS_ACCOUNT} AS cross_account,
  c.attribution AS client_attribution, s.attribution AS server_attribution
FROM conversation_facts f JOIN endpoints c ON c.ep = f.client_ep JOIN endpoints s ON s.ep = f.server_ep
LEFT JOIN observers o ON o.obs = f.observer;
${WINDOW_TABLES.map((t) => `
CREATE OR REPLACE VIEW ${t} AS ${windowRowsSql(`${t}_facts`)};`).join('')}
`;

const flowColumns = FLOW_FIELDS.map((x) => `  ${q(x.column)} ${x.type}`).join(',\n');

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- One row per loaded flow-log file (or CloudWatch batch / Athena result). content_hash is the
-- idempotency key: loading the same content again, under any name, adds nothing.
CREATE SEQUENCE IF NOT EXISTS ingest_file_seq START 1;
CREATE TABLE IF NOT EXISTS ingest_files (
  file_id INTEGER PRIMARY KEY,
  name VARCHAR NOT NULL,          -- path, s3://bucket/key, cwl://group/stream, ...
  content_hash VARCHAR NOT NULL,  -- sha256 of the bytes as stored (compressed for .gz)
  bytes BIGINT,
  reader VARCHAR,                 -- text | gzip | parquet | cloudwatch | athena | joined (header lines inside)
  log_format VARCHAR,             -- the \${field} format the records were read with
  records BIGINT,
  bad_lines BIGINT,
  loaded_at TIMESTAMP,             -- written by each insert (no default: see dropFunctionDefaults)
  modified_ns BIGINT,             -- a local file's modification time when read (ns): with name and size, known unread
  source_columns VARCHAR,         -- Parquet: the flow-log columns as the file names them (JSON list, sorted)
  athena_read VARCHAR,            -- an Athena result: the time (and accounts) it read, the held time it left out not among them (JSON: athenaWindows.ts)
  UNIQUE (name, content_hash)
);

-- Up to a few rejected lines per file, with their line number and the reason.
CREATE TABLE IF NOT EXISTS ingest_errors (
  file_id INTEGER,
  name VARCHAR,
  line BIGINT,
  message VARCHAR,
  text VARCHAR
);

-- Raw flow records: every field of versions 2-8, typed; '-' is NULL. NODATA/SKIPDATA rows are kept.
-- Stored per log format (see records.ts); flow_records is the view over them all.
CREATE TABLE IF NOT EXISTS flow_records_base (
  file_id INTEGER NOT NULL,
${flowColumns}
);
CREATE TABLE IF NOT EXISTS flow_record_tables (table_name VARCHAR PRIMARY KEY, columns VARCHAR);
-- Loaded files whose records are not stored (a dataset that keeps no raw records): flow_records reads them
-- from the file where it was loaded from.
CREATE TABLE IF NOT EXISTS record_files (file_id INTEGER PRIMARY KEY, path VARCHAR NOT NULL);

-- ---------------------------------------------------------------- inventory (time-aware)
-- Every inventory row remembers which loaded file it came from (inv_files) so a reload replaces it.
CREATE TABLE IF NOT EXISTS inv_files (
  name VARCHAR NOT NULL,
  content_hash VARCHAR NOT NULL,
  kind VARCHAR,                   -- which API response it is, e.g. ec2:DescribeNetworkInterfaces
  account_id VARCHAR,
  region VARCHAR,
  items INTEGER,
  loaded_at TIMESTAMP,             -- written by each insert (no default: see dropFunctionDefaults)
  PRIMARY KEY (name, content_hash)
);

CREATE TABLE IF NOT EXISTS inv_vpcs (
  vpc_id VARCHAR PRIMARY KEY,
  account_id VARCHAR, region VARCHAR,
  cidr_blocks VARCHAR[], ipv6_cidr_blocks VARCHAR[],
  is_default BOOLEAN, name VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_subnets (
  subnet_id VARCHAR PRIMARY KEY,
  vpc_id VARCHAR, account_id VARCHAR, region VARCHAR,
  az VARCHAR, az_id VARCHAR,
  cidr VARCHAR, ipv6_cidrs VARCHAR[],
  map_public_ip BOOLEAN, name VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_security_groups (
  group_id VARCHAR PRIMARY KEY,
  group_name VARCHAR, vpc_id VARCHAR, account_id VARCHAR, region VARCHAR, description VARCHAR
);

-- Security-group rules as the APIs described them, one row per rule and peer (internal: query inv_sg_rules).
-- source: 'rules' (DescribeSecurityGroupRules, with AWS's rule ids) or 'groups' (DescribeSecurityGroups'
-- IpPermissions / IpPermissionsEgress, whose rules have no id: rule_id is made from the group, direction,
-- protocol, ports and peer). protocol is the IANA number (NULL: all, IpProtocol -1); port_lo/port_hi the
-- ports a flow's server port must be in (0-65535 where the rule has none: all traffic, ICMP, other protocols).
-- peer_kind: cidr (family, prefix_len, lo/hi as integers), prefix-list (prefix_list_id), security-group
-- (peer_group_id: the ENIs carrying that group).
CREATE TABLE IF NOT EXISTS inv_obs_sg_rules (
  rule_id VARCHAR, group_id VARCHAR, account_id VARCHAR, region VARCHAR, egress BOOLEAN,
  ip_protocol VARCHAR, protocol INTEGER, from_port INTEGER, to_port INTEGER, port_lo INTEGER, port_hi INTEGER,
  peer_kind VARCHAR, peer VARCHAR, family TINYINT, prefix_len INTEGER, lo UHUGEINT, hi UHUGEINT,
  peer_group_id VARCHAR, peer_account_id VARCHAR, prefix_list_id VARCHAR, description VARCHAR, source VARCHAR,
  changed_at TIMESTAMP            -- source cloudtrail or modified: the event's time
);

-- Every entry of every managed prefix list read (GetManagedPrefixListEntries), AWS's and the account's own:
-- what a prefix-list rule admits. lo/hi as integers.
CREATE TABLE IF NOT EXISTS inv_prefix_list_entries (
  prefix_list_id VARCHAR NOT NULL, prefix VARCHAR NOT NULL, family TINYINT NOT NULL, prefix_len INTEGER NOT NULL,
  lo UHUGEINT NOT NULL, hi UHUGEINT NOT NULL, description VARCHAR
);

-- A resource: anything that holds addresses or that flows are attributed to. arn is the key.
-- type is the enriched Type: ec2:instance, lambda:function, rds:db, rds:db-proxy,
--   elasticloadbalancing:loadbalancer, elasticache:cluster, ec2:natgateway, ec2:vpc-endpoint,
--   ec2:transit-gateway-attachment, efs:file-system, ecs:task, eks:pod, ec2:network-interface (unclassified)
-- kind is finer: instance, eks-node, alb, nlb, gwlb, clb, natgateway, interface-endpoint,
--   gateway-endpoint, gwlb-endpoint, lambda, rds, aurora, rds-proxy, elasticache, efs, ecs-task,
--   eks-pod, tgw-attachment, unknown
CREATE TABLE IF NOT EXISTS inv_resources (
  arn VARCHAR PRIMARY KEY,
  resource_id VARCHAR,            -- the short id: i-..., function name, db identifier, nat-..., vpce-...
  type VARCHAR NOT NULL,
  kind VARCHAR,
  name VARCHAR,
  account_id VARCHAR, region VARCHAR, vpc_id VARCHAR,
  attrs JSON,                     -- type-specific facts: engine, runtime, scheme, service name, ...
  valid_from TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${UNKNOWN_START}',
  valid_to TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${OPEN_END}'
);

-- ECS tasks flow records name (version 7's ecs-* fields), with the interface whose records name them, its own
-- address and the span of those records (src/core/enrich/record-tasks.sql): the task of an interface the
-- inventory does not know, without an ECS inventory (src/core/enrich/prepare.sql). One row per enrichment that met it.
CREATE TABLE IF NOT EXISTS inv_record_tasks (
  eni_id VARCHAR, task_arn VARCHAR, cluster_name VARCHAR, service_name VARCHAR, account_id VARCHAR, region VARCHAR,
  vpc_id VARCHAR, subnet_id VARCHAR, addr VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP
);

-- An ENI and the resource that owned it during [valid_from, valid_to).
CREATE TABLE IF NOT EXISTS inv_enis (
  eni_id VARCHAR NOT NULL,
  arn VARCHAR,                    -- inv_resources.arn (NULL when the ENI could not be classified)
  kind VARCHAR,                   -- classification, as inv_resources.kind
  interface_type VARCHAR, description VARCHAR, requester_id VARCHAR, requester_managed BOOLEAN,
  account_id VARCHAR, region VARCHAR, vpc_id VARCHAR, subnet_id VARCHAR, az VARCHAR, az_id VARCHAR,
  security_group_ids VARCHAR[],
  valid_from TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${UNKNOWN_START}',
  valid_to TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${OPEN_END}'
);

-- Who held an address when: the attribution dimension. Private addresses are only meaningful
-- with their vpc_id; public ones (kind 'public') are global.
CREATE TABLE IF NOT EXISTS inv_addresses (
  addr VARCHAR NOT NULL,          -- canonical text: dotted IPv4, lower-case compressed IPv6
  family TINYINT NOT NULL,        -- 4 or 6
  addr_kind VARCHAR NOT NULL,     -- primary | secondary | prefix | ipv6 | public
  vpc_id VARCHAR,
  eni_id VARCHAR,
  arn VARCHAR,
  valid_from TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${UNKNOWN_START}',
  valid_to TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${OPEN_END}'
);

-- Tags of any resource (arn), with their own validity.
CREATE TABLE IF NOT EXISTS inv_tags (
  arn VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR,
  valid_from TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${UNKNOWN_START}',
  valid_to TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${OPEN_END}'
);

-- VPC-to-VPC reachability, one row per direction: peering (intra/inter-region) and transit gateway.
CREATE TABLE IF NOT EXISTS inv_vpc_links (
  link_id VARCHAR,                -- pcx-... or tgw-attach-... / tgw-...
  kind VARCHAR,                   -- peering | transit-gateway
  vpc_id VARCHAR, account_id VARCHAR, region VARCHAR,
  peer_vpc_id VARCHAR, peer_account_id VARCHAR, peer_region VARCHAR,
  valid_from TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${UNKNOWN_START}',
  valid_to TIMESTAMP NOT NULL DEFAULT TIMESTAMP '${OPEN_END}'
);

-- Gateways: internet-gateway, egress-only-internet-gateway, nat-gateway, transit-gateway,
-- virtual-private-gateway. For NAT gateways: subnet, az, connectivity, public/private ip.
CREATE TABLE IF NOT EXISTS inv_gateways (
  gateway_id VARCHAR PRIMARY KEY,
  kind VARCHAR, arn VARCHAR,
  vpc_id VARCHAR, account_id VARCHAR, region VARCHAR,
  subnet_id VARCHAR, az VARCHAR, connectivity VARCHAR,
  public_ips VARCHAR[], private_ips VARCHAR[], eni_ids VARCHAR[]
);

CREATE TABLE IF NOT EXISTS inv_vpc_endpoints (
  endpoint_id VARCHAR PRIMARY KEY,
  arn VARCHAR, vpc_id VARCHAR, account_id VARCHAR, region VARCHAR,
  endpoint_type VARCHAR,          -- Gateway | Interface | GatewayLoadBalancer
  service_name VARCHAR,           -- com.amazonaws.us-east-1.s3
  aws_service VARCHAR,            -- s3, dynamodb, ... (ip-ranges naming, lower case)
  route_table_ids VARCHAR[], subnet_ids VARCHAR[], eni_ids VARCHAR[],
  prefix_list_id VARCHAR
);

-- AWS-owned prefixes: ip-ranges.json and gateway-endpoint managed prefix lists.
-- lo/hi are the first/last address as integers (IPv4 in the low 32 bits).
CREATE TABLE IF NOT EXISTS inv_prefixes (
  prefix VARCHAR NOT NULL, family TINYINT NOT NULL, prefix_len INTEGER NOT NULL,
  lo UHUGEINT NOT NULL, hi UHUGEINT NOT NULL,
  service VARCHAR,                -- ip-ranges service name, upper case as AWS writes it: S3, EC2, AMAZON
  region VARCHAR, network_border_group VARCHAR,
  source VARCHAR,                 -- ip-ranges | prefix-list
  prefix_list_id VARCHAR,
  sync_token VARCHAR
);

-- Load balancer target registrations (DescribeTargetGroups + DescribeTargetHealth).
CREATE TABLE IF NOT EXISTS inv_lb_targets (
  target_group_arn VARCHAR, lb_arn VARCHAR,
  target_type VARCHAR,            -- instance | ip | lambda | alb
  target_id VARCHAR,              -- i-..., an ip, a function ARN
  target_arn VARCHAR,             -- the resource ARN when known
  port INTEGER, protocol VARCHAR, health VARCHAR
);

-- RDS Proxy targets (DescribeDBProxies + DescribeDBProxyTargets / endpoints).
CREATE TABLE IF NOT EXISTS inv_db_proxy_targets (
  proxy_arn VARCHAR, db_arn VARCHAR, endpoint VARCHAR
);

CREATE TABLE IF NOT EXISTS inv_flow_logs (
  flow_log_id VARCHAR PRIMARY KEY,
  resource_id VARCHAR, account_id VARCHAR, region VARCHAR,
  destination_type VARCHAR, log_destination VARCHAR, log_group_name VARCHAR,
  log_format VARCHAR, file_format VARCHAR, hive_partitions BOOLEAN, per_hour_partition BOOLEAN,
  max_aggregation_interval INTEGER, traffic_type VARCHAR
);

-- CloudTrail lifecycle events (ENIs, instances, tags) the inventory was rebuilt from.
CREATE TABLE IF NOT EXISTS inv_events (
  event_id VARCHAR PRIMARY KEY,
  event_time TIMESTAMP, event_name VARCHAR, account_id VARCHAR, region VARCHAR,
  resource_ids VARCHAR[], detail JSON
);

-- When rules were added and revoked, from CloudTrail (AuthorizeSecurityGroupIngress/Egress name the rules they
-- made in securityGroupRuleSet; RevokeSecurityGroupIngress/Egress the rules they removed, in
-- revokedSecurityGroupRuleSet or by id in securityGroupRuleIds).
CREATE OR REPLACE VIEW inv_sg_rule_history AS
WITH ids AS (
  SELECT event_time, starts_with(event_name, 'Revoke') AS revoke, unnest(
    coalesce(json_extract_string(detail, '$.responseElements.securityGroupRuleSet.items[*].securityGroupRuleId'), []) ||
    coalesce(json_extract_string(detail, '$.responseElements.revokedSecurityGroupRuleSet.items[*].securityGroupRuleId'), []) ||
    coalesce(json_extract_string(detail, '$.requestParameters.securityGroupRuleIds.items[*].securityGroupRuleId'), [])) AS rule_id
  FROM inv_events WHERE event_name IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress')
)
SELECT rule_id, min(event_time) FILTER (WHERE NOT revoke) AS authorized, min(event_time) FILTER (WHERE revoke) AS revoked
FROM ids WHERE rule_id IS NOT NULL GROUP BY rule_id;

-- ---------------------------------------------------------------- enriched (rebuilt by enrichment)
-- Each resource's tag set over time: made by every enrichment (enrich/views.sql), empty until the first, so that the
-- macros reading it (fl_tag_values in enrich/findings.sql) can be made with the schema.
CREATE TABLE IF NOT EXISTS tag_sets (arn VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP, tags MAP(VARCHAR, VARCHAR));
-- Stored narrow: who a side is lives once in endpoints, the facts hold its number and small codes.
-- conversations and the windows are views that put the names back (see ENRICHED_VIEWS_SQL).
-- skey (the holder: ENI|ARN|pod), pregion (an AWS prefix's region) and unknown (an unexplained private or
-- special-purpose address) are the identity an enrichment finds a side by again when it appends. attribution is
-- how the side was found: 'exact', 'inferred' (the only holder in the whole inventory of a private address that
-- no observer VPC explains; skey ends in '|inferred'), NULL for an unknown address.
CREATE TABLE IF NOT EXISTS endpoints (
  ep INTEGER,
  eni VARCHAR, arn VARCHAR, type VARCHAR, kind VARCHAR, vpc VARCHAR, subnet VARCHAR, az VARCHAR,
  account VARCHAR, region VARCHAR, aws_service VARCHAR, node VARCHAR,
  skey VARCHAR, pregion VARCHAR, unknown VARCHAR, attribution VARCHAR
);
-- What the stored facts were attributed with (src/core/enrich/basis.sql): the next enrichment compares it with the
-- inventory then, and re-attributes only the facts of the sides and times a change covers.
CREATE TABLE IF NOT EXISTS attribution_basis (
  kind VARCHAR, scope_vpc VARCHAR, addr VARCHAR, id VARCHAR, value VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP
);
-- Each ENI's logging coverage from its flow records (src/core/enrich/coverage.sql): islands of time its OK or
-- NODATA records ('logged') or its SKIPDATA records ('skipped') cover, the records of one ENI and status merged
-- while less than two aggregation intervals (window_seconds) apart. Appended by every enrichment.
CREATE TABLE IF NOT EXISTS eni_coverage (
  eni_id VARCHAR, status VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP, records BIGINT, window_seconds INTEGER
);
-- Per loaded file and interface, the flow log its records come from (fl_flow_log_of, macros.sql; files whose name does
-- not say are not here), how many, the time they span, and whether they were counted: where two flow logs log one
-- interface at the same time, one's records are counted and the other's left out (src/core/enrich/flow-log-choice.sql).
CREATE TABLE IF NOT EXISTS flow_log_slices (
  interface_id VARCHAR, file_id INTEGER, flow_log VARCHAR, fields INTEGER, records BIGINT, first_start BIGINT, last_end BIGINT, counted BOOLEAN
);
-- The ENIs whose records were counted (and the VPC they logged in), numbered in the order met.
CREATE TABLE IF NOT EXISTS observers (obs INTEGER, eni VARCHAR, vpc VARCHAR);
-- evidence: how the 5-tuple was oriented, as bits (1 the client sent a SYN, 2 the server did, 4 the client
-- sent a SYN-ACK, 8 the server did, 16 the client sent first); paths: the traffic-path codes seen, as bits
-- (1 << code client -> server, 1 << (16 + code) server -> client). Both let a later batch merge into the row.
-- server_observer: the server's ENI (observer number) when it logged the minute too and the client's was counted;
-- its records prove the server's side.
CREATE TABLE IF NOT EXISTS conversation_facts (
  start BIGINT, "end" BIGINT, window_start TIMESTAMP, protocol INTEGER, rejected BOOLEAN,
  client_addr VARCHAR, client_port INTEGER, client_ep INTEGER, client_rfc1918 BOOLEAN,
  server_addr VARCHAR, server_port INTEGER, server_ep INTEGER, server_rfc1918 BOOLEAN,
  uploaded BIGINT, downloaded BIGINT, packets_up BIGINT, packets_down BIGINT, records INTEGER,
  observer INTEGER, observer_side UTINYINT, orientation UTINYINT, egress_path UTINYINT,
  evidence UTINYINT, paths UINTEGER,
  client_ports INTEGER, server_observer INTEGER
);
${WINDOW_TABLES.map((t) => `CREATE TABLE IF NOT EXISTS ${t}_facts (
  window_start TIMESTAMP, client_ep INTEGER, server_ep INTEGER, protocol INTEGER, server_port INTEGER,
  rejected BOOLEAN, egress_path UTINYINT,
  uploaded BIGINT, downloaded BIGINT, packets_up BIGINT, packets_down BIGINT, conversations BIGINT
);`).join('\n')}
`;

/**
 * The rules: DescribeSecurityGroupRules' for every group it described, else the group's rules as
 * DescribeSecurityGroups listed them (the same rules, without ids), whichever file came first; and the rules
 * CloudTrail saw revoked that neither lists any more, as its events described them. valid_from/valid_to: when each
 * was in force (its AuthorizeSecurityGroup* and RevokeSecurityGroup* events; without them, always). A rule that
 * ModifySecurityGroupRules changed has a row per shape (source 'modified', in its direction): each from its change
 * until the next (or its revocation), and before the first as the event that added it described it (not known
 * otherwise: no row).
 * Every inventory rebuild (rebuildInventory) makes them into the table inv_sg_rules_rebuilt, which the view inv_sg_rules
 * reads: as a view of this query, DuckDB bound it anew wherever a query named it, 25 ms each time, and a
 * security-group template names it three or four times.
 */
const SG_RULES_SQL = `WITH obs AS (
  SELECT * EXCLUDE (changed_at) FROM inv_obs_sg_rules WHERE source <> 'modified'
), described AS (
  SELECT r.* FROM obs r
  WHERE r.source = 'rules' OR (r.source = 'groups' AND r.group_id NOT IN (SELECT group_id FROM obs WHERE source = 'rules' AND group_id IS NOT NULL))
), revoked AS (
  SELECT DISTINCT ON (r.rule_id) r.* FROM obs r
  WHERE r.source = 'cloudtrail' AND r.rule_id IN (SELECT rule_id FROM inv_sg_rule_history WHERE revoked IS NOT NULL)
    AND r.rule_id NOT IN (SELECT rule_id FROM described)
  ORDER BY r.rule_id
), changes AS (
  SELECT m.* EXCLUDE (egress), d.egress, lead(m.changed_at) OVER (PARTITION BY m.rule_id ORDER BY m.changed_at) AS next,
         min(m.changed_at) OVER (PARTITION BY m.rule_id) AS first
  FROM inv_obs_sg_rules m JOIN (SELECT rule_id, any_value(egress) AS egress FROM obs WHERE egress IS NOT NULL GROUP BY rule_id) d USING (rule_id)
  WHERE m.source = 'modified'
), added AS (
  SELECT DISTINCT ON (rule_id) * FROM inv_obs_sg_rules WHERE source = 'cloudtrail' ORDER BY rule_id, changed_at
)
SELECT r.*, coalesce(h.authorized, TIMESTAMP '${UNKNOWN_START}') AS valid_from, coalesce(h.revoked, TIMESTAMP '${OPEN_END}') AS valid_to
FROM (FROM described UNION ALL FROM revoked) r LEFT JOIN inv_sg_rule_history h USING (rule_id)
WHERE r.rule_id NOT IN (SELECT rule_id FROM changes)
UNION ALL BY NAME
SELECT a.* EXCLUDE (changed_at), coalesce(h.authorized, TIMESTAMP '${UNKNOWN_START}') AS valid_from, c.first AS valid_to
FROM added a JOIN (SELECT DISTINCT rule_id, first FROM changes) c USING (rule_id) LEFT JOIN inv_sg_rule_history h USING (rule_id)
WHERE a.changed_at < c.first
UNION ALL BY NAME
SELECT c.* EXCLUDE (changed_at, next, first), c.changed_at AS valid_from, coalesce(c.next, h.revoked, TIMESTAMP '${OPEN_END}') AS valid_to
FROM changes c LEFT JOIN inv_sg_rule_history h USING (rule_id)`;

/** The rules made again from their observations and events (rebuildInventory, after every inventory load). */
export const SG_RULES_REBUILD_SQL = `CREATE OR REPLACE TABLE inv_sg_rules_rebuilt AS ${SG_RULES_SQL};`;

/**
 * inv_sg_rules as the view of inv_sg_rules_rebuilt, the table made again first unless the view reads it already. An
 * earlier version opened for writing makes inv_sg_rules its own view of the observations again (and then loads an
 * inventory without making the table): its view names inv_obs_sg_rules.
 */
async function ensureSgRules(db: Db): Promise<void> {
  const held = Number(await db.value<bigint>(`SELECT count(*) FROM duckdb_views() v, duckdb_tables() t
    WHERE NOT v.temporary AND v.database_name = current_database() AND v.schema_name = 'main' AND v.view_name = 'inv_sg_rules'
      AND v.sql NOT LIKE '%inv_obs_sg_rules%'
      AND NOT t.temporary AND t.database_name = current_database() AND t.schema_name = 'main' AND t.table_name = 'inv_sg_rules_rebuilt'`));
  if (held > 0) return;
  await db.exec(`${SG_RULES_REBUILD_SQL}\nCREATE OR REPLACE VIEW inv_sg_rules AS FROM inv_sg_rules_rebuilt;`);
}

const sqlText = (x: string | undefined) => (x === undefined ? 'NULL::VARCHAR' : `'${x.replace(/'/g, "''")}'`);

/** inventory/ip.ts ADDRESS_TYPES as rows of the address_types table: prefixes as [lo, hi] integers. */
const ADDRESS_TYPE_ROWS = `SELECT * FROM (VALUES ${ADDRESS_TYPES.map((t) => {
  const c = parseCidr(t.prefix);
  return `(${sqlText(c.prefix)}, ${c.family}::TINYINT, ${c.length}, ${c.lo}::UHUGEINT, ${c.hi}::UHUGEINT, ${sqlText(t.type)}, ${sqlText(t.kind)}, ${sqlText(t.reach)}, ${sqlText(t.about)})`;
}).join(',\n  ')}) t(prefix, family, prefix_len, lo, hi, type, kind, reach, about)`;

/**
 * The special-purpose address types (documentation, link-local, carrier-grade NAT, ...) as a table the
 * enrichment and the templates read: written again when the list in inventory/ip.ts changed (an enrichment then
 * attributes the stored conversations again, as for a changed inventory).
 */
async function ensureAddressTypes(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS address_types (prefix VARCHAR, family TINYINT, prefix_len INTEGER, lo UHUGEINT,
    hi UHUGEINT, type VARCHAR, kind VARCHAR, reach VARCHAR, about VARCHAR)`);
  const differ = await db.value<bigint>(`SELECT (SELECT count(*) FROM (FROM address_types EXCEPT ALL ${ADDRESS_TYPE_ROWS}))
    + (SELECT count(*) FROM (${ADDRESS_TYPE_ROWS} EXCEPT ALL FROM address_types))`);
  // (ensureSchema may run inside a caller's transaction: no transaction of its own; the next open mends a half write)
  if (Number(differ) > 0) await db.exec(`DELETE FROM address_types; INSERT INTO address_types ${ADDRESS_TYPE_ROWS}`);
}

/** Drops the <table>_next tables of an enrichment that was not swapped in (cancelled, or its process ended). */
export async function dropNextTables(db: Db): Promise<void> {
  for (const t of DERIVED_FACTS) await db.exec(`DROP TABLE IF EXISTS ${next(t)}`);
}

/** The Db objects this process has ensured the schema of (ensureSchemaOnce). */
const ensured = new WeakSet<Db>();

/**
 * ensureSchema, unless this process did it on this Db already: what needs the tables before it writes (the inventory
 * loader) calls it, and a dataset opened by openDataset has had it (it refreshes flow_records, 0.2-0.3 s on the sample).
 */
export async function ensureSchemaOnce(db: Db): Promise<void> {
  if (!ensured.has(db)) await ensureSchema(db);
}

/**
 * Older versions gave ingest_files.loaded_at and inv_files.loaded_at the default current_timestamp. DuckDB 1.5 cannot
 * replay from its write-ahead log a column added to a table that has a default calling a function (duckdb#18259,
 * #20543): a process killed after adding one, before the log was checkpointed, left a dataset no process could open
 * ("Failure while replaying WAL file …"). Such defaults are dropped before anything is added (a dropped default
 * replays), and the inserts write loaded_at themselves. Every other stored default is a constant.
 */
async function dropFunctionDefaults(db: Db): Promise<void> {
  const cols = await db.all<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN ('ingest_files', 'inv_files')
      AND column_name = 'loaded_at' AND column_default IS NOT NULL`);
  for (const c of cols) await db.exec(`ALTER TABLE ${c.table_name} ALTER COLUMN ${c.column_name} DROP DEFAULT`);
}

export async function ensureSchema(db: Db): Promise<void> {
  // Version 1 stored conversations and the windows as wide tables (derived data: the next enrichment rebuilds
  // them from the records and inventory, which stay) and its raw records in one wide table, which becomes the
  // base of the flow_records view.
  const v1 = await db.all<{ table_name: string }>(
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'
       AND table_name IN ('conversations', 'windows_1m', 'windows_5m', 'windows_1h', 'flow_records')`,
  );
  for (const { table_name: t } of v1) {
    await db.exec(t === 'flow_records' ? `ALTER TABLE flow_records RENAME TO ${RECORDS_BASE}` : `DROP TABLE ${t}`);
  }
  await dropNextTables(db);
  // Version 2 stored facts without what a later batch merges by (observer numbers, evidence, paths): derived
  // data, dropped; its records are all stored, so the next enrichment makes them again from the start.
  const v2 = Number(await db.value<bigint>(`SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()
    AND schema_name = 'main' AND table_name = 'conversation_facts' AND column_name = 'observer_eni'`));
  if (v2) {
    await db.exec(`DROP VIEW IF EXISTS conversations_v; DROP VIEW IF EXISTS conversations;
      ${WINDOW_TABLES.map((t) => `DROP VIEW IF EXISTS ${t};`).join(' ')}
      ${DERIVED_FACTS.map((t) => `DROP TABLE IF EXISTS ${t};`).join(' ')} DROP TABLE IF EXISTS endpoints;
      DELETE FROM meta WHERE key IN ('${META_ENRICHED_FILE}', '${META_ATTRIBUTED_INVENTORY}');`);
  }
  // (issue 15) a rule's change by CloudTrail's ModifySecurityGroupRules says when (before the views read it)
  await db.exec('ALTER TABLE IF EXISTS inv_obs_sg_rules ADD COLUMN IF NOT EXISTS changed_at TIMESTAMP');
  await db.exec(SCHEMA_SQL);
  await dropFunctionDefaults(db);
  await db.exec(REDUCED_TABLE_SQL);
  // (issue 14) a fact an Athena reduction made stands for this many client ports; NULL: one (a fact of records)
  await db.exec('ALTER TABLE conversation_facts ADD COLUMN IF NOT EXISTS client_ports INTEGER');
  // a local file unchanged since it loaded (name, size, modification time) is not read again to know it
  await db.exec('ALTER TABLE ingest_files ADD COLUMN IF NOT EXISTS modified_ns BIGINT');
  // a Parquet file's columns as it names them: flow_records reads the file without asking it first (NULL before)
  await db.exec('ALTER TABLE ingest_files ADD COLUMN IF NOT EXISTS source_columns VARCHAR');
  // what an Athena result read, when its name's span holds time it left out (NULL before: its name says it)
  await db.exec('ALTER TABLE ingest_files ADD COLUMN IF NOT EXISTS athena_read VARCHAR');
  // Version 3 stored sides without how they were found: the column is added (what it stored was exact, or
  // unknown), and the stored facts are attributed again at the next enrichment (from the facts alone, as for a
  // changed inventory), which finds the inferred sides and those a record's own ENI proves.
  const v3 = !Number(await db.value<bigint>(`SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()
    AND schema_name = 'main' AND table_name = 'endpoints' AND column_name = 'attribution'`));
  if (v3) {
    await db.exec(`ALTER TABLE endpoints ADD COLUMN attribution VARCHAR;
      UPDATE endpoints SET attribution = CASE WHEN type IS DISTINCT FROM 'unknown' THEN 'exact' END;
      DELETE FROM meta WHERE key = '${META_ATTRIBUTED_INVENTORY}';`);
  }
  // Version 5 stored facts without the server's ENI that logged them too: the column is added, empty (those facts
  // keep what they were attributed with; `enrich --rebuild` makes them anew from the records).
  const v5 = !Number(await db.value<bigint>(`SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()
    AND schema_name = 'main' AND table_name = 'conversation_facts' AND column_name = 'server_observer'`));
  if (v5) await db.exec(`ALTER TABLE conversation_facts ADD COLUMN server_observer INTEGER`);
  await ensureAddressTypes(db);
  // CloudTrail events stored whole by earlier versions keep only what the inventory is rebuilt from
  await narrowStoredEvents(db);
  await ensureSgRules(db);
  await db.exec(ENRICHED_VIEWS_SQL);
  await db.exec(FINDINGS_SQL);
  await defaultKeepRecords(db);
  await refreshRecordsView(db);
  await setMeta(db, 'schema_version', String(SCHEMA_VERSION));
  ensured.add(db);
}
