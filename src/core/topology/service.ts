/**
 * Answers the topology webview's requests (src/protocol/topology.ts) over a dataset. No 'vscode':
 * the panel host passes the editor's actions (open a notebook cell, copy, save a file) in `env`.
 */
import {
  isWebviewToHost,
  type TopologyMethods,
  type TopologyReply,
  type TopologyRequest,
} from '../../protocol/topology';
import { edgeCell, nodeCell, type SqlCell } from './cell';
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
}

type Handlers = { [M in keyof TopologyMethods]: (p: TopologyMethods[M]['params']) => Promise<TopologyMethods[M]['result']> };

function handlers(env: TopologyEnv): Handlers {
  return {
    graph: (q) => topologyGraph(env.query, q, { maxEdges: env.maxEdges }),
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
    runCommand: async (p) => ({ started: env.runCommand ? await env.runCommand(p.command) : false }),
  };
}

/** Answers one request; errors become an `ok: false` reply naming what failed. */
export async function answerRequest(env: TopologyEnv, req: TopologyRequest): Promise<TopologyReply> {
  try {
    const h = handlers(env)[req.method] as (p: unknown) => Promise<unknown>;
    return { kind: 'reply', id: req.id, ok: true, result: await h(req.params) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'reply', id: req.id, ok: false, error: `${req.method} failed: ${message}` };
  }
}

/** Checks an inbound message and answers it when it is a request; other valid messages return undefined. */
export async function answerMessage(env: TopologyEnv, msg: unknown): Promise<TopologyReply | undefined> {
  if (!isWebviewToHost(msg)) throw new Error('the topology view sent a message that does not match the protocol');
  if (msg.kind !== 'request') return undefined;
  return answerRequest(env, msg);
}
