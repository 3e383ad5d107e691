-- Each transit gateway the inventory knows (tgw: its id), with the account that owns it and its region: its
-- attachments name the owner (DescribeTransitGatewayAttachments' TransitGatewayOwnerId), else the gateway's row.
SELECT tgw, arg_min(account, pri) AS account, arg_min(region, pri) AS region
FROM (
  SELECT json_extract_string(attrs, '$.transit_gateway_id') AS tgw, json_extract_string(attrs, '$.transit_gateway_owner_id') AS account,
         region, 0 AS pri
  FROM inv_resources WHERE type = 'ec2:transit-gateway-attachment' AND json_extract_string(attrs, '$.transit_gateway_owner_id') IS NOT NULL
  UNION ALL
  SELECT gateway_id, account_id, region, 1 FROM inv_gateways WHERE kind = 'transit-gateway'
)
WHERE tgw IS NOT NULL
GROUP BY tgw
