-- title: Data transfer growth, month over month
-- description: Why data transfer grew: bytes by egress path, client app and destination in a month against the month before, ranked by growth, with each row's share of the total growth and bytes per day (months differ in length and the last one may be partial).
-- param: month VARCHAR = -- the month to explain, YYYY-MM (empty: the last month in the data)
-- param: tag_key VARCHAR = app -- the tag that names an app
WITH bounds AS (
  SELECT coalesce(strptime(nullif($month, '') || '-01', '%Y-%m-%d'), date_trunc('month', max(window_start))) AS cur
  FROM windows_1h
), w AS (
  SELECT date_trunc('month', w.window_start) AS month, w.window_start, w.egress_path,
         coalesce(ct.value, w.client_node) AS client_app, w.server_node AS destination,
         w.uploaded + w.downloaded AS bytes
  FROM windows_1h w CROSS JOIN bounds b
  LEFT JOIN fl_tag_values($tag_key) ct ON ct.arn = w.client_node
  AND w.window_start >= ct.valid_from AND w.window_start < ct.valid_to
  WHERE w.window_start >= b.cur - INTERVAL 1 MONTH AND w.window_start < b.cur + INTERVAL 1 MONTH
), days AS (
  SELECT month, greatest(1, date_diff('day', min(window_start), max(window_start)) + 1) AS days FROM w GROUP BY month
), agg AS (
  SELECT w.egress_path, w.client_app, w.destination,
         coalesce(sum(w.bytes) FILTER (WHERE w.month = b.cur - INTERVAL 1 MONTH), 0) AS previous_bytes,
         coalesce(sum(w.bytes) FILTER (WHERE w.month = b.cur), 0) AS current_bytes
  FROM w, bounds b GROUP BY ALL
)
SELECT
  a.egress_path, a.client_app, a.destination,
  a.previous_bytes, a.current_bytes,
  a.current_bytes - a.previous_bytes AS growth_bytes,
  round(100.0 * (a.current_bytes - a.previous_bytes) / nullif(sum(a.current_bytes - a.previous_bytes) OVER (), 0), 1) AS share_of_growth_pct,
  round(a.previous_bytes / coalesce((SELECT days FROM days, bounds WHERE month = cur - INTERVAL 1 MONTH), 1)) AS previous_per_day_bytes,
  round(a.current_bytes / coalesce((SELECT days FROM days, bounds WHERE month = cur), 1)) AS current_per_day_bytes
FROM agg a
ORDER BY growth_bytes DESC
