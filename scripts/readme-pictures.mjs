#!/usr/bin/env node
// The README's pictures, taken by the end-to-end tests in a real VS Code (code-server) on the sample estate, so
// that they show what the extension shows today:
//   node scripts/readme-pictures.mjs      (needs scripts/setup-e2e.sh once; about 3 minutes)
// It builds, runs test/e2e/extension.test.ts, topology.test.ts and security-groups.test.ts (they write their
// screenshots to test-artifacts/), and copies the five the README shows into docs/img/. A failing test stops it: no picture of a broken state.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const PICTURES = {
  'e2e-0-wizard.png': 'wizard.png',
  'topology-0-default.png': 'map.png',
  'e2e-3-notebook.png': 'notebook.png',
  'sg-0-sidebar.png': 'security-groups.png',
  'sg-1-map-rule.png': 'map-rule.png',
};
try {
  run('npm', ['run', 'build']);
  run('npm', ['run', 'build:test']);
  run(process.execPath, ['--test', 'out/test/e2e/extension.test.js', 'out/test/e2e/topology.test.js', 'out/test/e2e/security-groups.test.js']);
} catch {
  console.error('readme-pictures: a step failed (see above); docs/img is unchanged');
  process.exit(1);
}
mkdirSync(join(root, 'docs', 'img'), { recursive: true });
for (const [from, to] of Object.entries(PICTURES)) {
  copyFileSync(join(root, 'test-artifacts', from), join(root, 'docs', 'img', to));
  console.log(`docs/img/${to} <- test-artifacts/${from}`);
}
