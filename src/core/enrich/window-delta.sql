-- Before the transaction, when appending: the difference the new facts make to the windows (each new fact
-- counts once, each fact it replaces minus once; a reduced fact as the client ports it stands for), per 1-minute window key.
CREATE OR REPLACE TEMP TABLE fl_window_delta AS
SELECT window_start, client_ep, server_ep, protocol, server_port, rejected, egress_path,
  sum(sign * uploaded)::BIGINT AS uploaded, sum(sign * downloaded)::BIGINT AS downloaded,
  sum(sign * packets_up)::BIGINT AS packets_up, sum(sign * packets_down)::BIGINT AS packets_down,
  sum(sign * coalesce(client_ports, 1))::BIGINT AS conversations
FROM (SELECT *, 1 AS sign FROM fl_facts_new UNION ALL BY NAME SELECT * EXCLUDE (frid), -1 AS sign FROM fl_pulled_all)
GROUP BY ALL;
