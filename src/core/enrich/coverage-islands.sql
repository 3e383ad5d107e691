-- After the parts of an enrichment: the pending records' minutes (fl_cov_minutes, coverage.sql and coverage-part.sql)
-- made into islands with the stored ones they reach (eni_coverage, see coverage.sql).

-- how far apart two records of an island may be (fl_island_gap)
CREATE OR REPLACE TEMP TABLE fl_cov_gap AS
SELECT t.eni_id, t.status, coalesce(w.w, 600) AS w, fl_island_gap(t.status, w.w) AS gap,
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
DROP VIEW fl_cov_observers; DROP TABLE fl_cov_minutes; DROP TABLE fl_cov_window; DROP TABLE fl_cov_gap;

-- (in the enrichment's transaction: COVERAGE_COMMIT_SQL in conversations.ts)
