-- title: Rejected traffic by security group
-- description: Connections that were rejected, by the security groups of the interface that refused them, with who tried and on which ports.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
WITH r AS (
  SELECT c.*, e.security_group_ids
  FROM conversations c
  LEFT JOIN (SELECT eni_id, any_value(security_group_ids) AS security_group_ids FROM inv_enis GROUP BY eni_id) e
    ON e.eni_id = c.observer_eni
  WHERE c.action = 'REJECT'
    AND c.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
    AND c.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
)
SELECT
  coalesce(sg.group_id, '(no security group known)') AS security_group,
  any_value(g.group_name) AS group_name,
  r.server_node AS target,
  -- by protocol and port number (a list's order is otherwise whatever the threads met first)
  list_transform(list_sort(list(DISTINCT [CAST(r.protocol AS INTEGER), coalesce(CAST(r.server_port AS INTEGER), -1)])),
    x -> fl_protocol_name(x[1]) || '/' || CASE WHEN x[2] < 0 THEN '-' ELSE CAST(x[2] AS VARCHAR) END) AS ports,
  count(DISTINCT r.client_addr) AS sources,
  count(*) AS attempts,
  sum(r.packets_up + r.packets_down) AS packets
FROM r
LEFT JOIN (SELECT DISTINCT observer_eni, unnest(security_group_ids) AS group_id FROM r) sg ON sg.observer_eni = r.observer_eni
LEFT JOIN inv_security_groups g ON g.group_id = sg.group_id
GROUP BY ALL
ORDER BY attempts DESC, security_group, target
