-- Rolling aggregation windows (see windows.ts): a window table's rows from the facts or from narrower windows.
-- src names the table read; width is the window's (an INTERVAL); n counts the conversations: over facts, a
-- conversation-minute each (a reduced fact, the client ports it stands for), sum(conversations) over windows.
CREATE OR REPLACE TEMP MACRO fl_windows(src, width, n) AS TABLE
SELECT time_bucket(width, window_start) AS window_start, client_ep, server_ep, protocol, server_port,
  rejected, egress_path, sum(uploaded)::BIGINT AS uploaded, sum(downloaded)::BIGINT AS downloaded,
  sum(packets_up)::BIGINT AS packets_up, sum(packets_down)::BIGINT AS packets_down, n::BIGINT AS conversations
FROM query_table(src) GROUP BY ALL;
