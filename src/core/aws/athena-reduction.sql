-- The Athena reduction (see athenaReduction.ts, which fills the {{…}} slots): flow records reduced where they
-- live to what the local enrichment needs, one row per observer interface, client address, server address,
-- server port, protocol, action and window. Written once, in the SQL that Trino (Athena) and DuckDB both
-- accept: no DuckDB macro, no Trino-only function, integers only with + - * % and comparisons, aggregates that
-- both have (min_by, max, count(DISTINCT …)). A column the table lacks is a typed NULL in its slot.
--
-- Orientation per 5-tuple, as the local engine's orientation.sql does it: the SYN sender is the client, the
-- SYN-ACK sender the server (tcp-flags OR-ed over the capture window: SYN 2, ACK 16); else the port ranks of
-- macros.sql fl_port_rank (well-known < 1024, registered < 32768, ephemeral; NULL last); else the higher
-- port; else the end that sent first. The ephemeral client port is dropped and counted (client_ports).
WITH r AS (
  SELECT interface_id, {{vpc_id}} AS vpc_id,
         lower(coalesce({{pkt_srcaddr}}, srcaddr)) AS src, lower(coalesce({{pkt_dstaddr}}, dstaddr)) AS dst,
         srcport AS sport, dstport AS dport, protocol AS proto, action, bytes, packets, start, "end",
         {{tcp_flags}} AS flags, {{traffic_path}} AS path,
         {{pkt_src_aws_service}} AS src_svc, {{pkt_dst_aws_service}} AS dst_svc
  FROM {{table}}
  WHERE start >= {{since}} AND start < {{until}} AND coalesce(log_status, 'OK') = 'OK'
    AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND start IS NOT NULL{{partitions}}
), f AS (
  -- a and b: the 5-tuple's ends in a canonical order (the lower address and port first); fwd: this record went a -> b
  SELECT r.*,
         (src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0))) AS fwd,
         CASE WHEN flags % 4 >= 2 AND flags % 32 < 16 THEN 1 ELSE 0 END AS syn,
         CASE WHEN flags % 4 >= 2 AND flags % 32 >= 16 THEN 1 ELSE 0 END AS synack
  FROM r
), k AS (
  SELECT f.*,
         CASE WHEN fwd THEN src ELSE dst END AS a, CASE WHEN fwd THEN sport ELSE dport END AS ap,
         CASE WHEN fwd THEN dst ELSE src END AS b, CASE WHEN fwd THEN dport ELSE sport END AS bp,
         CASE WHEN fwd THEN 0 ELSE 1 END AS back
  FROM f
), t AS (
  -- the 5-tuple's evidence, over every observer and minute of the query's time range
  SELECT proto, a, ap, b, bp,
         max(CASE WHEN fwd THEN syn ELSE 0 END) AS a_syn, max(CASE WHEN fwd THEN 0 ELSE syn END) AS b_syn,
         max(CASE WHEN fwd THEN synack ELSE 0 END) AS a_synack, max(CASE WHEN fwd THEN 0 ELSE synack END) AS b_synack,
         -- who sent first (a on a tie)
         min_by(back, start * 2 + back) AS first_back,
         CASE WHEN ap IS NULL THEN 3 WHEN ap < 1024 THEN 0 WHEN ap < 32768 THEN 1 ELSE 2 END AS a_rank,
         CASE WHEN bp IS NULL THEN 3 WHEN bp < 1024 THEN 0 WHEN bp < 32768 THEN 1 ELSE 2 END AS b_rank
  FROM k GROUP BY proto, a, ap, b, bp
), o AS (
  SELECT k.*,
         CASE WHEN t.a_syn = 1 THEN 1 WHEN t.b_syn = 1 THEN 0 WHEN t.a_synack = 1 THEN 0 WHEN t.b_synack = 1 THEN 1
              WHEN t.a_rank <> t.b_rank THEN CASE WHEN t.a_rank > t.b_rank THEN 1 ELSE 0 END
              WHEN k.ap <> k.bp THEN CASE WHEN k.ap > k.bp THEN 1 ELSE 0 END
              WHEN t.first_back = 0 THEN 1 ELSE 0 END AS client_is_a
  FROM k JOIN t ON coalesce(t.proto, -1) = coalesce(k.proto, -1) AND t.a = k.a AND coalesce(t.ap, -1) = coalesce(k.ap, -1)
    AND t.b = k.b AND coalesce(t.bp, -1) = coalesce(k.bp, -1)
), c AS (
  -- up: this record went client -> server
  SELECT o.*,
         CASE WHEN client_is_a = 1 THEN a ELSE b END AS client_addr, CASE WHEN client_is_a = 1 THEN ap ELSE bp END AS client_port,
         CASE WHEN client_is_a = 1 THEN b ELSE a END AS server_addr, CASE WHEN client_is_a = 1 THEN bp ELSE ap END AS server_port,
         CASE WHEN (client_is_a = 1) = fwd THEN 1 ELSE 0 END AS up
  FROM o
)
SELECT interface_id, vpc_id, client_addr, server_addr, server_port, proto AS protocol, action,
       start - start % {{window}} AS window_start,
       min(start) AS first_start, max("end") AS last_end,
       sum(CASE WHEN up = 1 THEN bytes ELSE 0 END) AS bytes_up, sum(CASE WHEN up = 1 THEN 0 ELSE bytes END) AS bytes_down,
       sum(CASE WHEN up = 1 THEN packets ELSE 0 END) AS packets_up, sum(CASE WHEN up = 1 THEN 0 ELSE packets END) AS packets_down,
       count(*) AS records, count(DISTINCT client_port) AS client_ports,
       -- the flag bits as the facts store them: 1 the client sent a SYN, 2 the server did, 4 the client sent a
       -- SYN-ACK, 8 the server did
       max(CASE WHEN up = 1 THEN syn ELSE 0 END) + 2 * max(CASE WHEN up = 1 THEN 0 ELSE syn END)
         + 4 * max(CASE WHEN up = 1 THEN synack ELSE 0 END) + 8 * max(CASE WHEN up = 1 THEN 0 ELSE synack END) AS flags,
       -- the highest traffic-path code each way, and the AWS service each side's packets named
       max(CASE WHEN up = 1 THEN path END) AS path_up, max(CASE WHEN up = 1 THEN NULL ELSE path END) AS path_down,
       max(CASE WHEN up = 1 THEN src_svc ELSE dst_svc END) AS client_service,
       max(CASE WHEN up = 1 THEN dst_svc ELSE src_svc END) AS server_service
FROM c
GROUP BY interface_id, vpc_id, client_addr, server_addr, server_port, proto, action, start - start % {{window}}
