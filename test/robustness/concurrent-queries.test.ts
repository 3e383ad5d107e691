/**
 * Issue 10, item 11: in the extension's DuckDB process a short query does not wait behind a long one (each
 * read-only query runs on a connection of its own), the long one can still be cancelled, the sandbox holds on
 * every connection, and a request that changes the dataset waits until the queries before it are done. A real
 * worker process, a real dataset and real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrichedDataset, fingerprint, flowlens, useTempDir } from './fixture';
import { WorkerClient, WorkerRequestError } from '../../src/host/workerClient';
import { findTemplate } from '../../src/core/templates/index';

let dir: string;
useTempDir('flowlens-robust-concurrent-', (d) => (dir = d));

const workerPath = join(__dirname, '../../src/host/duckdbWorker.js');

/**
 * Ten billion rows over the dataset: about a minute of both cores, so that a short query that had to wait behind it
 * would come after it. It is cancelled long before it ends.
 */
const LONG = 'SELECT count(*) AS n FROM conversations, range(10000000000) t(a) WHERE a % 7 = 3';

const interrupted = (e: unknown) => e instanceof WorkerRequestError && e.code === 'interrupted';

test('a short template answers while a long query runs; the long one is then cancelled and nothing changed', async () => {
  const db = enrichedDataset(dir);
  const clean = await fingerprint(db);
  const client = new WorkerClient({ workerPath });
  const order: string[] = [];
  try {
    await client.request('open', { path: db });
    const ac = new AbortController();
    const long = client.request('query', { sql: LONG, rowCap: 1 }, { signal: ac.signal }).then(
      (r) => {
        order.push('long answered');
        return r;
      },
      (e: unknown) => {
        order.push('long failed');
        throw e;
      },
    );
    long.catch(() => undefined);
    // the top-talkers template, as a notebook sends it: its SQL and its default parameters
    const t = findTemplate('top-talkers');
    const short = await client.request('query', { sql: t.sql, params: t.params.map((p) => ({ name: p.name, type: p.type, value: p.default ?? '' })), rowCap: 25 });
    order.push('short answered');
    assert.deepEqual(
      short.rows.map((r) => r.slice(0, 1).concat(r.slice(2, 3), r.slice(7))),
      [['arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000a1', 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000b2', 4249, 332, 4581, 1]],
    );
    const info = await client.request('info', {});
    order.push('info answered');
    assert.equal(info.conversations, 1);
    // beside the running query the dataset is held read-only: flowlens sql reads it
    const sql = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM conversations', '--db', db, '--format', 'json');
    assert.equal(sql.code, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), [{ n: 1 }]);
    assert.deepEqual(order, ['short answered', 'info answered']);

    ac.abort();
    await assert.rejects(long, interrupted);
    assert.deepEqual(order, ['short answered', 'info answered', 'long failed']);
    const after = await client.request('query', { sql: 'SELECT count(*) AS n FROM conversations', rowCap: 1 });
    assert.deepEqual(after.rows, [[1]]);
  } finally {
    await client.dispose();
  }
  assert.deepEqual(await fingerprint(db), clean);
});

test('cancelling one of two running queries interrupts only that one', async () => {
  const db = enrichedDataset(dir, 'two.duckdb');
  const client = new WorkerClient({ workerPath });
  try {
    await client.request('open', { path: db });
    const first = new AbortController();
    const second = new AbortController();
    const a = client.request('query', { sql: LONG, rowCap: 1 }, { signal: first.signal });
    const b = client.request('query', { sql: LONG.replace('a % 7 = 3', 'a % 7 = 4'), rowCap: 1 }, { signal: second.signal });
    const settled: string[] = [];
    a.then(() => settled.push('a answered'), () => settled.push('a failed'));
    b.then(() => settled.push('b answered'), () => settled.push('b failed'));
    first.abort();
    await assert.rejects(a, interrupted);
    // b still runs: a short query answers beside it, and only then is b cancelled
    const short = await client.request('query', { sql: 'SELECT 42 AS answer', rowCap: 1 });
    assert.deepEqual(short.rows, [[42]]);
    assert.deepEqual(settled, ['a failed']);
    second.abort();
    await assert.rejects(b, interrupted);
    assert.deepEqual(settled, ['a failed', 'b failed']);
  } finally {
    await client.dispose();
  }
});

test('every connection is sandboxed: a query beside a long one reads no file and cannot widen its access', async () => {
  const db = enrichedDataset(dir, 'sandbox.duckdb');
  const client = new WorkerClient({ workerPath });
  try {
    await client.request('open', { path: db });
    const ac = new AbortController();
    const long = client.request('query', { sql: LONG, rowCap: 1 }, { signal: ac.signal });
    long.catch(() => undefined);
    await assert.rejects(
      client.request('query', { sql: `SELECT * FROM read_csv('/etc/passwd')`, rowCap: 1 }),
      (e: unknown) => e instanceof WorkerRequestError && /Permission Error: Cannot access file "\/etc\/passwd" - file system operations are disabled by configuration/.test(e.message),
    );
    await assert.rejects(
      client.request('query', { sql: `SET enable_external_access = true`, rowCap: 1 }),
      (e: unknown) => e instanceof WorkerRequestError && /Cannot change configuration option "enable_external_access" - the configuration has been locked/.test(e.message),
    );
    await assert.rejects(
      client.request('query', { sql: `CREATE TABLE x AS SELECT 1`, rowCap: 1 }),
      (e: unknown) => e instanceof WorkerRequestError && /Cannot execute statement of type "CREATE" on database "sandbox" which is attached in read-only mode!/.test(e.message),
    );
    ac.abort();
    await assert.rejects(long, interrupted);
  } finally {
    await client.dispose();
  }
});

test('a write waits until the queries sent before it are done, and a query sent after it sees the write', async () => {
  const db = enrichedDataset(dir, 'write.duckdb');
  const client = new WorkerClient({ workerPath });
  const order: string[] = [];
  try {
    await client.request('open', { path: db });
    const ac = new AbortController();
    const long = client.request('query', { sql: LONG, rowCap: 1 }, { signal: ac.signal }).catch((e: unknown) => {
      order.push('long failed');
      throw e;
    });
    long.catch(() => undefined);
    // the long query runs: a short one sent after it answers
    assert.deepEqual((await client.request('query', { sql: 'SELECT 1 AS one', rowCap: 1 })).rows, [[1]]);
    const write = client.request('query', { sql: 'CREATE TABLE marks AS SELECT 7 AS x', rowCap: 1, allowWrites: true }).then(() => order.push('write done'));
    const read = client.request('query', { sql: 'SELECT x FROM marks', rowCap: 1 }).then((r) => {
      order.push('read done');
      return r;
    });
    // while the write waits the dataset is still held read-only: flowlens sql reads it
    const sql = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM conversations', '--db', db, '--format', 'json');
    assert.equal(sql.code, 0, sql.stderr);
    assert.deepEqual(order, []);
    ac.abort();
    await assert.rejects(long, interrupted);
    assert.deepEqual((await read).rows, [[7]]);
    await write;
    assert.deepEqual(order, ['long failed', 'write done', 'read done']);
  } finally {
    await client.dispose();
  }
});
