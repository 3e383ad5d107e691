-- title: What would have allowed rejected traffic
-- description: The rejected conversations of a period (since/until, or the last `days` days up to until, else the dataset's last conversation), per network interface that refused them (an interface whose security groups then had no rule admitting them: ingress, the server's; egress, the client's), protocol, port and peer, with what would have allowed them: the rule of those groups that had admitted them until it was revoked or changed (rule_that_allowed, and when: revoked, modified), else the narrowest rule to add (rule_to_add: direction, protocol, port and the peer as its security group when its interface carried one, else its address as a /32 or /128). Conversations both sides' rules admitted (a network ACL refused them) are not listed.
-- param: since TIMESTAMP = -- start of the period, UTC (empty: `days` before its end, else the first record)
-- param: until TIMESTAMP = -- end of the period, UTC (empty: the last record)
-- param: days INTEGER = -- the period's length in days, ending at until (used when since is empty)
WITH bounds AS (
  SELECT * FROM fl_period($since, $until, $days)
), w AS (
  SELECT * FROM fl_sg_would_have_allowed((SELECT lo FROM bounds), (SELECT hi FROM bounds))
)
SELECT w.eni AS refused_by, array_to_string(w.groups, ' ') AS security_groups, w.direction,
  fl_protocol_name(w.protocol) AS protocol, coalesce(CAST(w.server_port AS VARCHAR), 'all') AS port, w.peer_addr AS peer, w.peer_eni,
  sum(w.conversations)::BIGINT AS conversations, min(w.first_seen) AS first_seen, max(w.last_seen) AS last_seen,
  w.revoked_rule AS rule_that_allowed, any_value(r.revoked) AS revoked, any_value(r.modified) AS modified,
  CASE WHEN w.add_peer IS NOT NULL THEN w.groups[1] || ' ' || w.direction || ' ' || fl_protocol_name(w.protocol) || ' '
    || CASE WHEN w.protocol IN (6, 17) THEN CAST(w.server_port AS VARCHAR) ELSE 'all' END || ' ' || CASE WHEN w.direction = 'ingress' THEN 'from' ELSE 'to' END
    || ' ' || w.add_peer END AS rule_to_add
FROM w LEFT JOIN sg_rules_shown r ON r.rule_id = w.revoked_rule
GROUP BY ALL
ORDER BY refused_by, direction, protocol, port, peer
