-- Per part, after attribution.sql: what the new identities are, and the part's conversation facts (fl_facts_part).

INSERT INTO fl_endpoints
WITH t AS (
  SELECT i.ep, s.eni_id AS eni, s.arn, s.skey, i.pregion, i.unknown AS unknown_addr,
    CASE WHEN s.pod THEN 'eks:pod'
         WHEN r.type IS NOT NULL THEN r.type
         WHEN s.eni_id IS NOT NULL THEN 'ec2:network-interface'
         WHEN i.svc IS NOT NULL THEN 'aws:service'
         WHEN i.unknown IS NOT NULL THEN coalesce(ac.addr_type, 'unknown')
         ELSE 'internet' END AS type,
    CASE WHEN s.pod THEN 'eks-pod' ELSE coalesce(r.kind, ac.addr_kind) END AS kind,
    e.vpc_id AS vpc, e.subnet_id AS subnet, e.az, coalesce(e.account_id, r.account_id) AS account,
    coalesce(e.region, r.region, i.pregion) AS region, i.svc AS aws_service, i.unknown, s.inferred
  FROM fl_ident i
  LEFT JOIN (SELECT DISTINCT sep, eni_id, arn, pod, inferred, skey FROM fl_scope) s ON s.sep = i.sep
  LEFT JOIN fl_eni e ON e.eni_id = s.eni_id
  LEFT JOIN fl_resources r ON r.arn = s.arn
  LEFT JOIN fl_addr_class ac ON ac.addr = i.unknown
  WHERE i.ep NOT IN (SELECT ep FROM fl_endpoints)
)
SELECT ep, eni, arn, type, kind, vpc, subnet, az, account, region, aws_service,
  CASE WHEN type IN ('aws:service', 'internet') THEN coalesce('aws:' || aws_service, 'internet')
       ELSE coalesce(arn, eni, type || ':' || unknown) END AS node,
  skey, pregion, unknown_addr,
  -- how the side was found: inferred (the only holder of a private address no observer VPC explains), exact, or
  -- nothing found (an unknown private address)
  CASE WHEN inferred THEN 'inferred' WHEN type <> 'unknown' THEN 'exact' END AS attribution
FROM t;

-- The part's conversation facts. conversations.ts inserts them into the enrichment's facts table (fl_facts_new
-- when appending, else conversation_facts_next) with DuckDB's build_side_probe_side optimizer off: the
-- identity joins (IS NOT DISTINCT FROM on four keys) make DuckDB underestimate the statement's rows and build
-- its hash tables on the millions of conversations instead of the few VPC links and exits (10 M records:
-- 14.6 s -> 5.4 s with the build side left as written).
CREATE OR REPLACE TEMP VIEW fl_facts_part AS
WITH x AS (
  SELECT f.*, ci.ep AS client_ep, si.ep AS server_ep,
    ce.vpc AS client_vpc, ce.kind AS client_kind, ce.type AS client_type, ce.region AS client_region, ce.aws_service AS client_aws_service,
    se.vpc AS server_vpc, se.kind AS server_kind, se.type AS server_type, se.region AS server_region, se.aws_service AS server_aws_service
  FROM fl_sided f
  JOIN fl_ident ci ON fl_same_side(ci.sep, ci.svc, ci.pregion, ci.unknown, f.client_sep, f.client_svc, f.client_pregion, f.client_unknown)
  JOIN fl_ident si ON fl_same_side(si.sep, si.svc, si.pregion, si.unknown, f.server_sep, f.server_svc, f.server_pregion, f.server_unknown)
  JOIN fl_endpoints ce ON ce.ep = ci.ep
  JOIN fl_endpoints se ON se.ep = si.ep
), y AS (
  SELECT x.*,
    -- the side inside a VPC that the traffic left from (the client when both are inside)
    CASE WHEN x.client_vpc IS NOT NULL THEN x.client_vpc ELSE x.server_vpc END AS home_vpc,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.client_has_public ELSE x.server_has_public END AS home_public,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.server_type ELSE x.client_type END AS away_type,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.server_aws_service ELSE x.client_aws_service END AS away_service,
    -- a special-purpose address's reach (address_types): link never leaves the subnet, private only over
    -- private links, public as a public address would
    CASE WHEN x.client_vpc IS NOT NULL THEN x.server_reach ELSE x.client_reach END AS away_reach,
    l.kind AS link_kind
  FROM x
  LEFT JOIN (SELECT vpc_id, peer_vpc_id, min(kind) AS kind FROM inv_vpc_links GROUP BY ALL) l
    ON l.vpc_id = x.client_vpc AND l.peer_vpc_id = x.server_vpc
)
SELECT y.start, y."end", fl_ts(y.minute) AS window_start, y.proto AS protocol, y.any_rejected AS rejected,
  y.client_addr, y.client_port, y.client_ep, y.client_rfc1918,
  y.server_addr, y.server_port, y.server_ep, y.server_rfc1918,
  y.uploaded, y.downloaded, y.packets_up, y.packets_down, y.records::INTEGER AS records,
  y.obs AS observer, y.observer_side, y.orientation,
  fl_code_egress_path(CASE
    WHEN y.server_kind = 'interface-endpoint' OR y.client_kind = 'interface-endpoint' THEN 'interface-endpoint'
    WHEN y.traffic_path = 3 THEN 'virtual-private-gateway'
    WHEN y.traffic_path = 4 THEN 'peering-intra-region'
    WHEN y.traffic_path = 5 THEN 'peering-inter-region'
    WHEN y.traffic_path = 6 THEN 'local-gateway'
    WHEN y.traffic_path = 7 THEN 'gateway-endpoint'
    WHEN y.traffic_path = 8 THEN 'internet-gateway'
    WHEN y.traffic_path = 2 THEN CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint' ELSE 'internet-gateway' END
    WHEN y.client_vpc IS NOT NULL AND y.server_vpc IS NOT NULL THEN
      CASE WHEN y.client_vpc = y.server_vpc THEN 'same-vpc'
           WHEN y.link_kind = 'peering' THEN
             CASE WHEN y.client_region = y.server_region THEN 'peering-intra-region' ELSE 'peering-inter-region' END
           WHEN y.link_kind = 'transit-gateway' THEN 'transit-gateway'
           ELSE 'unknown' END
    WHEN y.home_vpc IS NULL THEN 'unknown'
    WHEN y.away_reach = 'link' THEN 'same-vpc'
    -- an Elastic IP whose interface the inventory does not show is a public address (prepare.sql)
    WHEN y.away_type IN ('aws:service', 'internet', 'ec2:elastic-ip') OR y.away_reach = 'public' THEN
      CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint'
           -- inbound from outside: only an internet gateway (or a TGW) brings it in, never a NAT
           WHEN y.client_vpc IS NULL THEN CASE WHEN ex.has_igw OR y.home_public THEN 'internet-gateway'
                                               WHEN ex.has_tgw THEN 'transit-gateway' ELSE 'unknown' END
           WHEN y.traffic_path = 1 AND ex.has_nat THEN 'nat-gateway'
           WHEN y.traffic_path = 1 AND ex.has_tgw THEN 'transit-gateway'
           WHEN y.home_public THEN 'internet-gateway'
           WHEN y.client_kind = 'natgateway' OR y.server_kind = 'natgateway' THEN 'internet-gateway'
           WHEN ex.has_nat THEN 'nat-gateway'
           WHEN ex.has_tgw THEN 'transit-gateway'
           WHEN ex.has_igw THEN 'internet-gateway'
           ELSE 'unknown' END
    WHEN y.away_type = 'unknown' OR y.away_reach = 'private' THEN
      CASE WHEN ex.has_tgw THEN 'transit-gateway' WHEN ex.has_vgw THEN 'virtual-private-gateway' ELSE 'unknown' END
    ELSE 'unknown'
  END) AS egress_path,
  y.evidence, y.paths, y.client_ports::INTEGER AS client_ports, y.server_observer
FROM y
LEFT JOIN fl_gateway_endpoints ge ON ge.vpc_id = y.home_vpc AND ge.aws_service = y.away_service
LEFT JOIN fl_vpc_exits ex ON ex.vpc_id = y.home_vpc;
