/**
 * The extension's AWS path without VS Code: the real DuckDB child process (WorkerClient) runs `enrich` from AWS against the
 * local AWS endpoint serving a small estate, with real credential files in a temporary HOME. MFA codes travel
 * worker -> host -> worker over the IPC channel; cancelling leaves the dataset readable.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerClient, WorkerRequestError } from '../../src/host/workerClient';
import { perAccountLines, ssoLoginHint, type AwsEnrichResult } from '../../src/host/acquirePlan';
import { EXTERNAL_ID, MFA_CODE, MFA_SERIAL, type TempHome } from '../support/aws-endpoint/home';
import { A, B } from '../support/aws-endpoint/mini-estate';
import type { AwsEndpoint } from '../support/aws-endpoint/server';
import { miniEstateRequest, startWorkerAwsFixture, type WorkerAwsFixture } from '../support/aws-endpoint/worker-fixture';

let fx: WorkerAwsFixture;
let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;

before(async () => {
  fx = await startWorkerAwsFixture({ name: 'host-acq' });
  ({ home, estate, work, ep } = fx);
});

after(async () => {
  await fx?.close();
});

const client = (log?: string[]): WorkerClient => fx.client(log);

const plan = miniEstateRequest;

/** The worker's enrichment from AWS: its result, which carries the AWS summary. */
function aws(r: Awaited<ReturnType<WorkerClient['request']>>): AwsEnrichResult {
  assert.ok(r && typeof r === 'object' && 'aws' in r && r.aws, 'an enrichment from AWS reports what it read');
  return r as AwsEnrichResult;
}

async function counts(c: WorkerClient) {
  const r = await c.request('query', {
    sql: `SELECT (SELECT count(*) FROM conversations) AS conv, (SELECT count(*) FROM flow_records) AS recs,
                 (SELECT coalesce(sum(records), 0) FROM ingest_files) AS ingested, (SELECT count(*) FROM inv_resources) AS inv`,
    rowCap: 1,
  });
  const [conv, recs, ingested, inv] = r.rows[0]!.map(Number);
  return { conv: conv!, recs: recs!, ingested: ingested!, inv: inv! };
}

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(d, e.name)) : [join(d, e.name)]));
}

test('enrich from AWS through the worker: a role in two accounts fills the dataset with conversations, re-running adds nothing', async () => {
  const issuedBefore = ep.issuedSecrets.length;
  const log: string[] = [];
  const c = client(log);
  const path = join(work, 'roles.duckdb');
  try {
    await c.request('open', { path });
    const phases = new Set<string>();
    const r = aws(await c.request(
      'enrich',
      plan({ role: 'FlowLogIntrospector', externalId: EXTERNAL_ID, accounts: [A, B], dumpDir: join(work, 'dump-roles') }),
      { onProgress: (p) => phases.add(p.phase), onMfa: async () => assert.fail('no MFA is needed here') },
    ));
    assert.deepEqual(r.aws.summary.issues, []);
    assert.deepEqual(r.aws.summary.accounts, [A, B]);
    assert.ok(r.aws.summary.fetched > 0, r.aws.text);
    assert.equal(r.aws.summary.failed, 0, r.aws.text);
    assert.ok(r.conversations > 0);
    assert.ok(phases.has('inventory') && phases.has('flow-logs'), [...phases].join(','));
    assert.match(r.aws.text, /flow logs: \d+ fetched/);
    const lines = perAccountLines(r);
    for (const a of [A, B]) assert.ok(lines.some((l) => l.includes(`account ${a}, region `)), lines.join('\n'));
    const n = await counts(c);
    assert.equal(n.conv, r.conversations);
    assert.equal(n.recs, r.aws.summary.records);
    assert.ok(n.inv > 0);
    const info = await c.request('info', {});
    assert.deepEqual(info.accounts.filter((x) => x === A || x === B), [A, B]);

    const again = aws(await c.request('enrich', plan({ role: 'FlowLogIntrospector', externalId: EXTERNAL_ID, accounts: [A, B], dumpDir: join(work, 'dump-roles') })));
    assert.equal(again.aws.summary.fetched, 0, again.aws.text);
    assert.ok(again.aws.summary.skipped > 0);
    assert.deepEqual(await counts(c), n);
  } finally {
    await c.dispose();
  }
  // The session credentials the endpoint issued for the role (key id, secret, token) are nowhere: not in the
  // dataset, its WAL, the dumps or the worker's stderr.
  const issued = ep.issuedSecrets.slice(issuedBefore);
  assert.ok(issued.length >= 6, `a role session per account was issued: ${issued.length / 3}`);
  for (const secret of [...home.secrets, ...issued]) {
    assert.ok(!log.join('\n').includes(secret), "the worker's stderr holds a secret");
    for (const f of [path, `${path}.wal`, ...allFiles(join(work, 'dump-roles'))]) {
      if (!statSync(f, { throwIfNoEntry: false })?.isFile()) continue;
      assert.ok(!readFileSync(f).toString('latin1').includes(secret), `${f} holds a secret`);
    }
  }
});

test('an MFA-protected role makes the worker ask the host for the code; a wrong code fails without repeating it', async (t) => {
  const issuedBefore = ep.issuedSecrets.length;
  const log: string[] = [];
  const c = client(log);
  const path = join(work, 'mfa.duckdb');
  try {
    await c.request('open', { path });
    const wrong = '000000';
    const asked: string[] = [];
    await assert.rejects(
      c.request('enrich', plan({ profile: 'mfa-a', dumpDir: join(work, 'dump-mfa') }), {
        onMfa: async (serial) => {
          asked.push(serial);
          return wrong;
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof WorkerRequestError);
        assert.equal(err.code, 'failed');
        assert.match(err.message, /could not sign in to any account: .*(MultiFactorAuthentication|not authorized)/);
        assert.ok(!err.message.includes(wrong), err.message);
        return true;
      },
    );
    assert.deepEqual(asked, [MFA_SERIAL]);

    // Declining the prompt is a clear failure too.
    await assert.rejects(c.request('enrich', plan({ profile: 'mfa-a', dumpDir: join(work, 'dump-mfa') }), { onMfa: async () => undefined }), /no MFA code was entered/);
    // Without a way to ask, the worker is told no code is available.
    await assert.rejects(c.request('enrich', plan({ profile: 'mfa-a', dumpDir: join(work, 'dump-mfa') })), /no MFA code was entered/);

    const assumeBefore = ep.requests.filter((r) => r.op === 'AssumeRole').length;
    const ok = aws(await c.request('enrich', plan({ profile: 'mfa-a', dumpDir: join(work, 'dump-mfa') }), {
      onMfa: async (serial) => {
        asked.push(serial);
        return MFA_CODE;
      },
    }));
    // One question per run, however many AWS clients the engine builds with that profile.
    assert.deepEqual(asked, [MFA_SERIAL, MFA_SERIAL]);
    t.diagnostic(`AssumeRole calls with the MFA code in one run: ${ep.requests.filter((r) => r.op === 'AssumeRole').length - assumeBefore}`);
    assert.deepEqual(ok.aws.summary.accounts, [A]);
    assert.ok(ok.conversations > 0, ok.aws.text);
    assert.equal((await counts(c)).conv, ok.conversations);
    assert.ok(!ok.aws.text.includes(MFA_CODE));
  } finally {
    await c.dispose();
  }
  // Neither the child's stderr nor anything written holds the code or a key: the profile's static keys, nor the
  // session credentials (key id, secret, token) the endpoint issued to this test's AssumeRole calls.
  assert.ok(issuedBefore < ep.issuedSecrets.length, 'the role was assumed: session credentials were issued');
  const secrets = [...home.secrets, ...ep.issuedSecrets.slice(issuedBefore)];
  for (const secret of secrets) assert.ok(!log.join('\n').includes(secret), "the worker's stderr holds a secret");
  for (const f of [path, `${path}.wal`, ...allFiles(join(work, 'dump-mfa'))]) {
    if (!statSync(f, { throwIfNoEntry: false })?.isFile()) continue;
    const text = readFileSync(f).toString('latin1');
    for (const secret of secrets) assert.ok(!text.includes(secret), `${f} holds a secret`);
  }
});

test('an SSO profile without a valid token fails naming `aws sso login --profile sso`', async () => {
  const c = client();
  try {
    await c.request('open', { path: join(work, 'sso.duckdb') });
    const err = await c.request('enrich', plan({ profile: 'sso', dumpDir: join(work, 'dump-sso') })).then(
      () => assert.fail('an SSO profile without a token cannot be read'),
      (e: unknown) => e as Error,
    );
    const hint = ssoLoginHint(undefined, err.message);
    assert.ok(hint, err.message);
    assert.match(hint, /aws sso login --profile sso/);
  } finally {
    await c.dispose();
  }
});

test('cancelling an enrichment from AWS mid-way leaves the dataset readable and consistent; a new run completes it', async () => {
  const c = client();
  const path = join(work, 'cancel.duckdb');
  try {
    await c.request('open', { path });
    const ac = new AbortController();
    let flowProgress = 0;
    const req = plan({ role: 'FlowLogIntrospector', externalId: EXTERNAL_ID, accounts: [A, B], dumpDir: join(work, 'dump-cancel') });
    await assert.rejects(
      c.request('enrich', req, {
        signal: ac.signal,
        onProgress: (p) => {
          // Cancel once flow logs are being read: inventory is in, some objects may be.
          if (p.phase === 'flow-logs' && ++flowProgress === 2) ac.abort();
        },
      }),
      (err: unknown) => err instanceof WorkerRequestError && err.code === 'cancelled',
    );
    assert.ok(flowProgress >= 2);
    const n = await counts(c);
    assert.equal(n.recs, n.ingested, 'every stored record belongs to a fully ingested file');
    const info = await c.request('info', {});
    assert.equal(info.path, path);

    const full = aws(await c.request('enrich', req));
    assert.equal(full.aws.summary.failed, 0, full.aws.text);
    const m = await counts(c);
    assert.equal(m.recs, m.ingested);
    assert.ok(m.conv > 0 && m.conv === full.conversations);
    assert.ok(m.recs >= n.recs);
  } finally {
    await c.dispose();
  }
});
