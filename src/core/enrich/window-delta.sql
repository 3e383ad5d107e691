-- Before the transaction, when appending: the difference the changed facts (fl_facts_changed, see
-- facts-difference.sql) make to the windows, each counted as often as the new facts hold it more than those taken
-- back (made - taken; a reduced fact as the client ports it stands for), per 1-minute window key.
-- A key whose difference is nothing (a fact taken back and made again otherwise in a column no window keeps) is
-- left out: it changes no window, and the merge then reads only the minutes that change.
CREATE OR REPLACE TEMP TABLE fl_window_delta AS
SELECT window_start, client_ep, server_ep, protocol, server_port, rejected, egress_path,
  sum((made - taken) * uploaded)::BIGINT AS uploaded, sum((made - taken) * downloaded)::BIGINT AS downloaded,
  sum((made - taken) * packets_up)::BIGINT AS packets_up, sum((made - taken) * packets_down)::BIGINT AS packets_down,
  sum((made - taken) * coalesce(client_ports, 1))::BIGINT AS conversations
FROM fl_facts_changed
GROUP BY ALL
HAVING sum((made - taken) * uploaded) <> 0 OR sum((made - taken) * downloaded) <> 0 OR sum((made - taken) * packets_up) <> 0
  OR sum((made - taken) * packets_down) <> 0 OR sum((made - taken) * coalesce(client_ports, 1)) <> 0;
