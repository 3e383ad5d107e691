-- The VPC attachments of transit gateway $tgw (one a VPC: the latest where it was attached again), with their names.
SELECT vpc_id AS vpc, arg_max(resource_id, valid_from) AS id, arg_max(coalesce(name, resource_id), valid_from) AS label,
       arg_max(account_id, valid_from) AS account
FROM inv_resources
WHERE type = 'ec2:transit-gateway-attachment' AND json_extract_string(attrs, '$.transit_gateway_id') = $tgw AND vpc_id IS NOT NULL
GROUP BY vpc_id
