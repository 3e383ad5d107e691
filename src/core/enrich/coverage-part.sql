-- Per part, after its per-observer sums (fl_obs: the part's OK records, and its Athena reduction's rows, per
-- observer, 5-tuple and minute): the minutes each observer's records cover, as logged (see coverage.sql). From the
-- sums rather than the records: the records' ENIs are numbers here, and there are fewer rows.
INSERT INTO fl_cov_minutes
SELECT o.interface_id, 'logged', m.s, m.e, m.n
FROM (SELECT obs, minute, min(start) AS s, max("end") AS e, sum(records) AS n FROM fl_obs GROUP BY obs, minute) m
JOIN fl_observer o ON o.obs = m.obs
WHERE o.interface_id IS NOT NULL;
