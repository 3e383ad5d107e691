#!/usr/bin/env node
// The engine's .sql files for code compiled by tsc rather than bundled. esbuild inlines `import X from './x.sql'`
// as text (esbuild.mjs); tsc leaves `require("./x.sql")` in its CommonJS output and copies no .sql. This writes
// every src/**/*.sql as <outDir>/src/**/x.sql.js, a module whose default export is the text: Node's require finds
// it for "./x.sql" (it tries the name, then the name + .js), so the tests, the benchmarks and the processes they
// start (the CLI, the DuckDB worker) need no loader hook and no NODE_OPTIONS.
//   node scripts/compile-sql.mjs [outDir]     after tsc -p tsconfig.test.json [--outDir outDir]; default out
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'out');
for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.sql')) continue;
  const file = join(entry.parentPath, entry.name);
  const target = join(outDir, relative(root, file) + '.js');
  mkdirSync(dirname(target), { recursive: true });
  const text = JSON.stringify(readFileSync(file, 'utf8'));
  writeFileSync(target, `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.default = ${text};\n`);
}
