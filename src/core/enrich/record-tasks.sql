-- At the start of an enrichment, before the inventory's fingerprint: the ECS tasks the pending records name
-- (fl_task_records: the records of the formats with version 7's ecs-task-arn), each with the interface whose records
-- name it, that interface's own address (by flow-direction: the source of what leaves it, the destination of what
-- arrives; without it, the one address every such record of it carries; none when that is not one address), the
-- task's cluster and service, and the span of those records. An awsvpc task's interface is the task's: prepare.sql
-- attributes it to the task where the inventory does not know the interface (no ECS inventory needed).
INSERT INTO inv_record_tasks
WITH r AS (
  SELECT interface_id AS eni_id, ecs_task_arn AS task_arn,
         coalesce(ecs_cluster_name, split_part(split_part(ecs_task_arn, ':', 6), '/', 2)) AS cluster_name,
         ecs_service_name AS service_name, account_id, region, vpc_id, subnet_id,
         lower(srcaddr) AS src, lower(dstaddr) AS dst, start, "end",
         CASE flow_direction WHEN 'egress' THEN lower(srcaddr) WHEN 'ingress' THEN lower(dstaddr) END AS own_addr
  FROM fl_task_records
  -- (an ECS task ARN only: arn:<partition>:ecs:<region>:<account>:task/<cluster>/<id>)
  WHERE regexp_full_match(ecs_task_arn, 'arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task/[^/]+/[^/]+')
    AND interface_id IS NOT NULL AND start IS NOT NULL AND coalesce(log_status, 'OK') = 'OK'
), n AS (
  SELECT eni_id, task_arn, count(*) AS n FROM r GROUP BY ALL
), directed AS (
  SELECT DISTINCT eni_id, task_arn, own_addr AS addr FROM r WHERE own_addr IS NOT NULL
), in_every AS (
  SELECT a.eni_id, a.task_arn, a.addr
  FROM (SELECT eni_id, task_arn, addr, count(*) AS c
        FROM (SELECT eni_id, task_arn, src AS addr FROM r UNION ALL SELECT eni_id, task_arn, dst FROM r WHERE dst IS DISTINCT FROM src)
        GROUP BY ALL) a
  JOIN n ON n.eni_id = a.eni_id AND n.task_arn = a.task_arn AND a.c = n.n
  WHERE NOT EXISTS (SELECT 1 FROM directed d WHERE d.eni_id = a.eni_id AND d.task_arn = a.task_arn)
), own AS (
  SELECT eni_id, task_arn, CASE WHEN count(DISTINCT addr) = 1 THEN min(addr) END AS addr
  FROM (SELECT * FROM directed UNION ALL SELECT * FROM in_every) GROUP BY ALL
)
SELECT r.eni_id, r.task_arn, any_value(r.cluster_name), any_value(r.service_name), any_value(r.account_id), any_value(r.region),
       any_value(r.vpc_id), any_value(r.subnet_id), any_value(o.addr), fl_ts(min(r.start)), fl_ts(max(r."end"))
FROM r LEFT JOIN own o ON o.eni_id = r.eni_id AND o.task_arn = r.task_arn
GROUP BY r.eni_id, r.task_arn;
