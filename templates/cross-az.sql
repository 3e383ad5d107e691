-- title: Cross-AZ traffic by app pair
-- description: Bytes that crossed Availability Zones (billed in each direction), by client app and AZ, server app and AZ, with an estimated cost. Apps come from a tag; untagged resources show as themselves.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: tag_key VARCHAR = app -- the tag that names an app
-- param: usd_per_gb DOUBLE = 0.01 -- price per GB in each direction
SELECT
  coalesce(ct.value, w.client_node) AS client_app,
  w.client_az,
  coalesce(st.value, w.server_node) AS server_app,
  w.server_az,
  sum(w.uploaded) AS uploaded,
  sum(w.downloaded) AS downloaded,
  sum(w.uploaded + w.downloaded) AS bytes,
  round(sum(w.uploaded + w.downloaded) / 1073741824.0 * 2 * $usd_per_gb, 6) AS est_cost_usd,
  sum(w.conversations) AS conversations
FROM windows_1h w
LEFT JOIN fl_tag_values($tag_key) ct ON ct.arn = w.client_node
  AND w.window_start >= ct.valid_from AND w.window_start < ct.valid_to
LEFT JOIN fl_tag_values($tag_key) st ON st.arn = w.server_node
  AND w.window_start >= st.valid_from AND w.window_start < st.valid_to
WHERE w.cross_az -- the finding is the column (both sides known, different AZs, one region), as in the topology
  AND w.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND w.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY ALL
ORDER BY bytes DESC
