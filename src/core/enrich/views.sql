-- Derived tables and views for people who query the dataset (built by src/core/enrich/views.ts): tag sets over
-- time, and the conversations with both sides' security groups and tags (valid at the conversation's start).

-- Each resource's whole tag set per interval: the timeline is cut at every tag change.
CREATE OR REPLACE TABLE tag_sets AS
WITH cuts AS (
  SELECT arn, valid_from AS t FROM inv_tags UNION SELECT arn, valid_to FROM inv_tags
), segments AS (
  SELECT arn, t AS seg_from, lead(t) OVER (PARTITION BY arn ORDER BY t) AS seg_to FROM cuts
)
, tag_values AS (
  -- one value per key and segment (the latest set, should the inventory hold overlapping values)
  SELECT s.arn, s.seg_from, s.seg_to, g.key, arg_max(g.value, g.valid_from) AS value
  FROM segments s JOIN inv_tags g ON g.arn = s.arn AND g.valid_from <= s.seg_from AND g.valid_to >= s.seg_to
  WHERE s.seg_to IS NOT NULL
  GROUP BY ALL
)
SELECT arn, seg_from AS valid_from, seg_to AS valid_to,
       map_from_entries(list({'key': key, 'value': value} ORDER BY key)) AS tags
FROM tag_values
GROUP BY ALL;

CREATE OR REPLACE VIEW eni_security_groups AS
SELECT eni_id, any_value(security_group_ids) AS security_group_ids FROM inv_enis GROUP BY eni_id;

-- Each Elastic IP's addresses (ec2 describe-addresses): its public address (the side is that address itself, seen
-- by another observer) and the private address it maps to on its interface (the side is that interface, the
-- conversation going through the internet gateway). One Elastic IP per address and interface: the latest.
CREATE OR REPLACE TABLE elastic_ip_addresses AS
SELECT * FROM (
  SELECT json_extract_string(attrs, '$.public_ip') AS addr, NULL::VARCHAR AS eni_id, arn, valid_from, valid_to FROM inv_resources
  WHERE type = 'ec2:elastic-ip'
  UNION ALL
  SELECT json_extract_string(attrs, '$.private_ip'), json_extract_string(attrs, '$.eni_id'), arn, valid_from, valid_to FROM inv_resources
  WHERE type = 'ec2:elastic-ip' AND json_extract_string(attrs, '$.eni_id') IS NOT NULL
) WHERE addr IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY addr, eni_id ORDER BY valid_from DESC, arn) = 1;

CREATE OR REPLACE VIEW conversations_v AS
SELECT c.*,
  cs.security_group_ids AS client_security_group_ids, ct.tags AS client_tags,
  ss.security_group_ids AS server_security_group_ids, st.tags AS server_tags,
  ce.arn AS client_elastic_ip, cet.tags AS client_elastic_ip_tags,
  se.arn AS server_elastic_ip, set_.tags AS server_elastic_ip_tags
FROM conversations c
LEFT JOIN eni_security_groups cs ON cs.eni_id = c.client_eni
LEFT JOIN eni_security_groups ss ON ss.eni_id = c.server_eni
LEFT JOIN tag_sets ct ON ct.arn = c.client_arn AND c.window_start >= ct.valid_from AND c.window_start < ct.valid_to
LEFT JOIN tag_sets st ON st.arn = c.server_arn AND c.window_start >= st.valid_from AND c.window_start < st.valid_to
-- the Elastic IP a side's traffic went through: its public address itself, or the private address it maps to on
-- that interface when the conversation crossed the internet gateway
LEFT JOIN elastic_ip_addresses ce ON ce.addr = c.client_addr
  AND (ce.eni_id IS NULL OR (ce.eni_id = c.client_eni AND c.egress_path = 'internet-gateway'))
  AND c.window_start >= ce.valid_from AND c.window_start < ce.valid_to
LEFT JOIN elastic_ip_addresses se ON se.addr = c.server_addr
  AND (se.eni_id IS NULL OR (se.eni_id = c.server_eni AND c.egress_path = 'internet-gateway'))
  AND c.window_start >= se.valid_from AND c.window_start < se.valid_to
LEFT JOIN tag_sets cet ON cet.arn = ce.arn AND c.window_start >= cet.valid_from AND c.window_start < cet.valid_to
LEFT JOIN tag_sets set_ ON set_.arn = se.arn AND c.window_start >= set_.valid_from AND c.window_start < set_.valid_to;
