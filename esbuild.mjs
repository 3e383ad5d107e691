// One build script, several entry points. `node esbuild.mjs [--cli] [--watch] [--production]`.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const onlyCli = args.has('--cli');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
// DuckDB's native binding and VS Code stay outside the bundles.
const nodeExternal = ['vscode', '@duckdb/node-bindings', '@duckdb/node-bindings-*'];

const builds = [
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20',
    external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
];
if (!onlyCli && existsSync('src/extension.ts')) {
  builds.push({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node',
    format: 'cjs', target: 'node20', external: nodeExternal });
}

if (args.has('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
