/**
 * Enrichment: raw flow records + time-aware inventory -> conversations, set-based in DuckDB.
 *
 * 1. Records (OK status) get their observer ENI's VPC, and the real endpoints (pkt-* over the logged
 *    addresses). A NAT gateway's translated outside leg (NAT address <-> public address) is dropped:
 *    its bytes are the inside leg's bytes again.
 * 2. Orientation per 5-tuple: SYN sender is the client, SYN-ACK sender the server; else port ranks.
 * 3. One observer per conversation-minute (client ENI, else server ENI, else another, NAT last):
 *    a flow logged at both ends is counted once. REJECT by any observer makes the minute REJECT.
 * 4. Attribution of both sides by (VPC scope, address, time): private addresses resolve in the
 *    observer's VPC, then in peered / TGW-attached VPCs; public and IPv6 addresses globally; AWS
 *    prefixes (specific service over AMAZON, longest prefix) and pkt-*-aws-service; else internet.
 * 5. Egress path from traffic-path when logged, else from the inventory; cross-AZ/region flags.
 */
import type { Db } from '../store/db';

/** Small inventory-derived helper tables (thousands of rows), rebuilt on every enrichment. */
export const PREPARE_SQL = `
CREATE OR REPLACE TEMP TABLE fl_eni AS
SELECT e.eni_id, any_value(e.vpc_id) AS vpc_id, any_value(e.kind) AS kind, any_value(e.subnet_id) AS subnet_id,
       any_value(e.az) AS az, any_value(e.account_id) AS account_id, any_value(e.region) AS region,
       any_value(p.addr) AS primary_ip
FROM inv_enis e
LEFT JOIN inv_addresses p ON p.eni_id = e.eni_id AND p.addr_kind = 'primary'
GROUP BY e.eni_id;

CREATE OR REPLACE TEMP TABLE fl_eni_addr AS
SELECT DISTINCT eni_id, addr FROM inv_addresses WHERE eni_id IS NOT NULL;

-- Where an address can be looked up from: scope_vpc is the observer's VPC ('*' = global, '?' = the
-- observer's VPC is unknown and the address is unique across all VPCs).
CREATE OR REPLACE TEMP TABLE fl_scope AS
WITH private AS (
  SELECT * FROM inv_addresses WHERE addr_kind <> 'public' AND family = 4
), candidates AS (
  SELECT vpc_id AS scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 AS rank FROM private
  UNION ALL
  SELECT DISTINCT l.vpc_id, a.addr, a.addr_kind, a.eni_id, a.arn, a.valid_from, a.valid_to, 1
  FROM private a JOIN inv_vpc_links l ON l.peer_vpc_id = a.vpc_id
  UNION ALL
  SELECT '?', addr, addr_kind, eni_id, arn, valid_from, valid_to, 2 FROM private
  WHERE addr IN (SELECT addr FROM private GROUP BY addr HAVING count(DISTINCT vpc_id) = 1)
  UNION ALL
  SELECT '*', addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 FROM inv_addresses
  WHERE addr_kind = 'public' OR family = 6
), preferred AS (
  SELECT DISTINCT scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to FROM candidates
  QUALIFY rank = min(rank) OVER (PARTITION BY scope_vpc, addr)
), clipped AS (
  -- at most one holder at any time: an interval ends where the next one begins
  SELECT * REPLACE (least(valid_to, coalesce(lead(valid_from) OVER (PARTITION BY scope_vpc, addr ORDER BY valid_from, eni_id), valid_to)) AS valid_to)
  FROM preferred
)
SELECT * FROM clipped WHERE valid_from < valid_to;

-- Per VPC: what ways out it has.
CREATE OR REPLACE TEMP TABLE fl_vpc_exits AS
SELECT v.vpc_id,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'nat-gateway') AS has_nat,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'internet-gateway') AS has_igw,
  EXISTS (SELECT 1 FROM inv_vpc_links l WHERE l.vpc_id = v.vpc_id AND l.kind = 'transit-gateway') AS has_tgw,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'virtual-private-gateway') AS has_vgw
FROM (SELECT vpc_id FROM inv_vpcs UNION SELECT DISTINCT vpc_id FROM inv_enis WHERE vpc_id IS NOT NULL) v;

CREATE OR REPLACE TEMP TABLE fl_gateway_endpoints AS
SELECT DISTINCT vpc_id, upper(aws_service) AS aws_service FROM inv_vpc_endpoints
WHERE endpoint_type = 'Gateway' AND aws_service IS NOT NULL;

CREATE OR REPLACE TEMP TABLE fl_eni_public AS
SELECT eni_id, valid_from, valid_to FROM inv_addresses WHERE addr_kind = 'public' AND eni_id IS NOT NULL;
`;

/** Steps 1-3: records -> one row per conversation-minute with its chosen observer. */
export const CONVERSATION_SQL = `
CREATE OR REPLACE TEMP TABLE fl_rec AS
WITH r AS (
  SELECT r.interface_id AS observer_eni,
         coalesce(r.vpc_id, m.vpc_id) AS obs_vpc,
         m.kind AS observer_kind,
         lower(coalesce(r.pkt_srcaddr, r.srcaddr)) AS src, r.srcport AS sport,
         lower(coalesce(r.pkt_dstaddr, r.dstaddr)) AS dst, r.dstport AS dport,
         r.protocol AS proto, r.bytes, r.packets, r.start, r."end", r.action, r.tcp_flags, r.traffic_path,
         r.pkt_src_aws_service, r.pkt_dst_aws_service,
         -- A NAT gateway's records are used only when they carry the real endpoints (pkt-*): the
         -- translated outside leg (NAT <-> destination) and a v2 inside leg (client <-> NAT) do not.
         coalesce(m.kind = 'natgateway' AND (
           coalesce(r.pkt_srcaddr, r.srcaddr) = m.primary_ip OR coalesce(r.pkt_dstaddr, r.dstaddr) = m.primary_ip), false) AS nat_outside
  FROM flow_records r LEFT JOIN fl_eni m ON m.eni_id = r.interface_id
  WHERE coalesce(r.log_status, 'OK') = 'OK' AND r.srcaddr IS NOT NULL AND r.dstaddr IS NOT NULL
    AND r.start IS NOT NULL
)
SELECT *, (src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0))) AS fwd
FROM r WHERE NOT nat_outside;

CREATE OR REPLACE TEMP TABLE fl_orient AS
WITH k AS (
  SELECT proto,
         CASE WHEN fwd THEN src ELSE dst END AS a_addr, CASE WHEN fwd THEN sport ELSE dport END AS a_port,
         CASE WHEN fwd THEN dst ELSE src END AS b_addr, CASE WHEN fwd THEN dport ELSE sport END AS b_port,
         bool_or(fwd) FILTER (WHERE tcp_flags & 18 = 2) AS syn_from_a,
         bool_or(fwd) FILTER (WHERE tcp_flags & 18 = 18) AS synack_from_a,
         arg_min(fwd, start) AS first_from_a
  FROM fl_rec GROUP BY ALL
)
SELECT proto, a_addr, a_port, b_addr, b_port,
  CASE WHEN syn_from_a IS NOT NULL THEN syn_from_a
       WHEN synack_from_a IS NOT NULL THEN NOT synack_from_a
       WHEN fl_port_rank(a_port) <> fl_port_rank(b_port) THEN fl_port_rank(a_port) > fl_port_rank(b_port)
       WHEN a_port <> b_port THEN a_port > b_port
       ELSE first_from_a END AS client_is_a,
  CASE WHEN syn_from_a IS NOT NULL THEN 'syn' WHEN synack_from_a IS NOT NULL THEN 'syn-ack' ELSE 'port' END AS orientation
FROM k;

CREATE OR REPLACE TEMP TABLE fl_observed AS
WITH j AS (
  SELECT r.*, o.client_is_a, o.orientation,
         (r.fwd = o.client_is_a) AS up
  FROM fl_rec r JOIN fl_orient o
    ON o.proto IS NOT DISTINCT FROM r.proto
   AND o.a_addr = CASE WHEN r.fwd THEN r.src ELSE r.dst END
   AND o.b_addr = CASE WHEN r.fwd THEN r.dst ELSE r.src END
   AND o.a_port IS NOT DISTINCT FROM CASE WHEN r.fwd THEN r.sport ELSE r.dport END
   AND o.b_port IS NOT DISTINCT FROM CASE WHEN r.fwd THEN r.dport ELSE r.sport END
), per_observer AS (
  SELECT proto, orientation,
         CASE WHEN up THEN src ELSE dst END AS client_addr, CASE WHEN up THEN sport ELSE dport END AS client_port,
         CASE WHEN up THEN dst ELSE src END AS server_addr, CASE WHEN up THEN dport ELSE sport END AS server_port,
         start // 60 * 60 AS minute,
         observer_eni, obs_vpc, observer_kind,
         min(start) AS start, max("end") AS "end",
         coalesce(sum(bytes) FILTER (WHERE up), 0) AS uploaded,
         coalesce(sum(bytes) FILTER (WHERE NOT up), 0) AS downloaded,
         coalesce(sum(packets) FILTER (WHERE up), 0) AS packets_up,
         coalesce(sum(packets) FILTER (WHERE NOT up), 0) AS packets_down,
         count(*) AS records,
         bool_or(action = 'REJECT') AS rejected,
         max(traffic_path) FILTER (WHERE up) AS path_up,
         max(traffic_path) FILTER (WHERE NOT up) AS path_down,
         any_value(CASE WHEN up THEN pkt_src_aws_service ELSE pkt_dst_aws_service END) AS client_svc_hint,
         any_value(CASE WHEN up THEN pkt_dst_aws_service ELSE pkt_src_aws_service END) AS server_svc_hint
  FROM j GROUP BY ALL
), ranked AS (
  SELECT p.*,
         CASE WHEN p.observer_kind = 'natgateway' THEN 'nat-gateway'
              WHEN ce.eni_id IS NOT NULL THEN 'client'
              WHEN se.eni_id IS NOT NULL THEN 'server'
              ELSE 'other' END AS observer_side,
         -- sorts the preferred observer first: the client's ENI, the server's, another, a NAT gateway
         CASE WHEN p.observer_kind = 'natgateway' THEN '3' WHEN ce.eni_id IS NOT NULL THEN '0'
              WHEN se.eni_id IS NOT NULL THEN '1' ELSE '2' END || coalesce(p.observer_eni, '') AS pick
  FROM per_observer p
  LEFT JOIN fl_eni_addr ce ON ce.eni_id = p.observer_eni AND ce.addr = p.client_addr
  LEFT JOIN fl_eni_addr se ON se.eni_id = p.observer_eni AND se.addr = p.server_addr
)
SELECT * FROM ranked;

-- One observer per conversation-minute, chosen by a hash aggregate of one short string (no sort; it spills):
-- the client's ENI, else the server's, else another, a NAT gateway last.
CREATE OR REPLACE TEMP TABLE fl_conv AS
WITH chosen AS (
  SELECT proto, client_addr, client_port, server_addr, server_port, minute,
         min(pick) AS best,
         bool_or(rejected) AS any_rejected
  FROM fl_observed
  GROUP BY proto, client_addr, client_port, server_addr, server_port, minute
)
SELECT o.* EXCLUDE (pick), c.any_rejected
FROM fl_observed o JOIN chosen c
  ON c.proto IS NOT DISTINCT FROM o.proto AND c.client_addr = o.client_addr AND c.server_addr = o.server_addr
 AND c.client_port IS NOT DISTINCT FROM o.client_port AND c.server_port IS NOT DISTINCT FROM o.server_port
 AND c.minute = o.minute AND c.best = o.pick;
-- the records are no longer needed: free their memory before attribution
DROP TABLE fl_rec; DROP TABLE fl_orient; DROP TABLE fl_observed;

-- AWS-owned public addresses: the most specific service, then the longest prefix.
CREATE OR REPLACE TEMP TABLE fl_public AS
WITH addrs AS (
  SELECT DISTINCT addr FROM (SELECT client_addr AS addr FROM fl_conv UNION ALL SELECT server_addr FROM fl_conv)
  WHERE NOT fl_private(addr)
), ints AS (
  SELECT addr, fl_ip_family(addr) AS family, fl_ip_int(addr) AS v FROM addrs WHERE fl_ip_int(addr) IS NOT NULL
)
SELECT i.addr,
       arg_max(p.service, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_service,
       arg_max(p.region, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_region
FROM ints i JOIN inv_prefixes p ON p.family = i.family AND i.v BETWEEN p.lo AND p.hi
GROUP BY i.addr;
`;

function side(x: 'client' | 'server', a: string, g: string, e: string, r: string, p: string): string {
  return `
    c.${x}_addr, c.${x}_port,
    coalesce(${a}.eni_id, ${g}.eni_id) AS ${x}_eni,
    coalesce(${a}.arn, ${g}.arn) AS ${x}_arn,
    CASE WHEN ${e}.kind = 'eks-node' AND coalesce(${a}.addr_kind, ${g}.addr_kind) = 'secondary' THEN 'eks:pod'
         WHEN ${r}.type IS NOT NULL THEN ${r}.type
         WHEN coalesce(${a}.eni_id, ${g}.eni_id) IS NOT NULL THEN 'ec2:network-interface'
         WHEN coalesce(${p}.aws_service, c.${x}_svc_hint) IS NOT NULL THEN 'aws:service'
         WHEN fl_private(c.${x}_addr) THEN 'unknown'
         ELSE 'internet' END AS ${x}_type,
    CASE WHEN ${e}.kind = 'eks-node' AND coalesce(${a}.addr_kind, ${g}.addr_kind) = 'secondary' THEN 'eks-pod' ELSE ${r}.kind END AS ${x}_kind,
    ${e}.vpc_id AS ${x}_vpc, ${e}.subnet_id AS ${x}_subnet, ${e}.az AS ${x}_az,
    coalesce(${e}.account_id, ${r}.account_id) AS ${x}_account,
    coalesce(${e}.region, ${r}.region, CASE WHEN ${p}.aws_region <> 'GLOBAL' THEN ${p}.aws_region END) AS ${x}_region,
    CASE WHEN coalesce(${a}.eni_id, ${g}.eni_id) IS NULL THEN upper(coalesce(
      CASE WHEN ${p}.aws_service <> 'AMAZON' THEN ${p}.aws_service END, c.${x}_svc_hint, ${p}.aws_service)) END AS ${x}_aws_service,
    fl_rfc1918(c.${x}_addr) AS ${x}_rfc1918`;
}

/** Steps 4-5: attribution of both sides, egress path and flags, into `conversations`. */
export const ATTRIBUTE_SQL = `
DELETE FROM conversations;
INSERT INTO conversations BY NAME
WITH fl_attr AS (
  SELECT
    c.start, c."end", fl_ts(c.minute) AS window_start, c.proto AS protocol,
    CASE WHEN c.any_rejected THEN 'REJECT' ELSE 'ACCEPT' END AS action,
    ${side('client', 'ca', 'cg', 'ce', 'cr', 'cp')},
    ${side('server', 'sa', 'sg', 'se', 'sr', 'sp')},
    c.uploaded, c.downloaded, c.packets_up, c.packets_down, c.records::INTEGER AS records,
    c.observer_eni, c.observer_side, c.orientation,
    c.obs_vpc, coalesce(CASE WHEN c.observer_side = 'server' THEN c.path_down ELSE c.path_up END, c.path_up, c.path_down) AS traffic_path,
    EXISTS (SELECT 1 FROM fl_eni_public p WHERE p.eni_id = ce.eni_id AND fl_ts(c.start) >= p.valid_from AND fl_ts(c.start) < p.valid_to) AS client_has_public,
    EXISTS (SELECT 1 FROM fl_eni_public p WHERE p.eni_id = se.eni_id AND fl_ts(c.start) >= p.valid_from AND fl_ts(c.start) < p.valid_to) AS server_has_public
  FROM fl_conv c
  LEFT JOIN fl_scope ca ON ca.scope_vpc = coalesce(c.obs_vpc, '?') AND ca.addr = c.client_addr
    AND fl_ts(c.start) >= ca.valid_from AND fl_ts(c.start) < ca.valid_to
  LEFT JOIN fl_scope cg ON cg.scope_vpc = '*' AND cg.addr = c.client_addr
    AND fl_ts(c.start) >= cg.valid_from AND fl_ts(c.start) < cg.valid_to
  LEFT JOIN fl_scope sa ON sa.scope_vpc = coalesce(c.obs_vpc, '?') AND sa.addr = c.server_addr
    AND fl_ts(c.start) >= sa.valid_from AND fl_ts(c.start) < sa.valid_to
  LEFT JOIN fl_scope sg ON sg.scope_vpc = '*' AND sg.addr = c.server_addr
    AND fl_ts(c.start) >= sg.valid_from AND fl_ts(c.start) < sg.valid_to
  LEFT JOIN fl_eni ce ON ce.eni_id = coalesce(ca.eni_id, cg.eni_id)
  LEFT JOIN fl_eni se ON se.eni_id = coalesce(sa.eni_id, sg.eni_id)
  LEFT JOIN inv_resources cr ON cr.arn = coalesce(ca.arn, cg.arn)
  LEFT JOIN inv_resources sr ON sr.arn = coalesce(sa.arn, sg.arn)
  LEFT JOIN fl_public cp ON cp.addr = c.client_addr AND ca.eni_id IS NULL AND cg.eni_id IS NULL
  LEFT JOIN fl_public sp ON sp.addr = c.server_addr AND sa.eni_id IS NULL AND sg.eni_id IS NULL
), x AS (
  SELECT a.*,
    -- the side inside a VPC that the traffic left from (the client when both are inside)
    CASE WHEN a.client_vpc IS NOT NULL THEN a.client_vpc ELSE a.server_vpc END AS home_vpc,
    CASE WHEN a.client_vpc IS NOT NULL THEN a.client_has_public ELSE a.server_has_public END AS home_public,
    CASE WHEN a.client_vpc IS NOT NULL THEN a.server_type ELSE a.client_type END AS away_type,
    CASE WHEN a.client_vpc IS NOT NULL THEN a.server_aws_service ELSE a.client_aws_service END AS away_service,
    l.kind AS link_kind
  FROM fl_attr a
  LEFT JOIN (SELECT vpc_id, peer_vpc_id, min(kind) AS kind FROM inv_vpc_links GROUP BY ALL) l
    ON l.vpc_id = a.client_vpc AND l.peer_vpc_id = a.server_vpc
)
SELECT x.* EXCLUDE (obs_vpc, traffic_path, client_has_public, server_has_public, home_vpc, home_public,
                    away_type, away_service, link_kind),
  CASE WHEN x.client_type IN ('aws:service', 'internet') THEN coalesce('aws:' || x.client_aws_service, 'internet')
       ELSE coalesce(x.client_arn, x.client_eni, x.client_type || ':' || x.client_addr) END AS client_node,
  CASE WHEN x.server_type IN ('aws:service', 'internet') THEN coalesce('aws:' || x.server_aws_service, 'internet')
       ELSE coalesce(x.server_arn, x.server_eni, x.server_type || ':' || x.server_addr) END AS server_node,
  CASE
    WHEN x.server_kind = 'interface-endpoint' OR x.client_kind = 'interface-endpoint' THEN 'interface-endpoint'
    WHEN x.traffic_path = 3 THEN 'virtual-private-gateway'
    WHEN x.traffic_path = 4 THEN 'peering-intra-region'
    WHEN x.traffic_path = 5 THEN 'peering-inter-region'
    WHEN x.traffic_path = 6 THEN 'local-gateway'
    WHEN x.traffic_path = 7 THEN 'gateway-endpoint'
    WHEN x.traffic_path = 8 THEN 'internet-gateway'
    WHEN x.traffic_path = 2 THEN CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint' ELSE 'internet-gateway' END
    WHEN x.client_vpc IS NOT NULL AND x.server_vpc IS NOT NULL THEN
      CASE WHEN x.client_vpc = x.server_vpc THEN 'same-vpc'
           WHEN x.link_kind = 'peering' THEN
             CASE WHEN x.client_region = x.server_region THEN 'peering-intra-region' ELSE 'peering-inter-region' END
           WHEN x.link_kind = 'transit-gateway' THEN 'transit-gateway'
           ELSE 'unknown' END
    WHEN x.home_vpc IS NULL THEN 'unknown'
    WHEN x.away_type IN ('aws:service', 'internet') THEN
      CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint'
           -- inbound from outside: only an internet gateway (or a TGW) brings it in, never a NAT
           WHEN x.client_vpc IS NULL THEN CASE WHEN ex.has_igw OR x.home_public THEN 'internet-gateway'
                                               WHEN ex.has_tgw THEN 'transit-gateway' ELSE 'unknown' END
           WHEN x.traffic_path = 1 AND ex.has_nat THEN 'nat-gateway'
           WHEN x.traffic_path = 1 AND ex.has_tgw THEN 'transit-gateway'
           WHEN x.home_public THEN 'internet-gateway'
           WHEN x.client_kind = 'natgateway' OR x.server_kind = 'natgateway' THEN 'internet-gateway'
           WHEN ex.has_nat THEN 'nat-gateway'
           WHEN ex.has_tgw THEN 'transit-gateway'
           WHEN ex.has_igw THEN 'internet-gateway'
           ELSE 'unknown' END
    WHEN x.away_type = 'unknown' THEN
      CASE WHEN ex.has_tgw THEN 'transit-gateway' WHEN ex.has_vgw THEN 'virtual-private-gateway' ELSE 'unknown' END
    ELSE 'unknown'
  END AS egress_path,
  -- cross-AZ is a within-region charge; traffic between regions is cross_region instead
  (x.client_az IS NOT NULL AND x.server_az IS NOT NULL AND x.client_az <> x.server_az
   AND x.client_region IS NOT DISTINCT FROM x.server_region) AS cross_az,
  (x.client_region IS NOT NULL AND x.server_region IS NOT NULL AND x.client_region <> x.server_region) AS cross_region,
  (x.client_vpc IS NOT NULL AND x.server_vpc IS NOT NULL AND x.client_vpc <> x.server_vpc) AS cross_vpc,
  (x.client_account IS NOT NULL AND x.server_account IS NOT NULL AND x.client_account <> x.server_account) AS cross_account
FROM x
LEFT JOIN fl_gateway_endpoints ge ON ge.vpc_id = x.home_vpc AND ge.aws_service = x.away_service
LEFT JOIN fl_vpc_exits ex ON ex.vpc_id = x.home_vpc;
`;

export const CLEANUP_SQL = `
DROP TABLE IF EXISTS fl_rec; DROP TABLE IF EXISTS fl_orient; DROP TABLE IF EXISTS fl_observed; DROP TABLE IF EXISTS fl_conv;
DROP TABLE IF EXISTS fl_public;
`;

export async function buildConversations(db: Db): Promise<void> {
  await db.exec(PREPARE_SQL);
  await db.exec(CONVERSATION_SQL);
  await db.exec(ATTRIBUTE_SQL);
  await db.exec(CLEANUP_SQL);
}
