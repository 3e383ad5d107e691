#!/usr/bin/env node
// Builds the .vsix for one platform: `npm run package [-- --target linux-x64] [--out file.vsix]`.
// The extension is bundled by esbuild; only DuckDB's native binding ships as node_modules. The package is
// assembled in a staging folder with exactly that binding (fetched with `npm pack` when it is not the
// machine's own), and the packaging fails when the target's duckdb.node is not inside the .vsix.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const hostTarget = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const target = opt('target', hostTarget);
const BINDINGS = {
  'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'alpine-x64': 'linux-x64-musl', 'alpine-arm64': 'linux-arm64-musl',
  'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64',
};
const binding = BINDINGS[target];
if (!binding) {
  console.error(`unknown target ${target}; one of ${Object.keys(BINDINGS).join(', ')}`);
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(opt('out', join(root, `${pkg.name}-${target}-${pkg.version}.vsix`)));
const run = (cmd, argv, cwd = root) => execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });

const t0 = Date.now();
run(process.execPath, [join(root, 'esbuild.mjs'), '--production', '--extension']);
for (const f of ['dist/extension.js', 'dist/duckdbWorker.js', 'dist/webview/renderer.js']) {
  if (!existsSync(join(root, f))) throw new Error(`${f} was not built`);
}

const stage = mkdtempSync(join(tmpdir(), 'flowlens-package-'));
try {
  for (const f of ['dist', 'templates', 'media', 'README.md', 'LICENSE', '.vscodeignore']) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(stage, f), { recursive: true, filter: (s) => !s.endsWith('.map') });
  }
  const bindingsPkg = JSON.parse(readFileSync(join(root, 'node_modules/@duckdb/node-bindings/package.json'), 'utf8'));
  const libcPkg = JSON.parse(readFileSync(join(root, 'node_modules/detect-libc/package.json'), 'utf8'));
  const nm = join(stage, 'node_modules');
  cpSync(join(root, 'node_modules/@duckdb/node-bindings'), join(nm, '@duckdb/node-bindings'), { recursive: true });
  cpSync(join(root, 'node_modules/detect-libc'), join(nm, 'detect-libc'), { recursive: true });
  const bindingName = `@duckdb/node-bindings-${binding}`;
  const local = join(root, 'node_modules', bindingName);
  if (existsSync(join(local, 'duckdb.node'))) {
    cpSync(local, join(nm, bindingName), { recursive: true });
  } else {
    // Another platform's binding: the same version from the registry, by name.
    const dl = join(stage, '.pack');
    mkdirSync(dl);
    execFileSync('npm', ['pack', `${bindingName}@${bindingsPkg.version}`, '--silent', '--pack-destination', dl], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(dl).find((n) => n.endsWith('.tgz'));
    mkdirSync(join(nm, bindingName), { recursive: true });
    run('tar', ['xzf', join(dl, tgz), '-C', join(nm, bindingName), '--strip-components=1']);
    rmSync(dl, { recursive: true, force: true });
  }
  // The staged manifest: the same extension, depending only on what ships unbundled.
  const staged = { ...pkg, dependencies: { '@duckdb/node-bindings': bindingsPkg.version, [bindingName]: bindingsPkg.version, 'detect-libc': libcPkg.version } };
  delete staged.devDependencies;
  delete staged.scripts;
  writeFileSync(join(stage, 'package.json'), JSON.stringify(staged, null, 2));
  const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
  run(process.execPath, [vsce, 'package', '--target', target, '--allow-missing-repository', '--skip-license', '--allow-star-activation', '--no-rewrite-relative-links', '-o', out], stage);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

// The check: the target's native binding and the bundles are in the package.
const listing = execFileSync('python3', ['-m', 'zipfile', '-l', out], { encoding: 'utf8' });
const required = [
  `extension/node_modules/${`@duckdb/node-bindings-${binding}`}/duckdb.node`,
  'extension/node_modules/@duckdb/node-bindings/duckdb.js',
  'extension/dist/extension.js',
  'extension/dist/duckdbWorker.js',
  'extension/dist/webview/renderer.js',
  'extension/templates/cross-az.sql',
];
const missing = required.filter((f) => !listing.includes(f));
if (missing.length) {
  console.error(`packaging check failed for ${target}: missing ${missing.join(', ')}`);
  rmSync(out, { force: true });
  process.exit(1);
}
console.log(`${out} (${target}) ok in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
