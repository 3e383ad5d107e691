-- Per part, after its per-observer sums (fl_obs: the part's OK records, and its Athena reduction's rows, per
-- observer, 5-tuple and minute): the spans each observer's records cover, as logged (see coverage.sql). From the
-- sums rather than the records: the records' ENIs are numbers here, and there are fewer rows. Summed per bucket of
-- two aggregation intervals (the gap an island bridges, so no hole that counts is lost): 2,000 ENIs over a day are
-- 144 k rows at 10-minute intervals, where per minute they were 2.9 M, whose islands took 10 s of a 10 M-record
-- enrichment.
INSERT INTO fl_cov_minutes
SELECT o.interface_id, 'logged', m.s, m.e, m.n
FROM (SELECT f.obs, min(f.start) AS s, max(f."end") AS e, sum(f.records) AS n
      FROM fl_obs f JOIN fl_cov_observers c ON c.obs = f.obs GROUP BY f.obs, f.start // c.gap) m
JOIN fl_cov_observers o ON o.obs = m.obs;
