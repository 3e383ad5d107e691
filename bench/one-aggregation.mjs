// Issue 9's other design, measured beside today's: the per-observer sums, orientation and observer choice (steps 1,
// 3 and 4 of conversations.ts, the engine's own SQL) against ONE aggregation per canonical 5-tuple and minute with
// the observers' figures side by side by role (the observer holds a, holds b, another, a NAT gateway), then the
// orientation over its rows and a projection that takes the client's side's figures. Over the same held records and
// the same numbering tables, part by part. A measurement, not the design: one observer per role is assumed (several
// would need a fallback), and the projection keeps only what the comparison needs. Figures, not assertions.
//   npm run build:test; node bench/one-aggregation.mjs [flows file, default bench/.data/flows-10000000-scale60.log]
//        [parts, default 3] [both | today | one] [--no-ownership: the role by the observer's primary address alone]
// The flows file and the estate are bench/enrich.mjs's (run it first).
import { join } from 'node:path';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
const here = new URL('.', import.meta.url).pathname;
const out = join(here, '..', 'out', 'src', 'core');
const { Db } = await import(join(out, 'store/db.js'));
const { installMacros } = await import(join(out, 'enrich/macros.js'));
const { ingestFiles } = await import(join(out, 'flowlogs/ingest.js'));
const { pendingRecords } = await import(join(out, 'store/records.js'));
const { pendingReduced } = await import(join(out, 'enrich/reduced.js'));
import { createRequire } from 'node:module';
const C = createRequire(import.meta.url)(join(out, 'enrich/conversations.js'));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const noOwnership = process.argv.includes('--no-ownership');
const file = args[0] ?? join(here, '.data', 'flows-10000000-scale60.log'), parts = Number(args[1] ?? 3), which = args[2] ?? 'both';
const work = mkdtempSync(join(tmpdir(), 'flowlens-one-aggregation-'));
copyFileSync(join(here, '.data', 'base-scale60.duckdb'), join(work, 'd.duckdb'));
const db = await Db.open(join(work, 'd.duckdb'), { memoryLimit: '500MB', threads: 2, tempDirectory: join(work, 'spill') });
await installMacros(db);
let t = performance.now();
await ingestFiles(db, [file], { hold: true });
console.log('ingest', ((performance.now() - t) / 1000).toFixed(2));
const p = await pendingRecords(db, -1);
await db.exec(`CREATE OR REPLACE TEMP VIEW fl_pending AS ${p.sql}`);
await pendingReduced(db, -1);
await db.exec(C.PREPARE_SQL);
await db.exec(C.runSql('fresh'));
const time = async (label, sql) => { const t = performance.now(); await db.exec(sql); const s = (performance.now() - t) / 1000; console.log(label, s.toFixed(2)); return s; };
const ONE = `
CREATE OR REPLACE TEMP TABLE op AS
WITH r AS (
  SELECT o.obs, e.ord, o.kind = 'natgateway' AS nat, sa.id AS src, r.srcport AS sport, da.id AS dst, r.dstport AS dport,
         r.protocol AS proto, r.bytes, r.packets, r.start, r."end", r.action, r.tcp_flags, r.traffic_path,
         ${noOwnership ? 'sa.id = o.primary_id AS has_src, da.id = o.primary_id AS has_dst' : 'ha.obs IS NOT NULL AS has_src, hb.obs IS NOT NULL AS has_dst'},
         coalesce(o.kind = 'natgateway' AND (sa.id = o.primary_id OR da.id = o.primary_id), false) AS nat_outside
  FROM fl_pending r
  JOIN fl_obs_eni o ON o.interface_id IS NOT DISTINCT FROM r.interface_id AND o.rec_vpc IS NOT DISTINCT FROM r.vpc_id
  JOIN fl_observer e ON e.obs = o.obs
  JOIN fl_addr sa ON sa.addr = coalesce(r.pkt_srcaddr, r.srcaddr)
  JOIN fl_addr da ON da.addr = coalesce(r.pkt_dstaddr, r.dstaddr)
  ${noOwnership ? '' : `LEFT JOIN fl_obs_addr ha ON ha.obs = o.obs AND ha.addr = sa.id
  LEFT JOIN fl_obs_addr hb ON hb.obs = o.obs AND hb.addr = da.id`}
  WHERE coalesce(r.log_status, 'OK') = 'OK' AND r.srcaddr IS NOT NULL AND r.dstaddr IS NOT NULL AND r.start IS NOT NULL
    AND fl_in_part(coalesce(r.pkt_srcaddr, r.srcaddr), coalesce(r.pkt_dstaddr, r.dstaddr))
), f AS (
  SELECT r.*, (src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0))) AS fwd FROM r WHERE NOT nat_outside
), g AS (
  -- role: 1 the observer holds a, 2 holds b, 3 another, 4 a NAT gateway
  SELECT f.*, CASE WHEN nat THEN 4 WHEN CASE WHEN fwd THEN has_src ELSE has_dst END THEN 1
                   WHEN CASE WHEN fwd THEN has_dst ELSE has_src END THEN 2 ELSE 3 END AS role FROM f
)
SELECT proto, CASE WHEN fwd THEN src ELSE dst END AS a_addr, CASE WHEN fwd THEN sport ELSE dport END AS a_port,
       CASE WHEN fwd THEN dst ELSE src END AS b_addr, CASE WHEN fwd THEN dport ELSE sport END AS b_port, start // 60 * 60 AS minute,
       min(ord) FILTER (WHERE role = 1) AS o1, min(ord) FILTER (WHERE role = 2) AS o2, min(ord) FILTER (WHERE role = 3) AS o3, min(ord) FILTER (WHERE role = 4) AS o4,
       max(ord) FILTER (WHERE role = 1) AS x1, max(ord) FILTER (WHERE role = 2) AS x2,
       sum(bytes) FILTER (WHERE role = 1 AND fwd) AS b1ab, sum(bytes) FILTER (WHERE role = 1 AND NOT fwd) AS b1ba,
       sum(bytes) FILTER (WHERE role = 2 AND fwd) AS b2ab, sum(bytes) FILTER (WHERE role = 2 AND NOT fwd) AS b2ba,
       sum(bytes) FILTER (WHERE role = 3 AND fwd) AS b3ab, sum(bytes) FILTER (WHERE role = 3 AND NOT fwd) AS b3ba,
       sum(packets) FILTER (WHERE role = 1 AND fwd) AS p1ab, sum(packets) FILTER (WHERE role = 1 AND NOT fwd) AS p1ba,
       sum(packets) FILTER (WHERE role = 2 AND fwd) AS p2ab, sum(packets) FILTER (WHERE role = 2 AND NOT fwd) AS p2ba,
       sum(packets) FILTER (WHERE role = 3 AND fwd) AS p3ab, sum(packets) FILTER (WHERE role = 3 AND NOT fwd) AS p3ba,
       count(*) FILTER (WHERE role = 1) AS r1, count(*) FILTER (WHERE role = 2) AS r2, count(*) FILTER (WHERE role = 3) AS r3,
       min(start) AS start, max("end") AS "end", bool_or(action = 'REJECT') AS rejected,
       bit_or(CASE WHEN traffic_path BETWEEN 0 AND 15 THEN (1 << (traffic_path + CASE WHEN fwd THEN 0 ELSE 16 END)) END)::UINTEGER AS paths,
       bit_or(CASE tcp_flags & 18 WHEN 2 THEN CASE WHEN fwd THEN 1 ELSE 2 END WHEN 18 THEN CASE WHEN fwd THEN 4 ELSE 8 END ELSE 0 END)::UTINYINT AS evidence,
       arg_min(fwd, start) AS first_fwd
FROM g GROUP BY ALL;
-- orientation per 5-tuple over the (fewer) conversation-minutes, then the projection picks the client's role
CREATE OR REPLACE TEMP TABLE op_orient AS
SELECT proto, a_addr, a_port, b_addr, b_port, bit_or(evidence) AS e, arg_min(first_fwd, start) AS first_from_a FROM op GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE op_conv AS
SELECT c.proto, c.minute, c.start, c."end", c.rejected,
       CASE WHEN cl THEN c.a_addr ELSE c.b_addr END AS client_addr, CASE WHEN cl THEN c.b_addr ELSE c.a_addr END AS server_addr,
       CASE WHEN (cl AND c.r1 > 0) OR (NOT cl AND c.r2 > 0) THEN 0 WHEN c.r1 + c.r2 > 0 THEN 1 WHEN c.r3 > 0 THEN 2 ELSE 3 END AS side,
       CASE WHEN cl THEN coalesce(c.b1ab, c.b2ab, c.b3ab) ELSE coalesce(c.b2ba, c.b1ba, c.b3ba) END AS uploaded,
       CASE WHEN cl THEN coalesce(c.b1ba, c.b2ba, c.b3ba) ELSE coalesce(c.b2ab, c.b1ab, c.b3ab) END AS downloaded
FROM (SELECT op.*, CASE WHEN o.e & 1 <> 0 THEN true WHEN o.e & 2 <> 0 THEN false WHEN o.e & 4 <> 0 THEN false WHEN o.e & 8 <> 0 THEN true
       WHEN fl_port_rank(op.a_port) <> fl_port_rank(op.b_port) THEN fl_port_rank(op.a_port) > fl_port_rank(op.b_port)
       WHEN op.a_port <> op.b_port THEN op.a_port > op.b_port ELSE o.first_from_a END AS cl
      FROM op JOIN op_orient o USING (proto, a_addr, a_port, b_addr, b_port)) c;
DROP TABLE op; DROP TABLE op_orient;`;
let today = 0, one = 0, rows = [0, 0];
for (let part = 0; part < parts; part++) {
  await db.exec(C.partSql(part, parts));
  if (which !== 'one') {
    today += await time(`today part ${part + 1}: per-observer sums`, C.LEVEL_ONE_SQL);
    today += await time(`today part ${part + 1}: orientation and observer`, C.LEVEL_TWO_SQL);
    rows[0] += Number(await db.value('SELECT count(*) FROM fl_conv'));
  }
  if (which !== 'today') {
    one += await time(`one aggregation part ${part + 1}`, ONE);
    rows[1] += Number(await db.value('SELECT count(*) FROM op_conv'));
  }
}
console.log(`today ${today.toFixed(2)} s -> ${rows[0]} conversation-minutes; one aggregation ${one.toFixed(2)} s -> ${rows[1]}`);
db.close();
rmSync(work, { recursive: true, force: true });
