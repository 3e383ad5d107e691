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

CREATE OR REPLACE VIEW conversations_v AS
SELECT c.*,
  cs.security_group_ids AS client_security_group_ids, ct.tags AS client_tags,
  ss.security_group_ids AS server_security_group_ids, st.tags AS server_tags
FROM conversations c
LEFT JOIN eni_security_groups cs ON cs.eni_id = c.client_eni
LEFT JOIN eni_security_groups ss ON ss.eni_id = c.server_eni
LEFT JOIN tag_sets ct ON ct.arn = c.client_arn AND c.window_start >= ct.valid_from AND c.window_start < ct.valid_to
LEFT JOIN tag_sets st ON st.arn = c.server_arn AND c.window_start >= st.valid_from AND c.window_start < st.valid_to;
