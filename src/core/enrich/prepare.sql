-- Small inventory-derived helper tables (thousands of rows), made at the start of every enrichment
-- (step "inventory tables", see conversations.ts).

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
-- sep numbers the side a holder makes (its ENI, resource, and whether it is an EKS pod's secondary address)
-- and skey says the same in text, which an enrichment finds the side by again when it appends
SELECT c.*, dense_rank() OVER (ORDER BY c.eni_id NULLS FIRST, c.arn NULLS FIRST, pod) AS sep,
       coalesce(c.eni_id, '') || '|' || coalesce(c.arn, '') || CASE WHEN pod THEN '|pod' ELSE '' END AS skey
FROM (SELECT c.*, coalesce(e.kind = 'eks-node' AND c.addr_kind = 'secondary', false) AS pod
      FROM clipped c LEFT JOIN fl_eni e ON e.eni_id = c.eni_id WHERE c.valid_from < c.valid_to) c;

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

-- When an ENI had a public address: its intervals merged, so that a range join finds at most one.
CREATE OR REPLACE TEMP TABLE fl_eni_public AS
WITH s AS (
  SELECT eni_id, valid_from, valid_to,
         max(valid_to) OVER (PARTITION BY eni_id ORDER BY valid_from, valid_to
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM inv_addresses WHERE addr_kind = 'public' AND eni_id IS NOT NULL AND valid_from < valid_to
), g AS (
  SELECT *, sum(CASE WHEN reach >= valid_from THEN 0 ELSE 1 END) OVER (PARTITION BY eni_id ORDER BY valid_from, valid_to) AS island
  FROM s
)
SELECT eni_id, min(valid_from) AS valid_from, max(valid_to) AS valid_to FROM g GROUP BY eni_id, island;
