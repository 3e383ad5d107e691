import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultQuery,
  defaultViewState,
  isGraph,
  isHostToWebview,
  isViewState,
  isWebviewToHost,
  resultGuards,
} from '../../src/protocol/topology';
import { TopologySession, answerMessage, answerRequest, type TopologyEnv } from '../../src/core/topology/service';
import type { QueryRows } from '../../src/core/topology/graph';
import type { SqlCell } from '../../src/core/topology/cell';
import type { Db } from '../../src/core/store/db';
import { ARN, openFixture } from './topology-fixture';

let db: Db;
let env: TopologyEnv;
const opened: SqlCell[] = [];
before(async () => {
  const f = await openFixture();
  db = f.db;
  env = { query: f.query, openSqlCell: async (c) => (opened.push(c), true) };
});
after(() => db.close());

test('the host accepts well-formed messages and rejects everything else', () => {
  assert.ok(isWebviewToHost({ kind: 'ready', version: 1 }));
  assert.ok(isWebviewToHost({ kind: 'request', id: 1, method: 'graph', params: defaultQuery() }));
  assert.ok(isWebviewToHost({ kind: 'request', id: 2, method: 'nodeDetails', params: { query: defaultQuery(), node: ARN.web1 } }));
  assert.ok(isWebviewToHost({ kind: 'state', state: { ...defaultViewState(), positions: { a: [1, 2] }, zoom: { x: 0, y: 0, k: 1 } } }));
  const bad: unknown[] = [
    null, 'graph', [], { kind: 'request', id: 1, method: 'sql', params: {} },
    { kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), level: 'planet' } },
    { kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), port: 70000 } },
    { kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), sql: 'DROP TABLE conversations' } },
    { kind: 'request', id: 1.5, method: 'graph', params: defaultQuery() },
    { kind: 'request', id: 1, method: 'graph', params: defaultQuery(), extra: true },
    { kind: 'request', id: 1, method: 'graph', params: defaultQuery(), lane: 7 },
    { kind: 'request', id: 1, method: 'graph', params: defaultQuery(), lane: 'x'.repeat(40) },
    { kind: 'request', id: 1, method: 'nodeDetails', params: { query: defaultQuery(), node: 'x'.repeat(5000) } },
    { kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), from: Number.NaN } },
    { kind: 'state', state: { ...defaultViewState(), highlights: ['everything'] } },
    { kind: 'ready' },
  ];
  for (const m of bad) assert.equal(isWebviewToHost(m), false, JSON.stringify(m)?.slice(0, 120));
});

test('the webview accepts init, replies and notifications only in their shapes', () => {
  assert.ok(isHostToWebview({ kind: 'init', version: 1, dataset: 'sample', state: null }));
  assert.ok(isHostToWebview({ kind: 'reply', id: 3, ok: false, error: 'no dataset' }));
  assert.ok(isHostToWebview({ kind: 'notify', event: 'datasetChanged', dataset: null }));
  assert.equal(isHostToWebview({ kind: 'init', version: 1, dataset: 'x', state: { level: 'resource' } }), false);
  assert.equal(isHostToWebview({ kind: 'reply', id: 3, ok: false }), false);
  assert.equal(isHostToWebview({ kind: 'notify', event: 'other', dataset: null }), false);
  // the sidebar's "Show on map": a rule's id and words, nothing else
  assert.ok(isHostToWebview({ kind: 'notify', event: 'showRule', rule: { id: 'sgr-1', label: 'in tcp 443 from 0.0.0.0/0 · web' } }));
  assert.equal(isHostToWebview({ kind: 'notify', event: 'showRule', rule: { id: 'sgr-1' } }), false);
  assert.equal(isHostToWebview({ kind: 'notify', event: 'showRule', dataset: null }), false);
  assert.ok(isViewState({ ...defaultViewState(), rule: { id: 'sgr-1', label: 'x' } }));
  assert.equal(isViewState({ ...defaultViewState(), rule: { id: 7, label: 'x' } }), false);
  assert.ok(isWebviewToHost({ kind: 'request', id: 2, method: 'ruleEdges', params: { query: defaultQuery(), rule: 'sgr-1' } }));
  assert.equal(isWebviewToHost({ kind: 'request', id: 2, method: 'ruleEdges', params: { query: defaultQuery(), rule: 'x'.repeat(5000) } }), false);
  assert.ok(resultGuards.ruleEdges({ edges: [{ source: 'a', target: 'b', bytes: 3, conversations: 1 }] }));
  assert.equal(resultGuards.ruleEdges({ edges: [{ source: 'a', target: 'b', bytes: 3 }] }), false);
});

test('requests are answered from the dataset, and the answers pass the webview guards', async () => {
  const g = await answerRequest(env, { kind: 'request', id: 7, method: 'graph', params: defaultQuery() });
  assert.equal(g.id, 7);
  assert.ok(g.ok && isGraph(g.result));
  assert.ok(isHostToWebview(g));
  const d = await answerMessage(env, { kind: 'request', id: 8, method: 'nodeDetails', params: { query: defaultQuery(), node: ARN.web1 } });
  assert.ok(d && d.ok && resultGuards.nodeDetails(d.result));
  const e = await answerMessage(env, { kind: 'request', id: 9, method: 'edgeDetails', params: { query: defaultQuery(), source: ARN.api, target: ARN.web1 } });
  assert.ok(e && e.ok && resultGuards.edgeDetails(e.result));
  const t = await answerMessage(env, { kind: 'request', id: 10, method: 'timeline', params: defaultQuery() });
  assert.ok(t && t.ok && resultGuards.timeline(t.result));
  assert.equal(await answerMessage(env, { kind: 'ready', version: 1 }), undefined);
  await assert.rejects(answerMessage(env, { kind: 'request', id: 1, method: 'graph', params: { level: 'x' } }), /does not match the protocol/);
});

test('Open in SQL hands the notebook a cell with the bound parameters', async () => {
  const r = await answerRequest(env, { kind: 'request', id: 11, method: 'openInSql', params: { query: { ...defaultQuery(), level: 'app' }, node: 'app:shop' } });
  assert.deepEqual(r, { kind: 'reply', id: 11, ok: true, result: { opened: true } });
  const cell = opened.at(-1)!;
  assert.deepEqual(cell.params.node, { type: 'VARCHAR', value: 'app:shop' });
  assert.deepEqual(cell.params.tagKey, { type: 'VARCHAR', value: 'app' });
  const bad = await answerRequest(env, { kind: 'request', id: 12, method: 'openInSql', params: { query: defaultQuery() } });
  assert.deepEqual(bad, { kind: 'reply', id: 12, ok: false, error: 'openInSql failed: openInSql needs a node, or a source and a target' });
});

test('a failing query becomes an error reply naming the method', async () => {
  const broken: TopologyEnv = { query: async () => { throw new Error('no dataset is open'); } };
  const r = await answerRequest(broken, { kind: 'request', id: 13, method: 'graph', params: defaultQuery() });
  assert.deepEqual(r, { kind: 'reply', id: 13, ok: false, error: 'graph failed: no dataset is open' });
});

/** The fixture's queries, each first held until released (a slow query); an abort interrupts a held one. */
function heldQueries(query: QueryRows): { query: QueryRows; release: () => void; count: () => number } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let n = 0;
  return {
    count: () => n,
    release: () => open(),
    query: async (sql, params, signal) => {
      n++;
      await new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('Interrupted')), { once: true });
        void gate.then(resolve);
      });
      return query(sql, params);
    },
  };
}

test('a newer graph request cancels the one in flight; another lane and other methods are left alone', async () => {
  const held = heldQueries(env.query);
  const session = new TopologySession({ query: held.query });
  const request = (id: number, method: 'graph' | 'timeline', params: object, lane?: string) =>
    session.answer({ kind: 'request', id, method, params, ...(lane ? { lane } : {}) } as never);
  const first = request(1, 'graph', { ...defaultQuery(), level: 'app' });
  const compare = request(2, 'graph', { ...defaultQuery(), from: 0, to: 1 }, 'compare');
  const timeline = request(3, 'timeline', defaultQuery());
  const second = request(4, 'graph', defaultQuery());
  const stale = await first;
  assert.equal(stale.ok, false);
  assert.deepEqual(stale, { kind: 'reply', id: 1, ok: false, error: 'graph cancelled: a newer request replaced it', cancelled: true });
  assert.ok(isHostToWebview(stale), 'the webview accepts the cancelled reply (and shows nothing for it)');
  held.release();
  const [fresh, other, tl] = await Promise.all([second, compare, timeline]);
  assert.ok(fresh.ok && isGraph(fresh.result) && fresh.result.query.level === 'resource' && fresh.result.edges.length === 9);
  assert.ok(other.ok && isGraph(other.result));
  assert.ok(tl.ok && resultGuards.timeline(tl.result));
});

test('the timeline is computed once per filter set: changing level or window does not query it again', async () => {
  let n = 0;
  const session = new TopologySession({ query: (sql, params) => (n++, env.query(sql, params)) });
  const timeline = async (id: number, params: object) => {
    const before = n;
    const r = await session.answer({ kind: 'request', id, method: 'timeline', params } as never);
    assert.ok(r.ok);
    return { result: r.result, queries: n - before };
  };
  const a = await timeline(1, defaultQuery());
  assert.ok(a.queries > 0);
  const b = await timeline(2, { ...defaultQuery(), level: 'vpc', from: 0, to: 10_000_000_000_000 });
  assert.deepEqual(b, { result: a.result, queries: 0 });
  const c = await timeline(3, { ...defaultQuery(), action: 'reject' });
  assert.ok(c.queries > 0);
  assert.notDeepEqual(c.result, a.result);
  session.forget();
  assert.ok((await timeline(4, defaultQuery())).queries > 0, 'changed data is read again');
  assert.equal((await timeline(5, defaultQuery())).queries, 0);
  session.reset();
  assert.ok((await timeline(6, defaultQuery())).queries > 0, 'another dataset is read');
});

test('a folded graph request answers what the map draws; folding it again (expand, search) reads nothing', async () => {
  let n = 0;
  const session = new TopologySession({ query: (sql, params) => (n++, env.query(sql, params)) });
  const graph = async (id: number, params: object) => {
    const before = n;
    const r = await session.answer({ kind: 'request', id, method: 'graph', params } as never);
    assert.ok(r.ok && isGraph(r.result), r.ok ? 'a graph' : r.error);
    return { g: r.result, queries: n - before };
  };
  const whole = await graph(1, defaultQuery());
  const fold = { maxNodes: 4, expanded: [], search: '', keep: [] };
  const folded = await graph(2, { ...defaultQuery(), fold });
  assert.equal(folded.queries, 0, 'the same query: the kept graph is folded');
  assert.ok(folded.g.nodes.length < whole.g.nodes.length && folded.g.nodes.some((x) => x.kind === 'more'), `${folded.g.nodes.length} of ${whole.g.nodes.length} nodes`);
  assert.equal(folded.g.total, whole.g.nodes.length);
  assert.ok(JSON.stringify(folded.g).length < JSON.stringify(whole.g).length);
  // a search brings a folded node out, without a query
  const hidden = whole.g.nodes.find((x) => !folded.g.nodes.some((y) => y.id === x.id))!;
  const found = await graph(3, { ...defaultQuery(), fold: { ...fold, search: hidden.label } });
  assert.equal(found.queries, 0);
  assert.ok(found.g.nodes.some((x) => x.id === hidden.id), `${hidden.label} is shown`);
  // another window is queried
  assert.ok((await graph(4, { ...defaultQuery(), from: 0, fold })).queries > 0);
  session.forget();
  assert.ok((await graph(5, { ...defaultQuery(), fold })).queries > 0, 'changed data is read again');
  assert.ok(isWebviewToHost({ kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), fold } }));
  assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'graph', params: { ...defaultQuery(), fold: { ...fold, maxNodes: -1 } } }));
});

test('the empty state runs only its two commands, and says whether one started', async () => {
  const ran: string[] = [];
  const withCommands: TopologyEnv = { ...env, runCommand: async (c) => (ran.push(c), true) };
  assert.ok(isWebviewToHost({ kind: 'request', id: 20, method: 'runCommand', params: { command: 'enrichSample' } }));
  assert.ok(!isWebviewToHost({ kind: 'request', id: 20, method: 'runCommand', params: { command: 'workbench.action.terminal.new' } }));
  assert.ok(isWebviewToHost({ kind: 'state', state: { ...defaultViewState(), expanded: ['ecs:task'], maxNodes: 0 } }));
  assert.ok(!isWebviewToHost({ kind: 'state', state: { ...defaultViewState(), maxNodes: -1 } }));
  const r = await answerRequest(withCommands, { kind: 'request', id: 21, method: 'runCommand', params: { command: 'enrichSample' } });
  assert.deepEqual(r, { kind: 'reply', id: 21, ok: true, result: { started: true } });
  assert.ok(resultGuards.runCommand((r as { result: unknown }).result));
  assert.deepEqual(ran, ['enrichSample']);
  // a host without the editor's commands (the CLI, tests) starts nothing
  assert.deepEqual(await answerRequest(env, { kind: 'request', id: 22, method: 'runCommand', params: { command: 'enrich' } }), { kind: 'reply', id: 22, ok: true, result: { started: false } });
});
