-- title: Unused security-group rules
-- description: Security-group rules in force during the period (authorized, revoked: when CloudTrail says) that admitted no accepted conversation over it (since/until, or the last `days` days up to until, else the dataset's last conversation; clipped to the dataset's first and last record). A rule is called unused only when every network interface that carried its group while the rule was in force was logged the whole time: its OK and NODATA flow records cover it (an interface logged the whole time has a record every aggregation interval, so a hole of more than two intervals is a gap) and no SKIPDATA record says records were dropped. Otherwise the verdict names the gaps: 'not proven: eni-… skipped data 2026-09-29 10:00–11:00; eni-… logged nothing 2026-09-29 12:00–14:00' (the first three, then how many more). gaps counts them; logged_enis the interfaces logged the whole time.
-- param: since TIMESTAMP = -- start of the period, UTC (empty: `days` before its end, else the first record)
-- param: until TIMESTAMP = -- end of the period, UTC (empty: the last record)
-- param: days INTEGER = -- the period's length in days, ending at until (used when since is empty)
WITH bounds AS (
  SELECT * FROM fl_period($since, $until, $days)
), used AS (
  SELECT DISTINCT rule_id FROM fl_sg_key_matches((SELECT lo FROM bounds), (SELECT hi FROM bounds), sums := false)
), gaps AS (
  SELECT g.* FROM fl_sg_gaps((SELECT lo FROM bounds), (SELECT hi FROM bounds)) g ANTI JOIN used USING (rule_id)
), kept AS (
  -- a dataset enriched before Flowlens kept the logging coverage has none
  SELECT count(*) > 0 AS any FROM (FROM eni_coverage LIMIT 1)
), coverage AS (
  SELECT rule_id, count(DISTINCT eni_id) AS guarded_enis,
         count(DISTINCT eni_id) - count(DISTINCT eni_id) FILTER (WHERE gap IS NOT NULL) AS logged_enis,
         count(gap) AS gaps,
         string_agg(eni_id || ' ' || gap || ' ' || fl_span_text(gap_from, gap_to), '; ' ORDER BY eni_id, gap_from)
           FILTER (WHERE gap IS NOT NULL AND n <= 3) AS named
  FROM (SELECT *, row_number() OVER (PARTITION BY rule_id ORDER BY gap IS NULL, eni_id, gap_from) AS n FROM gaps)
  GROUP BY rule_id
)
SELECT
  r.* EXCLUDE (rule_id, peer_kind, prefix_len, family, valid_from, valid_to),
  CASE WHEN NOT kept.any THEN 'not proven: the dataset records no logging coverage (enriched before Flowlens kept it: flowlens enrich --rebuild)'
       WHEN coalesce(cv.guarded_enis, 0) = 0 THEN 'no network interface carried the group'
       WHEN cv.gaps > 0 THEN 'not proven: ' || cv.named || CASE WHEN cv.gaps > 3 THEN ' and ' || (cv.gaps - 3) || ' more' ELSE '' END
       ELSE 'unused' END AS verdict,
  coalesce(cv.guarded_enis, 0) AS guarded_enis,
  coalesce(cv.logged_enis, 0) AS logged_enis,
  coalesce(cv.gaps, 0) AS gaps,
  r.rule_id
FROM sg_rules_shown r
LEFT JOIN coverage cv USING (rule_id), kept
WHERE r.rule_id NOT IN (SELECT rule_id FROM used)
  AND r.valid_from < (SELECT hi FROM bounds) AND r.valid_to > (SELECT lo FROM bounds) -- in force in the period
ORDER BY verdict = 'unused' DESC, security_group, direction, r.rule_id
