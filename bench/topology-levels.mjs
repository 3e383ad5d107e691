// The map's graph query per level on the sample estate, as the extension runs it: topologyGraph through the
// extension's DuckDB child process (WorkerClient + duckdbWorker, a connection per statement, the data range beside
// the rest), no webview. Prints per level the median wall time of the whole graph, the DuckDB process's CPU time,
// and each statement's wall time (the statements that run beside each other overlap), so a slow level says where
// its time goes. bench/topology-interactions.mjs measures the same change from the input to the drawn frame.
//   node bench/topology-levels.mjs [--repeat 5] [--levels app,security-group]
// Target (issue 12 item 6): a level change <= 300 ms.
import { readFileSync } from 'node:fs';
import { cpus as cores, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare, sampleDataset } from './topology-interactions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const repeat = Number(arg('repeat', 5));
const require = prepare();
const dataset = await sampleDataset(require);
const { WorkerClient } = require('./src/host/workerClient.js');
const { queryRowsVia } = require('./src/host/queryRows.js');
const { topologyGraph } = require('./src/core/topology/graph.js');
const { defaultQuery, LEVELS } = require('./src/protocol/topology.js');
const levels = arg('levels', LEVELS.join(',')).split(',');

const worker = new WorkerClient({ workerPath: join(root, 'out-bench/src/host/duckdbWorker.js') });
const cpu = () => {
  const f = readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  await worker.request('open', { path: dataset });
  const run = queryRowsVia((sql, params, rowCap, signal) => worker.request('query', { sql, params, rowCap }, { signal }));
  let statements = [];
  // each statement named by its first words after the CTE names (what it computes), timed from call to rows
  const query = async (sql, params, signal) => {
    const t = performance.now();
    const rows = await run(sql, params, signal);
    statements.push({ name: sql.replace(/\s+/g, ' ').slice(0, 60), ms: performance.now() - t, rows: rows.length });
    return rows;
  };
  // once before timing: the first statement of a process reads the catalogue and warms its caches
  await topologyGraph(query, { ...defaultQuery(), level: 'app' });
  const wall = {};
  const cpus = {};
  const steps = {};
  let sizes = {};
  for (let i = 0; i < repeat; i++) {
    for (const level of levels) {
      statements = [];
      const c0 = cpu();
      const t0 = performance.now();
      const g = await topologyGraph(query, { ...defaultQuery(), level });
      (wall[level] ??= []).push(performance.now() - t0);
      (cpus[level] ??= []).push(cpu() - c0);
      sizes[level] = `${g.nodes.length} nodes, ${g.edges.length} edges`;
      statements.forEach((s, j) => ((steps[level] ??= [])[j] ??= { name: s.name, rows: s.rows, ms: [] }).ms.push(s.ms));
    }
  }
  console.log(`topology graph per level on the sample estate (${dataset}), through the DuckDB child process, median of ${repeat}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cores().length} cores   [target <= 300 ms]`);
  for (const level of levels) {
    console.log(`  ${level}: ${Math.round(med(wall[level]))} ms (${wall[level].map(Math.round).join(', ')}); DuckDB process CPU ${Math.round(med(cpus[level]))} ms; ${sizes[level]}`);
    for (const s of steps[level]) console.log(`      ${Math.round(med(s.ms))} ms  ${s.rows} rows  ${s.name}`);
  }
} finally {
  await worker.dispose();
}
