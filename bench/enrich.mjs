// Enrichment throughput: N default-format flow records over a sample estate with thousands of ENIs.
// In one run it times DuckDB's bare read_csv count of the file and the full enrichment of the same
// file (ingest + conversations + windows), each in its own process so peak RSS is its own, and prints
// records/s, the ratio enrich/scan and peak RSS. Then, on that dataset: a refresh with nothing new, adding
// N/100 new records (spread over the same day, so every window is touched), the re-attribution after an
// inventory change, every template's query, and N/100 more in the hour after the last (a follower's append).
// Figures, not assertions.
//
//   npm run bench:enrich -- [--records 10000000] [--scale 60 (about 2,000 ENIs)] [--memory 500MB (the product's default)]
//                           [--threads 2] [--keep-records (store the raw records too)]
//
// Needs the compiled engine (npm run bench:enrich builds it into out/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'out', 'src', 'core');
const { values: opt } = parseArgs({
  allowNegative: true,
  options: {
    records: { type: 'string', default: '10000000' },
    scale: { type: 'string', default: '60' },
    memory: { type: 'string' },
    threads: { type: 'string', default: '2' },
    phase: { type: 'string' },
    keep: { type: 'boolean' },
    'keep-records': { type: 'boolean' },
  },
});
const N = Number(opt.records);
// DuckDB's memory budget: the product's default unless --memory says otherwise
opt.memory ??= (await import(join(out, 'api.js'))).DEFAULT_MEMORY_LIMIT;
const data = join(here, '.data');
const base = join(data, `base-scale${opt.scale}.duckdb`);
const flows = join(data, `flows-${N}-scale${opt.scale}.log`);
const ADD = Math.ceil(N / 100);
const added = join(data, `flows-${N}-scale${opt.scale}-add${ADD}.log`);
const later = join(data, `flows-${N}-scale${opt.scale}-next-hour${ADD}.log`);

async function load(mod) {
  return import(join(out, mod));
}

function rssMiB() {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

async function prepare() {
  const { writeSampleEstate } = await load('sample/index.js');
  const { enrich, openDataset } = await load('api.js');
  const { Db } = await load('store/db.js');
  const { installMacros } = await load('enrich/macros.js');
  mkdirSync(data, { recursive: true });
  if (!existsSync(base)) {
    const estate = join(data, `estate-scale${opt.scale}`);
    rmSync(estate, { recursive: true, force: true });
    const t0 = performance.now();
    await writeSampleEstate(estate, { seed: 7, days: 1, scale: Number(opt.scale) });
    const db = await openDataset(base);
    await enrich(db, { source: { kind: 'files', flowLogs: [], inventory: [join(estate, 'inventory')] } });
    db.close();
    console.log(`estate: scale ${opt.scale} written and loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const db = await Db.open(base);
  await installMacros(db);
  const enis = Number(await db.value(`SELECT count(DISTINCT eni_id) FROM inv_addresses WHERE addr_kind = 'primary' AND family = 4`));
  // Each conversation: the client's ENI logs both directions; about half the server's ENI too (2.45
  // records a conversation on average; the file is cut at its count of records).
  // Clients and servers are drawn from ENIs of one VPC; one conversation in ten goes to S3.
  await db.exec(`
    CREATE OR REPLACE TEMP TABLE e AS
    SELECT row_number() OVER (PARTITION BY vpc_id ORDER BY eni_id) - 1 AS i, count(*) OVER (PARTITION BY vpc_id) AS n,
           dense_rank() OVER (ORDER BY vpc_id) - 1 AS v, addr, eni_id, vpc_id
    FROM (SELECT DISTINCT ON (eni_id) eni_id, addr, vpc_id FROM inv_addresses
          WHERE addr_kind = 'primary' AND family = 4 AND valid_to > TIMESTAMP '2030-01-01' ORDER BY eni_id);
    CREATE OR REPLACE TEMP TABLE ev AS SELECT v, any_value(n) AS n FROM e GROUP BY v;`);
  // (records from `start`, epoch seconds, spread over `span` seconds by minute)
  const generate = async (file, first, count, start = 1790000000, span = 86400) => {
    const t0 = performance.now();
    await db.exec(`
      COPY (
        WITH k AS (
          SELECT k, hash(k) AS h, ${start} + (k * 7 % ${span}) // 60 * 60 AS t FROM range(${first}, ${first + Math.ceil(count / 2.4)}) r(k)
        ), pairs AS (
          SELECT k.k, k.t, c.addr AS ca, c.eni_id AS ce, s.addr AS sa, s.eni_id AS se,
                 32768 + (k.h % 28000)::INTEGER AS cport,
                 [443, 5432, 6379, 8080, 3306][1 + (k.h // 7 % 5)::INTEGER] AS sport,
                 (k.h % 10 = 0) AS to_s3, (k.h // 3 % 2 = 0) AS both_ends,
                 100 + (k.h // 11 % 100000)::BIGINT AS up, 100 + (k.h // 13 % 1000000)::BIGINT AS down
          FROM k
          JOIN ev ON ev.v = (k.h // 17 % (SELECT count(*) FROM ev))::BIGINT
          JOIN e c ON c.v = ev.v AND c.i = (k.h // 19 % ev.n)::BIGINT
          JOIN e s ON s.v = ev.v AND s.i = (k.h // 23 % ev.n)::BIGINT
        ), recs AS (
          SELECT t, ce AS eni, ca AS src, cport AS sp, CASE WHEN to_s3 THEN '52.216.' || (k % 250) || '.' || (k % 200 + 1) ELSE sa END AS dst, sport AS dp, up AS bytes FROM pairs
          UNION ALL
          SELECT t, ce, CASE WHEN to_s3 THEN '52.216.' || (k % 250) || '.' || (k % 200 + 1) ELSE sa END, sport, ca, cport, down FROM pairs
          UNION ALL
          SELECT t, se, ca, cport, sa, sport, up FROM pairs WHERE both_ends AND NOT to_s3
        )
        SELECT 2 AS "version", '111111111111' AS "account-id", eni AS "interface-id", src AS "srcaddr", dst AS "dstaddr",
               sp AS "srcport", dp AS "dstport", 6 AS "protocol", bytes // 500 + 1 AS "packets", bytes AS "bytes",
               t AS "start", t + 59 AS "end", 'ACCEPT' AS "action", 'OK' AS "log-status"
        FROM recs LIMIT ${count}
      ) TO '${file}' (FORMAT csv, DELIMITER ' ', HEADER true, QUOTE '')`);
    console.log(`flows: ${count.toLocaleString('en-US')} records, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  if (!existsSync(flows)) await generate(flows, 0, N);
  // new conversations (their k follow the file's), over the same day
  if (!existsSync(added)) await generate(added, Math.ceil(N / 2.4), ADD);
  // new conversations in the hour after that day (as a follower appends them)
  if (!existsSync(later)) await generate(later, Math.ceil(N / 2.4) + ADD, ADD, 1790000000 + 86400, 3600);
  db.close();
  console.log(`estate: ${enis.toLocaleString('en-US')} ENIs`);
}

async function scan() {
  const { Db } = await load('store/db.js');
  const db = await Db.open(':memory:', { threads: Number(opt.threads), memoryLimit: opt.memory });
  const t0 = performance.now();
  const n = Number(await db.value(`SELECT count(*) FROM read_csv('${flows}', delim = ' ', header = true, nullstr = '-')`));
  const s = (performance.now() - t0) / 1000;
  db.close();
  console.log(JSON.stringify({ phase: 'scan', records: n, seconds: s, rssMiB: rssMiB() }));
}

async function enrichPhase() {
  const { enrich, openDataset } = await load('api.js');
  const { setKeepRecords } = await load('store/records.js');
  const { bindTemplate, listTemplates } = await load('templates/index.js');
  const work = join(data, 'work.duckdb');
  rmSync(work, { force: true });
  rmSync(work + '.wal', { force: true });
  copyFileSync(base, work);
  const tmp = join(data, 'spill');
  mkdirSync(tmp, { recursive: true });
  const db = await openDataset(work, { threads: Number(opt.threads), memoryLimit: opt.memory, tempDirectory: tmp });
  if (opt['keep-records'] !== undefined) await setKeepRecords(db, opt['keep-records']);
  const secs = (t) => (performance.now() - t) / 1000;
  const t0 = performance.now();
  let t1 = 0; // the ingest ends where the rebuild begins
  const summary = await enrich(db, { source: { kind: 'files', flowLogs: [flows] }, onProgress: (p) => { if (p.phase === 'enrich' && !t1) t1 = performance.now(); } });
  const t2 = performance.now();
  const [report] = summary.files;
  const conversations = summary.conversations;
  const windows = Number(await db.value('SELECT count(*) FROM windows_1h'));
  const unknown = Number(await db.value(`SELECT count(*) FROM conversations WHERE client_type = 'unknown' OR server_type = 'unknown'`));
  const rssFull = rssMiB();
  const nothing = { kind: 'files', flowLogs: [] };
  // a refresh with nothing new
  let t = performance.now();
  await enrich(db, { source: nothing });
  const nothingSeconds = secs(t);
  // 1 % more records
  t = performance.now();
  let addIngest = 0;
  const addSummary = await enrich(db, { source: { kind: 'files', flowLogs: [added] }, onProgress: (p) => { if (p.phase === 'enrich' && !addIngest) addIngest = secs(t); } });
  const [more] = addSummary.files;
  const afterAdd = addSummary.conversations;
  const addSeconds = secs(t);
  // an inventory change (one address's holder known from an hour after the first flow, no longer since before
  // them): the facts it covers attributed again (01:00 of the first day, as it was, is before the first flow at
  // 14:13: it covered no fact)
  await db.exec(`UPDATE inv_addresses SET valid_from = (SELECT min(window_start) + INTERVAL 1 hour FROM conversation_facts)
    WHERE rowid = (SELECT min(rowid) FROM inv_addresses WHERE addr_kind = 'primary')`);
  t = performance.now();
  await enrich(db, { source: nothing });
  const reattributeSeconds = secs(t);
  const templates = [];
  for (const tpl of listTemplates()) {
    const { sql, params } = bindTemplate(tpl);
    t = performance.now();
    const rows = (await db.all(sql, params)).length;
    templates.push({ id: tpl.id, seconds: secs(t), rows });
  }
  // 1 % more in the hour after the last (what a follower appends: no stored minute changes)
  t = performance.now();
  await enrich(db, { source: { kind: 'files', flowLogs: [later] } });
  const laterSeconds = secs(t);
  db.close();
  if (!opt.keep) rmSync(work, { force: true });
  console.log(JSON.stringify({ phase: 'enrich', records: report.records, status: report.status, ingestSeconds: (t1 - t0) / 1000,
    rebuildSeconds: (t2 - t1) / 1000, seconds: (t2 - t0) / 1000, conversations, windows1h: windows, unresolved: unknown, rssMiB: rssFull,
    nothingSeconds, added: more.records, addIngest, addSeconds, afterAdd, reattributeSeconds, templates, laterSeconds, rssAfterMiB: rssMiB() }));
}

function child(phase) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', phase,
    '--records', String(N), '--scale', opt.scale, '--memory', opt.memory, '--threads', opt.threads,
    ...(opt['keep-records'] === undefined ? [] : [opt['keep-records'] ? '--keep-records' : '--no-keep-records']), ...(opt.keep ? ['--keep'] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${phase} failed: ${r.stderr || r.stdout}`);
  process.stdout.write(r.stdout.split('\n').filter((l) => !l.startsWith('{')).map((l) => l && l + '\n').join(''));
  process.stdout.write(r.stderr.split('\n').filter((l) => l.startsWith('flowlens: ')).map((l) => `  ${l}\n`).join(''));
  return JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{')));
}

if (opt.phase === 'prepare') await prepare();
else if (opt.phase === 'scan') await scan();
else if (opt.phase === 'enrich') await enrichPhase();
else {
  console.log(`bench/enrich: ${N.toLocaleString('en-US')} records, sample scale ${opt.scale}, DuckDB memory_limit ${opt.memory}, threads ${opt.threads}`);
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', 'prepare', '--records', String(N), '--scale', opt.scale], { stdio: 'inherit' });
  if (p.status !== 0) process.exit(1);
  const s = child('scan');
  const e = child('enrich');
  const f = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  console.log(`scan    ${f(s.seconds)} s  (${f(s.records / s.seconds)} records/s)  peak RSS ${s.rssMiB} MiB`);
  console.log(`enrich  ${f(e.seconds)} s  = ingest ${f(e.ingestSeconds)} s + conversations/windows ${f(e.rebuildSeconds)} s`);
  console.log(`        ${f(e.records / e.seconds)} records/s, ${f(e.conversations)} conversations, ${f(e.windows1h)} hourly window rows, ${f(e.unresolved)} with an unresolved side`);
  console.log(`ratio enrich/scan ${f(e.seconds / s.seconds)}   peak RSS ${e.rssMiB} MiB`);
  console.log(`refresh, nothing new  ${f(e.nothingSeconds)} s`);
  console.log(`add ${f(e.added)} records (1 %)  ${f(e.addSeconds)} s (ingest ${f(e.addIngest)} s) = ${f((100 * e.addSeconds) / e.seconds)} % of the full enrichment; ${f(e.afterAdd)} conversations`);
  console.log(`re-attribution after an inventory change  ${f(e.reattributeSeconds)} s = ${f((100 * e.reattributeSeconds) / e.seconds)} % of the full enrichment`);
  console.log(`add ${f(e.added)} records in the hour after the last (as a follower does)  ${f(e.laterSeconds)} s = ${f((100 * e.laterSeconds) / e.seconds)} % of the full enrichment`);
  console.log(`templates: ${e.templates.map((x) => `${x.id} ${f(x.seconds)} s`).join(', ')}`);
  console.log(`peak RSS over all of it ${e.rssAfterMiB} MiB`);
}
