-- title: NAT gateway traffic that could use a gateway endpoint
-- description: S3 and DynamoDB traffic that went through a NAT gateway (paying NAT data processing) although a free gateway endpoint could carry it, by VPC, client and service, with the processing cost it would save.
-- param: since TIMESTAMP = -- start of the window, UTC (empty: the first record)
-- param: until TIMESTAMP = -- end of the window, UTC (empty: the last record)
-- param: usd_per_gb DOUBLE = 0.045 -- NAT gateway data processing price per GB
SELECT
  w.client_vpc AS vpc,
  w.client_region AS region,
  w.client_node AS client,
  w.server_aws_service AS service,
  EXISTS (SELECT 1 FROM inv_vpc_endpoints e WHERE e.vpc_id = w.client_vpc AND e.endpoint_type = 'Gateway'
          AND upper(e.aws_service) = w.server_aws_service) AS endpoint_exists,
  sum(w.uploaded + w.downloaded) AS bytes,
  round(sum(w.uploaded + w.downloaded) / 1073741824.0 * $usd_per_gb, 6) AS est_saving_usd
FROM windows_1h w
WHERE fl_finding_nat_endpoint(w.egress_path, w.server_aws_service) -- src/core/enrich/findings.sql, as the topology
  AND w.window_start >= coalesce(CAST($since AS TIMESTAMP), TIMESTAMP '-infinity')
  AND w.window_start < coalesce(CAST($until AS TIMESTAMP), TIMESTAMP 'infinity')
GROUP BY ALL
ORDER BY bytes DESC
