-- title: App dependency map
-- description: Which apps talk to which (by a tag), over a window: bytes each way, ports, conversations, first and last seen. AWS services and the internet appear as themselves.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: tag_key VARCHAR = app -- the tag that names an app
SELECT
  coalesce(ct.tags[$tag_key], w.client_node) AS client_app,
  coalesce(st.tags[$tag_key], w.server_node) AS server_app,
  list(DISTINCT fl_protocol_name(w.protocol) || '/' || coalesce(CAST(w.server_port AS VARCHAR), '-') ORDER BY fl_protocol_name(w.protocol) || '/' || coalesce(CAST(w.server_port AS VARCHAR), '-')) AS ports,
  sum(w.uploaded) AS uploaded,
  sum(w.downloaded) AS downloaded,
  sum(w.conversations) AS conversations,
  min(w.window_start) AS first_seen,
  max(w.window_start) AS last_seen
FROM windows_1h w
LEFT JOIN tag_sets ct ON ct.arn = w.client_node
  AND w.window_start >= ct.valid_from AND w.window_start < ct.valid_to
LEFT JOIN tag_sets st ON st.arn = w.server_node
  AND w.window_start >= st.valid_from AND w.window_start < st.valid_to
WHERE w.action = 'ACCEPT'
  AND w.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND w.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY ALL
ORDER BY sum(w.uploaded + w.downloaded) DESC
