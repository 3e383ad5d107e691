/**
 * The layer rules of eslint.config.mjs can fail: a file placed (by path, not on disk) in each restricted folder
 * importing what that folder may not import is an error, and the imports the layers are built on are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

/** The rules that reported errors for `code` as if it were the file at `path` (relative to the repository). */
async function errors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

const PATHS = 'import-x/no-restricted-paths';
const MODULES = 'no-restricted-imports';

const forbidden: [file: string, code: string, rule: string][] = [
  // The engine: no 'vscode', no host, no webview code, even for types.
  ['src/core/probe.ts', "import * as vscode from 'vscode';", MODULES],
  ['src/core/enrich/probe.ts', "import type { WorkerClient } from '../../host/workerClient';", PATHS],
  ['src/core/probe.ts', "import { activate } from '../extension';", PATHS],
  ['src/core/probe.ts', "export { GraphView } from '../../webview/topology/graphview';", PATHS],
  ['src/core/aws/probe.ts', "const settings = require('../../host/settings');", PATHS],
  // Inside the engine: the store does not import the readers, the readers not the public surface.
  ['src/core/store/probe.ts', "import { ingestFiles } from '../flowlogs/ingest';", PATHS],
  ['src/core/flowlogs/probe.ts', "import type { FileReport } from '../api';", PATHS],
  // The protocol imports no other layer and runs in webviews.
  ['src/protocol/probe.ts', "import type { AcquireSummary } from '../core/aws/acquire';", PATHS],
  ['src/protocol/probe.ts', "import { formatBytes } from '../shared/resultShape';", PATHS],
  ['src/protocol/probe.ts', "import type { Uri } from 'vscode';", MODULES],
  ['src/protocol/probe.ts', "import { readFileSync } from 'node:fs';", MODULES],
  // Webviews: protocol and shared only, no Node built-ins, no 'vscode'.
  ['webview/notebook/probe.ts', "import { humanBytes } from '../../src/core/format';", PATHS],
  ['webview/topology/probe.ts', "import { readSettings } from '../../src/host/settings';", PATHS],
  ['webview/topology/probe.ts', "import { readFileSync } from 'fs';", MODULES],
  ['webview/topology/probe.ts', "import { join } from 'path';", MODULES],
  ['webview/notebook/probe.ts', "import { spawn } from 'child_process';", MODULES],
  ['webview/notebook/probe.ts', "import { createHash } from 'node:crypto';", MODULES],
  ['webview/notebook/probe.ts', "import * as vscode from 'vscode';", MODULES],
  // Shared code: protocol only.
  ['src/shared/probe.ts', "import { humanBytes } from '../core/format';", PATHS],
  ['src/shared/probe.ts', "import { tmpdir } from 'node:os';", MODULES],
  // The host does not import webview code; the CLI not 'vscode'.
  ['src/host/probe.ts', "import { formatBytes } from '../../webview/topology/model';", PATHS],
  ['src/cli.ts', "import * as vscode from 'vscode';", MODULES],
];

for (const [file, code, rule] of forbidden) {
  test(`${file}: ${code} is an error (${rule})`, async () => {
    assert.deepEqual(await errors(file, code), [rule]);
  });
}

test('the imports the layers rely on are allowed', async () => {
  const allowed: [string, string][] = [
    ['src/host/probe.ts', "import * as vscode from 'vscode';\nimport { openDataset } from '../core/api';\nimport { RESULT_MIME } from '../shared/resultShape';"],
    ['src/core/topology/probe.ts', "import type { GraphQuery } from '../../protocol/topology';\nimport { readFileSync } from 'node:fs';"],
    ['src/core/store/probe.ts', "import { FLOW_FIELDS } from '../model/flowFields';"],
    ['src/core/flowlogs/probe.ts', "import type { FileReport } from '../../protocol/reports';\nimport { lit } from '../store/db';"],
    ['src/shared/probe.ts', "import type { QueryResult } from '../protocol/worker';"],
    ['webview/notebook/probe.ts', "import { sortRows } from '../../src/shared/resultShape';\nimport type { QueryResult } from '../../src/protocol/worker';\nimport * as d3 from 'd3';"],
  ];
  for (const [file, code] of allowed) assert.deepEqual(await errors(file, code), [], `${file}: ${code}`);
});
