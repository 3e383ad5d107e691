-- One part of the stored facts to attribute again (fl_stored: all of them, or those an inventory change covers; the
-- part: getvariable('fl_part') of getvariable('fl_parts'), see fl_in_part), in the shape attribution reads (fl_conv):
-- a re-attribution's step "stored facts".
CREATE OR REPLACE TEMP TABLE fl_conv AS
SELECT f.protocol AS proto, epoch(f.window_start)::BIGINT AS minute, f.start, f."end", f.rejected AS any_rejected, f.records,
       f.orientation, f.observer AS obs, o.vpc AS obs_vpc, f.observer_side,
       ca.id AS client_addr, f.client_port, sa.id AS server_addr, f.server_port,
       f.uploaded, f.downloaded, f.packets_up, f.packets_down,
       fl_top_bit(f.paths & 65535) AS path_up, fl_top_bit(f.paths >> 16) AS path_down,
       ce.aws_service AS client_svc_hint, se.aws_service AS server_svc_hint, f.evidence, f.paths, f.client_ports, f.server_observer
FROM fl_stored f
JOIN fl_addr ca ON ca.addr = f.client_addr JOIN fl_addr sa ON sa.addr = f.server_addr
LEFT JOIN observers o ON o.obs = f.observer
LEFT JOIN endpoints ce ON ce.ep = f.client_ep LEFT JOIN endpoints se ON se.ep = f.server_ep
WHERE fl_in_part(f.client_addr, f.server_addr);
