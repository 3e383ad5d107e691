-- Step 1 for one part, after observer-sums.sql: the pending reduced rows (fl_pending_reduced, rows an Athena
-- reduction returned: store/reduced.ts) added to fl_obs as the facts they are, in its shape, so that the rest of
-- the enrichment (orientation, the observer chosen, attribution, windows, a later batch's merge) treats them as it
-- treats the sums of flow records. A reduced row has no client port (NULL: the reduction dropped it), which keeps
-- it a conversation of its own; its window is the conversation minute. Oriented already: its evidence says the
-- client is the client (a SYN from it, or a SYN-ACK from the server; else the port ranks put the NULL port last,
-- which is the client's), and the client sent first. The rows of the actions of one window are summed, REJECT if
-- any, as records are. A NAT gateway's translated outside leg is dropped as observer-sums.sql drops it.
ALTER TABLE fl_obs ADD COLUMN IF NOT EXISTS client_ports BIGINT;
INSERT INTO fl_obs BY NAME
WITH r AS (
  SELECT o.obs, ca.id AS c, sa.id AS s, r.*
  FROM fl_pending_reduced r
  JOIN fl_obs_eni o ON o.interface_id IS NOT DISTINCT FROM r.interface_id AND o.rec_vpc IS NOT DISTINCT FROM r.vpc_id
  JOIN fl_addr ca ON ca.addr = r.client_addr
  JOIN fl_addr sa ON sa.addr = r.server_addr
  WHERE fl_in_part(r.client_addr, r.server_addr)
    AND NOT coalesce(o.kind = 'natgateway' AND (ca.id = o.primary_id OR sa.id = o.primary_id), false)
), f AS (
  -- the canonical order of observer-sums.sql: a is the lower (address id, port), a NULL port as 0
  SELECT r.*, (c < s OR (c = s AND 0 <= coalesce(server_port, 0))) AS c_is_a,
         CASE WHEN flags & 1 <> 0 THEN 1 WHEN flags & 8 <> 0 THEN 8 ELSE 0 END AS ev,
         (CASE WHEN path_up BETWEEN 0 AND 15 THEN 1::BIGINT << path_up ELSE 0 END)
           | (CASE WHEN path_down BETWEEN 0 AND 15 THEN 1::BIGINT << (16 + path_down) ELSE 0 END) AS p
  FROM r
)
SELECT protocol AS proto,
       CASE WHEN c_is_a THEN c ELSE s END AS a_addr, CASE WHEN c_is_a THEN NULL ELSE server_port END AS a_port,
       CASE WHEN c_is_a THEN s ELSE c END AS b_addr, CASE WHEN c_is_a THEN server_port ELSE NULL END AS b_port,
       window_start AS minute, obs,
       min(first_start) AS start, max(last_end) AS "end",
       sum(CASE WHEN c_is_a THEN bytes_up ELSE bytes_down END) AS bytes_ab, sum(CASE WHEN c_is_a THEN bytes_down ELSE bytes_up END) AS bytes_ba,
       sum(CASE WHEN c_is_a THEN packets_up ELSE packets_down END) AS packets_ab, sum(CASE WHEN c_is_a THEN packets_down ELSE packets_up END) AS packets_ba,
       sum(records) AS records,
       bool_or(action = 'REJECT') AS rejected,
       bit_or(CASE WHEN c_is_a THEN p ELSE fl_swap_paths(p) END)::UINTEGER AS paths,
       any_value(CASE WHEN c_is_a THEN client_service ELSE server_service END) AS a_svc_hint,
       any_value(CASE WHEN c_is_a THEN server_service ELSE client_service END) AS b_svc_hint,
       bit_or(CASE WHEN c_is_a THEN ev ELSE fl_swap_evidence(ev) END)::UTINYINT AS evidence,
       bool_and(c_is_a) AS first_fwd,
       -- the distinct client ports of its actions' rows (an upper bound when they differ)
       sum(client_ports) AS client_ports
FROM f GROUP BY ALL;
