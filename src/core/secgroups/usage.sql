-- Security-group rule usage (issue 15), the one definition the templates sg-rule-usage and sg-unused-rules read
-- (installed by src/core/secgroups/usage.ts when a dataset is opened for writing). docs/schema.md documents it.
-- Addresses are integers (fl_ip_int, src/core/enrich/macros.sql): DuckDB's inet extension is not available offline.

-- An address integer as canonical text: dotted IPv4; IPv6 in lower case with the longest run of two or more zero
-- groups (the leftmost of equals) written '::' (RFC 5952), as src/core/inventory/ip.ts writes it.
CREATE OR REPLACE MACRO fl_ipv6_compress(t) AS CASE
  WHEN regexp_matches(t, '(^|:)0(:0){7}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){7}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){6}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){6}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){5}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){5}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){4}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){4}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){3}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){3}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){2}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){2}(:|$)', '::')
  WHEN regexp_matches(t, '(^|:)0(:0){1}(:|$)') THEN regexp_replace(t, '(^|:)0(:0){1}(:|$)', '::')
  ELSE t END;

CREATE OR REPLACE MACRO fl_ip_text(v, family) AS CASE
  WHEN family = 4 THEN concat_ws('.', (v::UHUGEINT >> 24) & 255, (v::UHUGEINT >> 16) & 255, (v::UHUGEINT >> 8) & 255, v::UHUGEINT & 255)
  WHEN family = 6 THEN fl_ipv6_compress(array_to_string(
    list_transform(range(8), i -> printf('%x', ((v::UHUGEINT >> (16 * (7 - i))::UHUGEINT) & 65535)::BIGINT)), ':'))
  END;

-- The length of the narrowest CIDR that holds every address from lo to hi (integers of one family).
CREATE OR REPLACE MACRO fl_covering_len(lo, hi, family) AS
  coalesce(list_max(list_filter(range(1, CASE family WHEN 4 THEN 33 ELSE 129 END),
    k -> (lo::UHUGEINT >> ((CASE family WHEN 4 THEN 32 ELSE 128 END) - k)::UHUGEINT)
       = (hi::UHUGEINT >> ((CASE family WHEN 4 THEN 32 ELSE 128 END) - k)::UHUGEINT))), 0);
-- The network address of the /len holding the address v (to be written with fl_ip_text: give these macros
-- columns, not expressions, as each repeats its arguments).
CREATE OR REPLACE MACRO fl_network(v, len, family) AS CASE WHEN len = 0 THEN 0::UHUGEINT
  ELSE (v::UHUGEINT >> ((CASE family WHEN 4 THEN 32 ELSE 128 END) - len)::UHUGEINT)
    << ((CASE family WHEN 4 THEN 32 ELSE 128 END) - len)::UHUGEINT END;

-- Which security groups each ENI carried, when (inv_enis: one row per group and interval).
CREATE OR REPLACE VIEW eni_group_intervals AS
SELECT eni_id, unnest(security_group_ids) AS group_id, valid_from, valid_to FROM inv_enis;

-- Each rule's peer as address ranges: its CIDR, or each entry of its prefix list. A security-group peer is not a
-- range (its members are the ENIs carrying the group at the time) and is matched in sg_rule_matches.
CREATE OR REPLACE VIEW sg_rule_ranges AS
SELECT rule_id, group_id, egress, protocol, port_lo, port_hi, family, prefix_len, lo, hi FROM inv_sg_rules WHERE peer_kind = 'cidr'
UNION ALL
SELECT r.rule_id, r.group_id, r.egress, r.protocol, r.port_lo, r.port_hi, e.family, e.prefix_len, e.lo, e.hi
FROM inv_sg_rules r JOIN inv_prefix_list_entries e ON e.prefix_list_id = r.prefix_list_id
WHERE r.peer_kind = 'prefix-list';

-- Every accepted conversation-minute with each rule that admitted it. Inbound: a rule of a group the server's ENI
-- carried then admits the client's address; outbound: a rule of a group the client's ENI carried admits the
-- server's. The protocol is the rule's (NULL: all), the server port within [port_lo, port_hi], and the peer's
-- address in the rule's CIDR or one of its prefix list's entries, or its ENI carried the referenced group then.
-- Return traffic needs no rule (security groups are stateful): it is the same conversation. When several rules
-- of one side admit a conversation, each counts it, and most_specific marks one: the smallest port range, then
-- the longest prefix (a group reference is more specific than any CIDR), then the rule id.
-- fl_sg_rule_matches(period_start, period_end): the same for the conversations of [period_start,
-- period_end) only, which are read first (what the templates use for a period); the view sg_rule_matches, below,
-- is every period.
CREATE OR REPLACE MACRO fl_sg_rule_matches(period_start, period_end) AS TABLE
WITH c AS (
  -- numbered, so that what follows carries a number rather than the conversation's columns (4 M conversation-
  -- minutes fit DuckDB's default 500 MB this way; aggregations and joins spill, window functions would not)
  SELECT row_number() OVER () AS cid, window_start, protocol, client_addr, client_port, client_eni, server_addr, server_port,
         server_eni, uploaded, downloaded
  FROM conversations
  WHERE action = 'ACCEPT' AND (client_eni IS NOT NULL OR server_eni IS NOT NULL) AND window_start >= period_start AND window_start < period_end
), sides AS (
  SELECT cid, window_start, protocol, server_port, false AS egress, server_eni AS eni, client_eni AS peer_eni, client_addr AS peer_addr
  FROM c WHERE server_eni IS NOT NULL
  UNION ALL
  SELECT cid, window_start, protocol, server_port, true AS egress, client_eni AS eni, server_eni AS peer_eni, server_addr AS peer_addr
  FROM c WHERE client_eni IS NOT NULL
), addrs AS (
  SELECT peer_addr, fl_ip_family(peer_addr) AS peer_family, fl_ip_int(peer_addr) AS peer_v FROM (SELECT DISTINCT peer_addr FROM sides)
), guarded AS (
  SELECT s.cid, s.window_start, s.protocol, s.server_port, s.egress, s.eni, s.peer_eni, s.peer_addr, a.peer_family, a.peer_v, g.group_id
  FROM sides s
  JOIN eni_group_intervals g ON g.eni_id = s.eni AND s.window_start >= g.valid_from AND s.window_start < g.valid_to
  JOIN addrs a ON a.peer_addr = s.peer_addr
), hits AS (
  SELECT g.cid, g.egress, g.group_id, p.rule_id, p.port_hi - p.port_lo AS port_span, p.prefix_len AS peer_len
  FROM guarded g
  JOIN sg_rule_ranges p ON p.group_id = g.group_id AND p.egress = g.egress AND p.family = g.peer_family AND g.peer_v BETWEEN p.lo AND p.hi
  WHERE (p.protocol IS NULL OR p.protocol = g.protocol) AND coalesce(g.server_port, 0) BETWEEN p.port_lo AND p.port_hi
  UNION ALL
  SELECT g.cid, g.egress, g.group_id, r.rule_id, r.port_hi - r.port_lo AS port_span, 129 AS peer_len
  FROM guarded g
  JOIN inv_sg_rules r ON r.peer_kind = 'security-group' AND r.group_id = g.group_id AND r.egress = g.egress
  JOIN eni_group_intervals pg ON pg.eni_id = g.peer_eni AND pg.group_id = r.peer_group_id
    AND g.window_start >= pg.valid_from AND g.window_start < pg.valid_to
  WHERE (r.protocol IS NULL OR r.protocol = g.protocol) AND coalesce(g.server_port, 0) BETWEEN r.port_lo AND r.port_hi
), one AS (
  -- a rule counts a conversation once (a prefix list whose entries overlap, a group the ENI lists twice)
  SELECT cid, egress, group_id, rule_id, min(port_span) AS port_span, max(peer_len) AS peer_len FROM hits GROUP BY cid, egress, group_id, rule_id
), best AS (
  -- the smallest port range, then the longest prefix, then the lowest rule id: the least of one text key
  SELECT cid, egress, substr(min(printf('%05d%03d', port_span, 200 - peer_len) || rule_id), 9) AS rule_id FROM one GROUP BY cid, egress
)
SELECT o.rule_id, o.group_id, CASE WHEN o.egress THEN 'egress' ELSE 'ingress' END AS direction,
  CASE WHEN o.egress THEN c.client_eni ELSE c.server_eni END AS eni,
  CASE WHEN o.egress THEN c.server_addr ELSE c.client_addr END AS peer_addr,
  CASE WHEN o.egress THEN c.server_eni ELSE c.client_eni END AS peer_eni,
  a.peer_family, a.peer_v, c.window_start, c.protocol, c.client_addr, c.client_port, c.client_eni, c.server_addr, c.server_port,
  c.server_eni, c.uploaded, c.downloaded, c.uploaded + c.downloaded AS bytes, o.rule_id = b.rule_id AS most_specific
FROM one o
JOIN best b USING (cid, egress)
JOIN c USING (cid)
JOIN addrs a ON a.peer_addr = CASE WHEN o.egress THEN c.server_addr ELSE c.client_addr END;

CREATE OR REPLACE VIEW sg_rule_matches AS FROM fl_sg_rule_matches(TIMESTAMP '-infinity', TIMESTAMP 'infinity');

-- The period a template's since/until/days parameters say: [lo, hi). until empty: the dataset's last conversation
-- (its minute's end); since empty: `days` days before hi, else the beginning.
CREATE OR REPLACE MACRO fl_period(since, until, days) AS TABLE
WITH last AS (SELECT max(window_start) + INTERVAL 1 MINUTE AS t FROM conversations), span AS (
  SELECT coalesce(CAST(until AS TIMESTAMP), t, TIMESTAMP 'infinity') AS hi FROM last
)
SELECT coalesce(CAST(since AS TIMESTAMP), hi - to_days(CAST(days AS INTEGER)), TIMESTAMP '-infinity') AS lo, hi FROM span;

-- Each rule as the templates show it: the group and its name, direction, protocol name ('all'), ports ('443',
-- '1024-65535', 'all') and peer first; then what they compute with.
CREATE OR REPLACE VIEW sg_rules_shown AS
SELECT r.group_id AS security_group, g.group_name, CASE WHEN r.egress THEN 'egress' ELSE 'ingress' END AS direction,
  CASE WHEN r.protocol IS NULL THEN 'all' ELSE fl_protocol_name(r.protocol) END AS protocol,
  CASE WHEN r.port_lo = 0 AND r.port_hi = 65535 THEN 'all' WHEN r.port_lo = r.port_hi THEN CAST(r.port_lo AS VARCHAR)
       ELSE r.port_lo || '-' || r.port_hi END AS ports,
  r.peer, r.rule_id, r.peer_kind, r.prefix_len, r.family
FROM inv_sg_rules r LEFT JOIN inv_security_groups g ON g.group_id = r.group_id;
