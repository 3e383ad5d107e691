// The DuckDB child process and its protocol, against a real child and a real DuckDB file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerClient, WorkerCrashedError, WorkerRequestError } from '../../src/host/workerClient';
import { WORKER_REQUESTS, isWorkerMessage, isWorkerRequest } from '../../src/protocol/worker';

const workerPath = join(__dirname, '../../src/host/duckdbWorker.js');

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-worker-'));
  const client = new WorkerClient({ workerPath });
  return {
    dir,
    client,
    path: join(dir, 'd.duckdb'),
    async done() {
      await client.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seed(client: WorkerClient) {
  // Conversations as the enrichment stores them: two endpoints and five facts between them.
  await client.request('query', {
    sql: `INSERT INTO endpoints (ep, az, account, region) VALUES (1, 'us-east-1a', '111111111111', 'us-east-1'), (2, 'us-east-1b', NULL, NULL)`,
    rowCap: 10,
    allowWrites: true,
  });
  await client.request('query', {
    sql: `INSERT INTO conversation_facts (window_start, client_ep, server_ep, uploaded, downloaded)
          SELECT TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) MINUTE, 1, 2, 1000 * i, 9007199254740993
          FROM range(5) t(i)`,
    rowCap: 10,
    allowWrites: true,
  });
}

test('worker runs queries with a row cap, the total count and typed columns', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await seed(t.client);
    const r = await t.client.request('query', {
      sql: 'SELECT window_start, uploaded, downloaded, client_az FROM conversations ORDER BY window_start',
      rowCap: 2,
    });
    assert.equal(r.total, 5);
    assert.equal(r.rows.length, 2);
    assert.equal(r.truncated, true);
    assert.deepEqual(
      r.columns.map((c) => [c.name, c.type]),
      [
        ['window_start', 'TIMESTAMP'],
        ['uploaded', 'BIGINT'],
        ['downloaded', 'BIGINT'],
        ['client_az', 'VARCHAR'],
      ],
    );
    assert.equal(r.rows[1][1], 1000);
    // Beyond 2^53 a BIGINT travels as exact text.
    assert.equal(r.rows[0][2], '9007199254740993');
    assert.match(String(r.rows[0][0]), /^2026-01-01[ T]00:00:00/);
    const info = await t.client.request('info', {});
    assert.equal(info.conversations, 5);
    assert.deepEqual(info.accounts, ['111111111111']);
    assert.deepEqual(info.regions, ['us-east-1']);
    assert.match(info.from ?? '', /^2026-01-01T00:00:00Z$/);
    assert.match(info.to ?? '', /^2026-01-01T00:04:00Z$/);
  } finally {
    await t.done();
  }
});

test('worker binds typed parameters and names a bad value', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await seed(t.client);
    const r = await t.client.request('query', {
      sql: 'SELECT count(*) AS n FROM conversations WHERE window_start >= $since AND uploaded >= $min',
      params: [
        { name: 'since', type: 'TIMESTAMP', value: '2026-01-01 00:02:00' },
        { name: 'min', type: 'BIGINT', value: '3000' },
      ],
      rowCap: 10,
    });
    assert.deepEqual(r.rows, [[2]]);
    const empty = await t.client.request('query', {
      sql: 'SELECT count(*) AS n FROM conversations WHERE window_start >= coalesce($since, TIMESTAMP \'-infinity\')',
      params: [{ name: 'since', type: 'TIMESTAMP', value: '' }],
      rowCap: 10,
    });
    assert.deepEqual(empty.rows, [[5]], 'an empty value binds NULL');
    // a duration is a time back from now, as in the engine's templates (the seed's minutes are long past)
    const back = await t.client.request('query', {
      sql: 'SELECT count(*) AS n, (SELECT $since) < now()::TIMESTAMP - INTERVAL 6 day AND (SELECT $since) > now()::TIMESTAMP - INTERVAL 8 day AS week FROM conversations WHERE window_start >= $since',
      params: [{ name: 'since', type: 'TIMESTAMP', value: '7d' }],
      rowCap: 10,
    });
    assert.deepEqual(back.rows, [[0, true]]);
    await assert.rejects(
      t.client.request('query', { sql: 'SELECT $since', params: [{ name: 'since', type: 'TIMESTAMP', value: 'yesterday-ish' }], rowCap: 1 }),
      (e: unknown) => e instanceof WorkerRequestError && e.code === 'bad-request' && /since.*yesterday-ish.*TIMESTAMP/.test(e.message),
    );
    await assert.rejects(
      t.client.request('query', { sql: 'SELECT 1', params: [{ name: 'x', type: 'INT; DROP TABLE meta', value: '1' }], rowCap: 1 }),
      /not a DuckDB type/,
    );
  } finally {
    await t.done();
  }
});

test("worker reports DuckDB's own error message", async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await assert.rejects(t.client.request('query', { sql: 'SELECT * FROM no_such_table', rowCap: 10 }), (e: unknown) => {
      assert.ok(e instanceof WorkerRequestError);
      assert.match(e.message, /Catalog Error.*no_such_table/s);
      return true;
    });
    await assert.rejects(t.client.request('info', {}).then(() => t.client.request('query', { sql: 'SELEC 1', rowCap: 1 })), /Parser Error/);
  } finally {
    await t.done();
  }
});

test('cancelling a long query interrupts it and the worker stays usable', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    const ac = new AbortController();
    const started = Date.now();
    const long = t.client.request('query', { sql: 'SELECT count(*) FROM range(100000000000) t(a) WHERE a % 7 = 3', rowCap: 10 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(long, (e: unknown) => e instanceof WorkerRequestError && e.code === 'interrupted');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `interrupt took ${elapsed} ms`);
    const r = await t.client.request('query', { sql: 'SELECT 42 AS answer', rowCap: 10 });
    assert.deepEqual(r.rows, [[42]]);
  } finally {
    await t.done();
  }
});

test('a request cancelled while queued behind another never runs', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await t.client.request('query', { sql: 'CREATE TABLE marks (x INTEGER)', rowCap: 1, allowWrites: true });
    const first = t.client.request('query', { sql: 'SELECT count(*) FROM range(200000000) t(a) WHERE a % 7 = 3', rowCap: 1 });
    const ac = new AbortController();
    const second = t.client.request('query', { sql: 'INSERT INTO marks VALUES (1)', rowCap: 1, allowWrites: true }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await assert.rejects(second, (e: unknown) => e instanceof WorkerRequestError && e.code === 'interrupted');
    await first;
    const r = await t.client.request('query', { sql: 'SELECT count(*) FROM marks', rowCap: 1 });
    assert.deepEqual(r.rows, [[0]]);
  } finally {
    await t.done();
  }
});

test('an enrichment cancelled while the dataset is being reopened for it stops, and loads nothing', async () => {
  const t = setup();
  try {
    const logs = join(t.dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.log'), 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 111111111111 eni-0a1b2c3d4e5f60001 10.0.0.1 10.0.0.2 40000 443 6 1 100 1790000000 1790000060 ACCEPT OK\n');
    await t.client.request('open', { path: t.path });
    // a read query leaves the dataset open for user SQL: the enrichment reopens it (in the DuckDB process, after the gate)
    await t.client.request('query', { sql: 'SELECT 1', rowCap: 1 });
    const ac = new AbortController();
    const run = t.client.request('enrich', { source: { kind: 'files', flowLogs: [logs] } }, { signal: ac.signal });
    setImmediate(() => ac.abort());
    await assert.rejects(run, (e: unknown) => e instanceof WorkerRequestError && e.code === 'cancelled');
    const r = await t.client.request('query', { sql: 'SELECT count(*) FROM ingest_files', rowCap: 1 });
    assert.deepEqual(r.rows, [[0]]);
  } finally {
    await t.done();
  }
});

test('an enrichment, a follow and a forget are for their own dataset: one opened in between (a summary of another) gets nothing', async () => {
  const t = setup();
  try {
    const logs = join(t.dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.log'), 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 111111111111 eni-0a1b2c3d4e5f60001 10.0.0.1 10.0.0.2 40000 443 6 1 100 1790000000 1790000060 ACCEPT OK\n');
    const other = join(t.dir, 'other.duckdb');
    await t.client.request('open', { path: t.path });
    // the editor opened the dataset for the enrichment; a background summary then opened another before it was sent
    await t.client.request('open', { path: other });
    const r = await t.client.request('enrich', { source: { kind: 'files', flowLogs: [logs] }, dataset: { path: t.path } });
    assert.equal(r.records, 1);
    assert.equal(t.client.openPath, t.path, 'the client knows which dataset is open now');
    const count = async () => Number((await t.client.request('query', { sql: 'SELECT count(*) FROM ingest_files', rowCap: 1 })).rows[0]![0]);
    assert.equal(await count(), 1);
    await t.client.request('open', { path: other });
    assert.equal(await count(), 0, 'the dataset open in between has no file');
    // forget: the same
    const f = await t.client.request('forget', { names: [join(logs, 'a.log')], dataset: { path: t.path } });
    assert.deepEqual(f.files.map((x) => x.records), [1]);
    assert.equal(await count(), 0);
    await t.client.request('open', { path: other });
    assert.equal(await count(), 0);
  } finally {
    await t.done();
  }
});

test('a native crash in the worker fails the pending request, and the next one reopens the dataset', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await seed(t.client);
    const pid = t.client.pid;
    const crashes: WorkerCrashedError[] = [];
    t.client.onCrash((e) => crashes.push(e));
    await assert.rejects(t.client.request('crash', {}), (e: unknown) => e instanceof WorkerCrashedError && e.signalName === 'SIGABRT');
    assert.equal(crashes.length, 1);
    const r = await t.client.request('query', { sql: 'SELECT count(*) AS n FROM conversations', rowCap: 1 });
    assert.deepEqual(r.rows, [[5]]);
    assert.notEqual(t.client.pid, pid);
  } finally {
    await t.done();
  }
});

test('disposing the client closes the dataset so another process can open it', async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path });
    await seed(t.client);
    await t.client.dispose();
    assert.ok(existsSync(t.path));
    const other = new WorkerClient({ workerPath });
    try {
      await other.request('open', { path: t.path, readOnly: true });
      const r = await other.request('query', { sql: 'SELECT count(*) FROM conversations', rowCap: 1 });
      assert.deepEqual(r.rows, [[5]]);
    } finally {
      await other.dispose();
    }
  } finally {
    await t.done();
  }
});

test('protocol guards reject malformed messages', () => {
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'query', params: { sql: 'x', rowCap: 1 } }), true);
  assert.equal(isWorkerRequest({ kind: 'request', id: '1', method: 'query', params: {} }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'drop', params: {} }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'query' }), false);
  assert.equal(isWorkerMessage({ kind: 'reply', id: 1, ok: false, error: {} }), false);
  assert.equal(isWorkerMessage({ kind: 'reply', id: 1, ok: true, result: null }), true);
  assert.equal(isWorkerMessage({ kind: 'progress', id: 1, progress: { phase: 'x', message: 'y' } }), true);
  assert.equal(isWorkerMessage(null), false);
  // each request's parameters and result by its own guard
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'query', params: { sql: 'x', rowCap: '1' } }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'open', params: { path: 'd.duckdb', readOnly: 'yes' } }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'cancel', params: { target: 1.5 } }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'info', params: { extra: 1 } }), false);
  assert.equal(WORKER_REQUESTS.query.result({ columns: [{ name: 'a', type: 'INTEGER' }], rows: [[1]], total: 1, truncated: false, ms: 3 }), true);
  assert.equal(WORKER_REQUESTS.query.result({ columns: [], rows: {}, total: 1, truncated: false, ms: 3 }), false);
  assert.equal(WORKER_REQUESTS.close.result({ closed: 'yes' }), false);
  // creating an Athena table: an AWS source, the table, account, region and the one statement shown
  const create = { source: { kind: 'aws', regions: ['us-east-1'], since: '24h' }, table: 'athena://AwsDataCatalog/flowlogs/vpc', account: '111111111111', region: 'us-east-1', ddl: 'CREATE EXTERNAL TABLE …' };
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'createAthenaTable', params: create }), true);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'createAthenaTable', params: { ...create, ddl: undefined } }), false);
  assert.equal(isWorkerRequest({ kind: 'request', id: 1, method: 'createAthenaTable', params: { ...create, source: { kind: 'sample' } } }), false);
  assert.equal(WORKER_REQUESTS.createAthenaTable.result({ source: 'athena://AwsDataCatalog/flowlogs/vpc', account: '1', region: 'r', catalog: 'c', database: 'd', table: 't', workgroup: 'primary', statements: [], created: 'no' }), false);
});

test('the worker answers a request whose parameters do not match the protocol with bad-request, naming the method', async () => {
  const w = setup();
  try {
    await w.client.request('open', { path: w.path });
    await assert.rejects(w.client.request('query', { sql: 'SELECT 1', rowCap: '5' } as never),
      (e: unknown) => e instanceof WorkerRequestError && e.code === 'bad-request' && /malformed query request/.test(e.message));
    assert.deepEqual((await w.client.request('query', { sql: 'SELECT 1 AS one', rowCap: 5 })).rows, [[1]]);
  } finally {
    await w.done();
  }
});

test('the worker opens a dataset with the memory budget it is given, else the engine default', async () => {
  const t = setup();
  try {
    const limit = async () => (await t.client.request('query', { sql: `SELECT current_setting('memory_limit') AS m`, rowCap: 1 })).rows[0][0];
    await t.client.request('open', { path: t.path });
    assert.equal(await limit(), '476.8 MiB');
    await t.client.request('close', {});
    await t.client.request('open', { path: t.path, memoryLimit: '300MB' });
    assert.equal(await limit(), '286.1 MiB');
  } finally {
    await t.done();
  }
});

test('a read-only query out of its memory budget runs once more on one thread, in an instance of its own', { skip: availableParallelism() <= 1 && 'one core: one thread already' }, async () => {
  const t = setup();
  try {
    await t.client.request('open', { path: t.path, memoryLimit: '64MB' });
    await seed(t.client);
    const threads = async () => (await t.client.request('query', { sql: `SELECT current_setting('threads') AS t`, rowCap: 1 })).rows[0][0];
    const before = await threads();
    assert.ok(Number(before) > 1);
    // a list of 30 M numbers (240 MB, more than the budget) on more than one thread, an empty one on one thread
    const r = await t.client.request('query', {
      sql: `SELECT current_setting('threads') AS threads, (SELECT len(list(range)) FROM range(30000000) WHERE current_setting('threads') > 1) AS n`,
      rowCap: 5,
    });
    assert.deepEqual(r.rows, [[1, null]], 'answered on one thread');
    assert.equal(await threads(), before, "the dataset's own instance is as it was");
    // out of memory on one thread too: the error as DuckDB said it, and that it ran again
    await assert.rejects(
      t.client.request('query', { sql: `SELECT len(list(range)) AS n FROM range(30000000)`, rowCap: 1 }),
      (err: Error) => /^Out of Memory Error: .* \(and again on one thread\)$/s.test(err.message),
    );
    // a writing query is not run again
    await assert.rejects(
      t.client.request('query', { sql: `CREATE TABLE big AS SELECT list(range) AS l FROM range(30000000)`, rowCap: 1, allowWrites: true }),
      (err: Error) => /^Out of Memory Error: /.test(err.message) && !/again on one thread/.test(err.message),
    );
    assert.deepEqual((await t.client.request('query', { sql: `SELECT count(*) AS n FROM conversation_facts`, rowCap: 1 })).rows, [[5]], 'the dataset unchanged');
  } finally {
    await t.done();
  }
});
