-- Steps 3-4 for one part: orientation, the observer chosen, and its row, into fl_conv.

-- Orientation per 5-tuple: SYN sender is the client, SYN-ACK sender the server; else port ranks.
CREATE OR REPLACE TEMP TABLE fl_orient AS
WITH k AS (
  SELECT proto, a_addr, a_port, b_addr, b_port, bit_or(evidence) AS e, arg_min(first_fwd, start) AS first_from_a
  FROM fl_obs GROUP BY ALL
)
SELECT proto, a_addr, a_port, b_addr, b_port, e, first_from_a,
  CASE WHEN e & 1 <> 0 THEN true WHEN e & 2 <> 0 THEN false
       WHEN e & 4 <> 0 THEN false WHEN e & 8 <> 0 THEN true
       WHEN fl_port_rank(a_port) <> fl_port_rank(b_port) THEN fl_port_rank(a_port) > fl_port_rank(b_port)
       WHEN a_port <> b_port THEN a_port > b_port
       ELSE first_from_a END AS client_is_a,
  (CASE WHEN e & 3 <> 0 THEN fl_code_orientation('syn') WHEN e & 12 <> 0 THEN fl_code_orientation('syn-ack')
        ELSE fl_code_orientation('port') END)::UTINYINT AS orientation
FROM k;

-- One observer per conversation-minute: the client's ENI, else the server's, else another, a NAT gateway
-- last (lowest ENI first among equals). pick = preference << 32 | order among observers; the chosen row is
-- found again by its row id. When the client's ENI is chosen and the server's logged too, the server's is kept
-- (server_observer): its own records prove the server's side (attribution.sql).
CREATE OR REPLACE TEMP VIEW fl_pick_rows AS
SELECT p.rowid AS rid, p.obs, p.proto, p.a_addr, p.a_port, p.b_addr, p.b_port, p.minute, p.rejected, o.client_is_a, o.orientation,
       o.e, o.first_from_a,
       (CASE WHEN e.kind = 'natgateway' THEN 3
             WHEN (CASE WHEN o.client_is_a THEN ha.obs ELSE hb.obs END) IS NOT NULL THEN 0
             WHEN (CASE WHEN o.client_is_a THEN hb.obs ELSE ha.obs END) IS NOT NULL THEN 1
             ELSE 2 END)::BIGINT << 32 | e.ord AS pick
FROM fl_obs p
JOIN fl_orient o ON o.proto IS NOT DISTINCT FROM p.proto AND o.a_addr = p.a_addr AND o.b_addr = p.b_addr
 AND o.a_port IS NOT DISTINCT FROM p.a_port AND o.b_port IS NOT DISTINCT FROM p.b_port
JOIN fl_observer e ON e.obs = p.obs
LEFT JOIN fl_obs_addr ha ON ha.obs = p.obs AND ha.addr = p.a_addr
LEFT JOIN fl_obs_addr hb ON hb.obs = p.obs AND hb.addr = p.b_addr;

-- A key without the client's port (an Athena reduction's row: it drops it) that several ENIs each logged as the
-- client's own address is that many conversations, not one seen twice: the address went from one holder to another
-- within the window (an ECS task's address reused by the next task within the hour). Each of them is kept; the rows
-- of the other observers of that key (the server's, another) are the same traffic seen from there, and go.
CREATE OR REPLACE TEMP TABLE fl_pick_split AS
SELECT proto, a_addr, a_port, b_addr, b_port, minute, list(DISTINCT obs) AS clients
FROM fl_pick_rows WHERE (a_port IS NULL OR b_port IS NULL) AND pick >> 32 = 0
GROUP BY ALL HAVING count(DISTINCT obs) > 1;

CREATE OR REPLACE TEMP TABLE fl_pick AS
WITH p AS (
  SELECT p.*, CASE WHEN s.clients IS NULL THEN NULL WHEN list_contains(s.clients, p.obs) THEN p.obs ELSE -1 END AS split
  FROM fl_pick_rows p
  LEFT JOIN fl_pick_split s ON s.proto IS NOT DISTINCT FROM p.proto AND s.a_addr = p.a_addr AND s.b_addr = p.b_addr
   AND s.a_port IS NOT DISTINCT FROM p.a_port AND s.b_port IS NOT DISTINCT FROM p.b_port AND s.minute = p.minute
)
SELECT arg_min(rid, pick) AS rid, min(pick) >> 32 AS side, bool_or(rejected) AS any_rejected,
       arg_min(obs, pick) FILTER (WHERE pick >> 32 = 1) AS server_obs,
       -- the same for every row of a 5-tuple: carried along, so the choice needs no second join
       any_value(client_is_a) AS client_is_a, any_value(orientation) AS orientation,
       any_value(e) AS e, any_value(first_from_a) AS first_from_a
FROM p WHERE split IS DISTINCT FROM -1
GROUP BY proto, a_addr, a_port, b_addr, b_port, minute, split;
DROP VIEW fl_pick_rows; DROP TABLE fl_pick_split;

CREATE OR REPLACE TEMP TABLE fl_conv AS
SELECT p.proto, p.minute, p.start, p."end", c.any_rejected, p.records, c.orientation,
       p.obs, e.obs_vpc,
       (CASE c.side WHEN 0 THEN fl_code_observer_side('client') WHEN 1 THEN fl_code_observer_side('server')
                    WHEN 3 THEN fl_code_observer_side('nat-gateway') ELSE fl_code_observer_side('other') END)::UTINYINT AS observer_side,
       CASE WHEN c.client_is_a THEN p.a_addr ELSE p.b_addr END AS client_addr, CASE WHEN c.client_is_a THEN p.a_port ELSE p.b_port END AS client_port,
       CASE WHEN c.client_is_a THEN p.b_addr ELSE p.a_addr END AS server_addr, CASE WHEN c.client_is_a THEN p.b_port ELSE p.a_port END AS server_port,
       CASE WHEN c.client_is_a THEN p.bytes_ab ELSE p.bytes_ba END AS uploaded,
       CASE WHEN c.client_is_a THEN p.bytes_ba ELSE p.bytes_ab END AS downloaded,
       CASE WHEN c.client_is_a THEN p.packets_ab ELSE p.packets_ba END AS packets_up,
       CASE WHEN c.client_is_a THEN p.packets_ba ELSE p.packets_ab END AS packets_down,
       -- the highest traffic-path code each way
       fl_top_bit(CASE WHEN c.client_is_a THEN p.paths & 65535 ELSE p.paths >> 16 END) AS path_up,
       fl_top_bit(CASE WHEN c.client_is_a THEN p.paths >> 16 ELSE p.paths & 65535 END) AS path_down,
       CASE WHEN c.client_is_a THEN p.a_svc_hint ELSE p.b_svc_hint END AS client_svc_hint,
       CASE WHEN c.client_is_a THEN p.b_svc_hint ELSE p.a_svc_hint END AS server_svc_hint,
       -- what a later batch merges by, from the client's side: the evidence and who sent first, the paths
       ((CASE WHEN c.client_is_a THEN c.e & 15 ELSE fl_swap_evidence(c.e) END)
        | CASE WHEN c.first_from_a = c.client_is_a THEN 16 ELSE 0 END)::UTINYINT AS evidence,
       (CASE WHEN c.client_is_a THEN p.paths ELSE fl_swap_paths(p.paths) END)::UINTEGER AS paths,
       p.client_ports,
       CASE WHEN c.side = 0 THEN c.server_obs END AS server_observer
FROM fl_pick c
JOIN fl_obs p ON p.rowid = c.rid
JOIN fl_observer e ON e.obs = p.obs;
-- free the per-observer sums before attribution
DROP TABLE fl_obs; DROP TABLE fl_orient; DROP TABLE fl_pick;
