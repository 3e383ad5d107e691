-- Step 5 for one part: attribution of both sides (facts.sql then adds the egress path, step 6). Each conversation
-- gets its sides' identity keys (small values); the identities are few, so their names (type, ARN, VPC, ...) are
-- worked out once each into endpoints (facts.sql), and conversation_facts stores the endpoint numbers and small codes.

-- A side's holder (fl_scope, see prepare.sql), the first of: exact (by the observer's VPC: its own, peered or
-- TGW-attached VPCs; public and IPv6 addresses globally); the side's own ENI when its records saw the
-- conversation-minute (fl_proven: the observer's side, or the server's ENI that logged it too while the client's
-- was counted; the record proves it, even where the inventory's intervals do not reach: before its AttachTime),
-- with its owner when the inventory knows it for that time; inferred (the only holder in the whole inventory then). The joins
-- exclude each other, so at most one of them finds a row: a later one's key is NULL when an earlier one found a
-- holder (a key, not a condition on the left side alone, which DuckDB would join by nested loops).
CREATE OR REPLACE TEMP TABLE fl_sided AS
WITH h AS (
  SELECT c.*, ck.addr AS c_addr, sk.addr AS s_addr,
    coalesce(ca.sep, cg.sep, co.sep, ci.sep) AS c_sep, coalesce(ca.eni_id, cg.eni_id, co.eni_id, ci.eni_id) AS c_eni,
    coalesce(sa.sep, sg.sep, so.sep, si.sep) AS s_sep, coalesce(sa.eni_id, sg.eni_id, so.eni_id, si.eni_id) AS s_eni,
    ck.private OR ck.addr_type IS NOT NULL AS c_by_addr, ck.reach AS c_reach, coalesce(ck.rfc1918, false) AS c_rfc1918,
    sk.private OR sk.addr_type IS NOT NULL AS s_by_addr, sk.reach AS s_reach, coalesce(sk.rfc1918, false) AS s_rfc1918
  FROM fl_conv c
  JOIN fl_addr_class ck ON ck.id = c.client_addr
  JOIN fl_addr_class sk ON sk.id = c.server_addr
  LEFT JOIN fl_scope ca ON ca.scope_vpc = c.obs_vpc AND ca.addr = ck.addr
    AND fl_ts(c.start) >= ca.valid_from AND fl_ts(c.start) < ca.valid_to
  LEFT JOIN fl_scope cg ON cg.scope_vpc = '*' AND cg.addr = ck.addr
    AND fl_ts(c.start) >= cg.valid_from AND fl_ts(c.start) < cg.valid_to
  LEFT JOIN fl_proven co
    ON co.obs = CASE WHEN c.observer_side = fl_code_observer_side('client') AND ca.sep IS NULL AND cg.sep IS NULL THEN c.obs END
    AND fl_ts(c.start) >= co.valid_from AND fl_ts(c.start) < co.valid_to
  LEFT JOIN fl_scope ci ON ci.scope_vpc = '~'
    AND ci.addr = CASE WHEN ca.sep IS NULL AND cg.sep IS NULL AND co.sep IS NULL THEN ck.addr END
    AND fl_ts(c.start) >= ci.valid_from AND fl_ts(c.start) < ci.valid_to
  LEFT JOIN fl_scope sa ON sa.scope_vpc = c.obs_vpc AND sa.addr = sk.addr
    AND fl_ts(c.start) >= sa.valid_from AND fl_ts(c.start) < sa.valid_to
  LEFT JOIN fl_scope sg ON sg.scope_vpc = '*' AND sg.addr = sk.addr
    AND fl_ts(c.start) >= sg.valid_from AND fl_ts(c.start) < sg.valid_to
  LEFT JOIN fl_proven so
    ON so.obs = CASE WHEN sa.sep IS NULL AND sg.sep IS NULL
                     THEN CASE WHEN c.observer_side = fl_code_observer_side('server') THEN c.obs ELSE c.server_observer END END
    AND fl_ts(c.start) >= so.valid_from AND fl_ts(c.start) < so.valid_to
  LEFT JOIN fl_scope si ON si.scope_vpc = '~'
    AND si.addr = CASE WHEN sa.sep IS NULL AND sg.sep IS NULL AND so.sep IS NULL THEN sk.addr END
    AND fl_ts(c.start) >= si.valid_from AND fl_ts(c.start) < si.valid_to
)
SELECT h.start, h."end", h.minute, h.proto, h.any_rejected,
  h.c_addr AS client_addr, h.client_port, h.s_addr AS server_addr, h.server_port,
  h.uploaded, h.downloaded, h.packets_up, h.packets_down, h.records,
  h.obs, h.observer_side, h.orientation, h.obs_vpc, h.evidence, h.paths, h.client_ports, h.server_observer,
  coalesce(CASE WHEN h.observer_side = fl_code_observer_side('server') THEN h.path_down ELSE h.path_up END, h.path_up, h.path_down) AS traffic_path,
  h.c_sep AS client_sep, fl_side_svc(h.c_sep, cp.aws_service, h.client_svc_hint) AS client_svc,
  fl_side_pregion(h.c_sep, cp.aws_region) AS client_pregion,
  fl_side_unknown(h.c_sep, cp.aws_service, h.client_svc_hint, h.c_by_addr, h.c_addr) AS client_unknown,
  CASE WHEN fl_side_bare(h.c_sep, cp.aws_service, h.client_svc_hint) THEN h.c_reach END AS client_reach,
  h.c_eni AS client_eni_id, h.c_rfc1918 AS client_rfc1918,
  h.s_sep AS server_sep, fl_side_svc(h.s_sep, sp.aws_service, h.server_svc_hint) AS server_svc,
  fl_side_pregion(h.s_sep, sp.aws_region) AS server_pregion,
  fl_side_unknown(h.s_sep, sp.aws_service, h.server_svc_hint, h.s_by_addr, h.s_addr) AS server_unknown,
  CASE WHEN fl_side_bare(h.s_sep, sp.aws_service, h.server_svc_hint) THEN h.s_reach END AS server_reach,
  h.s_eni AS server_eni_id, h.s_rfc1918 AS server_rfc1918,
  cpub.eni_id IS NOT NULL AS client_has_public, spub.eni_id IS NOT NULL AS server_has_public
FROM h
LEFT JOIN fl_public cp ON cp.addr = CASE WHEN h.c_sep IS NULL THEN h.c_addr END
LEFT JOIN fl_public sp ON sp.addr = CASE WHEN h.s_sep IS NULL THEN h.s_addr END
-- here, next to the conversations' own scan, the few public intervals are the side a hash join builds on
LEFT JOIN fl_eni_public cpub ON cpub.eni_id = h.c_eni AND fl_ts(h.start) >= cpub.valid_from AND fl_ts(h.start) < cpub.valid_to
LEFT JOIN fl_eni_public spub ON spub.eni_id = h.s_eni AND fl_ts(h.start) >= spub.valid_from AND fl_ts(h.start) < spub.valid_to;
DROP TABLE fl_conv;

-- The identities this part meets for the first time, numbered after those met before, and what each one is.
INSERT INTO fl_ident
SELECT greatest((SELECT coalesce(max(ep), 0) FROM fl_ident), (SELECT coalesce(max(ep), 0) FROM fl_endpoints))
       + row_number() OVER (ORDER BY sep NULLS LAST, svc NULLS FIRST, pregion NULLS FIRST, unknown NULLS FIRST)::INTEGER, *
FROM (SELECT client_sep AS sep, client_svc AS svc, client_pregion AS pregion, client_unknown AS unknown FROM fl_sided
      UNION SELECT server_sep, server_svc, server_pregion, server_unknown FROM fl_sided) f
WHERE NOT EXISTS (SELECT 1 FROM fl_ident i WHERE fl_same_side(i.sep, i.svc, i.pregion, i.unknown, f.sep, f.svc, f.pregion, f.unknown));
