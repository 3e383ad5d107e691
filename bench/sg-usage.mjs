// Security-group rule usage over the 10 M-record bench dataset (issue 15: every rule's usage in <= 2 s): the
// dataset bench/enrich.mjs makes (`npm run bench:enrich -- --keep` leaves it as bench/.data/work.duckdb), copied;
// when it holds no security-group rules (a base made before Flowlens read them), the estate's inventory is loaded
// into the copy again. Then the templates sg-rule-usage, sg-unused-rules and sg-would-have-allowed, each run R times on a read-only
// open as `flowlens query` does, each in a process of its own: wall and CPU seconds (DuckDB's threads are in the
// process), and how many conversation-minutes, distinct units, keys (fl_sg_key_matches) and rule matches there are. Figures, not
// assertions; on a shared machine read the CPU seconds.
//
//   npm run build:test && node bench/sg-usage.mjs [--db bench/.data/work.duckdb] [--runs 3] [--threads 2] [--memory 500MB]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'out', 'src', 'core');
const data = join(here, '.data');
const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: join(data, 'work.duckdb') },
    scale: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    memory: { type: 'string', default: '500MB' },
    phase: { type: 'string' },
    template: { type: 'string' },
  },
});
const copy = join(data, 'sg-usage.duckdb');
const load = (mod) => import(join(out, mod));

async function prepare() {
  const { enrich, openDataset } = await load('api.js');
  rmSync(copy, { force: true });
  rmSync(copy + '.wal', { force: true });
  copyFileSync(opt.db, copy);
  const db = await openDataset(copy, { threads: Number(opt.threads), memoryLimit: opt.memory }); // installs the views
  if (Number(await db.value('SELECT count(*) FROM inv_sg_rules')) === 0) {
    const inventory = join(data, `estate-scale${opt.scale}`, 'inventory');
    await enrich(db, { source: { kind: 'files', flowLogs: [], inventory: [inventory] } });
    console.log(`the dataset had no security-group rules: ${inventory} loaded again`);
  }
  const n = async (sql) => Number(await db.value(sql));
  console.log(JSON.stringify({
    rules: await n('SELECT count(*) FROM inv_sg_rules'),
    conversationMinutes: await n('SELECT count(*) FROM conversation_facts WHERE NOT rejected'),
    units: await n(`SELECT count(*) FROM fl_sg_units(TIMESTAMP '-infinity', TIMESTAMP 'infinity')`),
    keys: await n(`SELECT count(DISTINCT (key, egress)) FROM fl_sg_key_matches(TIMESTAMP '-infinity', TIMESTAMP 'infinity')`),
    matches: await n('SELECT count(*) FROM sg_rule_matches'),
    coverage: await n('SELECT count(*) FROM eni_coverage'),
    rejected: await n('SELECT count(*) FROM conversation_facts WHERE rejected'),
  }));
  db.close();
}

async function time() {
  const { openDataset } = await load('api.js');
  const { bindTemplate, findTemplate } = await load('templates/index.js');
  const db = await openDataset(copy, { readOnly: true, threads: Number(opt.threads), memoryLimit: opt.memory });
  const { sql, params } = bindTemplate(findTemplate(opt.template), {});
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = (await db.all(sql, params)).length;
  const c = process.cpuUsage(c0);
  db.close();
  console.log(JSON.stringify({ rows, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }));
}

function child(...args) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args, '--db', opt.db, '--scale', opt.scale,
    '--threads', opt.threads, '--memory', opt.memory], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  process.stdout.write(r.stdout.split('\n').filter((l) => l && !l.startsWith('{')).map((l) => l + '\n').join(''));
  return JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{')));
}

if (opt.phase === 'prepare') await prepare();
else if (opt.phase === 'time') await time();
else {
  if (!existsSync(opt.db)) throw new Error(`${opt.db} is missing: npm run bench:enrich -- --keep makes it`);
  const loadavg = (await import('node:os')).loadavg()[0].toFixed(1);
  console.log(`bench/sg-usage: ${opt.db}, threads ${opt.threads}, DuckDB memory_limit ${opt.memory}, load average ${loadavg}`);
  const p = child('--phase', 'prepare');
  const f = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  console.log(`${f(p.rules)} rules, ${f(p.conversationMinutes)} accepted conversation-minutes matched as ${f(p.units)} units (${f(p.keys)} keys a rule matched): ${f(p.matches)} rule matches; `
    + `${f(p.coverage)} spans of logging coverage; ${f(p.rejected)} rejected conversation-minutes`);
  for (const template of ['sg-rule-usage', 'sg-unused-rules', 'sg-would-have-allowed']) {
    const runs = Array.from({ length: Number(opt.runs) }, () => child('--phase', 'time', '--template', template));
    console.log(`${template}: ${runs[0].rows} rows; CPU ${runs.map((r) => f(r.cpu)).join(' / ')} s, wall ${runs.map((r) => f(r.wall)).join(' / ')} s`);
  }
  console.log(`load average at the end ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
  rmSync(copy, { force: true });
}
