-- title: Lambda to RDS without RDS Proxy
-- description: Lambda functions that open connections straight to an RDS database instead of through an RDS Proxy, with the proxy that fronts that database when there is one.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
SELECT
  c.client_node AS function,
  c.server_node AS db,
  c.server_port AS port,
  count(*) AS conversations,
  count(*) FILTER (WHERE c.orientation = 'syn') AS new_connections_seen,
  sum(c.uploaded + c.downloaded) AS bytes,
  (SELECT string_agg(DISTINCT p.proxy_arn, ', ' ORDER BY p.proxy_arn) FROM inv_db_proxy_targets p WHERE p.db_arn = c.server_arn) AS proxy_available,
  min(c.window_start) AS first_seen,
  max(c.window_start) AS last_seen
FROM conversations c
WHERE fl_finding_lambda_rds(c.client_type, c.server_type, c.action) -- src/core/enrich/findings.sql, as the topology
  AND c.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND c.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY c.client_node, c.server_node, c.server_port, c.server_arn
ORDER BY conversations DESC
