-- title: ALB bypass
-- description: Load balancer targets reached directly by other resources on the target port, instead of through their load balancer.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- The finding is the dataset's fl_finding_alb_bypass (src/core/enrich/findings.sql), which the topology highlights too.
SELECT client, client_type, target, lb_arn AS load_balancer, target_group_arn AS target_group, server_port AS port,
  count(*) AS conversations, sum(uploaded) AS uploaded, sum(downloaded) AS downloaded,
  min(window_start) AS first_seen, max(window_start) AS last_seen
FROM fl_finding_alb_bypass(CAST($since AS TIMESTAMP), CAST($until AS TIMESTAMP))
GROUP BY ALL
ORDER BY conversations DESC
