-- Before the numbering, when the pending records come from files whose flow log is known (fl_flow_log_of): one flow
-- log's records per interface and time. Two flow logs on one interface (a VPC's flow log to S3 beside an interface's
-- to CloudWatch Logs, say) log the same traffic twice, in capture windows that need not align, so no rule on the
-- records themselves finds the copies; which flow log each file is from does. The records of a file and interface
-- (a slice) are left out when their time meets a counted slice of another flow log of that interface: one stored
-- (the first loaded stays counted: its facts are made), or a pending one of a better flow log that is not left out
-- itself (better: more records on that interface, i.e. the finer aggregation interval, then more fields, then the
-- lower id). Where a flow log starts or stops, a slice is left out whole, so up to one file's span of the other's
-- traffic can be missed there. rebuild.ts then reads fl_pending without the slices in fl_log_out.
-- getvariable('fl_logs_anew'): every record is enriched anew (the stored slices are made again, not consulted).

CREATE OR REPLACE TEMP TABLE fl_log_slices AS
SELECT r.interface_id, r.file_id, f.flow_log, any_value(f.fields) AS fields, count(*) AS records,
       min(r.start) AS first_start, max(r."end") AS last_end
FROM fl_pending_all r
JOIN (SELECT file_id, fl_flow_log_of(name) AS flow_log, len(string_split(log_format, ' ')) AS fields FROM ingest_files) f USING (file_id)
WHERE f.flow_log IS NOT NULL AND r.interface_id IS NOT NULL AND r.start IS NOT NULL
GROUP BY r.interface_id, r.file_id, f.flow_log;

CREATE OR REPLACE TEMP VIEW fl_log_stored AS SELECT * FROM flow_log_slices WHERE NOT getvariable('fl_logs_anew');

-- each interface's flow logs, the best first
CREATE OR REPLACE TEMP TABLE fl_log_rank AS
SELECT interface_id, flow_log,
       row_number() OVER (PARTITION BY interface_id ORDER BY sum(records) DESC, max(fields) DESC, flow_log) AS rank
FROM (SELECT interface_id, flow_log, records, fields FROM fl_log_slices
      UNION ALL SELECT interface_id, flow_log, records, fields FROM fl_log_stored)
GROUP BY interface_id, flow_log;

CREATE OR REPLACE TEMP TABLE fl_log_out AS
WITH multi AS (
  -- only an interface with more than one flow log has anything to leave out (most have one: nothing is compared)
  SELECT interface_id FROM fl_log_rank GROUP BY interface_id HAVING max(rank) > 1
), under_stored AS (
  SELECT n.* FROM fl_log_slices n SEMI JOIN multi USING (interface_id)
  WHERE EXISTS (SELECT 1 FROM fl_log_stored s WHERE s.counted AND s.interface_id = n.interface_id AND s.flow_log <> n.flow_log
                AND s.first_start <= n.last_end AND n.first_start <= s.last_end)
), kept AS (
  SELECT n.*, r.rank FROM fl_log_slices n JOIN fl_log_rank r USING (interface_id, flow_log) SEMI JOIN multi USING (interface_id)
  WHERE NOT EXISTS (SELECT 1 FROM under_stored o WHERE o.interface_id = n.interface_id AND o.file_id = n.file_id)
)
SELECT interface_id, file_id, flow_log, records, first_start, last_end FROM under_stored
UNION ALL
SELECT n.interface_id, n.file_id, n.flow_log, n.records, n.first_start, n.last_end FROM kept n
WHERE EXISTS (SELECT 1 FROM kept b WHERE b.interface_id = n.interface_id AND b.rank < n.rank
              AND b.first_start <= n.last_end AND n.first_start <= b.last_end);

-- what is said of it: per flow log left out and the flow log counted instead (the best of the interface's others), the
-- interfaces (a VPC's flow log beside a subnet's shares hundreds: one line for them all, naming the first three), how
-- many records, when
CREATE OR REPLACE TEMP TABLE fl_log_report AS
WITH o AS (
  SELECT o.interface_id, o.flow_log, sum(o.records)::BIGINT AS records, min(o.first_start) AS first_start, max(o.last_end) AS last_end,
         (SELECT r.flow_log FROM fl_log_rank r WHERE r.interface_id = o.interface_id AND r.flow_log <> o.flow_log ORDER BY r.rank LIMIT 1) AS counted
  FROM fl_log_out o GROUP BY o.interface_id, o.flow_log
)
SELECT flow_log, counted, count(*) AS interfaces, list(interface_id ORDER BY interface_id)[1:3] AS named,
       sum(records)::BIGINT AS records, min(first_start) AS first_start, max(last_end) AS last_end
FROM o GROUP BY flow_log, counted
ORDER BY flow_log, counted;
