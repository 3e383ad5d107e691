-- Numbering, before the parts of an enrichment that reads records (fl_pending, the records loaded since the
-- last enrichment): every address and observer the records name, numbered.

-- Every address the records name, numbered: the big aggregations below then group and join on integers.
-- (Addresses are stored lower-case, as every reader writes them: readers.ts, records.ts, reduced.ts.)
CREATE OR REPLACE TEMP TABLE fl_addr AS
SELECT row_number() OVER ()::INTEGER AS id, addr FROM (
  SELECT coalesce(pkt_srcaddr, srcaddr) AS addr FROM fl_pending WHERE srcaddr IS NOT NULL
  UNION SELECT coalesce(pkt_dstaddr, dstaddr) FROM fl_pending WHERE dstaddr IS NOT NULL
  -- and those of the pending reduced rows (reduced-sums.sql)
  UNION SELECT client_addr FROM fl_pending_reduced UNION SELECT server_addr FROM fl_pending_reduced);

-- Observers: those stored (their numbers are in the facts) and those the records name for the first time
-- (ENI and the VPC it logged, else the inventory's), numbered after them; ord is the order among equals.
CREATE OR REPLACE TEMP TABLE fl_obs_seen AS
WITH d AS (SELECT DISTINCT interface_id, vpc_id FROM fl_pending UNION SELECT interface_id, vpc_id FROM fl_pending_reduced)
SELECT d.interface_id, d.vpc_id AS rec_vpc, coalesce(d.vpc_id, m.vpc_id) AS obs_vpc FROM d LEFT JOIN fl_eni m ON m.eni_id = d.interface_id;
CREATE OR REPLACE TEMP TABLE fl_observer AS
WITH o AS (
  SELECT obs, eni AS interface_id, vpc AS obs_vpc, false AS new FROM observers
  UNION ALL
  SELECT (SELECT coalesce(max(obs), 0) FROM observers) + row_number() OVER (ORDER BY interface_id, obs_vpc)::INTEGER, interface_id, obs_vpc, true
  FROM (SELECT DISTINCT interface_id, obs_vpc FROM fl_obs_seen s
        WHERE NOT EXISTS (SELECT 1 FROM observers o WHERE o.eni IS NOT DISTINCT FROM s.interface_id AND o.vpc IS NOT DISTINCT FROM s.obs_vpc))
)
SELECT o.*, m.kind, pa.id AS primary_id, dense_rank() OVER (ORDER BY o.interface_id, o.obs_vpc)::INTEGER AS ord
FROM o LEFT JOIN fl_eni m ON m.eni_id = o.interface_id LEFT JOIN fl_addr pa ON pa.addr = m.primary_ip;
CREATE OR REPLACE TEMP TABLE fl_obs_eni AS
SELECT s.interface_id, s.rec_vpc, o.obs, o.kind, o.primary_id
FROM fl_obs_seen s JOIN fl_observer o ON o.interface_id IS NOT DISTINCT FROM s.interface_id AND o.obs_vpc IS NOT DISTINCT FROM s.obs_vpc;
DROP TABLE fl_obs_seen;
CREATE OR REPLACE TEMP TABLE fl_obs_addr AS
SELECT DISTINCT o.obs, a.id AS addr FROM fl_observer o JOIN fl_eni_addr e ON e.eni_id = o.interface_id JOIN fl_addr a ON a.addr = e.addr;
