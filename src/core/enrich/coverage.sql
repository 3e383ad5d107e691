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

-- the pending NODATA and SKIPDATA records per ENI, status and bucket of the gap an island bridges (fl_island_gap: an
-- idle ENI has a NODATA record every interval, so per minute the sample estate's made 605 k rows whose islands took
-- 0.9 s, per bucket 31 k); the OK records' buckets are added by each part from its per-observer sums
-- (coverage-part.sql), which read them anyway
CREATE OR REPLACE TEMP TABLE fl_cov_minutes AS
SELECT r.eni_id, r.status, min(r.start) AS s, max(r."end") AS e, count(*) AS n
FROM (SELECT interface_id AS eni_id, CASE WHEN log_status = 'SKIPDATA' THEN 'skipped' ELSE 'logged' END AS status, start, "end"
      FROM fl_pending WHERE log_status IN ('NODATA', 'SKIPDATA') AND interface_id IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL) r
LEFT JOIN fl_cov_window w USING (eni_id)
GROUP BY r.eni_id, r.status, r.start // fl_island_gap(r.status, w.w);


-- each observer of the records (numbered by numbering.sql, run before the parts read this) with its ENI and the gap
-- an island of its records bridges (coverage-islands.sql): the parts sum its OK records per bucket of that width
CREATE OR REPLACE TEMP VIEW fl_cov_observers AS
SELECT o.obs, o.interface_id, fl_island_gap('logged', w.w) AS gap
FROM fl_observer o LEFT JOIN fl_cov_window w ON w.eni_id = o.interface_id WHERE o.interface_id IS NOT NULL;
