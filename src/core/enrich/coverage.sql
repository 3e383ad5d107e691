-- Each ENI's logging coverage (eni_coverage, docs/schema.md): which spans of time its records cover, so that a
-- question can tell "no traffic" from "not logged" (sg-unused-rules). Read from the pending records (fl_pending),
-- every status: OK and NODATA records prove the ENI was logged over their capture window ('logged'), SKIPDATA
-- records that records were dropped over theirs ('skipped'). An ENI logged the whole time has a record every
-- aggregation interval (an idle one, NODATA), so its records lie at most two intervals apart: records of one ENI and
-- status less than that apart make one island (SKIPDATA records: less than a minute apart). The interval is its flow
-- log's MaxAggregationInterval (the flow log of the ENI, its subnet or its VPC, inv_flow_logs), else AWS's default,
-- 600 s. Merged with the stored islands they reach: the commit replaces those (fl_coverage_taken) with the islands
-- made here (fl_coverage).

-- each ENI's aggregation interval, where its flow log is known
CREATE OR REPLACE TEMP TABLE fl_cov_window AS
SELECT e.eni_id, min(f.max_aggregation_interval) AS w
FROM (SELECT DISTINCT eni_id, subnet_id, vpc_id FROM inv_enis) e
JOIN inv_flow_logs f ON f.resource_id IN (e.eni_id, e.subnet_id, e.vpc_id) AND f.max_aggregation_interval > 0
GROUP BY e.eni_id;

-- the pending records per ENI, status and minute: few rows for the islands below to order; and the pending rows of an
-- Athena reduction (fl_pending_reduced), which prove their interface logged from their first record to their last
-- (the reduction keeps no NODATA record: an idle interface of an athena: source has holes)
CREATE OR REPLACE TEMP TABLE fl_cov_minutes AS
SELECT interface_id AS eni_id, CASE WHEN log_status = 'SKIPDATA' THEN 'skipped' ELSE 'logged' END AS status,
       min(start) AS s, max("end") AS e, count(*) AS n
FROM fl_pending WHERE interface_id IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL
GROUP BY eni_id, status, start // 60
UNION ALL
SELECT interface_id, 'logged', min(first_start), max(last_end), sum(records)
FROM fl_pending_reduced WHERE interface_id IS NOT NULL AND first_start IS NOT NULL AND last_end IS NOT NULL
GROUP BY interface_id, first_start // 60;

-- how far apart two records of an island may be: two intervals (skipped: a minute, so that dropped windows on
-- either side of a logged one stay two gaps)
CREATE OR REPLACE TEMP TABLE fl_cov_gap AS
SELECT t.eni_id, t.status, coalesce(w.w, 600) AS w, CASE t.status WHEN 'skipped' THEN 60 ELSE 2 * coalesce(w.w, 600) END AS gap,
       min(t.s) AS s, max(t.e) AS e
FROM fl_cov_minutes t LEFT JOIN fl_cov_window w USING (eni_id) GROUP BY ALL;

-- the stored islands the new records may join (within the gap of the span they cover)
CREATE OR REPLACE TEMP TABLE fl_coverage_taken AS
SELECT c.rowid AS crid, c.eni_id, c.status, epoch(c.valid_from)::BIGINT AS s, epoch(c.valid_to)::BIGINT AS e, c.records AS n
FROM eni_coverage c JOIN fl_cov_gap g USING (eni_id, status)
WHERE NOT getvariable('fl_coverage_anew') AND c.valid_to >= fl_ts(g.s - g.gap) AND c.valid_from <= fl_ts(g.e + g.gap);

CREATE OR REPLACE TEMP TABLE fl_coverage AS
WITH pieces AS (
  SELECT eni_id, status, s, e, n FROM fl_cov_minutes
  UNION ALL SELECT eni_id, status, s, e, n FROM fl_coverage_taken
), ordered AS (
  SELECT p.*, g.gap, g.w,
         max(p.e) OVER (PARTITION BY p.eni_id, p.status ORDER BY p.s, p.e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM pieces p JOIN fl_cov_gap g USING (eni_id, status)
), islands AS (
  SELECT *, sum(CASE WHEN reach IS NULL OR s - reach > gap THEN 1 ELSE 0 END)
              OVER (PARTITION BY eni_id, status ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
  FROM ordered
)
SELECT eni_id, status, fl_ts(min(s)) AS valid_from, fl_ts(max(e)) AS valid_to, sum(n)::BIGINT AS records, any_value(w)::INTEGER AS window_seconds
FROM islands GROUP BY eni_id, status, island;
DROP TABLE fl_cov_minutes; DROP TABLE fl_cov_window; DROP TABLE fl_cov_gap;

-- (in the enrichment's transaction: COVERAGE_COMMIT_SQL in conversations.ts)
