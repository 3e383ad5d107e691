-- title: Top talkers
-- description: The client and server pairs that moved the most bytes over a window, with the path and whether they crossed AZs or regions.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: top INTEGER = 25 -- how many pairs
SELECT
  w.client_node AS client,
  w.client_type,
  w.server_node AS server,
  w.server_type,
  w.egress_path,
  bool_or(w.cross_az) AS cross_az,
  bool_or(w.cross_region) AS cross_region,
  sum(w.uploaded) AS uploaded,
  sum(w.downloaded) AS downloaded,
  sum(w.uploaded + w.downloaded) AS bytes,
  sum(w.conversations) AS conversations
FROM windows_1h w
WHERE w.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND w.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY w.client_node, w.client_type, w.server_node, w.server_type, w.egress_path
ORDER BY bytes DESC
LIMIT CAST($top AS INTEGER)
