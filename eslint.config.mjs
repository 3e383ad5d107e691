// `npm run lint`: the layers of the code (README "Layout") as rules, so a wrong import fails CI, not a review.
//   src/core      the engine: no 'vscode', no host code, no webview code
//   src/protocol  message types between host, worker and webviews: imports no other layer
//   src/shared    pure code the host and the webviews both run (result shaping): protocol only
//   webview       browser code: protocol and shared only, no 'vscode', no Node built-ins
//   host (src/host, src/extension.ts, src/cli.ts) may import core, protocol and shared, never webview code
// Inside the engine: the store does not know the flow-log readers, and the readers do not use the public
// surface (src/core/api.ts) that is built on them.
// Paths are resolved (import-x/no-restricted-paths), so '../../core/x' and './x' are judged by where they land.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const root = import.meta.dirname;
const HOST = ['src/host', 'src/extension.ts', 'src/cli.ts'];
const NODE_BUILTINS = {
  paths: builtinModules.map((name) => ({ name, message: 'runs in a webview: no Node built-ins.' })),
  patterns: [{ group: ['node:*'], message: 'runs in a webview: no Node built-ins.' }],
};
const VSCODE = { name: 'vscode', message: "only the host (src/host, src/extension.ts) imports 'vscode'." };

const zone = (target, from, message) => ({ target, from, message });
const zones = [
  zone('src/core', [...HOST, 'webview'], 'the engine does not import host or webview code.'),
  zone('src/protocol', ['src/core', 'src/shared', ...HOST, 'webview'], 'the protocol is types every side imports: it imports no other layer.'),
  zone('src/shared', ['src/core', ...HOST, 'webview'], 'shared code runs in the host and the webviews: protocol only.'),
  zone('webview', ['src/core', ...HOST], 'webview code imports the protocol and src/shared only.'),
  zone(HOST, ['webview'], 'the host does not import webview code: what both need lives in src/shared or src/protocol.'),
  zone('src/core/store', ['src/core/flowlogs'], 'the store does not import the flow-log readers: shared vocabulary lives in src/core/model.'),
  zone('src/core/flowlogs', ['src/core/api.ts'], 'the readers do not import the public surface built on them: types live in src/core/model or src/protocol.'),
];

export default defineConfig(
  { ignores: ['node_modules/', 'out/', 'out-*/', 'dist/', '.cache/', 'test-artifacts/', 'bench/.data/'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
  },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones }] },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE] }] },
  },
  {
    files: ['webview/**/*.ts', 'src/shared/**/*.ts', 'src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE, ...NODE_BUILTINS.paths], patterns: NODE_BUILTINS.patterns }] },
  },
);
