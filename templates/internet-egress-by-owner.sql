-- title: Internet egress by owner
-- description: Bytes sent from the estate to the internet and to public AWS addresses outside it, by the owner tag of the resource that sent them, and by egress path.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: tag_key VARCHAR = owner -- the tag that names an owner
WITH out AS (
  -- our side is the client: uploads leave; our side is the server: downloads leave
  SELECT window_start, client_node AS node, egress_path, uploaded AS bytes_out, downloaded AS bytes_in, conversations
  FROM windows_1h WHERE server_type IN ('internet', 'aws:service') AND client_vpc IS NOT NULL
  UNION ALL
  SELECT window_start, server_node, egress_path, downloaded, uploaded, conversations
  FROM windows_1h WHERE client_type IN ('internet', 'aws:service') AND server_vpc IS NOT NULL
)
SELECT
  coalesce(t.value, '(untagged)') AS owner,
  o.egress_path,
  sum(o.bytes_out) AS bytes_out,
  sum(o.bytes_in) AS bytes_in,
  count(DISTINCT o.node) AS resources,
  sum(o.conversations) AS conversations
FROM out o
LEFT JOIN fl_tag_values($tag_key) t ON t.arn = o.node AND o.window_start >= t.valid_from AND o.window_start < t.valid_to
WHERE o.egress_path IN ('internet-gateway', 'nat-gateway')
  AND o.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND o.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY ALL
ORDER BY bytes_out DESC
