// One build script, several entry points. `node esbuild.mjs [--cli] [--watch] [--production]`.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const onlyCli = args.has('--cli');
// `--extension`: only what the .vsix needs (host, worker, webviews, renderer), not the CLI.
const onlyExtension = args.has('--extension');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
// DuckDB's native binding and VS Code stay outside the bundles; the engine's .sql files are inlined as text
// (`import PREPARE from './prepare.sql'`), so nothing reads them at run time. Webviews get no SQL.
const nodeExternal = ['vscode', '@duckdb/node-bindings', '@duckdb/node-bindings-*'];
const node = { platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal, loader: { '.sql': 'text' } };

const builds = onlyExtension ? [] : [
  { ...common, ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];
// The extension host, its DuckDB worker, the webviews and the notebook renderer, when present.
const optional = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/host/duckdbWorker.ts'], outfile: 'dist/duckdbWorker.js' },
  { entryPoints: ['webview/topology/main.ts'], outfile: 'dist/webview/topology.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { entryPoints: ['webview/notebook/renderer.ts'], outfile: 'dist/webview/renderer.js', platform: 'browser', format: 'esm', target: 'es2022' },
];
if (!onlyCli) {
  for (const b of optional) if (existsSync(b.entryPoints[0])) builds.push({ ...common, ...b });
}

if (args.has('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
