-- The sidebar's security groups (issue 15): each rule in force during the period with the accepted conversations
-- it admitted (fl_sg_key_matches, usage.sql) and, beside it, what its group admitted in that direction, each
-- conversation once however many of the group's rules admitted it: a rule's share of its group's traffic.
-- $since, $until, $days as the sg-* templates take them (fl_period; NULL: the whole dataset).
WITH bounds AS (
  SELECT * FROM fl_period($since, $until, $days)
), m AS (
  SELECT rule_id, group_id, direction, key, conversations, bytes FROM fl_sg_key_matches((SELECT lo FROM bounds), (SELECT hi FROM bounds))
), per_rule AS (
  SELECT rule_id, sum(conversations) AS conversations, sum(bytes) AS bytes FROM m GROUP BY rule_id
), per_side AS (
  -- a match row is a rule and a key (the units whose sides the same rules admit): a key once per group and direction
  SELECT group_id, direction, sum(conversations) AS conversations, sum(bytes) AS bytes
  FROM (SELECT DISTINCT group_id, direction, key, conversations, bytes FROM m)
  GROUP BY group_id, direction
)
SELECT r.security_group, r.group_name, r.direction, r.protocol, r.ports, r.peer, r.rule_id,
  CASE WHEN r.peer_kind = 'security-group' THEN pg.group_name END AS peer_name,
  (SELECT any_value(x.description) FROM inv_sg_rules x WHERE x.rule_id = r.rule_id) AS description,
  strftime(r.authorized, '%Y-%m-%d %H:%M') AS authorized, strftime(r.revoked, '%Y-%m-%d %H:%M') AS revoked,
  coalesce(u.conversations, 0)::DOUBLE AS conversations, coalesce(u.bytes, 0)::DOUBLE AS bytes,
  coalesce(s.conversations, 0)::DOUBLE AS side_conversations, coalesce(s.bytes, 0)::DOUBLE AS side_bytes
FROM sg_rules_shown r
LEFT JOIN inv_security_groups pg ON pg.group_id = r.peer
LEFT JOIN per_rule u USING (rule_id)
LEFT JOIN per_side s ON s.group_id = r.security_group AND s.direction = r.direction
WHERE r.valid_from < (SELECT hi FROM bounds) AND r.valid_to > (SELECT lo FROM bounds) -- in force in the period
ORDER BY r.security_group, r.direction, bytes DESC, r.rule_id
