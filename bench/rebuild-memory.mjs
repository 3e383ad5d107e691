// Re-enrichment at the default memory budget: the estate and flow file of bench/enrich.mjs (10 M records over
// about 2,000 ENIs unless told otherwise) enriched once by the CLI, then `flowlens enrich --rebuild` (every fact
// made again from the records) run R times, one after the other, each under /usr/bin/time -v: exit status,
// whether DuckDB ran out of memory, wall time and peak RSS. Figures, not assertions.
//
//   npm run build && node bench/rebuild-memory.mjs [--records 10000000] [--scale 60] [--runs 7] [--memory 500MB (the default)]
//
// Issue 10, item 5: re-enriching a 10.5 M-record dataset at 500MB failed 4 times in 7 with out-of-memory.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    scale: { type: 'string', default: '60' },
    runs: { type: 'string', default: '7' },
    memory: { type: 'string' },
  },
});
if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build first`);
const data = join(here, '.data');
const base = join(data, `base-scale${opt.scale}.duckdb`);
const flows = join(data, `flows-${opt.records}-scale${opt.scale}.log`);
if (!existsSync(base) || !existsSync(flows)) {
  // bench/enrich.mjs makes the estate and the flow file (it needs out/: npm run build:test)
  const p = spawnSync(process.execPath, [join(here, 'enrich.mjs'), '--phase', 'prepare', '--records', opt.records, '--scale', opt.scale], { stdio: 'inherit' });
  if (p.status !== 0) process.exit(1);
}
const db = join(data, 'rebuild.duckdb');

/** One CLI run under /usr/bin/time -v: exit status, seconds, peak RSS in MiB, an out-of-memory error if any, what it said last. */
function cliRun(...args) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...args, '--db', db, ...(opt.memory ? ['--memory', opt.memory] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t) / 1000;
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  const oom = /Out of Memory Error/i.test(r.stdout + r.stderr);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const error = r.stderr.split('\n').find((l) => l.startsWith('flowlens: ')) ?? '';
  return { status: r.status, seconds, peak, oom, last, error };
}

const show = (label, r) =>
  console.log(`${label}: exit ${r.status}${r.oom ? ' OUT OF MEMORY' : ''}, ${r.seconds.toFixed(1)} s, peak RSS ${r.peak.toFixed(0)} MiB` +
    `${r.status ? `\n  ${r.error || r.last}` : `  (${r.last.replace(/^.*?: /, '')})`}`);

console.log(`bench/rebuild-memory: ${Number(opt.records).toLocaleString('en-US')} records, scale ${opt.scale}, memory ${opt.memory ?? 'the default'}`);
for (const f of [db, db + '.wal']) rmSync(f, { force: true });
copyFileSync(base, db);
show('enrich', cliRun('enrich', '--flow-logs', flows, '--quiet'));
const runs = [];
for (let i = 1; i <= Number(opt.runs); i++) {
  const r = cliRun('enrich', '--flow-logs', flows, '--rebuild', '--quiet');
  show(`rebuild ${i}`, r);
  runs.push(r);
}
const ok = runs.filter((r) => r.status === 0);
console.log(`${ok.length}/${runs.length} succeeded, ${runs.filter((r) => r.oom).length} out of memory; ` +
  (ok.length ? `peak RSS max ${Math.max(...ok.map((r) => r.peak)).toFixed(0)} MiB, time ${Math.min(...ok.map((r) => r.seconds)).toFixed(1)}-${Math.max(...ok.map((r) => r.seconds)).toFixed(1)} s` : ''));
for (const f of [db, db + '.wal']) rmSync(f, { force: true });
