-- Before the transaction, when appending: the difference the new facts make to the windows (each new fact
-- counts once, each fact it replaces minus once; a reduced fact as the client ports it stands for), per 1-minute window key.
-- A key whose difference is nothing (a fact taken back and made again the same: a long connection's earlier minutes
-- when its new minute arrives) is left out: it changes no window, and the merge then reads only the minutes that change.
CREATE OR REPLACE TEMP TABLE fl_window_delta AS
SELECT window_start, client_ep, server_ep, protocol, server_port, rejected, egress_path,
  sum(sign * uploaded)::BIGINT AS uploaded, sum(sign * downloaded)::BIGINT AS downloaded,
  sum(sign * packets_up)::BIGINT AS packets_up, sum(sign * packets_down)::BIGINT AS packets_down,
  sum(sign * coalesce(client_ports, 1))::BIGINT AS conversations
FROM (SELECT *, 1 AS sign FROM fl_facts_new UNION ALL BY NAME SELECT * EXCLUDE (frid), -1 AS sign FROM fl_pulled_all)
GROUP BY ALL
HAVING sum(sign * uploaded) <> 0 OR sum(sign * downloaded) <> 0 OR sum(sign * packets_up) <> 0 OR sum(sign * packets_down) <> 0
  OR sum(sign * coalesce(client_ports, 1)) <> 0;
