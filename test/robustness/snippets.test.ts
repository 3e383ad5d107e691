/**
 * Issue 10, item 7: a bad snippet disables only itself and is named by path; a folder or a FIFO named *.sql is
 * skipped without hanging; a missing --snippets folder is warned about. Real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowlens, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-snippets-', (d) => (dir = d));

test('bad snippets are skipped one by one and named; the good ones and the built-in templates stay', () => {
  const snippets = join(dir, 'snippets');
  mkdirSync(snippets);
  writeFileSync(join(snippets, 'good.sql'), '-- title: Good\n-- description: fine\nSELECT 1 AS one\n');
  writeFileSync(join(snippets, 'bad.sql'), '-- description: no title\nSELECT 1\n');
  mkdirSync(join(snippets, 'folder.sql'));
  execFileSync('mkfifo', [join(snippets, 'pipe.sql')]);
  writeFileSync(join(snippets, 'huge.sql'), '-- title: Huge\nSELECT 1 ' + ' '.repeat(300_000) + '\n');
  const missing = join(dir, 'nowhere');
  const r = flowlens(dir, 'templates', '--snippets', snippets, '--snippets', missing);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, [
    `flowlens: snippet ${join(snippets, 'bad.sql')}: the header has no "-- title: ..." line`,
    `flowlens: snippet ${join(snippets, 'folder.sql')}: not a regular file; skipped`,
    `flowlens: snippet ${join(snippets, 'huge.sql')}: 300,025 bytes, more than a snippet may be (262,144); skipped`,
    `flowlens: snippet ${join(snippets, 'pipe.sql')}: not a regular file; skipped`,
    `flowlens: snippet ${missing}: no such snippets folder`,
  ].join('\n') + '\n');
  assert.match(r.stdout, /^good\n  Good: fine$/m);
  assert.match(r.stdout, /^cross-az$/m);
  assert.doesNotMatch(r.stdout, /^(bad|folder|pipe|huge)$/m);
});
