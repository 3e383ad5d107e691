-- What attribution reads from the inventory, in a form two enrichments can be compared by (after prepare.sql,
-- from its tables): each enrichment's transaction stores it as attribution_basis (save-basis.sql), and when the
-- inventory changed, inventory-change.sql compares the stored one with this one to find what the change covers.
-- A row is a key (kind, scope_vpc, addr, id), what it says (value), and when it says it [valid_from, valid_to):
--   scope: a holder of fl_scope, its side's identity (skey) by (scope, address) or, for '!' rows, by ENI (id);
--   public: when an ENI (id) had a public address (fl_eni_public);
--   eni, resource: what a side's ENI or resource (id) is (the attributes endpoints store), for all time;
--   static: one row, a hash of what attribution reads that says nothing of time (VPC exits, gateway endpoints,
--     VPC links, AWS prefixes, special-purpose address types).
CREATE OR REPLACE TEMP VIEW fl_basis_now AS
SELECT 'scope' AS kind, scope_vpc, addr, CASE WHEN addr IS NULL THEN eni_id END AS id, skey AS value, valid_from, valid_to
FROM fl_scope
UNION ALL
SELECT 'public', NULL, NULL, eni_id, '', valid_from, valid_to FROM fl_eni_public
UNION ALL
SELECT 'eni', NULL, NULL, eni_id, [vpc_id, kind, subnet_id, az, account_id, region]::VARCHAR,
       '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP
FROM fl_eni
UNION ALL
SELECT DISTINCT 'resource', NULL, NULL, arn, [type, kind, account_id, region]::VARCHAR, '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP
FROM fl_resources
UNION ALL
SELECT 'static', NULL, NULL, NULL, md5(string_agg(h, ',' ORDER BY h)), '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP
FROM (
  SELECT 'exits:' || coalesce(sum(hash(x)::HUGEINT), 0) AS h FROM fl_vpc_exits x WHERE has_nat OR has_igw OR has_tgw OR has_vgw
  UNION ALL SELECT 'gateway-endpoints:' || coalesce(sum(hash(x)::HUGEINT), 0) FROM fl_gateway_endpoints x
  UNION ALL SELECT 'links:' || coalesce(sum(hash(vpc_id, peer_vpc_id, kind)::HUGEINT), 0) FROM inv_vpc_links
  UNION ALL SELECT 'prefixes:' || count(*) || ':' || coalesce(sum(hash(x)::HUGEINT), 0) FROM inv_prefixes x
  UNION ALL SELECT 'address-types:' || count(*) || ':' || coalesce(sum(hash(x)::HUGEINT), 0) FROM address_types x
);
