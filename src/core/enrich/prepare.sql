-- Small inventory-derived helper tables (thousands of rows), made at the start of every enrichment
-- (step "inventory tables", see conversations.ts).

-- ECS task interfaces only flow records tell of (inv_record_tasks, version 7's ecs-* fields), where the inventory
-- does not know the interface: the task owns it, with its own address, from its first record to its last.
CREATE OR REPLACE TEMP TABLE fl_record_tasks AS
SELECT eni_id, task_arn AS arn, any_value(cluster_name) AS cluster_name, any_value(service_name) AS service_name,
       coalesce(any_value(account_id), split_part(task_arn, ':', 5)) AS account_id,
       coalesce(any_value(region), split_part(task_arn, ':', 4)) AS region, any_value(vpc_id) AS vpc_id,
       any_value(subnet_id) AS subnet_id, any_value(addr) AS addr, min(valid_from) AS valid_from, max(valid_to) AS valid_to
FROM inv_record_tasks WHERE eni_id NOT IN (SELECT eni_id FROM inv_enis)
GROUP BY eni_id, task_arn;

-- The resources attribution reads: the inventory's, and those tasks.
CREATE OR REPLACE TEMP TABLE fl_resources AS
SELECT arn, type, kind, account_id, region FROM inv_resources
UNION ALL
SELECT arn, 'ecs:task', 'ecs-task', any_value(account_id), any_value(region) FROM fl_record_tasks
WHERE arn NOT IN (SELECT arn FROM inv_resources) GROUP BY arn;

-- Elastic IPs (ec2 describe-addresses) whose public address no interface of the inventory held: while none did, the
-- address is the Elastic IP's own side (its holder is one the inventory does not show: another account's interface,
-- a region or a permission the collection did not reach), with the Elastic IP's account, region and tags. An
-- interface that held it always comes first (its own public address, inv_addresses).
CREATE OR REPLACE TEMP TABLE fl_eip_addresses AS
WITH eip AS (
  SELECT json_extract_string(attrs, '$.public_ip') AS addr, arn, valid_from, valid_to FROM inv_resources
  WHERE type = 'ec2:elastic-ip' AND json_extract_string(attrs, '$.public_ip') IS NOT NULL AND valid_from < valid_to
), held AS (
  SELECT a.addr, a.valid_from, a.valid_to FROM inv_addresses a SEMI JOIN eip e ON e.addr = a.addr WHERE a.addr_kind = 'public'
), cuts AS (
  SELECT addr, valid_from AS t FROM eip UNION SELECT addr, valid_to FROM eip
  UNION SELECT addr, valid_from FROM held UNION SELECT addr, valid_to FROM held
), spans AS (
  SELECT addr, t AS valid_from, lead(t) OVER (PARTITION BY addr ORDER BY t) AS valid_to FROM cuts
)
SELECT s.addr, arg_max(e.arn, e.valid_from) AS arn, s.valid_from, s.valid_to
FROM spans s JOIN eip e ON e.addr = s.addr AND e.valid_from <= s.valid_from AND e.valid_to >= s.valid_to
WHERE s.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM held h WHERE h.addr = s.addr AND h.valid_from < s.valid_to AND h.valid_to > s.valid_from)
GROUP BY s.addr, s.valid_from, s.valid_to;

-- Who held an address when: the inventory's, those tasks' interfaces, and those Elastic IPs.
CREATE OR REPLACE TEMP VIEW fl_addresses AS
SELECT addr, family, addr_kind, vpc_id, eni_id, arn, valid_from, valid_to FROM inv_addresses
UNION ALL
SELECT addr, fl_ip_family(addr), 'primary', vpc_id, eni_id, arn, valid_from, valid_to FROM fl_record_tasks WHERE addr IS NOT NULL
UNION ALL
SELECT addr, fl_ip_family(addr), 'public', NULL, NULL, arn, valid_from, valid_to FROM fl_eip_addresses;

CREATE OR REPLACE TEMP TABLE fl_eni AS
SELECT e.eni_id, any_value(e.vpc_id) AS vpc_id, any_value(e.kind) AS kind, any_value(e.subnet_id) AS subnet_id,
       any_value(e.az) AS az, any_value(e.account_id) AS account_id, any_value(e.region) AS region,
       any_value(p.addr) AS primary_ip
FROM (SELECT eni_id, vpc_id, kind, subnet_id, az, account_id, region FROM inv_enis
      UNION ALL SELECT eni_id, vpc_id, 'ecs-task', subnet_id, NULL, account_id, region FROM fl_record_tasks) e
LEFT JOIN fl_addresses p ON p.eni_id = e.eni_id AND p.addr_kind = 'primary'
GROUP BY e.eni_id;

CREATE OR REPLACE TEMP TABLE fl_eni_addr AS
SELECT DISTINCT eni_id, addr FROM fl_addresses WHERE eni_id IS NOT NULL;

-- Who held an address when, and where it is looked up from (scope_vpc):
--   a VPC id: exact, for an observer in that VPC: the VPC's own holders, else those of a VPC peered or
--     TGW-attached to it;
--   '*': exact, public and IPv6 addresses (global);
--   '~': inferred, a private address while exactly one holder in the whole inventory had it (attribution.sql uses
--     it only when the exact lookup finds nothing: private ranges overlap, an inferred holder never hides an exact one);
--   '!': an ENI itself (addr NULL), whom it belonged to when (arn NULL while the inventory does not say): the side
--     a record's own interface-id proves, even before the ENI's AttachTime.
CREATE OR REPLACE TEMP TABLE fl_scope AS
WITH private AS (
  SELECT * FROM fl_addresses WHERE addr_kind <> 'public' AND family = 4
), candidates AS (
  SELECT vpc_id AS scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 AS rank FROM private
  UNION ALL
  SELECT DISTINCT l.vpc_id, a.addr, a.addr_kind, a.eni_id, a.arn, a.valid_from, a.valid_to, 1
  FROM private a JOIN inv_vpc_links l ON l.peer_vpc_id = a.vpc_id
  UNION ALL
  SELECT '*', addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 FROM fl_addresses
  WHERE addr_kind = 'public' OR family = 6
), preferred AS (
  SELECT DISTINCT scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to, rank FROM candidates
  QUALIFY rank = min(rank) OVER (PARTITION BY scope_vpc, addr)
), clipped AS (
  -- at most one holder at any time: an interval ends where the next one begins
  SELECT * REPLACE (least(valid_to, coalesce(lead(valid_from) OVER (PARTITION BY scope_vpc, addr ORDER BY valid_from, eni_id), valid_to)) AS valid_to)
  FROM preferred
), own AS (
  -- each VPC's own holders of its private addresses, one at a time
  SELECT * FROM clipped WHERE rank = 0 AND scope_vpc IS DISTINCT FROM '*' AND valid_from < valid_to
), cuts AS (
  SELECT addr, valid_from AS t FROM own UNION SELECT addr, valid_to FROM own
), spans AS (
  SELECT addr, t AS valid_from, lead(t) OVER (PARTITION BY addr ORDER BY t) AS valid_to FROM cuts
), sole AS (
  -- the spans of time in which one VPC's holder is the address's only one in the inventory
  SELECT '~' AS scope_vpc, s.addr, any_value(o.addr_kind) AS addr_kind, any_value(o.eni_id) AS eni_id,
         any_value(o.arn) AS arn, s.valid_from, s.valid_to
  FROM spans s JOIN own o ON o.addr = s.addr AND o.valid_from <= s.valid_from AND o.valid_to >= s.valid_to
  WHERE s.valid_to IS NOT NULL
  GROUP BY s.addr, s.valid_from, s.valid_to
  HAVING count(*) = 1 AND any_value(o.eni_id) IS NOT NULL
), owners AS (
  -- an ENI's owners, one at a time
  SELECT eni_id, arn, valid_from,
         least(valid_to, coalesce(lead(valid_from) OVER (PARTITION BY eni_id ORDER BY valid_from, arn), valid_to)) AS valid_to
  FROM (SELECT eni_id, arn, valid_from, valid_to FROM inv_enis UNION ALL SELECT eni_id, arn, valid_from, valid_to FROM fl_record_tasks)
), owner_cuts AS (
  SELECT eni_id, valid_from AS t FROM owners UNION SELECT eni_id, valid_to FROM owners
  UNION SELECT DISTINCT eni_id, '-infinity'::TIMESTAMP FROM owners UNION SELECT DISTINCT eni_id, 'infinity'::TIMESTAMP FROM owners
), owner_spans AS (
  SELECT eni_id, t AS valid_from, lead(t) OVER (PARTITION BY eni_id ORDER BY t) AS valid_to FROM owner_cuts
), proven AS (
  -- all time, cut where the owner changes: the owner known then, else none
  SELECT '!' AS scope_vpc, NULL::VARCHAR AS addr, NULL::VARCHAR AS addr_kind, s.eni_id, o.arn, s.valid_from, s.valid_to
  FROM owner_spans s
  LEFT JOIN owners o ON o.eni_id = s.eni_id AND o.valid_from <= s.valid_from AND o.valid_to >= s.valid_to AND o.valid_from < o.valid_to
  WHERE s.valid_to IS NOT NULL
), scoped AS (
  SELECT scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to FROM clipped WHERE valid_from < valid_to
  UNION ALL SELECT * FROM sole
  UNION ALL SELECT * FROM proven
)
-- sep numbers the side a holder makes (its ENI, resource, whether it is an EKS pod's secondary address, and
-- whether it is inferred) and skey says the same in text, which an enrichment finds the side by again when it appends
SELECT c.*, dense_rank() OVER (ORDER BY c.eni_id NULLS FIRST, c.arn NULLS FIRST, pod, inferred) AS sep,
       coalesce(c.eni_id, '') || '|' || coalesce(c.arn, '') || CASE WHEN pod THEN '|pod' ELSE '' END
       || CASE WHEN inferred THEN '|inferred' ELSE '' END AS skey
FROM (SELECT c.*, coalesce(e.kind = 'eks-node' AND c.addr_kind = 'secondary', false) AS pod, c.scope_vpc = '~' AS inferred
      FROM scoped c LEFT JOIN fl_eni e ON e.eni_id = c.eni_id) c;

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
