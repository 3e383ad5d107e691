#!/usr/bin/env node
// Activation and first-query latency of the extension, measured outside VS Code:
//   node bench/activation.mjs            (builds dist/ first with esbuild --extension)
// 1. activation: require(dist/extension.js) + activate() with a no-op stand-in for the 'vscode' module
//    (only what activate() touches), median of fresh Node processes; also checks DuckDB and the AWS SDK
//    were not loaded. Target <= 100 ms.
// 2. first query: a notebook cell's path in the host: fork the DuckDB process, open a dataset, run a query
//    (cold), then the same query again (warm).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--extension', '--production'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'node_modules/@typescript/native/bin/tsc'), '-p', 'tsconfig.test.json', '--outDir', 'out-bench'], { cwd: root, stdio: 'ignore' });
execFileSync(process.execPath, [join(root, 'scripts/compile-sql.mjs'), 'out-bench'], { cwd: root, stdio: 'inherit' });

const scratch = mkdtempSync(join(tmpdir(), 'flowlens-bench-'));
try {
  // A 'vscode' module that accepts every call activate() makes and does nothing.
  const shimDir = join(scratch, 'node_modules', 'vscode');
  mkdirSync(shimDir, { recursive: true });
  writeFileSync(
    join(shimDir, 'index.js'),
    `const noop = () => {};
const disposable = { dispose: noop };
const anything = new Proxy(function () {}, {
  get: (_t, k) => (k === 'then' ? undefined : k === 'dispose' ? noop : anything),
  set: () => true,
  defineProperty: () => true,
  apply: () => anything,
  construct: () => anything,
});
class EventEmitter { constructor() { this.event = () => disposable; } fire() {} dispose() {} }
// settings read at activation get their defaults (numbers go through Math.min/max); a trusted, folderless window
const config = { get: (_k, d) => d, has: () => false, inspect: () => undefined, update: async () => {} };
const workspace = new Proxy({ getConfiguration: () => config, workspaceFolders: undefined, isTrusted: true },
  { get: (t, k) => (k in t ? t[k] : anything) });
module.exports = { EventEmitter, Disposable: class { static from() { return disposable; } }, workspace };
for (const k of ['window', 'commands', 'notebooks', 'extensions', 'env', 'Uri', 'StatusBarAlignment', 'ThemeIcon',
  'TreeItem', 'TreeItemCollapsibleState', 'MarkdownString', 'NotebookCellData', 'NotebookCellKind', 'NotebookData',
  'NotebookCellOutput', 'NotebookCellOutputItem', 'ProgressLocation', 'QuickInputButtons']) module.exports[k] = anything;`,
  );
  const probe = join(scratch, 'probe.cjs');
  writeFileSync(
    probe,
    `const Module = require('module');
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) { if (req === 'vscode') return ${JSON.stringify(join(shimDir, 'index.js'))}; return orig.call(this, req, ...rest); };
require(${JSON.stringify(join(shimDir, 'index.js'))});
const t0 = performance.now();
const ext = require(${JSON.stringify(join(root, 'dist/extension.js'))});
const t1 = performance.now();
const ctx = { subscriptions: [], globalState: { get: (k, d) => d, update: async () => {} }, globalStorageUri: { fsPath: ${JSON.stringify(scratch)} }, asAbsolutePath: (p) => p };
const r = ext.activate(ctx);
const t2 = performance.now();
const loaded = Object.keys(require.cache);
console.log(JSON.stringify({ load: t1 - t0, activate: t2 - t1, total: t2 - t0, inner: r.ready,
  duckdb: loaded.some((f) => f.includes('@duckdb')), awsSdk: loaded.some((f) => f.includes('@aws-sdk')) }));`,
  );
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const total = med(runs.map((r) => r.total));
  console.log(`activation (require + activate, median of ${runs.length} fresh processes): ${total.toFixed(1)} ms` +
    ` (load ${med(runs.map((r) => r.load)).toFixed(1)} ms, activate() ${med(runs.map((r) => r.activate)).toFixed(1)} ms); target <= 100 ms: ${total <= 100 ? 'met' : 'MISSED'}`);
  console.log(`loaded at activation: DuckDB ${runs[0].duckdb ? 'YES' : 'no'}, AWS SDK ${runs[0].awsSdk ? 'YES' : 'no'}`);

  // First query: fork the worker bundle, open a dataset, query.
  const require = createRequire(import.meta.url);
  const { WorkerClient } = require(join(root, 'out-bench/src/host/workerClient.js'));
  const db = join(scratch, 'bench.duckdb');
  {
    const c = new WorkerClient({ workerPath: join(root, 'dist/duckdbWorker.js') });
    await c.request('open', { path: db });
    // conversations is a view over the stored facts and endpoints: 97 clients in one AZ, 89 servers, every third
    // server in another AZ
    await c.request('query', {
      sql: `INSERT INTO endpoints (ep, type, az, region, node)
              SELECT i, 'ec2:instance', CASE WHEN i > 97 AND i % 3 = 0 THEN 'b' ELSE 'a' END, 'r', 'n' || i FROM range(1, 187) t(i);
            INSERT INTO conversation_facts (window_start, client_ep, server_ep, uploaded, downloaded)
              SELECT TIMESTAMP '2026-01-01' + INTERVAL (i % 1440) MINUTE, 1 + i % 97, 98 + i % 89, i, i * 2 FROM range(200000) t(i)`,
      rowCap: 1,
      allowWrites: true,
    });
    await c.dispose();
  }
  const sql = 'SELECT client_node, server_node, sum(uploaded + downloaded) AS bytes FROM conversations WHERE cross_az GROUP BY ALL ORDER BY bytes DESC';
  const t0 = performance.now();
  const c = new WorkerClient({ workerPath: join(root, 'dist/duckdbWorker.js') });
  await c.request('open', { path: db });
  const t1 = performance.now();
  const first = await c.request('query', { sql, rowCap: 1000 });
  const t2 = performance.now();
  await c.request('query', { sql, rowCap: 1000 });
  const t3 = performance.now();
  await c.dispose();
  console.log(`first query (200k conversations, ${first.total} result rows): cold ${(t2 - t0).toFixed(0)} ms` +
    ` (worker start + open ${(t1 - t0).toFixed(0)} ms, query ${(t2 - t1).toFixed(0)} ms), warm ${(t3 - t2).toFixed(0)} ms`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
