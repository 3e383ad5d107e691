-- The findings, each written once (installed in the dataset by store/schema.ts): the query templates
-- (templates/alb-bypass.sql, lambda-rds-without-proxy.sql, cross-az.sql, nat-gateway-endpoint-candidates.sql) report
-- them and the topology (src/core/topology/sql.ts) highlights the edges they fall on, both from these macros.
-- Cross-AZ is the cross_az column itself (conversations and the windows: both sides known, different AZs, one region).

-- Lambda -> RDS without RDS Proxy: a Lambda function connects to a database itself (through a proxy, the server
-- side would be the proxy). Over any row with both sides' types and the action: conversations or a window.
CREATE OR REPLACE MACRO fl_finding_lambda_rds(client_type, server_type, action) AS
  client_type = 'lambda:function' AND server_type = 'rds:db' AND action = 'ACCEPT';

-- NAT gateway traffic that a free gateway endpoint could carry: S3 or DynamoDB reached through a NAT gateway.
CREATE OR REPLACE MACRO fl_finding_nat_endpoint(egress_path, server_aws_service) AS
  egress_path = 'nat-gateway' AND server_aws_service IN ('S3', 'DYNAMODB');

-- ALB bypass: a resource other than a load balancer reaches a registered load-balancer target (by ARN, or by address
-- for ip targets) directly, on the target's registered port; a target reaching itself is not one. One row per
-- accepted conversation fact (a conversation-minute) and target group it bypasses, in [since, until) (NULL: open).
-- Written over the stored facts and endpoints rather than the conversations view: the view would be made whole
-- (every conversation, both sides) before the targets are matched; here the few target endpoints are found first
-- and the facts are probed by them (0.4 s instead of 2.4-3.8 s over 10 M records). A fact matches a target by ARN,
-- or by address when the ARN did not match already (each pair once). The target's node comes with the match, so
-- the same-node test is part of the one join with the client's endpoint (written between the two sides' endpoints
-- it became a join of every endpoint with every other: twice as slow).
CREATE OR REPLACE MACRO fl_finding_alb_bypass(since, until) AS TABLE
WITH t AS (SELECT DISTINCT lb_arn, target_group_arn, target_arn, target_id, port FROM inv_lb_targets),
by_arn AS (
  SELECT f.window_start, f.client_ep, f.server_ep, f.protocol, f.server_port, f.uploaded, f.downloaded, s.node AS target,
    t.lb_arn, t.target_group_arn
  FROM conversation_facts f JOIN endpoints s ON s.ep = f.server_ep
  JOIN t ON t.target_arn = s.arn AND (t.port IS NULL OR t.port = f.server_port)
  WHERE NOT f.rejected
    AND f.window_start >= coalesce(CAST(since AS TIMESTAMP), TIMESTAMP '-infinity')
    AND f.window_start < coalesce(CAST(until AS TIMESTAMP), TIMESTAMP 'infinity')
),
by_addr AS MATERIALIZED (
  SELECT f.window_start, f.client_ep, f.server_ep, f.protocol, f.server_port, f.uploaded, f.downloaded, t.lb_arn, t.target_group_arn, t.target_arn
  FROM conversation_facts f JOIN t ON t.target_id = f.server_addr AND (t.port IS NULL OR t.port = f.server_port)
  WHERE NOT f.rejected
    AND f.window_start >= coalesce(CAST(since AS TIMESTAMP), TIMESTAMP '-infinity')
    AND f.window_start < coalesce(CAST(until AS TIMESTAMP), TIMESTAMP 'infinity')
),
m AS (
  FROM by_arn
  UNION ALL
  SELECT a.window_start, a.client_ep, a.server_ep, a.protocol, a.server_port, a.uploaded, a.downloaded, s.node, a.lb_arn, a.target_group_arn
  FROM by_addr a JOIN endpoints s ON s.ep = a.server_ep WHERE a.target_arn IS DISTINCT FROM s.arn
)
SELECT m.window_start, m.client_ep, m.server_ep, m.protocol, m.server_port, m.uploaded, m.downloaded,
  c.node AS client, c.type AS client_type, m.target, m.lb_arn, m.target_group_arn
FROM m JOIN endpoints c ON c.ep = m.client_ep AND c.node <> m.target
WHERE c.type NOT IN ('elasticloadbalancing:loadbalancer', 'internet', 'aws:service', 'unknown')
  AND c.type NOT IN (SELECT type FROM address_types); -- documentation, link-local, carrier-grade NAT, ...

-- Not a finding, but read by the templates the same way: each resource's value of one tag (an app, an owner) over the
-- intervals it held one, from tag_sets. A template joins it by ARN and time before it sums (LEFT JOIN … ON arn = node
-- AND window_start >= valid_from AND window_start < valid_to): joining tag_sets itself carried every window's whole
-- tag map through both joins, 0.6 s each over the 10 M-record bench's 2.6 M hourly windows.
CREATE OR REPLACE MACRO fl_tag_values(tag_key) AS TABLE
SELECT arn, valid_from, valid_to, tags[tag_key] AS value FROM tag_sets WHERE tags[tag_key] IS NOT NULL;
