// Enrichment of many small gzip files: what a user with an S3 flow-log delivery synced to disk meets (bench/enrich.mjs
// reads one 1.1 GB file, which is staged; small local files are held in memory as parsed instead). The bench's N records
// are split into files of --per records (gzip, no header: AWS's default format), written once under bench/.data, and
// one enrich() of the folder is timed in its own process: ingest, enrichment, total, records/s and peak RSS.
// Figures, not assertions.
//
//   node bench/enrich-files.mjs [--records 10000000] [--per 10000] [--scale 60] [--memory 500MB] [--threads 2]
//
// Needs the compiled engine (npm run build:test) and bench/enrich.mjs's data (run it once first).
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'out', 'src', 'core');
const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    per: { type: 'string', default: '10000' },
    scale: { type: 'string', default: '60' },
    memory: { type: 'string', default: '500MB' },
    threads: { type: 'string', default: '2' },
    run: { type: 'boolean' },
  },
});
const N = Number(opt.records);
const per = Number(opt.per);
const data = join(here, '.data');
const base = join(data, `base-scale${opt.scale}.duckdb`);
const flows = join(data, `flows-${N}-scale${opt.scale}.log`);
const folder = join(data, `files-${N}-scale${opt.scale}-per${per}`);

/** The bench's records in files of `per` records each, gzip, without the header line. */
async function split() {
  const tmp = `${folder}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let lines = [];
  let n = 0;
  const flush = () => {
    if (lines.length === 0) return;
    writeFileSync(join(tmp, `part-${String(n++).padStart(5, '0')}.log.gz`), gzipSync(lines.join('\n') + '\n', { level: 1 }));
    lines = [];
  };
  let first = true;
  for await (const line of createInterface({ input: createReadStream(flows), crlfDelay: Infinity })) {
    if (first && line.startsWith('version ')) {
      first = false;
      continue;
    }
    first = false;
    lines.push(line);
    if (lines.length === per) flush();
  }
  flush();
  renameSync(tmp, folder);
  return n;
}

async function run() {
  const { enrich, openDataset } = await import(join(out, 'api.js'));
  const work = join(data, 'work-files.duckdb');
  rmSync(work, { force: true });
  rmSync(work + '.wal', { force: true });
  copyFileSync(base, work);
  const spill = join(data, 'spill');
  mkdirSync(spill, { recursive: true });
  const db = await openDataset(work, { threads: Number(opt.threads), memoryLimit: opt.memory, tempDirectory: spill });
  const t0 = performance.now();
  let t1 = 0;
  const s = await enrich(db, { source: { kind: 'files', flowLogs: [folder] }, onProgress: (p) => { if (p.phase === 'enrich' && !t1) t1 = performance.now(); } });
  const t2 = performance.now();
  db.close();
  rmSync(work, { force: true });
  console.log(JSON.stringify({ files: s.files.length, records: s.records, conversations: s.conversations, ingestSeconds: (t1 - t0) / 1000,
    rebuildSeconds: (t2 - t1) / 1000, seconds: (t2 - t0) / 1000, rssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

if (opt.run) await run();
else {
  if (!existsSync(flows) || !existsSync(base)) throw new Error(`no ${flows} or ${base}: run node bench/enrich.mjs --records ${N} --scale ${opt.scale} first`);
  if (!existsSync(folder)) {
    const t = performance.now();
    const files = await split();
    console.log(`wrote ${files.toLocaleString('en-US')} gzip files of ${per.toLocaleString('en-US')} records to ${folder} (${((performance.now() - t) / 1000).toFixed(1)} s, once)`);
  }
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--run', '--records', String(N), '--per', String(per), '--scale', opt.scale,
    '--memory', opt.memory, '--threads', opt.threads], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`the enrichment failed: ${r.stderr || r.stdout}`);
  const f = JSON.parse(r.stdout.trim().split('\n').at(-1));
  console.log(`bench/enrich-files: ${f.records.toLocaleString('en-US')} records in ${f.files.toLocaleString('en-US')} gzip files, DuckDB memory_limit ${opt.memory}, threads ${opt.threads}`);
  console.log(`enrich  ${f.seconds.toFixed(2)} s  = ingest ${f.ingestSeconds.toFixed(2)} s + conversations/windows ${f.rebuildSeconds.toFixed(2)} s`);
  console.log(`        ${Math.round(f.records / f.seconds).toLocaleString('en-US')} records/s, ${f.conversations.toLocaleString('en-US')} conversations, peak RSS ${f.rssMiB} MiB`);
}
