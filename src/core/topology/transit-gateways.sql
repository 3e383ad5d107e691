-- The transit gateway a row of the map went through, when its egress path is `transit-gateway`: the one that links
-- its two VPCs (inv_vpc_links, one row per direction: vpc_id -> peer_vpc_id), else, when only one side is in a known
-- VPC (an office behind a VPN attachment, an address no inventory explains), one attached to that VPC
-- (peer_vpc_id NULL). Where several do, the first id: the map draws each conversation through one.
SELECT vpc_id, peer_vpc_id, min(link_id) AS tgw
FROM inv_vpc_links
WHERE kind = 'transit-gateway' AND link_id IS NOT NULL
GROUP BY GROUPING SETS ((vpc_id, peer_vpc_id), (vpc_id))
