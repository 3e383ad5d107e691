-- title: Security-group rule usage
-- description: Every security-group rule in force during a period (when CloudTrail says it was added or revoked: authorized, revoked; modified: when ModifySecurityGroupRules changed it, each shape counted while it was in force, the rule shown as it is now) with the accepted traffic it admitted while in force: conversations (a conversation admitted by several rules of one side counts for each; most_specific_conversations those where this rule was the most specific: smallest port range, then longest prefix), bytes, distinct peers, first and last seen. A CIDR rule wider than its peers need says, as narrowest_cidr, the narrowest CIDR that would have admitted every peer it was the most specific rule for (the others are admitted by a more specific rule anyway; a rule that was never the most specific has none: the other rules cover its traffic); group_instead, a security group every one of those peers' network interfaces carried, which a group reference could name instead of the CIDR or prefix list. The period is since/until, or the last `days` days up to until (else the dataset's last conversation); empty: everything.
-- param: since TIMESTAMP = -- start of the period, UTC (empty: `days` before its end, else the first record)
-- param: until TIMESTAMP = -- end of the period, UTC (empty: the last record)
-- param: days INTEGER = -- the period's length in days, ending at until (used when since is empty)
WITH bounds AS (
  SELECT * FROM fl_period($since, $until, $days)
), shown AS MATERIALIZED (
  FROM sg_rules_shown -- (named once: DuckDB plans a view anew at each mention)
), m AS (
  -- only what the aggregates below read (the matches carry both sides' addresses and endpoints too)
  SELECT rule_id, conversations, most_specific, bytes, peer_addr, peer_v, peer_eni, first_seen, last_seen
  FROM fl_sg_key_matches((SELECT lo FROM bounds), (SELECT hi FROM bounds))
), used AS (
  SELECT rule_id, sum(conversations)::BIGINT AS conversations, coalesce(sum(conversations) FILTER (WHERE most_specific), 0)::BIGINT AS most_specific_conversations,
         sum(bytes) AS bytes, count(DISTINCT peer_addr) AS peers, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
         min(peer_v) FILTER (WHERE most_specific) AS peer_lo, max(peer_v) FILTER (WHERE most_specific) AS peer_hi
  FROM m GROUP BY rule_id
), covering AS (
  SELECT r.rule_id, fl_covering_len(u.peer_lo, u.peer_hi, r.family) AS len, u.peer_lo, r.family
  FROM shown r JOIN used u USING (rule_id) WHERE r.peer_kind = 'cidr' AND u.peer_lo IS NOT NULL
), narrowest AS (
  SELECT rule_id, len, fl_network(peer_lo, len, family) AS net, family FROM covering
), peer_groups AS (
  -- per CIDR or prefix-list rule, the groups the peer's ENI carried in every conversation it was the most specific for
  -- (the groups an ENI carried stay the same from a match's first minute to its last)
  SELECT m.rule_id, g.group_id, sum(m.conversations) AS n
  FROM m JOIN eni_group_intervals g ON g.eni_id = m.peer_eni AND m.first_seen >= g.valid_from AND m.first_seen < g.valid_to
  WHERE m.most_specific GROUP BY ALL
), group_instead AS (
  SELECT p.rule_id, min(p.group_id) AS group_id
  FROM peer_groups p JOIN used u USING (rule_id) JOIN shown r USING (rule_id)
  WHERE p.n = u.most_specific_conversations AND r.peer_kind <> 'security-group'
  GROUP BY p.rule_id
)
SELECT
  r.* EXCLUDE (rule_id, peer_kind, prefix_len, family, valid_from, valid_to),
  coalesce(u.conversations, 0) AS conversations,
  coalesce(u.most_specific_conversations, 0) AS most_specific_conversations,
  coalesce(u.bytes, 0) AS bytes,
  coalesce(u.peers, 0) AS peers,
  u.first_seen,
  u.last_seen,
  CASE WHEN n.len > r.prefix_len THEN fl_ip_text(n.net, n.family) || '/' || n.len END AS narrowest_cidr,
  gi.group_id AS group_instead,
  r.rule_id
FROM shown r
LEFT JOIN used u USING (rule_id)
LEFT JOIN narrowest n USING (rule_id)
LEFT JOIN group_instead gi USING (rule_id)
WHERE r.valid_from < (SELECT hi FROM bounds) AND r.valid_to > (SELECT lo FROM bounds) -- in force in the period
ORDER BY security_group, direction, conversations DESC, r.rule_id
