-- Step 2 for one part, when appending: the stored facts to merge with it (of the 5-tuples the part touches),
-- back in the shape of fl_obs, summed with the part's own sums of the same observer and minute. The stored
-- rows are kept in fl_pulled_all: the commit replaces them.

-- the 5-tuples this part touches
CREATE OR REPLACE TEMP TABLE fl_touched AS
SELECT DISTINCT fl_tuple_hash(t.proto, a.addr, t.a_port, b.addr, t.b_port) AS t5
FROM (SELECT DISTINCT proto, a_addr, a_port, b_addr, b_port FROM fl_obs) t
JOIN fl_addr a ON a.id = t.a_addr JOIN fl_addr b ON b.id = t.b_addr;

CREATE OR REPLACE TEMP TABLE fl_pulled AS
SELECT f.rowid AS frid, f.*, ca.id AS cid, sa.id AS sid
FROM conversation_facts f JOIN fl_addr ca ON ca.addr = f.client_addr JOIN fl_addr sa ON sa.addr = f.server_addr
WHERE fl_tuple_hash(f.protocol, f.client_addr, f.client_port, f.server_addr, f.server_port) IN (SELECT t5 FROM fl_touched);
INSERT INTO fl_pulled_all SELECT * EXCLUDE (cid, sid) FROM fl_pulled;

-- A stored fact is its observer's sums for that minute, with the 5-tuple's evidence and first sender; and when
-- the server's ENI logged the minute too (server_observer), the same row again as the server's, so that the
-- observer is chosen again knowing both ends saw it (the client's row stays the one counted).
CREATE OR REPLACE TEMP TABLE fl_pulled_obs AS
WITH p AS (
  SELECT f.*, (cid < sid OR (cid = sid AND coalesce(client_port, 0) <= coalesce(server_port, 0))) AS c_is_a,
         ce.aws_service AS c_svc, se.aws_service AS s_svc
  FROM fl_pulled f LEFT JOIN endpoints ce ON ce.ep = f.client_ep LEFT JOIN endpoints se ON se.ep = f.server_ep
), o AS (
SELECT protocol AS proto,
  CASE WHEN c_is_a THEN cid ELSE sid END AS a_addr, CASE WHEN c_is_a THEN client_port ELSE server_port END AS a_port,
  CASE WHEN c_is_a THEN sid ELSE cid END AS b_addr, CASE WHEN c_is_a THEN server_port ELSE client_port END AS b_port,
  epoch(window_start)::BIGINT AS minute, observer AS obs, start, "end",
  CASE WHEN c_is_a THEN uploaded ELSE downloaded END AS bytes_ab, CASE WHEN c_is_a THEN downloaded ELSE uploaded END AS bytes_ba,
  CASE WHEN c_is_a THEN packets_up ELSE packets_down END AS packets_ab, CASE WHEN c_is_a THEN packets_down ELSE packets_up END AS packets_ba,
  records, rejected,
  (CASE WHEN c_is_a THEN paths ELSE fl_swap_paths(paths) END)::UINTEGER AS paths,
  CASE WHEN c_is_a THEN c_svc ELSE s_svc END AS a_svc_hint, CASE WHEN c_is_a THEN s_svc ELSE c_svc END AS b_svc_hint,
  (CASE WHEN c_is_a THEN evidence & 15 ELSE fl_swap_evidence(evidence) END)::UTINYINT AS evidence,
  ((evidence & 16) <> 0) = c_is_a AS first_fwd, client_ports, server_observer
FROM p
)
SELECT * EXCLUDE (server_observer) FROM o
UNION ALL BY NAME
SELECT * EXCLUDE (obs, server_observer), server_observer AS obs FROM o WHERE server_observer IS NOT NULL;
DROP TABLE fl_pulled;

-- the part's sums of the same 5-tuples and the facts taken back, added up per observer and minute
CREATE OR REPLACE TEMP TABLE fl_merged AS
SELECT proto, a_addr, a_port, b_addr, b_port, minute, obs, min(start) AS start, max("end") AS "end",
       sum(bytes_ab) AS bytes_ab, sum(bytes_ba) AS bytes_ba, sum(packets_ab) AS packets_ab, sum(packets_ba) AS packets_ba,
       sum(records) AS records, bool_or(rejected) AS rejected, bit_or(paths) AS paths,
       any_value(a_svc_hint) AS a_svc_hint, any_value(b_svc_hint) AS b_svc_hint,
       bit_or(evidence) AS evidence, arg_min(first_fwd, start) AS first_fwd, sum(client_ports) AS client_ports
FROM (SELECT * FROM fl_obs o WHERE EXISTS (SELECT 1 FROM fl_pulled_obs p WHERE p.proto = o.proto AND p.a_addr = o.a_addr AND p.b_addr = o.b_addr
      AND p.a_port IS NOT DISTINCT FROM o.a_port AND p.b_port IS NOT DISTINCT FROM o.b_port)
      UNION ALL BY NAME SELECT * FROM fl_pulled_obs)
GROUP BY proto, a_addr, a_port, b_addr, b_port, minute, obs;
DELETE FROM fl_obs o WHERE EXISTS (SELECT 1 FROM fl_pulled_obs p WHERE p.proto = o.proto AND p.a_addr = o.a_addr AND p.b_addr = o.b_addr
      AND p.a_port IS NOT DISTINCT FROM o.a_port AND p.b_port IS NOT DISTINCT FROM o.b_port);
INSERT INTO fl_obs BY NAME SELECT * FROM fl_merged;
DROP TABLE fl_merged; DROP TABLE fl_pulled_obs;
