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

-- (The groups' text goes to fl_ipv6_compress as a lambda's parameter: as the argument itself, the macro repeated it 14
-- times, and binding its list_transform 14 times took 6 ms of each query.)
CREATE OR REPLACE MACRO fl_ip_text(v, family) AS CASE
  WHEN family = 4 THEN concat_ws('.', (v::UHUGEINT >> 24) & 255, (v::UHUGEINT >> 16) & 255, (v::UHUGEINT >> 8) & 255, v::UHUGEINT & 255)
  WHEN family = 6 THEN list_transform([array_to_string(
    list_transform(range(8), i -> printf('%x', ((v::UHUGEINT >> (16 * (7 - i))::UHUGEINT) & 65535)::BIGINT)), ':')], t -> fl_ipv6_compress(t))[1]
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

-- Each ENI's intervals (inv_enis). An ENI's own records prove it before the inventory first saw it (before its
-- AttachTime: an ENI re-attached for failover, an inventory taken after the traffic), so its first interval reaches
-- back to the beginning, as attribution's ENI-level facts do (prepare.sql, scope '!'): its groups then are its first.
CREATE OR REPLACE VIEW eni_spans AS
SELECT eni_id, security_group_ids,
  CASE WHEN valid_from = min(valid_from) OVER (PARTITION BY eni_id) THEN '-infinity'::TIMESTAMP ELSE valid_from END AS valid_from, valid_to
FROM inv_enis;

-- Which security groups each ENI carried, when (one row per group and interval).
CREATE OR REPLACE VIEW eni_group_intervals AS
SELECT eni_id, unnest(security_group_ids) AS group_id, valid_from, valid_to FROM eni_spans;

-- Which set of security groups each ENI carried, when: one row per ENI and span of time over which its groups did not
-- change (groups, sorted, each once), gs numbering the distinct sets. Rule matching looks an ENI's groups up here.
CREATE OR REPLACE VIEW eni_group_sets AS
WITH b AS (
  SELECT eni_id, valid_from AS t FROM eni_group_intervals UNION SELECT eni_id, valid_to FROM eni_group_intervals
), spans AS (
  SELECT eni_id, t AS valid_from, lead(t) OVER (PARTITION BY eni_id ORDER BY t) AS valid_to FROM b
)
SELECT s.eni_id, s.valid_from, s.valid_to, list(DISTINCT g.group_id ORDER BY g.group_id) AS groups,
       dense_rank() OVER (ORDER BY list(DISTINCT g.group_id ORDER BY g.group_id)) AS gs
FROM spans s JOIN eni_group_intervals g ON g.eni_id = s.eni_id AND g.valid_from <= s.valid_from AND s.valid_to <= g.valid_to
GROUP BY s.eni_id, s.valid_from, s.valid_to;

-- Each rule's peer, one row per rule (each shape ModifySecurityGroupRules gave it) and peer: its CIDR's range or each
-- entry of its prefix list (family, prefix_len, lo, hi), or the group it references (peer_group_id: its members are
-- the ENIs carrying the group at the time, matched in fl_sg_key_matches); rule_no numbers the rules in the order of
-- their id (matching carries numbers, not text).
CREATE OR REPLACE VIEW sg_rule_peers AS
WITH r AS MATERIALIZED (
  SELECT *, dense_rank() OVER (ORDER BY rule_id) AS rule_no FROM inv_sg_rules
)
SELECT rule_id, rule_no, group_id, egress, protocol, port_lo, port_hi, peer_kind, peer_group_id, family, prefix_len, lo, hi, valid_from, valid_to
FROM r WHERE peer_kind IN ('cidr', 'security-group')
UNION ALL
SELECT r.rule_id, r.rule_no, r.group_id, r.egress, r.protocol, r.port_lo, r.port_hi, r.peer_kind, NULL, e.family, e.prefix_len, e.lo, e.hi, r.valid_from, r.valid_to
FROM r JOIN inv_prefix_list_entries e ON e.prefix_list_id = r.prefix_list_id
WHERE r.peer_kind = 'prefix-list';

-- Each rule's peer as address ranges: its CIDR, or each entry of its prefix list. A security-group peer is not a
-- range (its members are the ENIs carrying the group at the time) and is matched in fl_sg_key_matches.
CREATE OR REPLACE VIEW sg_rule_ranges AS
SELECT rule_id, group_id, egress, protocol, port_lo, port_hi, family, prefix_len, lo, hi, valid_from, valid_to
FROM sg_rule_peers WHERE peer_kind IN ('cidr', 'prefix-list');

-- The moments what admits an ENI's traffic may have changed: an interval of inv_enis began or ended (its groups), or
-- a rule of a group it carried then was added or revoked. Matching reads the conversations of an ENI that changed
-- within the period minute by minute (fl_sg_units).
CREATE OR REPLACE VIEW sg_change_points AS
SELECT eni_id, valid_from AS t FROM eni_spans UNION SELECT eni_id, valid_to FROM eni_spans
UNION
SELECT g.eni_id, b.t FROM (SELECT group_id, unnest([valid_from, valid_to]) AS t FROM inv_sg_rules) b
JOIN eni_group_intervals g ON g.group_id = b.group_id AND b.t >= g.valid_from AND b.t <= g.valid_to;

-- The accepted conversation-minutes of [period_start, period_end) (refused: the rejected ones), as much of them as
-- rule matching reads.
CREATE OR REPLACE MACRO fl_sg_accepted(period_start, period_end, refused := false) AS TABLE
SELECT rowid AS fact, client_ep, server_ep, client_addr, server_addr, protocol, server_port, window_start, uploaded, downloaded
FROM conversation_facts f WHERE f.rejected = refused AND window_start >= period_start AND window_start < period_end;

-- fl_sg_endpoints(period_start, period_end): what rule matching looks up of the endpoints, one row of lists, each
-- at position 1 + ep: eni, the endpoint's ENI; eni_no, a number for that ENI (enis[eni_no] is the ENI again: what
-- rule matching groups by); moving, whether its ENI's groups or their rules changed within the period after the
-- dataset's first conversation, up to its last (sg_change_points: its conversations are matched minute by minute;
-- any_moving: one is);
-- gs, the set of groups its ENI carried at the period's first minute with a conversation (eni_group_sets), which for
-- one not moving holds for the whole period; spans, its ENI's sets of groups over time (valid_from, valid_to, gs).
-- Looked up by position, not joined: joined with endpoints, the conversation-minutes or units were the side DuckDB
-- built its hash tables on (it cannot tell how many rows a period given by subqueries leaves): 0.3 s of CPU at 10 M
-- records.
CREATE OR REPLACE MACRO fl_sg_endpoints(period_start, period_end) AS TABLE
WITH span AS (
  -- t0: the period's first minute with a conversation
  SELECT first, last, greatest(first, period_start) AS t0
  FROM (SELECT min(window_start) AS first, max(window_start) AS last FROM conversation_facts)
), changing AS (
  -- the moments that matter: within the period, after the first conversation, up to the last
  SELECT DISTINCT e.ep FROM endpoints e JOIN sg_change_points p ON p.eni_id = e.eni
  JOIN span ON p.t > span.first AND p.t <= span.last AND p.t > period_start AND p.t < period_end
), numbered AS (
  SELECT eni, row_number() OVER (ORDER BY eni) AS eni_no FROM (SELECT DISTINCT eni FROM endpoints WHERE eni IS NOT NULL)
), sets AS (
  SELECT eni_id, list({'valid_from': valid_from, 'valid_to': valid_to, 'gs': gs}) AS spans FROM eni_group_sets
  WHERE valid_to > period_start AND valid_from < period_end GROUP BY eni_id
), e AS (
  SELECT r.ep, e.eni, n.eni_no, c.ep IS NOT NULL AS moving, s.spans,
         list_filter(s.spans, x -> x.valid_from <= span.t0 AND span.t0 < x.valid_to)[1].gs AS gs
  FROM range(0, (SELECT coalesce(max(ep), 0) + 1 FROM endpoints)) r(ep) CROSS JOIN span
  LEFT JOIN endpoints e ON e.ep = r.ep
  LEFT JOIN numbered n ON n.eni = e.eni
  LEFT JOIN changing c ON c.ep = r.ep
  LEFT JOIN sets s ON s.eni_id = e.eni
)
SELECT list(eni ORDER BY ep) AS eni, list(eni_no ORDER BY ep) AS eni_no, list(moving ORDER BY ep) AS moving,
  coalesce(bool_or(moving), false) AS any_moving, list(gs ORDER BY ep) AS gs, list(spans ORDER BY ep) AS spans, (SELECT list(eni ORDER BY eni_no) FROM numbered) AS enis
FROM e;

-- The minute a conversation-minute is matched at (else NULL: at any of the period): its own when either side's ENI
-- is moving (moving and any_moving of fl_sg_endpoints: when none is, nothing is looked up).
CREATE OR REPLACE MACRO fl_sg_minute(moving, any_moving, client_ep, server_ep, window_start) AS
  CASE WHEN any_moving AND (moving[client_ep + 1] OR moving[server_ep + 1]) THEN window_start END;
-- The set of groups (gs) an endpoint's ENI carried, from the lists of fl_sg_endpoints (sets: its gs; spans): over
-- the period when minute is NULL, else at that minute.
CREATE OR REPLACE MACRO fl_sg_set(sets, spans, ep, minute) AS CASE WHEN minute IS NULL THEN sets[ep + 1]
  ELSE list_filter(spans[ep + 1], x -> x.valid_from <= minute AND minute < x.valid_to)[1].gs END;

-- What rule matching reads of a period: each distinct (client, server, client address, server address, protocol,
-- server port) of its accepted conversations once, with their count, bytes and first and last minute (the client
-- port, the minute and the bytes do not change which rules admit a conversation: over the 10 M-record bench dataset,
-- 0.7 M of them for 4.2 M conversation-minutes); but minute by minute the conversations of a side whose ENI
-- changed groups within the period (sg_change_points), so that each is matched with the groups of its minute.
-- u numbers them (the least of their conversation facts' row ids); minute is that minute for those read minute by
-- minute (else NULL); client_eni, server_eni are the sides' ENIs (one at least).
CREATE OR REPLACE MACRO fl_sg_units(period_start, period_end, refused := false) AS TABLE
WITH eps AS MATERIALIZED (
  FROM fl_sg_endpoints(period_start, period_end)
), k AS (
  SELECT min(fact) AS u, client_ep, server_ep, client_addr, server_addr, protocol, server_port,
         fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start) AS minute, count(*) AS conversations,
         sum(uploaded) AS uploaded, sum(downloaded) AS downloaded, min(window_start) AS first_seen, max(window_start) AS last_seen
  FROM fl_sg_accepted(period_start, period_end, refused := refused) a, eps l
  GROUP BY client_ep, server_ep, client_addr, server_addr, protocol, server_port,
    fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start)
), sided AS (
  SELECT k.*, l.eni[k.client_ep + 1] AS client_eni, l.eni[k.server_ep + 1] AS server_eni FROM k, eps l
)
SELECT * FROM sided WHERE client_eni IS NOT NULL OR server_eni IS NOT NULL;

-- fl_sg_sides(period_start, period_end, refused := false): each unit of fl_sg_units once per side with an ENI:
-- egress false the server's ENI (eni), whose inbound rules admit the client (peer_eni, peer_addr); true the client's,
-- whose outbound rules admit the server; gs is the set of groups that ENI carried at the unit's first minute
-- (eni_group_sets; a side whose ENI carried none then is left out: no rule admits it).
CREATE OR REPLACE MACRO fl_sg_sides(period_start, period_end, refused := false) AS TABLE
WITH units AS (
  FROM fl_sg_units(period_start, period_end, refused := refused)
), sides AS (
  SELECT *, false AS egress, server_eni AS eni, client_eni AS peer_eni, client_addr AS peer_addr FROM units WHERE server_eni IS NOT NULL
  UNION ALL
  SELECT *, true AS egress, client_eni AS eni, server_eni AS peer_eni, server_addr AS peer_addr FROM units WHERE client_eni IS NOT NULL
)
SELECT s.*, g.gs FROM sides s
JOIN (
  -- the spans that meet the period (all a unit's first minute can be in): as the units are, bounded by the period,
  -- so DuckDB, which cannot tell how many rows either holds, takes these for the fewer and hashes them, not the units
  SELECT eni_id, valid_from, valid_to, gs FROM eni_group_sets WHERE valid_to > period_start AND valid_from < period_end
) g ON g.eni_id = s.eni AND s.first_seen >= g.valid_from AND s.first_seen < g.valid_to;

-- fl_sg_key_matches(period_start, period_end, refused := false, ended := false, sums := true): each rule with the
-- accepted conversations of [period_start, period_end) it admitted. Inbound: a rule of a group the server's ENI carried then
-- admits the client's address; outbound: a rule of a group the client's ENI carried then admits the server's. The
-- protocol is the rule's (NULL: all), the server port within [port_lo, port_hi], and the peer's address in the rule's
-- CIDR or one of its prefix list's entries, or its ENI carried the referenced group then. Return traffic needs no
-- rule (security groups are stateful): it is the same conversation. When several rules of one side admit a
-- conversation, each counts it, and most_specific marks one: the smallest port range, then the longest prefix (a
-- group reference is more specific than any CIDR), then the rule id. refused: the rejected conversations instead (the
-- rules that would have admitted them, in force then: a side none of whose rules admits one refused it); ended: the
-- rules whose time had ended by then instead of those in force (revoked, or changed by ModifySecurityGroupRules: what
-- admitted the conversation before).
-- The sides of fl_sg_sides are matched once per key, what decides which rules admit them: the direction (egress), the
-- set of groups of the guarded ENI (gs), the peer's ENI and address, the protocol, the server port and, for a unit read
-- minute by minute, its minute; at the key's first minute (first_seen): a unit not read minute by minute has neither
-- side's groups nor their rules change within the period (sg_change_points), so its every minute gives what the first
-- gives. One row per rule and key (key: the least u of its units, with egress), with the sums of its units'
-- conversations and bytes, their first and last minute: what a template that sums over rules needs (sums := false:
-- conversations, uploaded, downloaded, bytes and last_seen NULL, for a query that needs only which rules admitted
-- what, as sg-unused-rules); fl_sg_rule_matches has the same unit by unit.
CREATE OR REPLACE MACRO fl_sg_key_matches(period_start, period_end, refused := false, ended := false, sums := true) AS TABLE
WITH eps AS MATERIALIZED (
  FROM fl_sg_endpoints(period_start, period_end)
), grouped AS (
  -- The keys' sides are taken from the conversation-minutes, not from the units' (fl_sg_sides), with the same sums (k,
  -- the least row id, is the least u): grouped once, into 0.12 M keys, rather than into 0.7 M units and those again (10
  -- M records: 1.3-1.5 s of CPU -> 0.8 s). A unit not read minute by minute has its sides' groups the same the whole
  -- period (sg_change_points), so its ENI's gs is the period's (fl_sg_endpoints). Both directions in one read of the
  -- conversation-minutes, as two grouping sets (grouping(in_gs) = 1: egress; a set's other columns are NULL, so
  -- coalesce takes its own): each direction reading them itself read, filtered and looked the endpoints up twice (10 M
  -- records: 18 % fewer instructions for sg-rule-usage and sg-unused-rules, 8.9 -> 7.3 G); read once into a union of
  -- both, DuckDB kept them (4 M rows written, spilled and read back). peer_eni_no: the peer's ENI by its number
  -- (grouped by, as the text is longer). A side whose ENI carried no group (gs NULL: no ENI, or none then) is grouped
  -- too, not filtered out: no rule admits it (guarded, below, joins on gs), and filtering here made DuckDB look gs up
  -- twice a conversation-minute, in a nested-loop join on the endpoints' lists (10 M records: 0.2 s of CPU). The
  -- endpoints' lists are looked up in one projection (minute repeated in it rather than taken from one below: a second
  -- cross product with them).
  SELECT grouping(in_gs) = 1 AS egress, min(fact) AS k, coalesce(in_gs, out_gs) AS gs, coalesce(in_peer, out_peer) AS peer_eni_no,
         coalesce(client_addr, server_addr) AS peer_addr, protocol, server_port, minute,
         count(*)::HUGEINT AS conversations, sum(uploaded) AS uploaded, sum(downloaded) AS downloaded, min(window_start) AS t, max(window_start) AS last_seen
  FROM (SELECT a.*, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start) AS minute,
          l.eni_no[client_ep + 1] AS in_peer, fl_sg_set(l.gs, l.spans, server_ep, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start)) AS in_gs,
          l.eni_no[server_ep + 1] AS out_peer, fl_sg_set(l.gs, l.spans, client_ep, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start)) AS out_gs
        FROM fl_sg_accepted(period_start, period_end, refused := refused) a, eps l) WHERE sums
  GROUP BY GROUPING SETS ((in_gs, in_peer, client_addr, protocol, server_port, minute), (out_gs, out_peer, server_addr, protocol, server_port, minute))
  UNION ALL
  -- sums := false: the keys' least row id and first minute alone (what matching needs), the other sums NULL. DuckDB
  -- drops the branch whose WHERE is false; it could not drop the sums a query does not read itself, as the macro's
  -- CTEs are materialized (10 M records, sg-unused-rules: 27 % fewer instructions, 8.8 -> 6.5 G; wall 1.29-1.50 ->
  -- 0.87-1.22 s).
  SELECT grouping(in_gs) = 1, min(fact), coalesce(in_gs, out_gs), coalesce(in_peer, out_peer), coalesce(client_addr, server_addr),
         protocol, server_port, minute, NULL, NULL, NULL, min(window_start), NULL
  FROM (SELECT a.*, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start) AS minute,
          l.eni_no[client_ep + 1] AS in_peer, fl_sg_set(l.gs, l.spans, server_ep, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start)) AS in_gs,
          l.eni_no[server_ep + 1] AS out_peer, fl_sg_set(l.gs, l.spans, client_ep, fl_sg_minute(l.moving, l.any_moving, client_ep, server_ep, window_start)) AS out_gs
        FROM fl_sg_accepted(period_start, period_end, refused := refused) a, eps l) WHERE NOT sums
  GROUP BY GROUPING SETS ((in_gs, in_peer, client_addr, protocol, server_port, minute), (out_gs, out_peer, server_addr, protocol, server_port, minute))
), keys AS MATERIALIZED (
  SELECT g.k, g.egress, g.gs, l.enis[g.peer_eni_no] AS peer_eni, g.peer_addr, g.protocol, g.server_port, g.minute, g.conversations,
         g.uploaded, g.downloaded, g.t, g.last_seen
  FROM grouped g, eps l
), addrs AS (
  SELECT peer_addr, fl_ip_family(peer_addr) AS peer_family, fl_ip_int(peer_addr) AS peer_v FROM (SELECT DISTINCT peer_addr FROM keys)
), guarded AS (
  SELECT k.k, k.t, k.protocol, k.server_port, k.egress, k.peer_eni, a.peer_family, a.peer_v, unnest(g.groups) AS group_id
  FROM keys k
  JOIN (SELECT DISTINCT gs, groups FROM eni_group_sets) g USING (gs)
  JOIN addrs a ON a.peer_addr = k.peer_addr
), rules AS MATERIALIZED (
  -- (sg_rule_peers named once: DuckDB binds a view anew at each mention)
  SELECT * FROM sg_rule_peers WHERE rule_id IS NOT NULL
), hits AS (
  SELECT g.k, g.egress, g.peer_family, g.peer_v, p.rule_no, p.port_hi - p.port_lo AS port_span, p.prefix_len AS peer_len
  FROM guarded g
  JOIN rules p ON p.peer_kind IN ('cidr', 'prefix-list') AND p.group_id = g.group_id AND p.egress = g.egress AND p.family = g.peer_family
    AND g.peer_v BETWEEN p.lo AND p.hi
  WHERE (p.protocol IS NULL OR p.protocol = g.protocol) AND coalesce(g.server_port, 0) BETWEEN p.port_lo AND p.port_hi
    AND CASE WHEN ended THEN p.valid_to <= g.t ELSE g.t >= p.valid_from AND g.t < p.valid_to END
  UNION ALL
  SELECT g.k, g.egress, g.peer_family, g.peer_v, r.rule_no, r.port_hi - r.port_lo AS port_span, 129 AS peer_len
  FROM guarded g
  JOIN rules r ON r.peer_kind = 'security-group' AND r.group_id = g.group_id AND r.egress = g.egress
  JOIN eni_group_intervals pg ON pg.eni_id = g.peer_eni AND pg.group_id = r.peer_group_id AND g.t >= pg.valid_from AND g.t < pg.valid_to
  WHERE (r.protocol IS NULL OR r.protocol = g.protocol) AND coalesce(g.server_port, 0) BETWEEN r.port_lo AND r.port_hi
    AND CASE WHEN ended THEN r.valid_to <= g.t ELSE g.t >= r.valid_from AND g.t < r.valid_to END
), one AS (
  -- a rule counts a key once (a prefix list whose entries overlap); rank orders a side's rules, the most specific
  -- first: the smallest port range, then the longest prefix (a group reference's 129 longer than any), then the
  -- lowest rule id, as one integer
  SELECT h.k, h.egress, h.rule_no, any_value(h.peer_family) AS peer_family, any_value(h.peer_v) AS peer_v,
         min(((h.port_span::BIGINT << 8) + (255 - h.peer_len)) << 24 | h.rule_no) AS rank
  FROM hits h GROUP BY h.k, h.egress, h.rule_no
), best AS (
  SELECT k, egress, min(rank) AS rank FROM one GROUP BY k, egress
)
SELECT r.rule_id, r.group_id, CASE WHEN o.egress THEN 'egress' ELSE 'ingress' END AS direction,
  n.peer_addr, n.peer_eni, o.peer_family, o.peer_v, n.protocol, n.server_port,
  n.conversations, n.uploaded, n.downloaded, n.uploaded + n.downloaded AS bytes, n.t AS first_seen, n.last_seen,
  b.rank IS NOT NULL AS most_specific, o.k AS key, o.egress, n.gs, n.minute
FROM one o
LEFT JOIN best b USING (k, egress, rank)
JOIN keys n USING (k, egress)
JOIN (SELECT DISTINCT rule_no, rule_id, group_id FROM rules) r ON r.rule_no = o.rule_no;

-- fl_sg_rule_matches(period_start, period_end, refused := false, ended := false): fl_sg_key_matches unit by unit:
-- one row per rule and unit of fl_sg_units it admitted (a distinct client, server, addresses, protocol and server
-- port; minute by minute while an ENI's groups changed), with their count, bytes and first and last minute, both
-- sides' addresses, ENIs and endpoints. unit numbers the unit. The view sg_rule_matches, below, is every period.
CREATE OR REPLACE MACRO fl_sg_rule_matches(period_start, period_end, refused := false, ended := false) AS TABLE
SELECT m.rule_id, m.group_id, m.direction, s.eni, s.peer_addr, s.peer_eni, m.peer_family, m.peer_v,
  s.protocol, s.client_addr, s.client_eni, s.client_ep, s.server_addr, s.server_port, s.server_eni, s.server_ep,
  s.conversations, s.uploaded, s.downloaded, s.uploaded + s.downloaded AS bytes, s.first_seen, s.last_seen,
  m.most_specific, s.u AS unit
FROM fl_sg_sides(period_start, period_end, refused := refused) s
JOIN fl_sg_key_matches(period_start, period_end, refused := refused, ended := ended, sums := false) m
  ON m.egress = s.egress AND m.gs = s.gs AND m.peer_eni IS NOT DISTINCT FROM s.peer_eni AND m.peer_addr = s.peer_addr
 AND m.protocol IS NOT DISTINCT FROM s.protocol AND m.server_port IS NOT DISTINCT FROM s.server_port
 AND m.minute IS NOT DISTINCT FROM s.minute;

CREATE OR REPLACE VIEW sg_rule_matches AS FROM fl_sg_rule_matches(TIMESTAMP '-infinity', TIMESTAMP 'infinity');

-- The period a template's since/until/days parameters say: [lo, hi). until empty: the dataset's last conversation
-- (its minute's end); since empty: `days` days before hi, else the beginning.
CREATE OR REPLACE MACRO fl_period(since, until, days) AS TABLE
WITH last AS (SELECT max(window_start) + INTERVAL 1 MINUTE AS t FROM conversation_facts), span AS (
  SELECT coalesce(CAST(until AS TIMESTAMP), t, TIMESTAMP 'infinity') AS hi FROM last
)
SELECT coalesce(CAST(since AS TIMESTAMP), hi - to_days(CAST(days AS INTEGER)), TIMESTAMP '-infinity') AS lo, hi FROM span;

-- Each rule as the templates show it, one row per rule: the group and its name, direction, protocol name ('all'),
-- ports ('443', '1024-65535', 'all') and peer first, as it is now (a rule ModifySecurityGroupRules changed: its last
-- shape); then what they compute with. valid_from/valid_to span all its shapes.
CREATE OR REPLACE VIEW sg_rules_shown AS
WITH rules AS MATERIALIZED (
  FROM inv_sg_rules
), span AS (
  SELECT rule_id, min(valid_from) AS valid_from, max(valid_to) AS valid_to,
         list(valid_from ORDER BY valid_from)[2:] AS changes FROM rules GROUP BY rule_id
)
SELECT r.group_id AS security_group, g.group_name, CASE WHEN r.egress THEN 'egress' ELSE 'ingress' END AS direction,
  CASE WHEN r.protocol IS NULL THEN 'all' ELSE fl_protocol_name(r.protocol) END AS protocol,
  CASE WHEN r.port_lo = 0 AND r.port_hi = 65535 THEN 'all' WHEN r.port_lo = r.port_hi THEN CAST(r.port_lo AS VARCHAR)
       ELSE r.port_lo || '-' || r.port_hi END AS ports,
  r.peer,
  -- when it was added and revoked, where CloudTrail says (else NULL), and when ModifySecurityGroupRules changed it
  CASE WHEN s.valid_from > TIMESTAMP '1970-01-01' THEN s.valid_from END AS authorized,
  CASE WHEN s.valid_to < TIMESTAMP '9999-12-31' THEN s.valid_to END AS revoked,
  CASE WHEN len(s.changes) > 0 THEN s.changes END AS modified,
  r.rule_id, r.peer_kind, r.prefix_len, r.family, s.valid_from, s.valid_to
FROM (SELECT DISTINCT ON (rule_id) * FROM rules ORDER BY rule_id, valid_from DESC) r
JOIN span s USING (rule_id) LEFT JOIN inv_security_groups g ON g.group_id = r.group_id;

-- A period clipped to the dataset's span of records (eni_coverage: its first record to its last).
CREATE OR REPLACE MACRO fl_coverage_period(period_start, period_end) AS TABLE
WITH span AS (
  SELECT min(valid_from) AS first, max(valid_to) AS last FROM eni_coverage
)
SELECT greatest(period_start, coalesce(first, period_start)) AS lo, least(period_end, coalesce(last, period_end)) AS hi FROM span;

-- When each ENI was not proven logged (eni_coverage, made from its flow records by every enrichment): the spans
-- its SKIPDATA records cover ('skipped data'), and the holes between the spans its OK and NODATA records cover
-- ('logged nothing': an ENI logged the whole time has a record every aggregation interval, so a hole is more than
-- two intervals, window_seconds, without one). One row per ENI of the inventory or of the records and gap, within
-- [period_start, period_end) and within the ENI's life (from the first of its inventory's valid_from and its first
-- record; to the last of its inventory's valid_to and its last record), the period clipped to the dataset's span (its
-- first record to the last). always: a SKIPDATA span, or an ENI no OK or NODATA record shows at all, a gap however
-- short; else a hole is a gap only when longer than two intervals, at either end of a span too: read with
-- fl_sg_gaps, which clips them to the spans that matter.
CREATE OR REPLACE MACRO fl_coverage_gaps(period_start, period_end) AS TABLE
WITH data AS (
  FROM fl_coverage_period(period_start, period_end)
), life AS (
  SELECT eni_id, min(valid_from) AS life_from, max(valid_to) AS life_to, max(w) AS w FROM (
    SELECT eni_id, valid_from, valid_to, NULL::INTEGER AS w FROM inv_enis
    UNION ALL SELECT eni_id, valid_from, valid_to, window_seconds FROM eni_coverage) GROUP BY eni_id
), recorded AS (
  -- the spans of an ENI that logged (a SKIPDATA span is named as such, not again as a hole)
  SELECT eni_id, valid_from, valid_to,
         max(valid_to) OVER (PARTITION BY eni_id ORDER BY valid_from, valid_to ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_to
  FROM eni_coverage WHERE eni_id IN (SELECT eni_id FROM eni_coverage WHERE status = 'logged')
), gaps AS (
  SELECT eni_id, 'skipped data' AS gap, valid_from AS gap_from, valid_to AS gap_to, true AS always FROM eni_coverage WHERE status = 'skipped'
  UNION ALL SELECT eni_id, 'logged nothing', coalesce(prev_to, TIMESTAMP '-infinity'), valid_from, false FROM recorded
    WHERE prev_to IS NULL OR valid_from > prev_to
  UNION ALL SELECT eni_id, 'logged nothing', max(valid_to), TIMESTAMP 'infinity', false FROM recorded GROUP BY eni_id
  UNION ALL SELECT eni_id, 'logged nothing', TIMESTAMP '-infinity', TIMESTAMP 'infinity', true FROM life l
    WHERE NOT EXISTS (SELECT 1 FROM eni_coverage c WHERE c.eni_id = l.eni_id AND c.status = 'logged')
)
SELECT g.eni_id, g.gap, greatest(g.gap_from, l.life_from, d.lo) AS gap_from, least(g.gap_to, l.life_to, d.hi) AS gap_to,
       coalesce(l.w, 600) AS window_seconds, g.always
FROM gaps g JOIN life l USING (eni_id), data d
WHERE greatest(g.gap_from, l.life_from, d.lo) < least(g.gap_to, l.life_to, d.hi);

-- A span of time as text, its end rounded up to the minute: '2026-09-29 10:00–11:30' ('2026-09-29 22:00–2026-09-30
-- 01:00' over midnight).
CREATE OR REPLACE MACRO fl_span_text(a, b) AS
  strftime(a, '%Y-%m-%d %H:%M') || '–' || CASE WHEN a::DATE = date_trunc('minute', b + INTERVAL 59 SECOND)::DATE
    THEN strftime(date_trunc('minute', b + INTERVAL 59 SECOND), '%H:%M') ELSE strftime(date_trunc('minute', b + INTERVAL 59 SECOND), '%Y-%m-%d %H:%M') END;

-- fl_sg_gaps(period_start, period_end): per rule in force in the period (clipped to the dataset's span of records,
-- fl_coverage_period), the ENIs that carried its group while it was (guarded: one row per ENI, gap NULL) and each gap
-- in their logging then (fl_coverage_gaps clipped to when the ENI carried the group and the rule was in force; a hole
-- of 'logged nothing' only when longer than two aggregation intervals, at an end of that span too).
CREATE OR REPLACE MACRO fl_sg_gaps(period_start, period_end) AS TABLE
WITH data AS (
  FROM fl_coverage_period(period_start, period_end)
), spans AS (
  SELECT r.rule_id, g.eni_id, greatest(g.valid_from, r.valid_from, d.lo) AS s_from, least(g.valid_to, r.valid_to, d.hi) AS s_to
  -- (a rule's shapes, ModifySecurityGroupRules', follow one another: one span, so that a hole across a change is one)
  FROM (SELECT rule_id, group_id, min(valid_from) AS valid_from, max(valid_to) AS valid_to FROM inv_sg_rules GROUP BY ALL) r
  JOIN eni_group_intervals g ON g.group_id = r.group_id, data d
  WHERE greatest(g.valid_from, r.valid_from, d.lo) < least(g.valid_to, r.valid_to, d.hi)
), gaps AS (
  SELECT s.rule_id, s.eni_id, c.gap, greatest(c.gap_from, s.s_from) AS gap_from, least(c.gap_to, s.s_to) AS gap_to
  FROM spans s JOIN fl_coverage_gaps(period_start, period_end) c ON c.eni_id = s.eni_id
  WHERE greatest(c.gap_from, s.s_from) < least(c.gap_to, s.s_to)
    AND (c.always OR least(c.gap_to, s.s_to) > greatest(c.gap_from, s.s_from) + to_seconds(2 * c.window_seconds))
)
SELECT DISTINCT rule_id, eni_id, NULL AS gap, NULL::TIMESTAMP AS gap_from, NULL::TIMESTAMP AS gap_to FROM spans
UNION ALL SELECT * FROM gaps;

-- fl_sg_would_have_allowed(period_start, period_end): the rejected conversations of the period (a unit of fl_sg_units
-- each: client, server, addresses, protocol, server port; minute by minute while a side's groups or rules changed),
-- each with the side that refused it: an ENI that carried a group then none of whose rules in force admitted it
-- (direction 'ingress': the server's, whose inbound rules admit the client; 'egress': the client's), its groups
-- (groups), and what would have allowed it: revoked_rule, the most specific rule of those groups whose time had ended
-- by then (revoked, or changed by ModifySecurityGroupRules) that admitted it before; else add_peer, the narrowest peer
-- a rule to add would name: the peer ENI's security group then (the lowest id when it had several), else its address
-- as a /32 (/128). Conversations both sides' rules admit (a network ACL refused them, or a late packet after the
-- close) are not listed.
CREATE OR REPLACE MACRO fl_sg_would_have_allowed(period_start, period_end) AS TABLE
WITH grouped AS (
  SELECT s.*, g.groups FROM fl_sg_sides(period_start, period_end, refused := true) s
  JOIN (SELECT DISTINCT gs, groups FROM eni_group_sets) g USING (gs)
), admitted AS (
  -- the keys of fl_sg_key_matches (what decides which rules admit a side)
  SELECT DISTINCT egress, gs, peer_eni, peer_addr, protocol, server_port, minute
  FROM fl_sg_key_matches(period_start, period_end, refused := true, sums := false)
), refused AS (
  SELECT g.* FROM grouped g ANTI JOIN admitted a
    ON a.egress = g.egress AND a.gs = g.gs AND a.peer_eni IS NOT DISTINCT FROM g.peer_eni AND a.peer_addr = g.peer_addr
   AND a.protocol IS NOT DISTINCT FROM g.protocol AND a.server_port IS NOT DISTINCT FROM g.server_port
   AND a.minute IS NOT DISTINCT FROM g.minute
), ended AS (
  SELECT egress, gs, peer_eni, peer_addr, protocol, server_port, minute, rule_id
  FROM fl_sg_key_matches(period_start, period_end, refused := true, ended := true, sums := false) WHERE most_specific
), peer_groups AS (
  SELECT r.u, r.egress, min(g.group_id) AS peer_group
  FROM refused r JOIN eni_group_intervals g ON g.eni_id = r.peer_eni AND r.first_seen >= g.valid_from AND r.first_seen < g.valid_to
  GROUP BY ALL
)
SELECT CASE WHEN r.egress THEN 'egress' ELSE 'ingress' END AS direction, r.eni, r.groups, r.protocol, r.server_port,
  r.peer_addr, r.peer_eni, e.rule_id AS revoked_rule,
  CASE WHEN e.rule_id IS NULL THEN coalesce(pg.peer_group, r.peer_addr || CASE fl_ip_family(r.peer_addr) WHEN 4 THEN '/32' ELSE '/128' END) END AS add_peer,
  r.client_addr, r.client_eni, r.client_ep, r.server_addr, r.server_eni, r.server_ep, r.conversations, r.first_seen, r.last_seen, r.u AS unit
FROM refused r
LEFT JOIN ended e
  ON e.egress = r.egress AND e.gs = r.gs AND e.peer_eni IS NOT DISTINCT FROM r.peer_eni AND e.peer_addr = r.peer_addr
 AND e.protocol IS NOT DISTINCT FROM r.protocol AND e.server_port IS NOT DISTINCT FROM r.server_port
 AND e.minute IS NOT DISTINCT FROM r.minute
LEFT JOIN peer_groups pg ON pg.u = r.u AND pg.egress = r.egress;
