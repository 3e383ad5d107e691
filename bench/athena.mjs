// The Athena reduction's yield (issue 14): how many rows it returns for the records it reads, and how many bytes
// come down for them, against the raw .log.gz objects. Athena is DuckDB here, running the same statement
// (src/core/aws/athena-reduction.sql) over the same records. Figures, not assertions. Build first
// (npm run build:test, output in out/), then:
//   node bench/athena.mjs [--days 7] [--scale 1] [--conversations-per-hour N] [--flows <default-format text file, e.g. bench/.data/flows-10000000-scale60.log>]
//                         [--memory 2GB] [--threads 2] [--windows 60,300,3600] [--keep (the estate and datasets, for a look)]
// 1. The sample estate (seed 42, --days, --scale): records scanned, rows returned and their ratio at 1 minute,
//    5 minutes and 1 hour; and whether the reduced rows enriched as facts give the local enrichment's windows
//    (conversations per endpoint pair and window: bytes and packets each way).
// 2. --flows (bench/enrich.mjs writes 10 M records to bench/.data): the file gzip-compressed as AWS delivers it
//    (.log.gz, level 6), against the bytes the reduction's rows take as GetQueryResults pages (JSON, what the SDK
//    downloads), as the CSV Athena writes to the output location, and as the GZIP Parquet files an UNLOAD writes
//    there (with an output location given, what Flowlens downloads).
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const require = createRequire(import.meta.url);
const out = process.env.FLOWLENS_OUT ?? 'out';
const { enrich, openDataset } = require(`../${out}/src/core/api.js`);
const { Db } = require(`../${out}/src/core/store/db.js`);
const { ingestFiles } = require(`../${out}/src/core/flowlogs/ingest.js`);
const { ingestReducedRows } = require(`../${out}/src/core/flowlogs/reduced.js`);
const { loadInventory } = require(`../${out}/src/core/inventory/load.js`);
const { rebuild } = require(`../${out}/src/core/enrich/rebuild.js`);
const { writeSampleEstate } = require(`../${out}/src/core/sample/index.js`);
const { reductionSql, REDUCED_COLUMNS } = require(`../${out}/src/core/aws/athenaReduction.js`);

const { values: opt } = parseArgs({
  options: {
    days: { type: 'string', default: '7' },
    scale: { type: 'string', default: '1' },
    'conversations-per-hour': { type: 'string' },
    flows: { type: 'string' },
    memory: { type: 'string', default: '2GB' },
    threads: { type: 'string', default: '2' },
    windows: { type: 'string', default: '60,300,3600' },
    keep: { type: 'boolean' },
  },
});
const fmt = (n) => Number(n).toLocaleString('en-US');
const { formatBytes } = require(`../${out}/src/core/format.js`);
const mib = (n) => formatBytes(n);
const load = () => loadavg()[0].toFixed(1);
const WINDOWS = opt.windows.split(',').map(Number);
/** A download against the .log.gz: how many times fewer (or more) bytes. */
const vsGz = (n, gz) => (n <= gz ? `${(gz / n).toFixed(1)}x less than the .log.gz` : `${(n / gz).toFixed(1)}x more than the .log.gz`);
const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-athena-'));

/** The reduction as the Athena source reads it: text values in REDUCED_COLUMNS order. */
async function reduce(db, table, windowSeconds, since, until) {
  const columns = (await db.all(`DESCRIBE ${table}`)).map((c) => c.column_name);
  const rows = await db.all(reductionSql({ table, since, until, windowSeconds, columns }));
  return rows.map((r) => REDUCED_COLUMNS.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
}

/** The bytes the rows take as GetQueryResults pages (1,000 rows each, the header first) and as Athena's CSV. */
function resultBytes(rows) {
  let json = 0;
  let csv = REDUCED_COLUMNS.map((c) => `"${c}"`).join(',').length + 1;
  const header = { Data: REDUCED_COLUMNS.map((c) => ({ VarCharValue: c })) };
  const meta = { ColumnInfo: REDUCED_COLUMNS.map((c) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: c, Label: c, Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true })) };
  for (let i = 0; i < rows.length + 1; i += 1000) {
    const page = (i === 0 ? [header] : []).concat(rows.slice(Math.max(0, i - 1), i + 999).map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })));
    json += JSON.stringify({ ResultSet: { Rows: page, ResultSetMetadata: meta }, NextToken: 'x'.repeat(300), UpdateCount: 0 }).length;
  }
  for (const r of rows) csv += r.map((v) => (v === null ? '' : `"${v}"`)).join(',').length + 1;
  return { json, csv };
}

/** The bytes of the reduction's rows as GZIP Parquet (an UNLOAD's files, as DuckDB writes them: Athena's may differ a little). */
async function parquetBytes(db, sql, w) {
  const file = join(dir, `unload-${w}.parquet`);
  await db.exec(`COPY (${sql}) TO '${file}' (FORMAT parquet, COMPRESSION gzip)`);
  const n = statSync(file).size;
  rmSync(file);
  return n;
}

/** The bytes of every file under the folders (the objects as AWS delivers them). */
function folderBytes(dirs) {
  const walk = (d) => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? walk(join(d, e.name)) : statSync(join(d, e.name)).size), 0);
  return dirs.reduce((n, d) => n + walk(d), 0);
}

async function windowsOf(db, table) {
  const rows = await db.all(`SELECT concat_ws('|', window_start, client_node, server_node, protocol, server_port, action) AS k,
    concat_ws(' ', sum(uploaded), sum(downloaded), sum(packets_up), sum(packets_down)) AS v FROM ${table} GROUP BY ALL`);
  return new Map(rows.map((r) => [r.k, r.v]));
}

async function sampleEstate() {
  const days = Number(opt.days);
  const start = '2026-09-01T00:00:00Z';
  const t0 = performance.now();
  const cph = opt['conversations-per-hour'] ? { conversationsPerHour: Number(opt['conversations-per-hour']) } : {};
  const m = await writeSampleEstate(join(dir, 'estate'), { seed: 42, days, start, scale: Number(opt.scale), ...cph });
  const since = new Date(start);
  const until = new Date(since.getTime() + (days + 1) * 86_400_000);
  const athena = await openDataset(':memory:', { memoryLimit: opt.memory });
  await ingestFiles(athena, m.flowLogDirs);
  await athena.exec('CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records');
  const records = Number(await athena.value(`SELECT count(*) FROM flow_records`));
  console.log(`sample estate: seed 42, ${days} days, scale ${opt.scale}${cph.conversationsPerHour ? `, ${fmt(cph.conversationsPerHour)} conversations an hour` : ''}: ${fmt(records)} records (written and loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()})`);
  const delivered = folderBytes(m.flowLogDirs);
  console.log(`  its flow-log objects as delivered (gzip text, Parquet, CloudWatch JSON): ${mib(delivered)}`);
  const local = await openDataset(join(dir, 'local.duckdb'), { memoryLimit: opt.memory });
  await enrich(local, { source: { kind: 'files', inventory: [m.inventoryDir], flowLogs: m.flowLogDirs } });
  for (const w of WINDOWS) {
    const t = performance.now();
    const rows = await reduce(athena, '"flowlogs"."vpc_flow_logs"', w, since, until);
    const s = (performance.now() - t) / 1000;
    const db = await openDataset(join(dir, `reduced-${w}.duckdb`), { memoryLimit: opt.memory });
    await loadInventory(db, [m.inventoryDir]);
    await ingestReducedRows(db, `bench@w${w}`, w, rows);
    await rebuild(db);
    const table = { 60: 'windows_1m', 300: 'windows_5m', 3600: 'windows_1h' }[w];
    const [a, b] = [await windowsOf(local, table), await windowsOf(db, table)];
    let differ = 0;
    const shown = [];
    for (const [k, v] of a) if (b.get(k) !== v && differ++ < 3) shown.push(`    ${k}: local ${v}, pushed down ${b.get(k) ?? '(none)'}`);
    for (const [k, v] of b) if (!a.has(k) && differ++ < 3) shown.push(`    ${k}: local (none), pushed down ${v}`);
    if (shown.length) console.log(shown.join('\n'));
    db.close();
    const columns = (await athena.all(`DESCRIBE "flowlogs"."vpc_flow_logs"`)).map((c) => c.column_name);
    const pq = await parquetBytes(athena, reductionSql({ table: '"flowlogs"."vpc_flow_logs"', since, until, windowSeconds: w, columns }), w);
    const { csv } = resultBytes(rows);
    console.log(`  window ${String(w).padStart(4)} s: ${fmt(rows.length)} rows for ${fmt(records)} records = ${(records / rows.length).toFixed(1)}x fewer`
      + ` (reduction ${s.toFixed(1)} s); ${table}: ${fmt(a.size)} local, ${fmt(b.size)} pushed down, ${differ} differ;`
      + ` downloaded ${mib(csv)} as the result CSV (${vsGz(csv, delivered).replace('the .log.gz', 'the objects')}), ${mib(pq)} as UNLOAD's Parquet (${vsGz(pq, delivered).replace('the .log.gz', 'the objects')})`);
  }
  local.close();
  athena.close();
}

async function gzipSize(file) {
  let n = 0;
  await new Promise((resolve, reject) => {
    createReadStream(file).pipe(createGzip({ level: 6 })).on('data', (c) => (n += c.length)).on('end', resolve).on('error', reject);
  });
  return n;
}

async function tenMillion(file) {
  const raw = statSync(file).size;
  let t = performance.now();
  const gz = await gzipSize(file);
  console.log(`\n${file}: ${mib(raw)} text, ${mib(gz)} as .log.gz (level 6, ${((performance.now() - t) / 1000).toFixed(1)} s; load ${load()})`);
  const db = await Db.open(':memory:', { memoryLimit: opt.memory, threads: Number(opt.threads) });
  await db.exec(`SET temp_directory = '${join(dir, 'spill')}'`);
  await db.exec(`CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.t AS SELECT * FROM read_csv('${file}', delim = ' ', header = true, nullstr = '-',
    columns = {'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR', 'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER',
      'dstport': 'INTEGER', 'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT', 'action': 'VARCHAR', 'log_status': 'VARCHAR'})`);
  const records = Number(await db.value(`SELECT count(*) FROM flowlogs.t`));
  const span = await db.one(`SELECT min(start) AS lo, max(start) AS hi FROM flowlogs.t`);
  const since = new Date(Number(span.lo) * 1000);
  const until = new Date((Number(span.hi) + 1) * 1000);
  const columns = (await db.all(`DESCRIBE flowlogs.t`)).map((c) => c.column_name);
  for (const w of WINDOWS) {
    t = performance.now();
    // millions of rows: measured in SQL, not held in JavaScript. CSV: each value quoted, NULL empty, commas, a
    // newline; JSON: GetQueryResults' {"Data":[{"VarCharValue":"…"},…]} per row, {} for NULL, and a page's frame
    // per 1,000 rows (as resultBytes writes them)
    const lengths = REDUCED_COLUMNS.map((c) => `coalesce(length(CAST(${c === 'end' ? '"end"' : c} AS VARCHAR)), -1)`);
    const m = await db.one(`SELECT count(*) AS n,
      sum(${lengths.map((l) => `CASE WHEN ${l} < 0 THEN 0 ELSE ${l} + 2 END`).join(' + ')} + ${REDUCED_COLUMNS.length}) AS csv,
      sum(${lengths.map((l) => `CASE WHEN ${l} < 0 THEN 2 ELSE ${l} + 18 END`).join(' + ')} + ${REDUCED_COLUMNS.length - 1} + 12) AS json
      FROM (${reductionSql({ table: 'flowlogs.t', since, until, windowSeconds: w, columns })})`);
    const s = (performance.now() - t) / 1000;
    const frame = resultBytes([]).json;
    const json = Number(m.json) + Math.ceil((Number(m.n) + 1) / 1000) * frame;
    const csv = Number(m.csv) + REDUCED_COLUMNS.join(',').length + 2 * REDUCED_COLUMNS.length + 1;
    const pq = await parquetBytes(db, reductionSql({ table: 'flowlogs.t', since, until, windowSeconds: w, columns }), w);
    console.log(`  window ${String(w).padStart(4)} s: ${fmt(m.n)} rows for ${fmt(records)} records = ${(records / Number(m.n)).toFixed(1)}x fewer (reduction ${s.toFixed(1)} s, load ${load()});`
      + ` downloaded ${mib(json)} as GetQueryResults JSON (${vsGz(json, gz)}), ${mib(csv)} as the result CSV (${vsGz(csv, gz)}), ${mib(pq)} as UNLOAD's GZIP Parquet (${vsGz(pq, gz)})`);
  }
  db.close();
}

try {
  console.log(`machine: load ${loadavg().map((x) => x.toFixed(1)).join(' ')} (1, 5, 15 min); DuckDB memory ${opt.memory}`);
  await sampleEstate();
  if (opt.flows) {
    if (!existsSync(opt.flows)) throw new Error(`no file ${opt.flows}: bench/enrich.mjs writes one (npm run bench:enrich)`);
    await tenMillion(opt.flows);
  }
} finally {
  if (opt.keep) console.log(`kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
