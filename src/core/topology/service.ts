/**
 * Answers the topology webview's requests (src/protocol/topology.ts) over a dataset. No 'vscode':
 * the panel host passes the editor's actions (open a notebook cell, copy, save a file) in `env`.
 */
import { foldGraph } from '../../shared/fold';
import {
  isWebviewToHost,
  type Graph,
  type GraphQuery,
  type TopologyMethods,
  type TopologyReply,
  type TopologyRequest,
} from '../../protocol/topology';
import { edgeCell, nodeCell, type SqlCell } from './cell';
import { ruleEdges } from '../secgroups/ruleEdges';
import { topologyEdgeDetails, topologyGraph, topologyNodeDetails, topologyTimeline, type QueryRows } from './graph';

export interface TopologyEnv {
  /** The active dataset's query function; throws when no dataset is open. */
  query: QueryRows;
  /** Opens (and runs) a notebook cell; resolves false when the user has nowhere to open it. */
  openSqlCell?: (cell: SqlCell) => Promise<boolean>;
  copyText?: (text: string) => Promise<void>;
  /** Asks where to save and writes the file; resolves the path, or null when the user cancelled. */
  saveExport?: (format: 'svg' | 'png', data: string) => Promise<string | null>;
  /** Runs one of the editor's commands (the empty state's buttons); resolves whether it started. */
  runCommand?: (command: 'enrichSample' | 'enrich') => Promise<boolean>;
  maxEdges?: number;
  /** The whole graph of a query (no fold): TopologySession keeps the last one of each lane. */
  wholeGraph?: (q: GraphQuery, lane: string) => Promise<Graph>;
}

type Handlers = { [M in keyof TopologyMethods]: (p: TopologyMethods[M]['params']) => Promise<TopologyMethods[M]['result']> };

function handlers(env: TopologyEnv, lane: string): Handlers {
  return {
    graph: async ({ fold, ...q }) => {
      const whole = await (env.wholeGraph ? env.wholeGraph(q, lane) : topologyGraph(env.query, q, { maxEdges: env.maxEdges }));
      // what the map draws: folded here, so the reply holds tens of nodes rather than every one
      return fold ? foldGraph(whole, fold) : whole;
    },
    timeline: (q) => topologyTimeline(env.query, q),
    nodeDetails: (p) => topologyNodeDetails(env.query, p.query, p.node),
    edgeDetails: (p) => topologyEdgeDetails(env.query, p.query, p.source, p.target),
    openInSql: async (p) => {
      let cell: SqlCell;
      if (p.node !== undefined) cell = nodeCell(p.query, p.node);
      else if (p.source !== undefined && p.target !== undefined) cell = edgeCell(p.query, p.source, p.target);
      else throw new Error('openInSql needs a node, or a source and a target');
      return { opened: env.openSqlCell ? await env.openSqlCell(cell) : false };
    },
    copyText: async (p) => {
      if (!env.copyText) return { copied: false };
      await env.copyText(p.text);
      return { copied: true };
    },
    exportImage: async (p) => ({ saved: env.saveExport ? await env.saveExport(p.format, p.data) : null }),
    ruleEdges: async (p) => ({ edges: await ruleEdges(env.query, p.query, p.rule) }),
    runCommand: async (p) => ({ started: env.runCommand ? await env.runCommand(p.command) : false }),
  };
}

/** Answers one request; errors become an `ok: false` reply naming what failed. `signal` interrupts its queries. */
export async function answerRequest(env: TopologyEnv, req: TopologyRequest, signal?: AbortSignal): Promise<TopologyReply> {
  try {
    const query: QueryRows = (sql, params) => {
      if (signal?.aborted) throw new Error('cancelled: a newer request replaced it');
      return env.query(sql, params, signal);
    };
    const h = handlers({ ...env, query }, req.lane ?? '')[req.method] as (p: unknown) => Promise<unknown>;
    const result = await h(req.params);
    if (signal?.aborted) throw new Error('cancelled: a newer request replaced it');
    return { kind: 'reply', id: req.id, ok: true, result };
  } catch (err) {
    if (signal?.aborted) return { kind: 'reply', id: req.id, ok: false, error: `${req.method} cancelled: a newer request replaced it`, cancelled: true };
    return { kind: 'reply', id: req.id, ok: false, error: `${req.method} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The requests that a newer one of the same method (and lane) makes stale: what they answer is no longer shown. */
const SUPERSEDED: ReadonlySet<string> = new Set(['graph', 'timeline', 'nodeDetails', 'edgeDetails', 'ruleEdges']);

/**
 * One panel's requests: a graph, timeline or details request cancels the one of the same method and lane still in
 * flight (its queries are interrupted, and it is answered `ok: false`, "cancelled"), so dragging the brush or
 * changing level runs the last request only instead of queueing every one before it.
 */
export class TopologySession {
  private readonly inflight = new Map<string, AbortController>();
  /**
   * Timelines by the filters they depend on: the strip shows the whole dataset whatever the level and the window,
   * so changing level or brushing does not compute it again (until the dataset changes: reset()).
   */
  private readonly timelines = new Map<string, unknown>();
  /**
   * The last whole graph of each lane, by its query: expanding a "+N more" node, searching or choosing how many
   * nodes to show folds it again without querying the dataset. Its queries are interrupted when another query
   * of the lane replaces it, not when a request that shares it is replaced (a search typed on).
   */
  private readonly whole = new Map<string, { key: string; graph: Promise<Graph>; stop: AbortController }>();
  private readonly env: TopologyEnv;

  constructor(env: TopologyEnv) {
    this.env = {
      ...env,
      wholeGraph: (q, lane) => {
        const key = JSON.stringify(q);
        const known = this.whole.get(lane);
        if (known?.key === key) return known.graph;
        known?.stop.abort();
        const stop = new AbortController();
        const graph = topologyGraph((sql, params) => env.query(sql, params, stop.signal), q, { maxEdges: env.maxEdges });
        this.whole.set(lane, { key, graph, stop });
        // a failed or interrupted query is not kept
        graph.catch(() => {
          if (this.whole.get(lane)?.graph === graph) this.whole.delete(lane);
        });
        return graph;
      },
    };
  }

  async answer(req: TopologyRequest): Promise<TopologyReply> {
    if (req.method === 'timeline') {
      const { action, protocol, port, tag } = req.params as GraphQuery;
      const key = JSON.stringify([action, protocol, port, tag]);
      const known = this.timelines.get(key);
      if (known) return { kind: 'reply', id: req.id, ok: true, result: known };
      const reply = await this.run(req);
      if (reply.ok) {
        if (this.timelines.size >= 16) this.timelines.clear();
        this.timelines.set(key, reply.result);
      }
      return reply;
    }
    return this.run(req);
  }

  private async run(req: TopologyRequest): Promise<TopologyReply> {
    if (!SUPERSEDED.has(req.method)) return answerRequest(this.env, req);
    const key = `${req.method}\u0000${req.lane ?? ''}`;
    this.inflight.get(key)?.abort();
    const controller = new AbortController();
    this.inflight.set(key, controller);
    try {
      return await answerRequest(this.env, req, controller.signal);
    } finally {
      if (this.inflight.get(key) === controller) this.inflight.delete(key);
    }
  }

  /** Cancels everything in flight and forgets what it knew: the panel closed, or another dataset is shown. */
  reset(): void {
    for (const c of this.inflight.values()) c.abort();
    this.inflight.clear();
    for (const w of this.whole.values()) w.stop.abort();
    this.forget();
  }

  /** Forgets what it kept (the timelines, the last graph): the data may have changed under the same dataset. */
  forget(): void {
    this.timelines.clear();
    this.whole.clear();
  }
}

/** Checks an inbound message and answers it when it is a request; other valid messages return undefined. */
export async function answerMessage(env: TopologyEnv | TopologySession, msg: unknown): Promise<TopologyReply | undefined> {
  if (!isWebviewToHost(msg)) throw new Error('the topology view sent a message that does not match the protocol');
  if (msg.kind !== 'request') return undefined;
  return env instanceof TopologySession ? env.answer(msg) : answerRequest(env, msg);
}
