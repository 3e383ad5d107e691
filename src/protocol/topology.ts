/**
 * The protocol between the topology panel host (src/host/topology.ts) and its webview
 * (webview/topology/main.ts). Types and runtime guards only: no 'vscode', no DOM, no DuckDB.
 *
 * Handshake: the webview posts `{ kind: 'ready', version }` once its script runs; the host answers with
 * `{ kind: 'init', ... }` (dataset name, the state to restore). Until then the host sends nothing.
 * Webview -> host: requests `{ kind: 'request', id, method, params }`; each gets exactly one
 * `{ kind: 'reply', id, ok, result | error }`. Host -> webview notifications: `{ kind: 'notify', event, ... }`.
 * Both sides check every inbound message with the guards below and drop what does not match.
 * The webview never sees SQL or credentials: it names what it wants (a level, a window, a node id).
 */

import { arrayOf, isBool, isInt, isNum, isObject, isString, nullable, oneOf, opt, record, request, shape, type Guard, type Guarded } from './guards';

export type { Guard, Guarded };

export const TOPOLOGY_PROTOCOL_VERSION = 1;

export const LEVELS = ['resource', 'app', 'security-group', 'subnet', 'az', 'vpc', 'account', 'region'] as const;
export type Level = (typeof LEVELS)[number];

export const WEIGHTS = ['bytes', 'flows', 'cost'] as const;
export type Weight = (typeof WEIGHTS)[number];

/** How the traffic of an edge travelled; an edge's colour is the kind carrying most of its bytes. */
export const EDGE_KINDS = ['same-az', 'cross-az', 'cross-region', 'nat', 'igw', 'peering-tgw', 'endpoint', 'other', 'rejected'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** Findings of the query templates, drawn as highlights on the map. */
export const FINDINGS = ['alb-bypass', 'lambda-rds-no-proxy', 'cross-az', 'nat-to-endpoint'] as const;
export type Finding = (typeof FINDINGS)[number];

export const ACTIONS = ['all', 'accept', 'reject'] as const;
export type ActionFilter = (typeof ACTIONS)[number];

/** What the host aggregates: everything here is applied in SQL. Times are epoch milliseconds, [from, to). */
export interface GraphQuery {
  level: Level;
  /** The tag key that defines an app (level 'app'); default 'app'. */
  tagKey: string;
  from?: number;
  to?: number;
  action: ActionFilter;
  protocol?: number;
  /** Server port. */
  port?: number;
  /** Keep conversations where either side carries this tag. */
  tag?: { key: string; value: string };
  /** The graph folded as the map shows it (a graph request): the reply holds what is drawn, not every node. */
  fold?: FoldRequest;
}

/** How a map folds its graph (src/shared/fold.ts foldGraph). */
export interface FoldRequest {
  /** At most this many nodes; 0 for all. */
  maxNodes: number;
  /** Node types whose "+N more" node was clicked, once per click. */
  expanded: string[];
  /** Its first 20 matches are never folded. */
  search: string;
  /** Never folded (the selected and the focused node). */
  keep: string[];
}

export interface GraphNode {
  /** Stable key at its level: a resource ARN, 'aws:S3', 'internet', 'app:checkout', 'subnet:subnet-1', ... */
  id: string;
  label: string;
  /** The resource type (ec2:instance, ...), or the level for aggregated nodes, or 'aws-service' / 'internet'. */
  type: string;
  kind?: string;
  /** Grouping boxes this node sits in, when it sits in exactly one. */
  account?: string;
  vpc?: string;
  az?: string;
  region?: string;
  /** How many resources the node stands for. */
  members: number;
  bytesIn: number;
  bytesOut: number;
}

export interface GraphEdge {
  /** `${source}\u2192${target}` */
  id: string;
  /** The client side. */
  source: string;
  /** The server side. */
  target: string;
  /** uploaded (client -> server) and downloaded (server -> client) bytes. */
  up: number;
  down: number;
  bytes: number;
  flows: number;
  /** Estimated transfer cost in USD (see src/core/topology/cost.ts for the rates). */
  cost: number;
  kind: EdgeKind;
  /** Bytes by kind. */
  kinds: Partial<Record<EdgeKind, number>>;
  findings: Finding[];
}

export interface Graph {
  query: GraphQuery;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Edges left out by the cap (the smallest ones), 0 when none. */
  droppedEdges: number;
  /** A folded graph: how many nodes there were before folding. */
  total?: number;
  /** The window actually covered by the data, epoch ms (null when empty). */
  dataFrom: number | null;
  dataTo: number | null;
}

export interface TimelineBucket {
  t: number;
  bytes: number;
}

export interface Timeline {
  /** Bucket width in ms. */
  step: number;
  buckets: TimelineBucket[];
}

export interface Peer {
  id: string;
  label: string;
  bytes: number;
  flows: number;
}

export interface NodeDetails {
  id: string;
  label: string;
  type: string;
  kind?: string;
  arn?: string;
  accounts: string[];
  regions: string[];
  vpcs: string[];
  subnets: string[];
  azs: string[];
  securityGroups: { id: string; name?: string }[];
  tags: { key: string; value: string }[];
  /** Resources the node stands for (aggregated levels), by bytes, at most 50. */
  members: { arn: string; label: string; bytes: number }[];
  /** Clients of this node (traffic in) and servers it calls (traffic out), by bytes, at most 10 each. */
  peersIn: Peer[];
  peersOut: Peer[];
  /** A transit gateway's node (`tgw:<id>`): what went through it in the view's window. */
  transitGateway?: TransitGatewayFigures;
}

/** The node type of a transit gateway: traffic through one is drawn through its node, `tgw:<id>`. */
export const TRANSIT_GATEWAY_TYPE = 'ec2:transit-gateway';

/**
 * The traffic through one transit gateway: each conversation once (its two legs on the map carry the same bytes),
 * the bytes of those that crossed AZs, accounts or regions, and the bytes each attachment carried (a conversation
 * counts at the attachment on each side: in its client's VPC and in its server's).
 */
export interface TransitGatewayFigures {
  id: string;
  account?: string;
  region?: string;
  up: number;
  down: number;
  flows: number;
  cost: number;
  crossAzBytes: number;
  crossAccountBytes: number;
  crossRegionBytes: number;
  /** One per VPC the traffic came from or went to (by bytes): the attachment there; no id for a side outside any known VPC. */
  attachments: { id?: string; label: string; vpc?: string; account?: string; bytes: number }[];
}

export interface EdgeDetails {
  source: string;
  target: string;
  sourceLabel: string;
  targetLabel: string;
  up: number;
  down: number;
  flows: number;
  cost: number;
  ports: { protocol: number; port: number | null; bytes: number; flows: number }[];
  egressPaths: { path: string; bytes: number }[];
  kinds: Partial<Record<EdgeKind, number>>;
  findings: Finding[];
}

/** A security-group rule shown on the map (chosen in the sidebar's Security groups): its id and its words. */
export interface ShownRule {
  id: string;
  label: string;
}

/** An edge a security-group rule carried: the map's client and server nodes at the query's level. */
export interface RuleEdge {
  source: string;
  target: string;
  bytes: number;
  /** Conversation-minutes, as an edge's flows count them. */
  conversations: number;
}

/** What the webview remembers (getState/setState, and the panel serializer on restart). */
export interface ViewState {
  query: GraphQuery;
  weight: Weight;
  minBytes: number;
  search: string;
  highlights: Finding[];
  /** Neighbourhood focus: a node and a hop count. */
  focus?: { node: string; hops: number };
  selection?: { type: 'node' | 'edge'; id: string };
  zoom?: { x: number; y: number; k: number };
  /** Period compare: the other window (epoch ms). */
  compare?: { from: number; to: number };
  /** Cached node positions (rounded) by `<dataset> <level> <node id>`, so the map comes back the same. */
  positions?: Record<string, [number, number]>;
  /** Node types whose "+N more" node was expanded (every node of the type is shown). */
  expanded?: string[];
  /** How many nodes the map shows before it folds the smaller ones into "+N more" nodes: 60 unless set; 0 is all. */
  maxNodes?: number;
  /** A security-group rule whose edges are highlighted (the others dimmed) until cleared. */
  rule?: ShownRule;
}

/** Every request's parameters and result, derived from its guards (TOPOLOGY_REQUESTS, the one place a request is written). */
export type TopologyMethods = { [M in keyof typeof TOPOLOGY_REQUESTS]: { params: Guarded<(typeof TOPOLOGY_REQUESTS)[M]['params']>; result: Guarded<(typeof TOPOLOGY_REQUESTS)[M]['result']> } };
export type TopologyMethod = keyof TopologyMethods;

export interface TopologyRequest<M extends TopologyMethod = TopologyMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: TopologyMethods[M]['params'];
  /**
   * A graph, timeline or details request cancels the one of the same method and lane still in flight (the host
   * interrupts its queries and answers it "cancelled"): the view's own requests use the default lane, a period
   * compare's graph the lane 'compare', the ports an edge's hover shows the lane 'hover'.
   */
  lane?: string;
}

export interface ReadyMessage {
  kind: 'ready';
  version: number;
}

/** The webview tells the host what to persist for the serializer (the same object as setState). */
export interface StateMessage {
  kind: 'state';
  state: ViewState;
}

export type WebviewToHost = TopologyRequest | ReadyMessage | StateMessage;

export interface InitMessage {
  kind: 'init';
  version: number;
  dataset: string | null;
  state: ViewState | null;
}

export type TopologyReply =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  /** cancelled: a newer request of the same method and lane replaced this one; nothing is wrong, nothing to show. */
  | { kind: 'reply'; id: number; ok: false; error: string; cancelled?: true };

export type NotifyMessage =
  | { kind: 'notify'; event: 'datasetChanged'; dataset: string | null }
  /** Highlight the edges this rule carried (the sidebar's "Show on map"). */
  | { kind: 'notify'; event: 'showRule'; rule: ShownRule };

export type HostToWebview = InitMessage | TopologyReply | NotifyMessage;

// ------------------------------------------------------------------------------------------ guards

/** Text the webview may send: bounded so a bad message cannot make the host build huge SQL. */
const isShortString = (x: unknown): x is string => typeof x === 'string' && x.length <= 2048;
const isTime = (x: unknown): x is number => isNum(x) && x >= 0 && x < 1e15;

export const isLevel = oneOf(LEVELS);
export const isWeight = oneOf(WEIGHTS);
export const isEdgeKind = oneOf(EDGE_KINDS);
export const isFinding = oneOf(FINDINGS);

export const isGraphQuery: Guard<GraphQuery> = shape<GraphQuery>({
  level: isLevel,
  tagKey: (x): x is string => isShortString(x) && x.length > 0,
  from: opt(isTime),
  to: opt(isTime),
  action: oneOf(ACTIONS),
  protocol: opt((x): x is number => isInt(x) && x >= 0 && x <= 255),
  port: opt((x): x is number => isInt(x) && x >= 0 && x <= 65535),
  tag: opt(shape({ key: isShortString, value: isShortString })),
  fold: opt(shape<FoldRequest>({
    maxNodes: (x): x is number => isInt(x) && x >= 0 && x <= 1_000_000,
    expanded: (x): x is string[] => arrayOf(isShortString)(x) && x.length <= 1000,
    search: isShortString,
    keep: (x): x is string[] => arrayOf(isShortString)(x) && x.length <= 100,
  })),
});

const isShownRule = shape<ShownRule>({ id: isShortString, label: isShortString });

const isPoint = (x: unknown): x is [number, number] => Array.isArray(x) && x.length === 2 && isNum(x[0]) && isNum(x[1]);

export const isViewState: Guard<ViewState> = shape<ViewState>({
  query: isGraphQuery,
  weight: isWeight,
  minBytes: (x): x is number => isNum(x) && x >= 0,
  search: isShortString,
  highlights: arrayOf(isFinding),
  focus: opt(shape({ node: isShortString, hops: (x): x is number => isInt(x) && x >= 0 && x <= 10 })),
  selection: opt(shape({ type: oneOf(['node', 'edge'] as const), id: isShortString })),
  zoom: opt(shape({ x: isNum, y: isNum, k: (x): x is number => isNum(x) && x > 0 })),
  compare: opt(shape({ from: isTime, to: isTime })),
  positions: opt(record(isString, isPoint)),
  expanded: opt(arrayOf(isShortString)),
  maxNodes: opt((x): x is number => isInt(x) && x >= 0 && x <= 1_000_000),
  rule: opt(isShownRule),
});

/** Runtime guard for everything the host receives from the webview. */
export function isWebviewToHost(x: unknown): x is WebviewToHost {
  if (!isObject(x)) return false;
  if (x.kind === 'ready') return isInt(x.version) && Object.keys(x).length === 2;
  if (x.kind === 'state') return isViewState(x.state) && Object.keys(x).length === 2;
  if (x.kind === 'request') {
    if (!isInt(x.id) || x.id < 0 || typeof x.method !== 'string') return false;
    if (!(TOPOLOGY_METHODS as readonly string[]).includes(x.method)) return false;
    if (x.lane !== undefined && !(isString(x.lane) && x.lane.length <= 32)) return false;
    return TOPOLOGY_REQUESTS[x.method as TopologyMethod].params(x.params) && Object.keys(x).length === (x.lane === undefined ? 4 : 5);
  }
  return false;
}

/** Runtime guard for everything the webview receives from the host (results are checked per method). */
export function isHostToWebview(x: unknown): x is HostToWebview {
  if (!isObject(x)) return false;
  if (x.kind === 'init') return isInt(x.version) && nullable(isString)(x.dataset) && (x.state === null || isViewState(x.state));
  if (x.kind === 'notify') return (x.event === 'datasetChanged' && nullable(isString)(x.dataset)) || (x.event === 'showRule' && isShownRule(x.rule));
  if (x.kind === 'reply') {
    if (!isInt(x.id) || !isBool(x.ok)) return false;
    return x.ok ? 'result' in x : isString(x.error) && (x.cancelled === undefined || x.cancelled === true);
  }
  return false;
}

const isKinds = record(isEdgeKind, isNum);

export const isGraphNode: Guard<GraphNode> = shape<GraphNode>({
  id: isString,
  label: isString,
  type: isString,
  kind: opt(isString),
  account: opt(isString),
  vpc: opt(isString),
  az: opt(isString),
  region: opt(isString),
  members: isNum,
  bytesIn: isNum,
  bytesOut: isNum,
});

export const isGraphEdge: Guard<GraphEdge> = shape<GraphEdge>({
  id: isString,
  source: isString,
  target: isString,
  up: isNum,
  down: isNum,
  bytes: isNum,
  flows: isNum,
  cost: isNum,
  kind: isEdgeKind,
  kinds: isKinds,
  findings: arrayOf(isFinding),
});

export const isGraph: Guard<Graph> = shape<Graph>({
  query: isGraphQuery,
  nodes: arrayOf(isGraphNode),
  edges: arrayOf(isGraphEdge),
  droppedEdges: isNum,
  total: opt(isNum),
  dataFrom: nullable(isNum),
  dataTo: nullable(isNum),
});

export const isTimeline: Guard<Timeline> = shape<Timeline>({
  step: isNum,
  buckets: arrayOf(shape({ t: isNum, bytes: isNum })),
});

const isPeer = shape<Peer>({ id: isString, label: isString, bytes: isNum, flows: isNum });

export const isNodeDetails: Guard<NodeDetails> = shape<NodeDetails>({
  id: isString,
  label: isString,
  type: isString,
  kind: opt(isString),
  arn: opt(isString),
  accounts: arrayOf(isString),
  regions: arrayOf(isString),
  vpcs: arrayOf(isString),
  subnets: arrayOf(isString),
  azs: arrayOf(isString),
  securityGroups: arrayOf(shape({ id: isString, name: opt(isString) })),
  tags: arrayOf(shape({ key: isString, value: isString })),
  members: arrayOf(shape({ arn: isString, label: isString, bytes: isNum })),
  peersIn: arrayOf(isPeer),
  peersOut: arrayOf(isPeer),
  transitGateway: opt(shape<TransitGatewayFigures>({
    id: isString,
    account: opt(isString),
    region: opt(isString),
    up: isNum,
    down: isNum,
    flows: isNum,
    cost: isNum,
    crossAzBytes: isNum,
    crossAccountBytes: isNum,
    crossRegionBytes: isNum,
    attachments: arrayOf(shape({ id: opt(isString), label: isString, vpc: opt(isString), account: opt(isString), bytes: isNum })),
  })),
});

export const isEdgeDetails: Guard<EdgeDetails> = shape<EdgeDetails>({
  source: isString,
  target: isString,
  sourceLabel: isString,
  targetLabel: isString,
  up: isNum,
  down: isNum,
  flows: isNum,
  cost: isNum,
  ports: arrayOf(shape({ protocol: isNum, port: nullable(isNum), bytes: isNum, flows: isNum })),
  egressPaths: arrayOf(shape({ path: isString, bytes: isNum })),
  kinds: isKinds,
  findings: arrayOf(isFinding),
});

/** Every request, once: the guard of its parameters (checked by the host) and of its result (checked by the webview). */
export const TOPOLOGY_REQUESTS = {
  graph: request(isGraphQuery, isGraph),
  timeline: request(isGraphQuery, isTimeline),
  nodeDetails: request(shape<{ query: GraphQuery; node: string }>({ query: isGraphQuery, node: isShortString }), isNodeDetails),
  edgeDetails: request(shape<{ query: GraphQuery; source: string; target: string }>({ query: isGraphQuery, source: isShortString, target: isShortString }), isEdgeDetails),
  /** Opens a notebook cell with SQL filtered to the node or edge, parameters bound. */
  openInSql: request(
    shape<{ query: GraphQuery; node?: string; source?: string; target?: string }>({ query: isGraphQuery, node: opt(isShortString), source: opt(isShortString), target: opt(isShortString) }),
    shape<{ opened: boolean }>({ opened: isBool }),
  ),
  copyText: request(shape<{ text: string }>({ text: isShortString }), shape<{ copied: boolean }>({ copied: isBool })),
  /** Saves an export; `data` is SVG text or a PNG data URL (an SVG or PNG of a big graph is large, but not unbounded). */
  exportImage: request(
    shape<{ format: 'svg' | 'png'; data: string }>({ format: oneOf(['svg', 'png'] as const), data: (x): x is string => typeof x === 'string' && x.length <= 64 * 1024 * 1024 }),
    shape<{ saved: string | null }>({ saved: nullable(isString) }),
  ),
  /** The edges a security-group rule carried at the query's level, in its window, under its filters. */
  ruleEdges: request(
    shape<{ query: GraphQuery; rule: string }>({ query: isGraphQuery, rule: isShortString }),
    shape<{ edges: RuleEdge[] }>({ edges: arrayOf(shape<RuleEdge>({ source: isString, target: isString, bytes: isNum, conversations: isNum })) }),
  ),
  /** The empty state's buttons: enrich the sample estate, or open the enrichment wizard. */
  runCommand: request(shape<{ command: 'enrichSample' | 'enrich' }>({ command: oneOf(['enrichSample', 'enrich'] as const) }), shape<{ started: boolean }>({ started: isBool })),
};

export const TOPOLOGY_METHODS = Object.keys(TOPOLOGY_REQUESTS) as TopologyMethod[];

/** The guard for each method's result, used by the webview on every reply. */
export const resultGuards = Object.fromEntries(TOPOLOGY_METHODS.map((m) => [m, TOPOLOGY_REQUESTS[m].result])) as { [M in TopologyMethod]: Guard<TopologyMethods[M]['result']> };

export function defaultQuery(): GraphQuery {
  return { level: 'resource', tagKey: 'app', action: 'all' };
}

export function defaultViewState(): ViewState {
  // the map opens at the app level (by the `app` tag, untagged resources by workload): tens of nodes, not hundreds
  return { query: { ...defaultQuery(), level: 'app' }, weight: 'bytes', minBytes: 0, search: '', highlights: [] };
}
