-- Inside an enrichment's transaction, after flow-log-choice.sql: the pending slices are stored with whether they
-- were counted (every slice made anew when every record was enriched anew), for the next enrichment to consult.
DELETE FROM flow_log_slices WHERE getvariable('fl_logs_anew');
INSERT INTO flow_log_slices
SELECT s.interface_id, s.file_id, s.flow_log, s.fields, s.records, s.first_start, s.last_end,
       NOT EXISTS (SELECT 1 FROM fl_log_out o WHERE o.interface_id = s.interface_id AND o.file_id = s.file_id) AS counted
FROM fl_log_slices s;
