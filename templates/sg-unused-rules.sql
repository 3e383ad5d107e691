-- title: Unused security-group rules
-- description: Security-group rules in force during the period (authorized, revoked: when CloudTrail says) that admitted no accepted conversation over it (since/until, or the last `days` days up to until, else the dataset's last conversation). A rule is called unused only when every network interface that carried its group during the period logged traffic in it (it was the observer of a conversation); otherwise the verdict names how many did not. Limitation: coverage is read from the conversations, not from NODATA/SKIPDATA records, so a gap inside the period is not seen, and an interface whose flows were all counted from the other end's log counts as not logged.
-- param: since TIMESTAMP = -- start of the period, UTC (empty: `days` before its end, else the first record)
-- param: until TIMESTAMP = -- end of the period, UTC (empty: the last record)
-- param: days INTEGER = -- the period's length in days, ending at until (used when since is empty)
WITH bounds AS (
  SELECT * FROM fl_period($since, $until, $days)
), used AS (
  SELECT DISTINCT rule_id FROM fl_sg_rule_matches((SELECT lo FROM bounds), (SELECT hi FROM bounds))
), guarded AS (
  -- the interfaces that carried each group at some time in the period
  SELECT DISTINCT g.group_id, g.eni_id FROM eni_group_intervals g, bounds b WHERE g.valid_from < b.hi AND g.valid_to > b.lo
), logged AS (
  SELECT DISTINCT o.eni AS eni_id FROM observers o
  SEMI JOIN (SELECT DISTINCT f.observer FROM conversation_facts f, bounds b WHERE f.window_start >= b.lo AND f.window_start < b.hi) f ON f.observer = o.obs
), coverage AS (
  SELECT g.group_id, count(*) AS guarded_enis, count(l.eni_id) AS logged_enis
  FROM guarded g LEFT JOIN logged l USING (eni_id) GROUP BY g.group_id
)
SELECT
  r.* EXCLUDE (rule_id, peer_kind, prefix_len, family, valid_from, valid_to),
  CASE WHEN coalesce(cv.guarded_enis, 0) = 0 THEN 'no network interface carried the group'
       WHEN cv.logged_enis < cv.guarded_enis THEN 'not proven: ' || (cv.guarded_enis - cv.logged_enis) || ' of ' || cv.guarded_enis || ' interfaces logged nothing'
       ELSE 'unused' END AS verdict,
  coalesce(cv.guarded_enis, 0) AS guarded_enis,
  coalesce(cv.logged_enis, 0) AS logged_enis,
  r.rule_id
FROM sg_rules_shown r
LEFT JOIN coverage cv ON cv.group_id = r.security_group
WHERE r.rule_id NOT IN (SELECT rule_id FROM used)
  AND r.valid_from < (SELECT hi FROM bounds) AND r.valid_to > (SELECT lo FROM bounds) -- in force in the period
ORDER BY verdict = 'unused' DESC, security_group, direction, r.rule_id
