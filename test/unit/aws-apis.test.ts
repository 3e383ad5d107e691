/**
 * Issue 11, item 8: AWS API knowledge lives once, in the descriptors of src/core/aws/apis.ts. What derives from
 * them by hand-written files (the role, the API tables of docs/aws.md) must say what they say; and what they say
 * must be what the SDK's own model says (paginator and command names, list, token and page-size members).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APIS, dumpFileOf, LIVE_APIS, SERVICES, type LiveService } from '../../src/core/aws/apis';
import { SDK_MODULES } from '../../src/core/aws/collect';
import { detectKind } from '../../src/core/inventory/detect';
import { generatedFiles } from '../support/aws-generated';
import { operationSchema } from '../support/aws-endpoint/wire';

const root = join(__dirname, '..', '..', '..');

describe('the API descriptors', () => {
  it('docs/aws.md and the role are what the descriptors say (npm run gen:aws writes them)', () => {
    for (const f of generatedFiles(root)) {
      assert.equal(readFileSync(join(root, f.path), 'utf8'), f.text, `${f.path} differs from the descriptors: run npm run gen:aws`);
    }
  });

  it('the role grants every action a live API needs, and the docs name each', () => {
    const role = readFileSync(join(root, 'cloudformation/introspector-role.yaml'), 'utf8');
    const docs = readFileSync(join(root, 'docs/aws.md'), 'utf8');
    for (const d of LIVE_APIS) {
      for (const a of d.iam) {
        assert.match(role, new RegExp(`^ +- ${a}$`, 'm'), `${a} in the role`);
        assert.ok(docs.includes(a), `${a} in docs/aws.md`);
      }
      assert.ok(docs.includes(`\`${dumpFileOf(d)}\``), `${dumpFileOf(d)} in docs/aws.md`);
    }
  });

  it('the role grants every Athena and Glue action the push-down sends, and the docs name each', () => {
    const role = readFileSync(join(root, 'cloudformation/introspector-role.yaml'), 'utf8');
    const docs = readFileSync(join(root, 'docs/aws.md'), 'utf8');
    const source = readFileSync(join(root, 'src/core/aws/athena.ts'), 'utf8');
    const imported = /import \{([^}]*)\} from '@aws-sdk\/client-athena'/.exec(source)![1]!;
    const actions = [...imported.matchAll(/\b(?:paginate(\w+)|(\w+)Command)\b/g)].map((m) => m[1] ?? m[2]!);
    assert.ok(actions.includes('StartQueryExecution') && actions.includes('GetWorkGroup'), actions.join(', '));
    for (const a of actions) {
      assert.match(role, new RegExp(`^ +- athena:${a}$`, 'm'), `athena:${a} in the role`);
      assert.ok(docs.includes(a), `${a} in docs/aws.md`);
    }
    // and the Glue catalogue's: the table's registered partitions, where their keys' names say nothing
    const glue = /import \{([^}]*)\} from '@aws-sdk\/client-glue'/.exec(source)![1]!;
    const read = [...new Set([...glue.matchAll(/\b(?:paginate(\w+)|(\w+)Command)\b/g)].map((m) => m[1] ?? m[2]!))];
    assert.deepEqual(read, ['GetPartitions']);
    for (const a of read) {
      assert.match(role, new RegExp(`^ +- glue:${a}$`, 'm'), `glue:${a} in the role`);
      assert.ok(docs.includes(`glue:${a}`), `glue:${a} in docs/aws.md`);
    }
  });

  // Creating a missing Athena table (opt-in: --create-athena-table, the editor's "Create the Athena table…") is the one
  // write Flowlens does, with a principal allowed to (the user's own profile). Its commands are not the push-down's:
  // the read-only role must not grant them, nor the Glue writes the DDL needs; docs/aws.md names them as the creation's.
  it('the opt-in table creation: its Athena commands and Glue writes are in the docs as the creation\'s, and the read-only role grants no write', () => {
    const role = readFileSync(join(root, 'cloudformation/introspector-role.yaml'), 'utf8');
    const docs = readFileSync(join(root, 'docs/aws.md'), 'utf8');
    const source = readFileSync(join(root, 'src/core/aws/athenaCreate.ts'), 'utf8');
    const imported = /import \{([^}]*)\} from '@aws-sdk\/client-athena'/.exec(source)![1]!;
    const own = [...imported.matchAll(/\b(\w+)Command\b/g)].map((m) => m[1]!);
    assert.deepEqual(own, ['GetDatabase']);
    const section = /## Creating the Athena table \(opt-in\)\n([\s\S]*?)\n## /.exec(docs)?.[1];
    assert.ok(section, 'docs/aws.md has a section on creating the Athena table');
    for (const a of [...own.map((c) => `athena:${c}`), 'athena:StartQueryExecution', 'athena:GetQueryExecution', 'glue:GetDatabase', 'glue:CreateDatabase', 'glue:CreateTable']) {
      assert.ok(section.includes(a), `${a} in the docs' creation section`);
    }
    for (const c of own) assert.doesNotMatch(role, new RegExp(`athena:${c}\\b`), `athena:${c} only for the creation, not in the role`);
    for (const w of ['glue:Create', 'glue:Update', 'glue:Delete', 'glue:BatchCreate', 'glue:BatchDelete', 'athena:CreateNamedQuery', 'glue:*', 'athena:*']) {
      assert.ok(!role.includes(w), `the read-only role grants no ${w}`);
    }
  });

  it('KMS in the role: only Decrypt and GenerateDataKey, each only through S3 (SSE-KMS flow-log objects and Athena results)', () => {
    const role = readFileSync(join(root, 'cloudformation/introspector-role.yaml'), 'utf8');
    const statements = role.split(/\n(?= +- Sid: )/).filter((st) => /kms:/.test(st.replace(/kms:ViaService/g, '')));
    assert.deepEqual(statements.map((st) => /Sid: (\w+)/.exec(st)![1]), ['DecryptFlowLogObjects', 'AthenaResultsEncryption']);
    for (const st of statements) {
      const actions = [...st.matchAll(/\bkms:(\w+)\b/g)].map((m) => m[1]).filter((a) => a !== 'ViaService');
      assert.ok(actions.every((a) => a === 'Decrypt' || a === 'GenerateDataKey'), actions.join(', '));
      assert.match(st, /StringLike:\n +kms:ViaService: 's3\.\*\.amazonaws\.com'/, 'only through S3');
    }
  });

  it('kinds and dump files are unique, and an API comes after the APIs it needs', () => {
    const kinds = APIS.map((d) => d.kind);
    assert.equal(new Set(kinds).size, kinds.length);
    assert.equal(new Set(APIS.map(dumpFileOf)).size, APIS.length);
    for (const [i, d] of APIS.entries()) {
      for (const n of d.needs ?? []) {
        const j = kinds.indexOf(n);
        assert.ok(j >= 0 && j < i, `${d.kind} needs ${n}, which must come before it`);
        assert.ok(APIS[j]!.iam.length, `${d.kind} needs ${n}, which is collected live`);
      }
    }
  });

  it('each live API names an SDK paginator or command of its service, with the members its model has', () => {
    for (const d of LIVE_APIS) {
      const service = d.service as LiveService;
      const sdk = SDK_MODULES[service];
      assert.ok(sdk, `${d.kind}: an SDK module for ${service}`);
      assert.equal(typeof sdk[(SERVICES[service] as { client: string }).client], 'function', `${service}'s client`);
      assert.equal(typeof sdk[d.sdk!], 'function', `${d.kind}: ${d.sdk} is an export of ${SERVICES[service].sdk}`);
      assert.equal(d.sdk!.startsWith('paginate'), !!d.paging, `${d.kind}: a paginator exactly when it pages`);
      const { input, output } = operationSchema(sdk, d.operation);
      const inputs = new Set([...input.structIterator()].map(([n]) => n));
      const outputs = new Set([...output.structIterator()].map(([n]) => n));
      if (!d.match) assert.ok(outputs.has(d.listKey), `${d.kind}: ${d.listKey} is a member of its output`);
      if (d.paging) {
        assert.ok(outputs.has(d.paging.tokenOut), `${d.kind}: ${d.paging.tokenOut} is an output member`);
        assert.ok(inputs.has(d.paging.tokenIn), `${d.kind}: ${d.paging.tokenIn} is an input member`);
        if (d.paging.limit) assert.ok(inputs.has(d.paging.limit), `${d.kind}: ${d.paging.limit} is an input member`);
      }
      if (d.wrapper) assert.ok(inputs.has(d.wrapper), `${d.kind}: the wrapper's ${d.wrapper} is an input member`);
      if (d.select) assert.ok(inputs.has(d.select.input), `${d.kind}: ${d.select.input} is an input member`);
      for (const k of Object.keys(d.input ?? {})) assert.ok(inputs.has(k), `${d.kind}: ${k} is an input member`);
    }
  });

  it('an empty answer of each API is recognised as that API', () => {
    for (const d of APIS) {
      if (d.match) continue;
      const doc: Record<string, unknown> = { [d.listKey]: [] };
      if (d.kind === 'ip-ranges') doc.syncToken = '1';
      if (d.wrapper) doc[d.wrapper] = `arn:aws:${SERVICES[d.service].iam}:us-east-1:111111111111:x`;
      assert.equal(detectKind(doc), d.kind, d.kind);
    }
  });
});
