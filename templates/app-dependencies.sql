-- title: App dependency map
-- description: Which apps talk to which (by a tag), over a window: bytes each way, ports, conversations, first and last seen. AWS services and the internet appear as themselves.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: tag_key VARCHAR = app -- the tag that names an app
WITH pairs AS (
  -- summed per app pair and port first: the ports' text is made once a pair and port, not once a window
  SELECT coalesce(ca.value, w.client_node) AS client_app, coalesce(sa.value, w.server_node) AS server_app, w.protocol, w.server_port,
         sum(w.uploaded) AS uploaded, sum(w.downloaded) AS downloaded, sum(w.uploaded + w.downloaded) AS bytes,
         sum(w.conversations) AS conversations, min(w.window_start) AS first_seen, max(w.window_start) AS last_seen
  FROM windows_1h w
  LEFT JOIN fl_tag_values($tag_key) ca ON ca.arn = w.client_node AND w.window_start >= ca.valid_from AND w.window_start < ca.valid_to
  LEFT JOIN fl_tag_values($tag_key) sa ON sa.arn = w.server_node AND w.window_start >= sa.valid_from AND w.window_start < sa.valid_to
  WHERE w.action = 'ACCEPT'
    AND w.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
    AND w.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
  GROUP BY ALL
)
SELECT
  client_app,
  server_app,
  list(DISTINCT fl_protocol_name(protocol) || '/' || coalesce(CAST(server_port AS VARCHAR), '-') ORDER BY fl_protocol_name(protocol) || '/' || coalesce(CAST(server_port AS VARCHAR), '-')) AS ports,
  sum(uploaded) AS uploaded,
  sum(downloaded) AS downloaded,
  sum(conversations) AS conversations,
  min(first_seen) AS first_seen,
  max(last_seen) AS last_seen
FROM pairs
GROUP BY ALL
ORDER BY sum(bytes) DESC
