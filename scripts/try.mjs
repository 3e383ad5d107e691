#!/usr/bin/env node
// `npm run try`: the packaged extension in a real VS Code (code-server on 127.0.0.1 only) with the sample
// dataset ready. Prints the URL; Ctrl+C stops everything. Needs scripts/setup-e2e.sh once (it runs it).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(root, '.cache', 'try');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
// a step that fails has said why on stderr: stop there, without a stack trace
process.on('uncaughtException', (e) => {
  if (!e.status) console.error(`npm run try: ${e.message}`);
  process.exit(1);
});

// prerequisites first, all of them in one message (the script installs code-server once)
run('bash', [join(root, 'scripts/setup-e2e.sh'), '--no-browser']);
const cs = join(process.env.FLOWLENS_E2E_CACHE ?? join(root, '.cache/e2e'), `code-server-4.100.3-node${process.versions.node.split('.')[0]}`, 'node_modules/.bin/code-server');
const vsix = join(base, 'flowlens.vsix');
mkdirSync(base, { recursive: true });
run(process.execPath, [join(root, 'scripts/package.mjs'), '--out', vsix]);

const datasets = join(base, 'datasets');
const sample = join(datasets, 'sample.duckdb');
if (!existsSync(sample)) {
  mkdirSync(datasets, { recursive: true });
  console.log('enriching the sample estate (once)…');
  run(process.execPath, [join(root, 'esbuild.mjs'), '--cli']);
  run(process.execPath, [join(root, 'dist/cli.js'), 'enrich', '--sample', '--db', sample]);
}

const data = join(base, 'data');
const exts = join(base, 'exts');
const ws = join(base, 'workspace');
const home = join(base, 'home');
for (const d of [join(data, 'User'), exts, ws, home]) mkdirSync(d, { recursive: true });
// a clean, trusted demo folder: no workspace-trust dialog, no "git repository found in the parent folders" toast
// (the folder sits inside this repository)
writeFileSync(join(data, 'User/settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true, 'flowlens.datasetsFolder': datasets,
  'security.workspace.trust.enabled': false, 'git.openRepositoryInParentFolders': 'never', 'git.enabled': false,
}, null, 2));
const port = Number(process.env.PORT) || await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
const config = join(base, 'config.yaml');
writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const env = { ...process.env, HOME: home };
run(cs, ['--config', config, '--user-data-dir', data, '--extensions-dir', exts, '--install-extension', vsix, '--force'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const child = spawn(cs, ['--config', config, '--user-data-dir', data, '--extensions-dir', exts, '--disable-telemetry', '--disable-update-check',
  '--disable-getting-started-override', ws], { env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
const stop = () => {
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (let k = 0; k < 300; k++) {
  try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* starting */ }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`\nFlowlens in VS Code: http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}\n(sample dataset: ${sample}; Ctrl+C stops)`);
child.on('exit', (code) => process.exit(code ?? 0));
