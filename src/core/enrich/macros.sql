-- SQL macros (installed by src/core/enrich/macros.ts, which adds the fl_code_* macros of the stored codes): address
-- arithmetic, then the enrichment's small expressions. DuckDB's `inet` extension cannot be installed offline, so
-- addresses become integers in plain SQL: IPv4 as the low 32 bits, IPv6 as a UHUGEINT.

CREATE OR REPLACE MACRO fl_ipv4_int(a) AS
  CASE WHEN regexp_full_match(a, '[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}') THEN
    (split_part(a, '.', 1)::UBIGINT << 24) + (split_part(a, '.', 2)::UBIGINT << 16)
    + (split_part(a, '.', 3)::UBIGINT << 8) + split_part(a, '.', 4)::UBIGINT
  END;

CREATE OR REPLACE MACRO fl_ipv6_int(a) AS
  CASE WHEN contains(a, ':') AND NOT contains(a, '.') THEN
    list_reduce(
      list_transform(
        CASE WHEN contains(a, '::') THEN
          -- the groups left of '::', a '0' for each group it stands for, the groups right of it
          (CASE WHEN split_part(a, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 1), ':') END)
          || list_transform(range(8
               - len((CASE WHEN split_part(a, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 1), ':') END))
               - len((CASE WHEN split_part(a, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 2), ':') END))), x -> '0')
          || (CASE WHEN split_part(a, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', 2), ':') END)
        ELSE string_split(a, ':') END,
        g -> ('0x' || g)::INTEGER::UHUGEINT),
      (acc, g) -> (acc << 16) + g, 0::UHUGEINT)
  END;

-- The address as an integer (UHUGEINT) and its family.
CREATE OR REPLACE MACRO fl_ip_int(a) AS coalesce(fl_ipv4_int(a)::UHUGEINT, fl_ipv6_int(a));
CREATE OR REPLACE MACRO fl_ip_family(a) AS CASE WHEN contains(a, ':') THEN 6 WHEN contains(a, '.') THEN 4 END;

-- RFC 1918: 10/8, 172.16/12, 192.168/16.
CREATE OR REPLACE MACRO fl_rfc1918(a) AS
  coalesce(fl_ipv4_int(a) BETWEEN 167772160 AND 184549375
        OR fl_ipv4_int(a) BETWEEN 2886729728 AND 2887778303
        OR fl_ipv4_int(a) BETWEEN 3232235520 AND 3232301055, false);

-- Addresses that only mean something inside a VPC: RFC 1918 and the 100.64/10 shared space.
CREATE OR REPLACE MACRO fl_private(a) AS
  fl_rfc1918(a) OR coalesce(fl_ipv4_int(a) BETWEEN 1681915904 AND 1686110207, false);

-- How likely a port is to be the server's: well-known 0, registered 1, ephemeral 2.
CREATE OR REPLACE MACRO fl_port_rank(p) AS
  CASE WHEN p IS NULL THEN 3 WHEN p < 1024 THEN 0 WHEN p < 32768 THEN 1 ELSE 2 END;

CREATE OR REPLACE MACRO fl_protocol_name(p) AS
  CASE p WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6'
         WHEN 50 THEN 'esp' WHEN 47 THEN 'gre' ELSE CAST(p AS VARCHAR) END;

-- epoch seconds -> TIMESTAMP (UTC)
CREATE OR REPLACE MACRO fl_ts(s) AS make_timestamp(CAST(s AS BIGINT) * 1000000);

-- ---------------------------------------------------------------- the enrichment's (src/core/enrich/*.sql)

-- Whether the record or fact whose two addresses are x and y is in the part an enrichment is at: parts
-- getvariable('fl_parts'), this one getvariable('fl_part') (set by rebuild.ts). Either direction hashes
-- alike, so a conversation is in one part. The variables are constants when the statement is planned: with
-- one part the condition is true and nothing is hashed.
CREATE OR REPLACE MACRO fl_in_part(x, y) AS
  getvariable('fl_parts') = 1 OR xor(hash(x), hash(y)) % getvariable('fl_parts') = getvariable('fl_part');

-- Logging coverage (coverage.sql): how far apart an ENI's records of one status may lie and still make one island,
-- given its flow log's aggregation interval w in seconds (NULL: AWS's default, 600): two intervals for logged
-- records, a minute for skipped ones (so that dropped windows on either side of a logged one stay two gaps). Pieces
-- whose starts share a bucket of this width always fall in one island, so each source of pieces sums per bucket.
CREATE OR REPLACE MACRO fl_island_gap(status, w) AS CASE status WHEN 'skipped' THEN 60 ELSE 2 * coalesce(w, 600) END;

-- The flow log a loaded file's records come from, by its name (ingest_files.name): the flow-log id AWS puts in an S3
-- object's name (<account>_vpcflowlogs_<region>_fl-…_<time>_<hash>.log.gz, text or Parquet), else a CloudWatch Logs
-- batch's log group (cwl://<account>/<region>/<group>@…); NULL when the name does not say (a local file named
-- otherwise): such records are always counted (flow-log-choice.sql).
CREATE OR REPLACE MACRO fl_flow_log_of(name) AS CASE
  WHEN regexp_matches(name, '_fl-[0-9a-f]{8,}_') THEN regexp_extract(name, '_(fl-[0-9a-f]{8,})_', 1)
  WHEN starts_with(name, 'cwl://') THEN regexp_extract(name, '^(cwl://[^@]+)', 1) END;

-- A 5-tuple as one number from its two ends' text, the same whichever end is given first.
CREATE OR REPLACE MACRO fl_tuple_hash(proto, x, xp, y, yp) AS
  hash(proto, xor(hash(x, coalesce(xp, -1)), hash(y, coalesce(yp, -1))));

-- The highest bit set in a bit mask, NULL for none.
CREATE OR REPLACE MACRO fl_top_bit(m) AS CASE WHEN m > 0 THEN floor(log2(m))::INTEGER END;

-- Orientation evidence bits with the two ends swapped (1 <-> 2, 4 <-> 8; 16 and up dropped).
CREATE OR REPLACE MACRO fl_swap_evidence(e) AS ((e & 5) << 1) | ((e & 10) >> 1);

-- Traffic-path bits with the two directions swapped.
CREATE OR REPLACE MACRO fl_swap_paths(p) AS ((p & 65535) << 16) | (p >> 16);

-- A side's identity keys (attribution.sql) from what was found for its address: held the holder found (its fl_scope
-- number: an ENI, or an Elastic IP whose interface the inventory does not show), svc and region the AWS prefix it is
-- in, hint the service the record logged (pkt-*-aws-service). An AWS service (a specific one over AMAZON) and a
-- prefix's region name a side only when nothing in the inventory held its address; the address itself (unknown)
-- only when nothing else explains it (fl_side_bare) and it is private or special-purpose (by_addr: a documentation,
-- link-local, multicast ... address, see address_types).
CREATE OR REPLACE MACRO fl_side_svc(held, svc, hint) AS
  CASE WHEN held IS NULL THEN upper(coalesce(CASE WHEN svc <> 'AMAZON' THEN svc END, hint, svc)) END;
CREATE OR REPLACE MACRO fl_side_pregion(held, region) AS
  CASE WHEN held IS NULL AND region <> 'GLOBAL' THEN region END;
CREATE OR REPLACE MACRO fl_side_bare(held, svc, hint) AS
  held IS NULL AND svc IS NULL AND hint IS NULL;
CREATE OR REPLACE MACRO fl_side_unknown(held, svc, hint, by_addr, addr) AS
  CASE WHEN fl_side_bare(held, svc, hint) AND by_addr THEN addr END;

-- Whether identity (sep, svc, pregion, unknown) is the one in the last four (NULL is NULL's equal).
CREATE OR REPLACE MACRO fl_same_side(sep, svc, pregion, unknown, sep2, svc2, pregion2, unknown2) AS
  sep IS NOT DISTINCT FROM sep2 AND svc IS NOT DISTINCT FROM svc2
  AND pregion IS NOT DISTINCT FROM pregion2 AND unknown IS NOT DISTINCT FROM unknown2;
