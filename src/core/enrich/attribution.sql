-- Step 5 for one part: attribution of both sides (facts.sql then adds the egress path, step 6). Each conversation
-- gets its sides' identity keys (small values); the identities are few, so their names (type, ARN, VPC, ...) are
-- worked out once each into endpoints (facts.sql), and conversation_facts stores the endpoint numbers and small codes.

CREATE OR REPLACE TEMP TABLE fl_sided AS
SELECT c.start, c."end", c.minute, c.proto, c.any_rejected,
  ck.addr AS client_addr, c.client_port, sk.addr AS server_addr, c.server_port,
  c.uploaded, c.downloaded, c.packets_up, c.packets_down, c.records,
  c.obs, c.observer_side, c.orientation, c.obs_vpc, c.evidence, c.paths,
  coalesce(CASE WHEN c.observer_side = fl_code_observer_side('server') THEN c.path_down ELSE c.path_up END, c.path_up, c.path_down) AS traffic_path,
  coalesce(ca.sep, cg.sep) AS client_sep, fl_side_svc(coalesce(ca.eni_id, cg.eni_id), cp.aws_service, c.client_svc_hint) AS client_svc,
  fl_side_pregion(coalesce(ca.eni_id, cg.eni_id), cp.aws_region) AS client_pregion,
  fl_side_unknown(coalesce(ca.eni_id, cg.eni_id), cp.aws_service, c.client_svc_hint, ck.private OR ck.addr_type IS NOT NULL, ck.addr) AS client_unknown,
  CASE WHEN fl_side_bare(coalesce(ca.eni_id, cg.eni_id), cp.aws_service, c.client_svc_hint) THEN ck.reach END AS client_reach,
  coalesce(ca.eni_id, cg.eni_id) AS client_eni_id, coalesce(ck.rfc1918, false) AS client_rfc1918,
  coalesce(sa.sep, sg.sep) AS server_sep, fl_side_svc(coalesce(sa.eni_id, sg.eni_id), sp.aws_service, c.server_svc_hint) AS server_svc,
  fl_side_pregion(coalesce(sa.eni_id, sg.eni_id), sp.aws_region) AS server_pregion,
  fl_side_unknown(coalesce(sa.eni_id, sg.eni_id), sp.aws_service, c.server_svc_hint, sk.private OR sk.addr_type IS NOT NULL, sk.addr) AS server_unknown,
  CASE WHEN fl_side_bare(coalesce(sa.eni_id, sg.eni_id), sp.aws_service, c.server_svc_hint) THEN sk.reach END AS server_reach,
  coalesce(sa.eni_id, sg.eni_id) AS server_eni_id, coalesce(sk.rfc1918, false) AS server_rfc1918,
  cpub.eni_id IS NOT NULL AS client_has_public, spub.eni_id IS NOT NULL AS server_has_public
FROM fl_conv c
JOIN fl_addr_class ck ON ck.id = c.client_addr
JOIN fl_addr_class sk ON sk.id = c.server_addr
LEFT JOIN fl_scope ca ON ca.scope_vpc = coalesce(c.obs_vpc, '?') AND ca.addr = ck.addr
  AND fl_ts(c.start) >= ca.valid_from AND fl_ts(c.start) < ca.valid_to
LEFT JOIN fl_scope cg ON cg.scope_vpc = '*' AND cg.addr = ck.addr
  AND fl_ts(c.start) >= cg.valid_from AND fl_ts(c.start) < cg.valid_to
LEFT JOIN fl_scope sa ON sa.scope_vpc = coalesce(c.obs_vpc, '?') AND sa.addr = sk.addr
  AND fl_ts(c.start) >= sa.valid_from AND fl_ts(c.start) < sa.valid_to
LEFT JOIN fl_scope sg ON sg.scope_vpc = '*' AND sg.addr = sk.addr
  AND fl_ts(c.start) >= sg.valid_from AND fl_ts(c.start) < sg.valid_to
LEFT JOIN fl_public cp ON cp.addr = ck.addr AND ca.eni_id IS NULL AND cg.eni_id IS NULL
LEFT JOIN fl_public sp ON sp.addr = sk.addr AND sa.eni_id IS NULL AND sg.eni_id IS NULL
-- here, next to the conversations' own scan, the few public intervals are the side a hash join builds on
LEFT JOIN fl_eni_public cpub ON cpub.eni_id = coalesce(ca.eni_id, cg.eni_id) AND fl_ts(c.start) >= cpub.valid_from AND fl_ts(c.start) < cpub.valid_to
LEFT JOIN fl_eni_public spub ON spub.eni_id = coalesce(sa.eni_id, sg.eni_id) AND fl_ts(c.start) >= spub.valid_from AND fl_ts(c.start) < spub.valid_to;
DROP TABLE fl_conv;

-- The identities this part meets for the first time, numbered after those met before, and what each one is.
INSERT INTO fl_ident
SELECT greatest((SELECT coalesce(max(ep), 0) FROM fl_ident), (SELECT coalesce(max(ep), 0) FROM fl_endpoints))
       + row_number() OVER (ORDER BY sep NULLS LAST, svc NULLS FIRST, pregion NULLS FIRST, unknown NULLS FIRST)::INTEGER, *
FROM (SELECT client_sep AS sep, client_svc AS svc, client_pregion AS pregion, client_unknown AS unknown FROM fl_sided
      UNION SELECT server_sep, server_svc, server_pregion, server_unknown FROM fl_sided) f
WHERE NOT EXISTS (SELECT 1 FROM fl_ident i WHERE fl_same_side(i.sep, i.svc, i.pregion, i.unknown, f.sep, f.svc, f.pregion, f.unknown));
