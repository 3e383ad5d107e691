-- title: ALB bypass
-- description: Load balancer targets reached directly by other resources on the target port, instead of through their load balancer.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
WITH t AS (SELECT DISTINCT lb_arn, target_group_arn, target_arn, target_id, port FROM inv_lb_targets),
-- a conversation reaches a target when its server is the target's resource (by ARN) or its address (ip
-- targets): two equi-joins, each pair once (an OR in one join cannot be hashed, and took seconds)
m AS (
  SELECT c.*, t.lb_arn, t.target_group_arn FROM conversations c
  JOIN t ON t.target_arn = c.server_arn AND (t.port IS NULL OR t.port = c.server_port)
  UNION ALL
  SELECT c.*, t.lb_arn, t.target_group_arn FROM conversations c
  JOIN t ON t.target_id = c.server_addr AND (t.port IS NULL OR t.port = c.server_port)
  WHERE t.target_arn IS DISTINCT FROM c.server_arn
)
SELECT
  c.client_node AS client,
  c.client_type,
  c.server_node AS target,
  c.lb_arn AS load_balancer,
  c.target_group_arn AS target_group,
  c.server_port AS port,
  count(*) AS conversations,
  sum(c.uploaded) AS uploaded,
  sum(c.downloaded) AS downloaded,
  min(c.window_start) AS first_seen,
  max(c.window_start) AS last_seen
FROM m c
WHERE c.action = 'ACCEPT'
  AND c.client_type NOT IN ('elasticloadbalancing:loadbalancer', 'internet', 'aws:service', 'unknown')
  AND c.client_type NOT IN (SELECT type FROM address_types) -- documentation, link-local, carrier-grade NAT, ...
  AND c.client_node <> c.server_node
  AND c.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND c.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY ALL
ORDER BY conversations DESC
