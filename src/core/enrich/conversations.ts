/**
 * Enrichment: flow records + time-aware inventory -> conversation facts, set-based in DuckDB, appended.
 *
 * An enrichment reads the records that are new since the last one (pending: loaded after the watermark)
 * once, and merges them into what is stored:
 * 1. Records (OK status) get their observer ENI, and the real endpoints (pkt-* over the logged addresses).
 *    A NAT gateway's translated outside leg (NAT address <-> public address) is dropped: its bytes are the
 *    inside leg's bytes again. They are summed per observer, minute and 5-tuple.
 * 2. The stored facts of every 5-tuple the new records touch are taken back as the sums of the observer that
 *    was chosen for them (with the orientation evidence they were chosen by), so a flow whose two ends or
 *    minutes arrive in different batches is still counted once.
 * 3. Orientation per 5-tuple: SYN sender is the client, SYN-ACK sender the server; else port ranks.
 * 4. One observer per conversation-minute (client ENI, else server ENI, else another, NAT last): a flow
 *    logged at both ends is counted once. REJECT by any observer makes the minute REJECT.
 * 5. Attribution of both sides by (VPC scope, address, time): private addresses resolve in the observer's
 *    VPC, then in peered / TGW-attached VPCs; public and IPv6 addresses globally; AWS prefixes (specific
 *    service over AMAZON, longest prefix) and pkt-*-aws-service; else internet.
 * 6. Egress path from traffic-path when logged, else from the inventory; cross-AZ/region flags.
 * The facts taken back are replaced by the new ones, and the windows get the difference, in one transaction
 * (see rebuild.ts). When the inventory changed, every stored fact is taken back (re-attribution: no raw
 * record is read again). Steps 1-6 run per part of the records, each part holding whole address pairs.
 */
import type { Db } from '../store/db';
import { DERIVED_FACTS, EGRESS_PATHS, OBSERVER_SIDES, ORIENTATIONS, dropNextTables, encode } from '../store/schema';
import { WINDOW_SIZES, windowMergeSql } from './windows';

/** The stored code of a value (see encode). */
const code = (xs: readonly string[], x: string) => xs.indexOf(x) + 1;
/** SQL: the highest bit set in a bit mask, NULL for none. */
const topBit = (m: string) => `CASE WHEN (${m}) > 0 THEN floor(log2(${m}))::INTEGER END`;
/** SQL: orientation evidence bits with the two ends swapped (1 <-> 2, 4 <-> 8; 16 and up dropped). */
const swapEvidence = (e: string) => `(((${e}) & 5) << 1) | (((${e}) & 10) >> 1)`;
/** SQL: traffic-path bits with the two directions swapped. */
const swapPaths = (p: string) => `(((${p}) & 65535) << 16) | ((${p}) >> 16)`;

/** Small inventory-derived helper tables (thousands of rows), made at the start of every enrichment. */
export const PREPARE_SQL = `
CREATE OR REPLACE TEMP TABLE fl_eni AS
SELECT e.eni_id, any_value(e.vpc_id) AS vpc_id, any_value(e.kind) AS kind, any_value(e.subnet_id) AS subnet_id,
       any_value(e.az) AS az, any_value(e.account_id) AS account_id, any_value(e.region) AS region,
       any_value(p.addr) AS primary_ip
FROM inv_enis e
LEFT JOIN inv_addresses p ON p.eni_id = e.eni_id AND p.addr_kind = 'primary'
GROUP BY e.eni_id;

CREATE OR REPLACE TEMP TABLE fl_eni_addr AS
SELECT DISTINCT eni_id, addr FROM inv_addresses WHERE eni_id IS NOT NULL;

-- Where an address can be looked up from: scope_vpc is the observer's VPC ('*' = global, '?' = the
-- observer's VPC is unknown and the address is unique across all VPCs).
CREATE OR REPLACE TEMP TABLE fl_scope AS
WITH private AS (
  SELECT * FROM inv_addresses WHERE addr_kind <> 'public' AND family = 4
), candidates AS (
  SELECT vpc_id AS scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 AS rank FROM private
  UNION ALL
  SELECT DISTINCT l.vpc_id, a.addr, a.addr_kind, a.eni_id, a.arn, a.valid_from, a.valid_to, 1
  FROM private a JOIN inv_vpc_links l ON l.peer_vpc_id = a.vpc_id
  UNION ALL
  SELECT '?', addr, addr_kind, eni_id, arn, valid_from, valid_to, 2 FROM private
  WHERE addr IN (SELECT addr FROM private GROUP BY addr HAVING count(DISTINCT vpc_id) = 1)
  UNION ALL
  SELECT '*', addr, addr_kind, eni_id, arn, valid_from, valid_to, 0 FROM inv_addresses
  WHERE addr_kind = 'public' OR family = 6
), preferred AS (
  SELECT DISTINCT scope_vpc, addr, addr_kind, eni_id, arn, valid_from, valid_to FROM candidates
  QUALIFY rank = min(rank) OVER (PARTITION BY scope_vpc, addr)
), clipped AS (
  -- at most one holder at any time: an interval ends where the next one begins
  SELECT * REPLACE (least(valid_to, coalesce(lead(valid_from) OVER (PARTITION BY scope_vpc, addr ORDER BY valid_from, eni_id), valid_to)) AS valid_to)
  FROM preferred
)
-- sep numbers the side a holder makes (its ENI, resource, and whether it is an EKS pod's secondary address)
-- and skey says the same in text, which an enrichment finds the side by again when it appends
SELECT c.*, dense_rank() OVER (ORDER BY c.eni_id NULLS FIRST, c.arn NULLS FIRST, pod) AS sep,
       coalesce(c.eni_id, '') || '|' || coalesce(c.arn, '') || CASE WHEN pod THEN '|pod' ELSE '' END AS skey
FROM (SELECT c.*, coalesce(e.kind = 'eks-node' AND c.addr_kind = 'secondary', false) AS pod
      FROM clipped c LEFT JOIN fl_eni e ON e.eni_id = c.eni_id WHERE c.valid_from < c.valid_to) c;

-- Per VPC: what ways out it has.
CREATE OR REPLACE TEMP TABLE fl_vpc_exits AS
SELECT v.vpc_id,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'nat-gateway') AS has_nat,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'internet-gateway') AS has_igw,
  EXISTS (SELECT 1 FROM inv_vpc_links l WHERE l.vpc_id = v.vpc_id AND l.kind = 'transit-gateway') AS has_tgw,
  EXISTS (SELECT 1 FROM inv_gateways g WHERE g.vpc_id = v.vpc_id AND g.kind = 'virtual-private-gateway') AS has_vgw
FROM (SELECT vpc_id FROM inv_vpcs UNION SELECT DISTINCT vpc_id FROM inv_enis WHERE vpc_id IS NOT NULL) v;

CREATE OR REPLACE TEMP TABLE fl_gateway_endpoints AS
SELECT DISTINCT vpc_id, upper(aws_service) AS aws_service FROM inv_vpc_endpoints
WHERE endpoint_type = 'Gateway' AND aws_service IS NOT NULL;

-- When an ENI had a public address: its intervals merged, so that a range join finds at most one.
CREATE OR REPLACE TEMP TABLE fl_eni_public AS
WITH s AS (
  SELECT eni_id, valid_from, valid_to,
         max(valid_to) OVER (PARTITION BY eni_id ORDER BY valid_from, valid_to
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM inv_addresses WHERE addr_kind = 'public' AND eni_id IS NOT NULL AND valid_from < valid_to
), g AS (
  SELECT *, sum(CASE WHEN reach >= valid_from THEN 0 ELSE 1 END) OVER (PARTITION BY eni_id ORDER BY valid_from, valid_to) AS island
  FROM s
)
SELECT eni_id, min(valid_from) AS valid_from, max(valid_to) AS valid_to FROM g GROUP BY eni_id, island;
`;

/** What an enrichment does with the stored facts. */
export type Mode =
  /** the first enrichment of a dataset: nothing is stored */
  | 'fresh'
  /** new records: the stored facts of the 5-tuples they touch are taken back and merged */
  | 'append'
  /** the inventory changed: every stored fact is attributed again (its figures stay) */
  | 'reattribute';

/**
 * Before the parts: every address and observer the records name, numbered; what
 * each address is (AWS service, RFC 1918, private); and the tables the parts add to. `src` is the relation
 * of pending records.
 */
export function runSql(src: string, mode: 'fresh' | 'append'): string {
  return `
-- Every address the records name, numbered: the big aggregations below then group and join on integers.
CREATE OR REPLACE TEMP TABLE fl_addr AS
SELECT row_number() OVER ()::INTEGER AS id, addr FROM (
  SELECT lower(coalesce(pkt_srcaddr, srcaddr)) AS addr FROM ${src} WHERE srcaddr IS NOT NULL
  UNION SELECT lower(coalesce(pkt_dstaddr, dstaddr)) FROM ${src} WHERE dstaddr IS NOT NULL);
${OBSERVERS_SQL(src)}
${ADDRESS_CLASSES_SQL}
-- The sides met so far and what each is: when appending, the stored ones (found again by their holder,
-- service, prefix region or unexplained address), numbered as stored; new ones are numbered after them.
CREATE OR REPLACE TEMP TABLE fl_endpoints AS SELECT * FROM endpoints ${mode === 'append' ? '' : 'LIMIT 0'};
${WORK_TABLES_SQL}
${FACTS_TARGET_SQL(mode)}`;
}

/**
 * Re-attribution: every stored fact is attributed again with the inventory as it is now. The facts' own
 * figures stay (the observer chosen, the sums, the orientation); only who the sides are changes.
 */
export const reattributeRunSql = () => `
CREATE OR REPLACE TEMP TABLE fl_addr AS
SELECT row_number() OVER ()::INTEGER AS id, addr FROM (SELECT client_addr AS addr FROM conversation_facts UNION SELECT server_addr FROM conversation_facts);
${ADDRESS_CLASSES_SQL}
CREATE OR REPLACE TEMP TABLE fl_endpoints AS SELECT * FROM endpoints LIMIT 0;
CREATE OR REPLACE TEMP TABLE fl_observer AS SELECT obs, eni AS interface_id, vpc AS obs_vpc, false AS new FROM observers;
${WORK_TABLES_SQL}
${FACTS_TARGET_SQL('reattribute')}`;

/** One part of the stored facts, in the shape attribution reads (fl_conv). */
export function storedConversationsSql(part: number, parts: number): string {
  return `
CREATE OR REPLACE TEMP TABLE fl_conv AS
SELECT f.protocol AS proto, epoch(f.window_start)::BIGINT AS minute, f.start, f."end", f.rejected AS any_rejected, f.records,
       f.orientation, f.observer AS obs, o.vpc AS obs_vpc, f.observer_side,
       ca.id AS client_addr, f.client_port, sa.id AS server_addr, f.server_port,
       f.uploaded, f.downloaded, f.packets_up, f.packets_down,
       ${topBit('f.paths & 65535')} AS path_up, ${topBit('f.paths >> 16')} AS path_down,
       ce.aws_service AS client_svc_hint, se.aws_service AS server_svc_hint, f.evidence, f.paths
FROM conversation_facts f
JOIN fl_addr ca ON ca.addr = f.client_addr JOIN fl_addr sa ON sa.addr = f.server_addr
LEFT JOIN observers o ON o.obs = f.observer
LEFT JOIN endpoints ce ON ce.ep = f.client_ep LEFT JOIN endpoints se ON se.ep = f.server_ep
${parts > 1 ? `WHERE xor(hash(f.client_addr), hash(f.server_addr)) % ${parts} = ${part}` : ''};`;
}

/**
 * Observers: those stored (their numbers are in the facts) and those the records name for the first time
 * (ENI and the VPC it logged, else the inventory's), numbered after them; ord is the order among equals.
 */
const OBSERVERS_SQL = (src: string) => `
CREATE OR REPLACE TEMP TABLE fl_obs_seen AS
WITH d AS (SELECT DISTINCT interface_id, vpc_id FROM ${src})
SELECT d.interface_id, d.vpc_id AS rec_vpc, coalesce(d.vpc_id, m.vpc_id) AS obs_vpc FROM d LEFT JOIN fl_eni m ON m.eni_id = d.interface_id;
CREATE OR REPLACE TEMP TABLE fl_observer AS
WITH o AS (
  SELECT obs, eni AS interface_id, vpc AS obs_vpc, false AS new FROM observers
  UNION ALL
  SELECT (SELECT coalesce(max(obs), 0) FROM observers) + row_number() OVER (ORDER BY interface_id, obs_vpc)::INTEGER, interface_id, obs_vpc, true
  FROM (SELECT DISTINCT interface_id, obs_vpc FROM fl_obs_seen s
        WHERE NOT EXISTS (SELECT 1 FROM observers o WHERE o.eni IS NOT DISTINCT FROM s.interface_id AND o.vpc IS NOT DISTINCT FROM s.obs_vpc))
)
SELECT o.*, m.kind, pa.id AS primary_id, dense_rank() OVER (ORDER BY o.interface_id, o.obs_vpc)::INTEGER AS ord
FROM o LEFT JOIN fl_eni m ON m.eni_id = o.interface_id LEFT JOIN fl_addr pa ON pa.addr = m.primary_ip;
CREATE OR REPLACE TEMP TABLE fl_obs_eni AS
SELECT s.interface_id, s.rec_vpc, o.obs, o.kind, o.primary_id
FROM fl_obs_seen s JOIN fl_observer o ON o.interface_id IS NOT DISTINCT FROM s.interface_id AND o.obs_vpc IS NOT DISTINCT FROM s.obs_vpc;
DROP TABLE fl_obs_seen;
CREATE OR REPLACE TEMP TABLE fl_obs_addr AS
SELECT DISTINCT o.obs, a.id AS addr FROM fl_observer o JOIN fl_eni_addr e ON e.eni_id = o.interface_id JOIN fl_addr a ON a.addr = e.addr;
`;

/** What each numbered address is: an AWS service's, RFC 1918, private. */
const ADDRESS_CLASSES_SQL = `
-- AWS-owned public addresses: the most specific service, then the longest prefix.
CREATE OR REPLACE TEMP TABLE fl_public AS
WITH addrs AS (
  SELECT addr FROM fl_addr
  WHERE NOT fl_private(addr)
), ints AS (
  SELECT addr, fl_ip_family(addr) AS family, fl_ip_int(addr) AS v FROM addrs WHERE fl_ip_int(addr) IS NOT NULL
)
SELECT i.addr,
       arg_max(p.service, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_service,
       arg_max(p.region, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_region
FROM ints i JOIN inv_prefixes p ON p.family = i.family AND i.v BETWEEN p.lo AND p.hi
GROUP BY i.addr;

-- Per distinct address: RFC 1918 and private (the macros parse text; addresses repeat a lot).
CREATE OR REPLACE TEMP TABLE fl_addr_class AS
SELECT id, addr, fl_rfc1918(addr) AS rfc1918, fl_private(addr) AS private FROM fl_addr;
`;

/** The identities already numbered (fl_endpoints), and the tables the parts add to. */
const WORK_TABLES_SQL = `
CREATE OR REPLACE TEMP TABLE fl_ident AS
SELECT e.ep, s.sep::BIGINT AS sep, e.aws_service AS svc, e.pregion, e.unknown
FROM fl_endpoints e LEFT JOIN (SELECT DISTINCT sep, skey FROM fl_scope) s ON s.skey = e.skey
WHERE e.skey IS NULL OR s.sep IS NOT NULL;
`;

/**
 * Where the parts write the facts: when appending, a temporary table (the commit adds it to the stored
 * facts, beside the stored facts it replaces, fl_pulled_all); else every fact is new, written beside the
 * stored ones as conversation_facts_next (committed as it goes, which also makes it fast to read back) and
 * swapped in by the commit.
 */
export const factsTable = (mode: Mode) => (mode === 'append' ? 'fl_facts_new' : 'conversation_facts_next');

const FACTS_TARGET_SQL = (mode: Mode) => mode === 'append' ? `
CREATE OR REPLACE TEMP TABLE fl_facts_new AS SELECT * FROM conversation_facts LIMIT 0;
CREATE OR REPLACE TEMP TABLE fl_pulled_all AS SELECT NULL::BIGINT AS frid, * FROM conversation_facts LIMIT 0;` : `
CREATE OR REPLACE TABLE conversation_facts_next AS SELECT * FROM conversation_facts LIMIT 0;`;

/** The level-1 sums' columns, in order (the stored facts taken back are written in the same shape). */
const OBS_KEY = 'proto, a_addr, a_port, b_addr, b_port, minute, obs';

/**
 * Step 1 for one part of the pending records: sums per observer, minute and 5-tuple, in fl_obs. A part is
 * every record whose two addresses hash to it (either direction, any observer, any minute), so a
 * conversation's records are all in one part; parts keep the big aggregations and joins within memory.
 */
export function levelOneSql(src: string, part: number, parts: number): string {
  const inPart = parts > 1
    ? `AND xor(hash(lower(coalesce(r.pkt_srcaddr, r.srcaddr))), hash(lower(coalesce(r.pkt_dstaddr, r.dstaddr)))) % ${parts} = ${part}`
    : '';
  return `
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
  FROM ${src} r
  JOIN fl_obs_eni o ON o.interface_id IS NOT DISTINCT FROM r.interface_id AND o.rec_vpc IS NOT DISTINCT FROM r.vpc_id
  JOIN fl_addr sa ON sa.addr = lower(coalesce(r.pkt_srcaddr, r.srcaddr))
  JOIN fl_addr da ON da.addr = lower(coalesce(r.pkt_dstaddr, r.dstaddr))
  WHERE coalesce(r.log_status, 'OK') = 'OK' AND r.srcaddr IS NOT NULL AND r.dstaddr IS NOT NULL AND r.start IS NOT NULL
    ${inPart}
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
`;
}

/** SQL: a 5-tuple as one number from its two ends' text, the same whichever end is given first. */
const tupleHash = (proto: string, x: string, xp: string, y: string, yp: string) =>
  `hash(${proto}, xor(hash(${x}, coalesce(${xp}, -1)), hash(${y}, coalesce(${yp}, -1))))`;

const SAME_TUPLE = `p.proto = o.proto AND p.a_addr = o.a_addr AND p.b_addr = o.b_addr
      AND p.a_port IS NOT DISTINCT FROM o.a_port AND p.b_port IS NOT DISTINCT FROM o.b_port`;

/**
 * Step 2 for one part: the stored facts to merge with it (of the 5-tuples the part touches), back in the shape of fl_obs, summed with the part's own sums of the
 * same observer and minute. The stored rows are kept in fl_pulled_all: the commit replaces them.
 */
export const PULL_SQL = `
-- the 5-tuples this part touches
CREATE OR REPLACE TEMP TABLE fl_touched AS
SELECT DISTINCT ${tupleHash('t.proto', 'a.addr', 't.a_port', 'b.addr', 't.b_port')} AS t5
FROM (SELECT DISTINCT proto, a_addr, a_port, b_addr, b_port FROM fl_obs) t
JOIN fl_addr a ON a.id = t.a_addr JOIN fl_addr b ON b.id = t.b_addr;

CREATE OR REPLACE TEMP TABLE fl_pulled AS
SELECT f.rowid AS frid, f.*, ca.id AS cid, sa.id AS sid
FROM conversation_facts f JOIN fl_addr ca ON ca.addr = f.client_addr JOIN fl_addr sa ON sa.addr = f.server_addr
WHERE ${tupleHash('f.protocol', 'f.client_addr', 'f.client_port', 'f.server_addr', 'f.server_port')} IN (SELECT t5 FROM fl_touched);
INSERT INTO fl_pulled_all SELECT * EXCLUDE (cid, sid) FROM fl_pulled;

-- A stored fact is its observer's sums for that minute, with the 5-tuple's evidence and first sender.
CREATE OR REPLACE TEMP TABLE fl_pulled_obs AS
WITH p AS (
  SELECT f.*, (cid < sid OR (cid = sid AND coalesce(client_port, 0) <= coalesce(server_port, 0))) AS c_is_a,
         ce.aws_service AS c_svc, se.aws_service AS s_svc
  FROM fl_pulled f LEFT JOIN endpoints ce ON ce.ep = f.client_ep LEFT JOIN endpoints se ON se.ep = f.server_ep
)
SELECT protocol AS proto,
  CASE WHEN c_is_a THEN cid ELSE sid END AS a_addr, CASE WHEN c_is_a THEN client_port ELSE server_port END AS a_port,
  CASE WHEN c_is_a THEN sid ELSE cid END AS b_addr, CASE WHEN c_is_a THEN server_port ELSE client_port END AS b_port,
  epoch(window_start)::BIGINT AS minute, observer AS obs, start, "end",
  CASE WHEN c_is_a THEN uploaded ELSE downloaded END AS bytes_ab, CASE WHEN c_is_a THEN downloaded ELSE uploaded END AS bytes_ba,
  CASE WHEN c_is_a THEN packets_up ELSE packets_down END AS packets_ab, CASE WHEN c_is_a THEN packets_down ELSE packets_up END AS packets_ba,
  records, rejected,
  (CASE WHEN c_is_a THEN paths ELSE ${swapPaths('paths')} END)::UINTEGER AS paths,
  CASE WHEN c_is_a THEN c_svc ELSE s_svc END AS a_svc_hint, CASE WHEN c_is_a THEN s_svc ELSE c_svc END AS b_svc_hint,
  (CASE WHEN c_is_a THEN evidence & 15 ELSE ${swapEvidence('evidence')} END)::UTINYINT AS evidence,
  ((evidence & 16) <> 0) = c_is_a AS first_fwd
FROM p;
DROP TABLE fl_pulled;

-- the part's sums of the same 5-tuples and the facts taken back, added up per observer and minute
CREATE OR REPLACE TEMP TABLE fl_merged AS
SELECT ${OBS_KEY}, min(start) AS start, max("end") AS "end",
       sum(bytes_ab) AS bytes_ab, sum(bytes_ba) AS bytes_ba, sum(packets_ab) AS packets_ab, sum(packets_ba) AS packets_ba,
       sum(records) AS records, bool_or(rejected) AS rejected, bit_or(paths) AS paths,
       any_value(a_svc_hint) AS a_svc_hint, any_value(b_svc_hint) AS b_svc_hint,
       bit_or(evidence) AS evidence, arg_min(first_fwd, start) AS first_fwd
FROM (SELECT * FROM fl_obs o WHERE EXISTS (SELECT 1 FROM fl_pulled_obs p WHERE ${SAME_TUPLE})
      UNION ALL BY NAME SELECT * FROM fl_pulled_obs)
GROUP BY ${OBS_KEY};
DELETE FROM fl_obs o WHERE EXISTS (SELECT 1 FROM fl_pulled_obs p WHERE ${SAME_TUPLE});
INSERT INTO fl_obs BY NAME SELECT * FROM fl_merged;
DROP TABLE fl_merged; DROP TABLE fl_pulled_obs;
`;

/** Steps 3-4 for one part: orientation, the observer chosen, and its row, into fl_conv. */
export const LEVEL_TWO_SQL = `
-- Orientation per 5-tuple: SYN sender is the client, SYN-ACK sender the server; else port ranks.
CREATE OR REPLACE TEMP TABLE fl_orient AS
WITH k AS (
  SELECT proto, a_addr, a_port, b_addr, b_port, bit_or(evidence) AS e, arg_min(first_fwd, start) AS first_from_a
  FROM fl_obs GROUP BY ALL
)
SELECT proto, a_addr, a_port, b_addr, b_port, e, first_from_a,
  CASE WHEN e & 1 <> 0 THEN true WHEN e & 2 <> 0 THEN false
       WHEN e & 4 <> 0 THEN false WHEN e & 8 <> 0 THEN true
       WHEN fl_port_rank(a_port) <> fl_port_rank(b_port) THEN fl_port_rank(a_port) > fl_port_rank(b_port)
       WHEN a_port <> b_port THEN a_port > b_port
       ELSE first_from_a END AS client_is_a,
  (CASE WHEN e & 3 <> 0 THEN ${code(ORIENTATIONS, 'syn')} WHEN e & 12 <> 0 THEN ${code(ORIENTATIONS, 'syn-ack')}
        ELSE ${code(ORIENTATIONS, 'port')} END)::UTINYINT AS orientation
FROM k;

-- One observer per conversation-minute: the client's ENI, else the server's, else another, a NAT gateway
-- last (lowest ENI first among equals). pick = preference << 32 | order among observers; the chosen row is
-- found again by its row id.
CREATE OR REPLACE TEMP TABLE fl_pick AS
WITH p AS (
  SELECT p.rowid AS rid, p.proto, p.a_addr, p.a_port, p.b_addr, p.b_port, p.minute, p.rejected, o.client_is_a, o.orientation,
         o.e, o.first_from_a,
         (CASE WHEN e.kind = 'natgateway' THEN 3
               WHEN (CASE WHEN o.client_is_a THEN ha.obs ELSE hb.obs END) IS NOT NULL THEN 0
               WHEN (CASE WHEN o.client_is_a THEN hb.obs ELSE ha.obs END) IS NOT NULL THEN 1
               ELSE 2 END)::BIGINT << 32 | e.ord AS pick
  FROM fl_obs p
  JOIN fl_orient o ON o.proto IS NOT DISTINCT FROM p.proto AND o.a_addr = p.a_addr AND o.b_addr = p.b_addr
   AND o.a_port IS NOT DISTINCT FROM p.a_port AND o.b_port IS NOT DISTINCT FROM p.b_port
  JOIN fl_observer e ON e.obs = p.obs
  LEFT JOIN fl_obs_addr ha ON ha.obs = p.obs AND ha.addr = p.a_addr
  LEFT JOIN fl_obs_addr hb ON hb.obs = p.obs AND hb.addr = p.b_addr
)
SELECT arg_min(rid, pick) AS rid, min(pick) >> 32 AS side, bool_or(rejected) AS any_rejected,
       -- the same for every row of a 5-tuple: carried along, so the choice needs no second join
       any_value(client_is_a) AS client_is_a, any_value(orientation) AS orientation,
       any_value(e) AS e, any_value(first_from_a) AS first_from_a
FROM p GROUP BY proto, a_addr, a_port, b_addr, b_port, minute;

CREATE OR REPLACE TEMP TABLE fl_conv AS
SELECT p.proto, p.minute, p.start, p."end", c.any_rejected, p.records, c.orientation,
       p.obs, e.obs_vpc,
       (CASE c.side WHEN 0 THEN ${code(OBSERVER_SIDES, 'client')} WHEN 1 THEN ${code(OBSERVER_SIDES, 'server')}
                    WHEN 3 THEN ${code(OBSERVER_SIDES, 'nat-gateway')} ELSE ${code(OBSERVER_SIDES, 'other')} END)::UTINYINT AS observer_side,
       CASE WHEN c.client_is_a THEN p.a_addr ELSE p.b_addr END AS client_addr, CASE WHEN c.client_is_a THEN p.a_port ELSE p.b_port END AS client_port,
       CASE WHEN c.client_is_a THEN p.b_addr ELSE p.a_addr END AS server_addr, CASE WHEN c.client_is_a THEN p.b_port ELSE p.a_port END AS server_port,
       CASE WHEN c.client_is_a THEN p.bytes_ab ELSE p.bytes_ba END AS uploaded,
       CASE WHEN c.client_is_a THEN p.bytes_ba ELSE p.bytes_ab END AS downloaded,
       CASE WHEN c.client_is_a THEN p.packets_ab ELSE p.packets_ba END AS packets_up,
       CASE WHEN c.client_is_a THEN p.packets_ba ELSE p.packets_ab END AS packets_down,
       -- the highest traffic-path code each way
       ${topBit('CASE WHEN c.client_is_a THEN p.paths & 65535 ELSE p.paths >> 16 END')} AS path_up,
       ${topBit('CASE WHEN c.client_is_a THEN p.paths >> 16 ELSE p.paths & 65535 END')} AS path_down,
       CASE WHEN c.client_is_a THEN p.a_svc_hint ELSE p.b_svc_hint END AS client_svc_hint,
       CASE WHEN c.client_is_a THEN p.b_svc_hint ELSE p.a_svc_hint END AS server_svc_hint,
       -- what a later batch merges by, from the client's side: the evidence and who sent first, the paths
       ((CASE WHEN c.client_is_a THEN c.e & 15 ELSE ${swapEvidence('c.e')} END)
        | CASE WHEN c.first_from_a = c.client_is_a THEN 16 ELSE 0 END)::UTINYINT AS evidence,
       (CASE WHEN c.client_is_a THEN p.paths ELSE ${swapPaths('p.paths')} END)::UINTEGER AS paths
FROM fl_pick c
JOIN fl_obs p ON p.rowid = c.rid
JOIN fl_observer e ON e.obs = p.obs;
-- free the per-observer sums before attribution
DROP TABLE fl_obs; DROP TABLE fl_orient; DROP TABLE fl_pick;
`;

/** SQL: one side's identity key, its ENI and RFC 1918 flag, from the lookups a/g/p and the address class k (x: client|server). */
function sideKeys(x: 'client' | 'server', a: string, g: string, p: string, k: string): string {
  const eni = `coalesce(${a}.eni_id, ${g}.eni_id)`;
  const svc = `CASE WHEN ${eni} IS NULL THEN upper(coalesce(CASE WHEN ${p}.aws_service <> 'AMAZON' THEN ${p}.aws_service END, c.${x}_svc_hint, ${p}.aws_service)) END`;
  return `
    coalesce(${a}.sep, ${g}.sep) AS ${x}_sep, ${svc} AS ${x}_svc,
    CASE WHEN ${eni} IS NULL AND ${p}.aws_region <> 'GLOBAL' THEN ${p}.aws_region END AS ${x}_pregion,
    CASE WHEN ${eni} IS NULL AND ${p}.aws_service IS NULL AND c.${x}_svc_hint IS NULL AND ${k}.private THEN ${k}.addr END AS ${x}_unknown,
    ${eni} AS ${x}_eni_id, coalesce(${k}.rfc1918, false) AS ${x}_rfc1918`;
}

/** SQL: identity i is the one in columns <prefix>sep, <prefix>svc, <prefix>pregion, <prefix>unknown. */
const SAME_SIDE = (i: string, prefix: string) =>
  `${i}.sep IS NOT DISTINCT FROM ${prefix}sep AND ${i}.svc IS NOT DISTINCT FROM ${prefix}svc
   AND ${i}.pregion IS NOT DISTINCT FROM ${prefix}pregion AND ${i}.unknown IS NOT DISTINCT FROM ${prefix}unknown`;

/**
 * Steps 4-5: attribution of both sides, egress path and flags. Each conversation gets its sides' identity
 * keys (small values); the identities are few, so their names (type, ARN, VPC, …) are worked out once each
 * into endpoints, and conversation_facts stores the endpoint numbers and small codes.
 */
export const ATTRIBUTE_SQL = `
CREATE OR REPLACE TEMP TABLE fl_sided AS
SELECT c.start, c."end", c.minute, c.proto, c.any_rejected,
  ck.addr AS client_addr, c.client_port, sk.addr AS server_addr, c.server_port,
  c.uploaded, c.downloaded, c.packets_up, c.packets_down, c.records,
  c.obs, c.observer_side, c.orientation, c.obs_vpc, c.evidence, c.paths,
  coalesce(CASE WHEN c.observer_side = ${code(OBSERVER_SIDES, 'server')} THEN c.path_down ELSE c.path_up END, c.path_up, c.path_down) AS traffic_path,
  ${sideKeys('client', 'ca', 'cg', 'cp', 'ck')},
  ${sideKeys('server', 'sa', 'sg', 'sp', 'sk')},
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
WHERE NOT EXISTS (SELECT 1 FROM fl_ident i WHERE ${SAME_SIDE('i', 'f.')});
`;

/** Per part, after ATTRIBUTE_SQL: what the new identities are, and the part's conversation facts. */
export const factsSql = (mode: Mode) => `
INSERT INTO fl_endpoints
WITH t AS (
  SELECT i.ep, s.eni_id AS eni, s.arn, s.skey, i.pregion, i.unknown AS unknown_addr,
    CASE WHEN s.pod THEN 'eks:pod'
         WHEN r.type IS NOT NULL THEN r.type
         WHEN s.eni_id IS NOT NULL THEN 'ec2:network-interface'
         WHEN i.svc IS NOT NULL THEN 'aws:service'
         WHEN i.unknown IS NOT NULL THEN 'unknown'
         ELSE 'internet' END AS type,
    CASE WHEN s.pod THEN 'eks-pod' ELSE r.kind END AS kind,
    e.vpc_id AS vpc, e.subnet_id AS subnet, e.az, coalesce(e.account_id, r.account_id) AS account,
    coalesce(e.region, r.region, i.pregion) AS region, i.svc AS aws_service, i.unknown
  FROM fl_ident i
  LEFT JOIN (SELECT DISTINCT sep, eni_id, arn, pod, skey FROM fl_scope) s ON s.sep = i.sep
  LEFT JOIN fl_eni e ON e.eni_id = s.eni_id
  LEFT JOIN inv_resources r ON r.arn = s.arn
  WHERE i.ep NOT IN (SELECT ep FROM fl_endpoints)
)
SELECT ep, eni, arn, type, kind, vpc, subnet, az, account, region, aws_service,
  CASE WHEN type IN ('aws:service', 'internet') THEN coalesce('aws:' || aws_service, 'internet')
       ELSE coalesce(arn, eni, type || ':' || unknown) END AS node,
  skey, pregion, unknown_addr
FROM t;

-- The identity joins (IS NOT DISTINCT FROM on four keys) make DuckDB underestimate this statement's rows
-- and build its hash tables on the millions of conversations instead of the few VPC links and exits
-- (10 M records: 14.6 s -> 5.4 s with the build side left as written).
SET disabled_optimizers = 'build_side_probe_side';
INSERT INTO ${factsTable(mode)}
WITH x AS (
  SELECT f.*, ci.ep AS client_ep, si.ep AS server_ep,
    ce.vpc AS client_vpc, ce.kind AS client_kind, ce.type AS client_type, ce.region AS client_region, ce.aws_service AS client_aws_service,
    se.vpc AS server_vpc, se.kind AS server_kind, se.type AS server_type, se.region AS server_region, se.aws_service AS server_aws_service
  FROM fl_sided f
  JOIN fl_ident ci ON ${SAME_SIDE('ci', 'f.client_')}
  JOIN fl_ident si ON ${SAME_SIDE('si', 'f.server_')}
  JOIN fl_endpoints ce ON ce.ep = ci.ep
  JOIN fl_endpoints se ON se.ep = si.ep
), y AS (
  SELECT x.*,
    -- the side inside a VPC that the traffic left from (the client when both are inside)
    CASE WHEN x.client_vpc IS NOT NULL THEN x.client_vpc ELSE x.server_vpc END AS home_vpc,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.client_has_public ELSE x.server_has_public END AS home_public,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.server_type ELSE x.client_type END AS away_type,
    CASE WHEN x.client_vpc IS NOT NULL THEN x.server_aws_service ELSE x.client_aws_service END AS away_service,
    l.kind AS link_kind
  FROM x
  LEFT JOIN (SELECT vpc_id, peer_vpc_id, min(kind) AS kind FROM inv_vpc_links GROUP BY ALL) l
    ON l.vpc_id = x.client_vpc AND l.peer_vpc_id = x.server_vpc
)
SELECT y.start, y."end", fl_ts(y.minute) AS window_start, y.proto AS protocol, y.any_rejected AS rejected,
  y.client_addr, y.client_port, y.client_ep, y.client_rfc1918,
  y.server_addr, y.server_port, y.server_ep, y.server_rfc1918,
  y.uploaded, y.downloaded, y.packets_up, y.packets_down, y.records::INTEGER AS records,
  y.obs AS observer, y.observer_side, y.orientation,
  ${encode(EGRESS_PATHS, `CASE
    WHEN y.server_kind = 'interface-endpoint' OR y.client_kind = 'interface-endpoint' THEN 'interface-endpoint'
    WHEN y.traffic_path = 3 THEN 'virtual-private-gateway'
    WHEN y.traffic_path = 4 THEN 'peering-intra-region'
    WHEN y.traffic_path = 5 THEN 'peering-inter-region'
    WHEN y.traffic_path = 6 THEN 'local-gateway'
    WHEN y.traffic_path = 7 THEN 'gateway-endpoint'
    WHEN y.traffic_path = 8 THEN 'internet-gateway'
    WHEN y.traffic_path = 2 THEN CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint' ELSE 'internet-gateway' END
    WHEN y.client_vpc IS NOT NULL AND y.server_vpc IS NOT NULL THEN
      CASE WHEN y.client_vpc = y.server_vpc THEN 'same-vpc'
           WHEN y.link_kind = 'peering' THEN
             CASE WHEN y.client_region = y.server_region THEN 'peering-intra-region' ELSE 'peering-inter-region' END
           WHEN y.link_kind = 'transit-gateway' THEN 'transit-gateway'
           ELSE 'unknown' END
    WHEN y.home_vpc IS NULL THEN 'unknown'
    WHEN y.away_type IN ('aws:service', 'internet') THEN
      CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint'
           -- inbound from outside: only an internet gateway (or a TGW) brings it in, never a NAT
           WHEN y.client_vpc IS NULL THEN CASE WHEN ex.has_igw OR y.home_public THEN 'internet-gateway'
                                               WHEN ex.has_tgw THEN 'transit-gateway' ELSE 'unknown' END
           WHEN y.traffic_path = 1 AND ex.has_nat THEN 'nat-gateway'
           WHEN y.traffic_path = 1 AND ex.has_tgw THEN 'transit-gateway'
           WHEN y.home_public THEN 'internet-gateway'
           WHEN y.client_kind = 'natgateway' OR y.server_kind = 'natgateway' THEN 'internet-gateway'
           WHEN ex.has_nat THEN 'nat-gateway'
           WHEN ex.has_tgw THEN 'transit-gateway'
           WHEN ex.has_igw THEN 'internet-gateway'
           ELSE 'unknown' END
    WHEN y.away_type = 'unknown' THEN
      CASE WHEN ex.has_tgw THEN 'transit-gateway' WHEN ex.has_vgw THEN 'virtual-private-gateway' ELSE 'unknown' END
    ELSE 'unknown'
  END`)} AS egress_path,
  y.evidence, y.paths
FROM y
LEFT JOIN fl_gateway_endpoints ge ON ge.vpc_id = y.home_vpc AND ge.aws_service = y.away_service
LEFT JOIN fl_vpc_exits ex ON ex.vpc_id = y.home_vpc;
RESET disabled_optimizers;
DROP TABLE fl_sided;
`;


/**
 * Inside the enrichment's transaction. Appending: the facts taken back are replaced by the new ones, the new
 * sides and observers are stored, and each window table gets the difference. Else the facts and windows made
 * anew replace the stored ones, and so do the sides.
 */
export function commitSql(mode: Mode): string {
  const observers = `INSERT INTO observers SELECT obs, interface_id, obs_vpc FROM fl_observer WHERE new;`;
  if (mode === 'append') {
    return `
DELETE FROM conversation_facts WHERE rowid IN (SELECT frid FROM fl_pulled_all);
INSERT INTO conversation_facts SELECT * FROM fl_facts_new;
INSERT INTO endpoints SELECT * FROM fl_endpoints WHERE ep > (SELECT coalesce(max(ep), 0) FROM endpoints);
${observers}
${WINDOW_SIZES.map((w) => windowMergeSql(w.table, w.interval)).join('\n')}`;
  }
  return `
DELETE FROM endpoints; INSERT INTO endpoints SELECT * FROM fl_endpoints;
${observers}
${DERIVED_FACTS.map((t) => `DROP TABLE ${t}; ALTER TABLE ${t}_next RENAME TO ${t};`).join('\n')}`;
}

/**
 * Records per part (see levelOneSql): each part is one more pass over the records (0.1-0.3 s a pass per
 * 10 M records), and a smaller part needs less memory. With the 500MB budget, 2.5, 4 and 6 M a part
 * measured the same within noise at 10 M records (bench/enrich.mjs); at 30 M, one part spilled its joins to
 * disk and eight parts did not.
 */
export const RECORDS_PER_PART = 4_000_000;

/** Drops whatever an enrichment left: its temp fl_* tables and views, and <table>_next tables not swapped in. */
export async function dropWorkTables(db: Db): Promise<void> {
  await db.exec('RESET disabled_optimizers');
  const left = await db.all<{ name: string; kind: string }>(
    `SELECT table_name AS name, 'TABLE' AS kind FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'fl_')
     UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'fl_')`,
  );
  for (const t of left) await db.exec(`DROP ${t.kind} IF EXISTS temp.${t.name}`);
  await dropNextTables(db);
}
