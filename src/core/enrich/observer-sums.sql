-- Step 1 for one part of the pending records (fl_pending): sums per observer, minute and 5-tuple, in fl_obs.
-- A part is every record whose two addresses hash to it (fl_in_part: either direction, any observer, any
-- minute), so a conversation's records are all in one part; parts keep the big aggregations and joins
-- within memory.

-- Records (OK, with both addresses) summed per observer, minute and 5-tuple in a canonical order: a is the
-- lower (address id, port), b the other; _ab is what went a -> b. Orientation is not known yet. Few, small
-- aggregates: this is the one pass over every record and its cost grows with each.
CREATE OR REPLACE TEMP TABLE fl_obs AS
WITH r AS (
  SELECT o.obs, sa.id AS src, r.srcport AS sport, da.id AS dst, r.dstport AS dport,
         r.protocol AS proto, r.bytes, r.packets, r.start, r."end", r.action, r.tcp_flags, r.traffic_path,
         r.pkt_src_aws_service, r.pkt_dst_aws_service,
         -- A NAT gateway's records are used only when they carry the real endpoints (pkt-*): the
         -- translated outside leg (NAT <-> destination) and a v2 inside leg (client <-> NAT) do not.
         coalesce(o.kind = 'natgateway' AND (sa.id = o.primary_id OR da.id = o.primary_id), false) AS nat_outside
  FROM fl_pending r
  JOIN fl_obs_eni o ON o.interface_id IS NOT DISTINCT FROM r.interface_id AND o.rec_vpc IS NOT DISTINCT FROM r.vpc_id
  -- (addresses are stored lower-case: every reader writes them so, readers.ts and records.ts)
  JOIN fl_addr sa ON sa.addr = coalesce(r.pkt_srcaddr, r.srcaddr)
  JOIN fl_addr da ON da.addr = coalesce(r.pkt_dstaddr, r.dstaddr)
  WHERE coalesce(r.log_status, 'OK') = 'OK' AND r.srcaddr IS NOT NULL AND r.dstaddr IS NOT NULL AND r.start IS NOT NULL
    AND fl_in_part(coalesce(r.pkt_srcaddr, r.srcaddr), coalesce(r.pkt_dstaddr, r.dstaddr))
), f AS (
  SELECT r.*, (src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0))) AS fwd
  FROM r WHERE NOT nat_outside
)
SELECT proto,
       CASE WHEN fwd THEN src ELSE dst END AS a_addr, CASE WHEN fwd THEN sport ELSE dport END AS a_port,
       CASE WHEN fwd THEN dst ELSE src END AS b_addr, CASE WHEN fwd THEN dport ELSE sport END AS b_port,
       start // 60 * 60 AS minute, obs,
       min(start) AS start, max("end") AS "end",
       sum(CASE WHEN fwd THEN bytes ELSE 0 END) AS bytes_ab, sum(CASE WHEN fwd THEN 0 ELSE bytes END) AS bytes_ba,
       sum(CASE WHEN fwd THEN packets ELSE 0 END) AS packets_ab, sum(CASE WHEN fwd THEN 0 ELSE packets END) AS packets_ba,
       count(*) AS records,
       bool_or(action = 'REJECT') AS rejected,
       -- traffic-path codes seen each way, as bits (1 << path a->b, 1 << (16 + path) b->a)
       bit_or(CASE WHEN traffic_path BETWEEN 0 AND 15 THEN (1 << (traffic_path + CASE WHEN fwd THEN 0 ELSE 16 END)) END)::UINTEGER AS paths,
       any_value(CASE WHEN fwd THEN pkt_src_aws_service ELSE pkt_dst_aws_service END) AS a_svc_hint,
       any_value(CASE WHEN fwd THEN pkt_dst_aws_service ELSE pkt_src_aws_service END) AS b_svc_hint,
       -- orientation evidence as bits: 1 a sent a SYN, 2 b did, 4 a sent a SYN-ACK, 8 b did
       bit_or(CASE tcp_flags & 18 WHEN 2 THEN CASE WHEN fwd THEN 1 ELSE 2 END
                                  WHEN 18 THEN CASE WHEN fwd THEN 4 ELSE 8 END ELSE 0 END)::UTINYINT AS evidence,
       arg_min(fwd, start) AS first_fwd
FROM f GROUP BY ALL;
