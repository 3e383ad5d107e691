/**
 * A local AWS endpoint for tests: one HTTP server on 127.0.0.1 that speaks the wire protocols the SDK uses
 * (EC2 query/XML, awsQuery XML for STS/ELBv2/RDS/ElastiCache, JSON 1.1 for CloudWatch Logs/Athena/Glue/tagging/
 * CloudTrail/ECS/Firehose, rest-json for Lambda, REST-XML for S3) and serves a sample estate directory:
 *   <estate>/inventory/<account>/<region>/<service>.<Operation>.json   (SDK output shapes)
 *   <estate>/flowlogs/<bucket>/<key…>                                 (S3 objects)
 *   <estate>/flowlogs/cloudwatch/<log-group>/<stream>.json            (FilterLogEvents output shape)
 * The caller's account is the one its credentials belong to: long-term keys are configured, temporary ones are
 * issued by AssumeRole (which checks the role name, the external id and the MFA code). Every request's SigV4
 * signature is computed again with the secret of its key (the SDK's own signer) and a wrong one is refused as AWS
 * refuses it (SignatureDoesNotMatch; EC2 AuthFailure; InvalidSignatureException for JSON protocols). Faults can be switched on
 * per service/operation/account/region/key: throttling, 5xx, AccessDenied, expired tokens, connection resets
 * and truncated bodies; and the answers of a broken endpoint: an HTML page (a proxy's), an operation it does not
 * implement, and a pagination token repeated forever.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, sep } from 'node:path';
import * as athenaSdk from '@aws-sdk/client-athena';
import * as glueSdk from '@aws-sdk/client-glue';
import { DuckDBInstance } from '@duckdb/node-api';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import * as stsSdk from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { APIS, dumpFileOf, SERVICES, type LiveService } from '../../../src/core/aws/apis';
import { SDK_MODULES } from '../../../src/core/aws/collect';
import type { Db } from '../../../src/core/store/db';
import { ec2ErrorXml, ec2Xml, jsonValue, operationSchema, queryErrorXml, queryXml, s3ErrorXml, xmlEscape } from './wire';

export interface EndpointUser {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
  /** IAM user name; the ARN is arn:aws:iam::<account>:user/<name>. */
  name?: string;
  /**
   * IAM actions this principal is not allowed (checked for the Glue actions an Athena DDL needs, glue:CreateTable and
   * glue:CreateDatabase, and for glue:GetPartitions).
   */
  denied?: string[];
}

export interface EndpointRole {
  /** Role name, e.g. FlowLogIntrospector. */
  name: string;
  /** Accounts where it exists; default every account of the estate. */
  accounts?: string[];
  externalId?: string;
  mfaSerial?: string;
  mfaCode?: string;
  /** Lifetime of issued credentials (default: the requested DurationSeconds). */
  sessionSeconds?: number;
  /** IAM actions the role is not allowed (as EndpointUser.denied). */
  denied?: string[];
}

export type FaultKind =
  | 'throttle'
  | 'server-error'
  | 'access-denied'
  | 'expired-token'
  | 'reset'
  | 'truncate'
  /** an HTML page instead of the API's answer (a proxy's block or login page), with `status` (default 200) */
  | 'html'
  /** the answer of an endpoint that does not implement the operation (InvalidAction, UnknownOperationException) */
  | 'not-implemented'
  /** a list page whose token is the one it was asked with (the first page's is a fresh one): paging never ends */
  | 'repeat-token'
  /** a body cut short, with the protocol's own content type (the SDK cannot parse it) */
  | 'garbled';

export interface Fault {
  kind: FaultKind;
  /** Signing name: ec2, sts, s3, logs, athena, elasticloadbalancing, rds, lambda, elasticache, tagging, cloudtrail, ecs. */
  service?: string;
  op?: string;
  account?: string;
  region?: string;
  /** S3: a substring of the object key. */
  key?: string;
  /** How many requests it hits (default: every matching request). */
  times?: number;
  /** 'html': the HTTP status of the page (default 200). */
  status?: number;
}

/** What a proxy answers instead of AWS. */
export const PROXY_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Access blocked</title></head><body><h1>This site is blocked</h1>' +
  '<p>The web proxy does not allow this address. Contact your network administrator.</p></body></html>\n';

/** A test's own dataset (the engine's Db) that can answer Athena's queries. */
type SqlRunner = Pick<Db, 'json' | 'all'>;

/**
 * AthenaEngine.run over a DuckDB database holding the table: the submitted SQL runs there as it is, its columns in
 * Athena's types (an UNLOAD writes its Parquet in them); Athena reads the table's objects whole, so what it scans is
 * their size, scannedBytes.
 */
export function duckDbAthenaRun(db: SqlRunner, scannedBytes: number): AthenaEngine['run'] {
  return async (sql) => {
    const rows = await db.json(sql);
    // (the columns as the query names them, rows or none: Athena's result of no row still has its columns)
    const columns = (await db.all<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`)).map((d) => ({ name: d.column_name, type: d.column_type.toLowerCase() }));
    return { columns, rows: rows.map((r) => columns.map(({ name }) => (r[name] === null ? null : String(r[name])))), scannedBytes };
  };
}

export interface AthenaEngine {
  /** Runs the submitted SQL; scannedBytes is what GetQueryExecution's statistics then say (default 0). */
  run(sql: string, ctx: { database?: string; catalog?: string }): Promise<{ columns: { name: string; type: string }[]; rows: (string | null)[][]; scannedBytes?: number }>;
  /** GetTableMetadata's answer for a table (undefined: no such table, EntityNotFoundException as MetadataException). */
  table?(ctx: { catalog: string; database: string; table: string }): Promise<{ columns: { name: string; type: string }[]; partitionKeys?: { name: string; type: string }[]; parameters?: Record<string, string> } | undefined>;
  /** Polls a query stays RUNNING before it runs (default 1): a cancel can then stop it while it runs. */
  runningPolls?: number;
  /**
   * Result rows a GetQueryResults page, and partitions a Glue GetPartitions page, hold at most (below the endpoint's
   * page size), so that paging is exercised.
   */
  pageSize?: number;
  /** Write each result as a CSV file at its output location, served by the S3 side (default true). */
  resultFiles?: boolean;
  /** GetWorkGroup's output location per workgroup (absent: the workgroup sets none, as when Athena manages results). */
  workgroupOutput?: Record<string, string>;
  /**
   * A DDL Athena was sent (CREATE EXTERNAL TABLE, CREATE DATABASE/SCHEMA) by a principal allowed its Glue action:
   * what it makes, the test registers (so that GetTableMetadata, GetDatabase and run then know it). Absent: such a
   * query fails as a statement this Athena cannot run.
   */
  ddl?(sql: string, ctx: { database?: string; catalog?: string }): Promise<void>;
  /** GetDatabase's answer: whether the database exists (absent: every database does). */
  database?(ctx: { catalog: string; database: string }): Promise<boolean>;
  /**
   * Glue GetPartitions' answer: the partitions registered for a table, in order (values in the table's key order,
   * the location of each). Undefined, or absent: no such table (EntityNotFoundException).
   */
  partitions?(ctx: { database: string; table: string }): Promise<{ values: string[]; location: string }[] | undefined>;
}

/** The Glue action an Athena DDL needs, and what it names: CREATE EXTERNAL TABLE → glue:CreateTable, CREATE DATABASE → glue:CreateDatabase. */
function ddlAction(sql: string): { action: string; resource: string } | undefined {
  const name = '`?([\\w-]+)`?';
  const t = new RegExp(`^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(?:${name}\\.)?${name}`, 'i').exec(sql);
  if (t) return { action: 'glue:CreateTable', resource: `table/${t[1] ?? 'default'}/${t[2]}` };
  const d = new RegExp(`^\\s*CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${name}`, 'i').exec(sql);
  if (d) return { action: 'glue:CreateDatabase', resource: `database/${d[1]}` };
  return undefined;
}

export interface EndpointOptions {
  estateDir: string;
  users?: EndpointUser[];
  roles?: EndpointRole[];
  /** Items per page for every paginated API (default 25), so pagination is always exercised. */
  pageSize?: number;
  athena?: AthenaEngine;
}

export interface RequestRecord {
  service: string;
  op: string;
  account?: string;
  region?: string;
  status: number;
  /** an injected fault, or 'signature' for a request refused for its signature */
  fault?: FaultKind | 'signature';
  key?: string;
  /** S3 ListObjectsV2: the prefix listed. */
  prefix?: string;
  /** Glue GetPartitions: the segment read (SegmentNumber/TotalSegments). */
  segment?: string;
}

export interface AwsEndpoint {
  url: string;
  faults: Fault[];
  requests: RequestRecord[];
  /** Every SQL text Athena received. */
  athenaQueries: string[];
  /** Every StartQueryExecution's input (workgroup, output location, result reuse, ...). */
  athenaStarts: Record<string, unknown>[];
  /** The engine Athena runs queries with (tests change its runningPolls). */
  athenaEngine?: AthenaEngine;
  /** Every temporary key id, secret and session token issued (tests search their outputs for them). */
  issuedSecrets: string[];
  /** CloudWatch Logs: events delivered to a log group from now on (as if its flow log wrote them now). */
  putLogEvents(group: string, events: { logStreamName: string; timestamp: number; message: string }[]): void;
  close(): Promise<void>;
}

interface Identity {
  account: string;
  arn: string;
  denied?: string[];
  userId: string;
  secret: string;
  token?: string;
  expires?: number;
}

/**
 * Each operation served from the estate's dump files, derived from the API descriptors (src/core/aws/apis.ts):
 * the list member, the request/response token names and the request page size, the member a wrapped answer's
 * request names its parent by, and the request member that selects items.
 */
interface Op {
  /** the CLI service (the dump file's first part) */
  service: LiveService;
  file: string;
  list: string;
  tokenIn?: string;
  tokenOut?: string;
  limit?: string;
  parent?: string;
  select?: { input: string; item: string };
  /** rest-json: the operation's method and path template, from the SDK's model */
  http?: [string, string];
}
/** The operations by signing name and operation. */
const OPS = new Map<string, Map<string, Op>>();
for (const d of APIS) {
  if (!d.sdk || !d.iam.length || d.service === 'ecs') continue; // ECS is served from its tasks (ecs() below)
  const service = d.service as LiveService;
  const signing = SERVICES[service].signing;
  const schema = SDK_MODULES[service][`${d.operation}$`] as unknown[] | undefined;
  const traits = schema?.[3] as { http?: [string, string, number] } | undefined;
  const op: Op = {
    service, file: dumpFileOf(d), list: d.listKey, ...(d.paging ?? {}), ...(d.wrapper ? { parent: d.wrapper } : {}), ...(d.select ? { select: d.select } : {}),
    ...(traits?.http ? { http: [traits.http[0], traits.http[1]] as [string, string] } : {}),
  };
  const ops = OPS.get(signing) ?? new Map<string, Op>();
  ops.set(d.operation, op);
  OPS.set(signing, ops);
}
const SDK_OF = new Map<string, Record<string, unknown>>(
  (Object.keys(SDK_MODULES) as LiveService[]).map((k) => [SERVICES[k].signing, SDK_MODULES[k]]),
);

/** The rest-json operation of `service` whose path template matches `path`, with its path labels. */
function restOperation(service: string, method: string, path: string): { op: string; labels: Record<string, string> } | undefined {
  for (const [name, o] of OPS.get(service) ?? []) {
    if (!o.http || o.http[0] !== method) continue;
    const names: string[] = [];
    const re = new RegExp(`^${o.http[1].replace(/\/$/, '').replace(/\{(\w+)\+?\}/g, (_m, n: string) => (names.push(n), '([^/]+)'))}/?$`);
    const m = re.exec(path);
    if (m) return { op: name, labels: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
  }
  return undefined;
}

/** Services that answer in JSON (JSON 1.1, or rest-json). */
const JSON_PROTOCOL = ['logs', 'athena', 'glue', ...Object.values(SERVICES).filter((x) => x.protocol === 'json' || x.protocol === 'rest-json').map((x) => x.signing)];
const REST_JSON: string[] = Object.values(SERVICES).filter((x) => x.protocol === 'rest-json').map((x) => x.signing);
const QUERY_XML: string[] = ['sts', ...Object.values(SERVICES).filter((x) => x.protocol === 'query').map((x) => x.signing)];

function errorCodes(service: string, kind: FaultKind): { code: string; status: number } {
  const json = JSON_PROTOCOL.includes(service);
  switch (kind) {
    case 'throttle':
      if (service === 'ec2') return { code: 'RequestLimitExceeded', status: 503 };
      if (service === 's3') return { code: 'SlowDown', status: 503 };
      if (service === 'athena' || service === 'lambda') return { code: 'TooManyRequestsException', status: 429 };
      if (service === 'tagging') return { code: 'ThrottledException', status: 400 };
      return { code: json ? 'ThrottlingException' : 'Throttling', status: 400 };
    case 'server-error':
      if (service === 'ec2' || service === 's3') return { code: 'InternalError', status: 500 };
      return { code: json ? 'ServiceUnavailableException' : 'InternalFailure', status: 500 };
    case 'access-denied':
      if (service === 'ec2') return { code: 'UnauthorizedOperation', status: 403 };
      return { code: json ? 'AccessDeniedException' : 'AccessDenied', status: 403 };
    case 'expired-token':
      if (service === 'ec2') return { code: 'RequestExpired', status: 400 };
      return { code: json ? 'ExpiredTokenException' : 'ExpiredToken', status: 400 };
    case 'not-implemented':
      if (service === 's3') return { code: 'NotImplemented', status: 501 };
      return { code: json ? 'UnknownOperationException' : 'InvalidAction', status: 400 };
    default:
      return { code: 'InternalError', status: 500 };
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function asArray<T>(v: T | T[]): T[] {
  return Array.isArray(v) ? v : [v];
}

/** SHA-256 (or HMAC-SHA-256 with a key) in the shape the signer takes. */
class Sha256 {
  private h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function bytes(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

/**
 * Whether the request's SigV4 signature is the one its key's secret gives: the canonical request is made again
 * from what arrived (method, path, query, the headers it names as signed, the body or its declared hash) by the
 * SDK's signer, at the request's own x-amz-date.
 */
async function signatureMatches(req: IncomingMessage, body: Buffer, keyId: string, secret: string, token: string | undefined,
  region: string, service: string): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const signed = /SignedHeaders=([^,\s]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const given = /Signature=([0-9a-f]{64})/.exec(auth)?.[1];
  const amzDate = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(req.headers['x-amz-date'] ?? ''));
  if (!given || !amzDate || !signed.includes('host')) return false;
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = req.headers[name];
    if (v === undefined) return false;
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const pair of raw.slice(q + 1).split('&').filter(Boolean)) {
      const i = pair.indexOf('=');
      const k = decodeURIComponent(i < 0 ? pair : pair.slice(0, i));
      const v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1));
      const have = query[k];
      query[k] = have === undefined ? v : [...(Array.isArray(have) ? have : [have]), v];
    }
  }
  const [, y, mo, d, h, mi, se] = amzDate;
  const signingDate = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)));
  const signer = new SignatureV4({
    credentials: { accessKeyId: keyId, secretAccessKey: secret, ...(token !== undefined ? { sessionToken: token } : {}) },
    region, service, sha256: Sha256 as never, uriEscapePath: service !== 's3', applyChecksum: false,
  });
  const request = new HttpRequest({
    method: req.method ?? 'GET', protocol: 'http:', hostname: '127.0.0.1', path: q >= 0 ? raw.slice(0, q) : raw, query, headers, body,
  });
  const out = await signer.sign(request, { signingDate, signingRegion: region, signingService: service });
  const ours = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization ?? ''))?.[1] ?? '';
  return ours.length === given.length && timingSafeEqual(Buffer.from(ours), Buffer.from(given));
}

export async function startAwsEndpoint(opts: EndpointOptions): Promise<AwsEndpoint> {
  const pageSize = opts.pageSize ?? 25;
  const inventoryDir = join(opts.estateDir, 'inventory');
  const flowDir = join(opts.estateDir, 'flowlogs');
  const accounts = existsSync(inventoryDir) ? readdirSync(inventoryDir).filter((a) => /^\d{12}$/.test(a)) : [];
  const roles = opts.roles ?? [{ name: 'FlowLogIntrospector' }];
  const identities = new Map<string, Identity>();
  for (const u of opts.users ?? []) {
    identities.set(u.accessKeyId, { account: u.account, arn: `arn:aws:iam::${u.account}:user/${u.name ?? 'tester'}`, userId: 'AIDA' + u.accessKeyId.slice(4), secret: u.secretAccessKey, ...(u.denied ? { denied: u.denied } : {}) });
  }
  const faults: Fault[] = [];
  const requests: RequestRecord[] = [];
  const athenaQueries: string[] = [];
  const athenaStarts: Record<string, unknown>[] = [];
  const issuedSecrets: string[] = [];
  const queries = new Map<string, {
    sql: string; state: string; polls: number; reason?: string; result?: Awaited<ReturnType<AthenaEngine['run']>>; db?: string; catalog?: string;
    /** a DDL: the Glue action it needs, checked against the principal who started it (its ARN and denied actions) */
    ddl?: { action: string; resource: string; arn: string; denied: string[]; region: string; account: string };
    /** result reuse asked: answer with a kept result of the same SQL at most this many minutes old */
    reuseMinutes?: number; reused?: boolean; done?: number;
    /** s3:// of the CSV file the result is written to (the output location asked for, else the workgroup's) */
    output: string;
    /** UNLOAD (<select>) TO '<s3 folder>' WITH (format = 'PARQUET'): the select, run, is written there as Parquet */
    unload?: { select: string; to: string };
  }>();
  /**
   * An UNLOAD's rows written as Athena does: Parquet files (GZIP, in its types) in the TO folder, which must hold
   * nothing yet; two files when there are rows, as Athena writes in parallel.
   */
  async function writeUnload(to: string, result: Awaited<ReturnType<AthenaEngine['run']>>): Promise<void> {
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(to)!;
    const dir = join(flowDir, m[1]!, ...m[2]!.split('/').filter(Boolean));
    if (existsSync(dir) && readdirSync(dir).length) throw new Error(`HIVE_PATH_ALREADY_EXISTS: Target directory for table already exists: ${to}`);
    mkdirSync(dir, { recursive: true });
    if (result.rows.length === 0) return;
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      const type = (t: string) => ({ bigint: 'BIGINT', integer: 'INTEGER', int: 'INTEGER', boolean: 'BOOLEAN', double: 'DOUBLE' } as Record<string, string>)[t.toLowerCase()] ?? 'VARCHAR';
      const cols = result.columns.map((col) => `"${col.name.replace(/"/g, '""')}" ${type(col.type)}`).join(', ');
      await c.run(`CREATE TABLE r (${cols})`);
      const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
      for (let i = 0; i < result.rows.length; i += 500) {
        await c.run(`INSERT INTO r VALUES ${result.rows.slice(i, i + 500).map((row) => `(${row.map(lit).join(', ')})`).join(', ')}`);
      }
      const half = Math.ceil(result.rows.length / 2);
      for (const [n, where] of [[0, `rowid < ${half}`], [1, `rowid >= ${half}`]] as const) {
        await c.run(`COPY (SELECT * FROM r WHERE ${where}) TO '${join(dir, `${n}-${randomBytes(4).toString('hex')}.parquet`).replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION gzip)`);
      }
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }
  /** Writes a result as Athena does at its output location: a header, every value quoted, NULL as nothing. */
  function writeResultFile(output: string, result: Awaited<ReturnType<AthenaEngine['run']>>): void {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(output)!;
    const file = join(flowDir, m[1]!, ...m[2]!.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    const quote = (v: string | null) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`);
    writeFileSync(file, [result.columns.map((c) => quote(c.name)), ...result.rows.map((r) => r.map(quote))].map((r) => r.join(',') + '\n').join(''));
  }
  let counter = 0;
  const rid = () => `req-${(++counter).toString(16).padStart(8, '0')}`;

  // ---------------------------------------------------------------- estate data
  const docCache = new Map<string, unknown[]>();
  function documents(account: string, region: string, file: string): unknown[] {
    const dir = join(inventoryDir, account, region);
    const key = `${dir}|${file}`;
    const hit = docCache.get(key);
    if (hit) return hit;
    const docs: unknown[] = [];
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).sort()) {
        if (f !== file) continue;
        docs.push(...asArray(JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown));
      }
    }
    docCache.set(key, docs);
    return docs;
  }
  function items(account: string, region: string, p: Pick<Op, 'file' | 'list' | 'parent'>, parentValue?: string): unknown[] {
    const out: unknown[] = [];
    for (const d of documents(account, region, p.file)) {
      const doc = d as Record<string, unknown>;
      if (p.parent && parentValue !== undefined && doc[p.parent] !== parentValue) continue;
      const list = doc[p.list];
      if (Array.isArray(list)) out.push(...list);
    }
    return out;
  }
  /** One page of `all` from `token`; `repeat` answers with the token it was asked with (a fresh one first). */
  function page(all: unknown[], token: string | undefined, limit: string | undefined, repeat = false): { slice: unknown[]; next?: string } {
    const start = token ? Number(Buffer.from(token, 'base64').toString('utf8').split(':')[1]) : 0;
    const n = Math.min(pageSize, limit ? Number(limit) || pageSize : pageSize);
    const slice = all.slice(start, start + n);
    const fresh = Buffer.from(`page:${start + n}`).toString('base64');
    const next = repeat ? (token ?? fresh) : start + n < all.length ? fresh : undefined;
    return next ? { slice, next } : { slice };
  }

  // CloudWatch Logs: every group folder under flowlogs/cloudwatch
  const cwDir = join(flowDir, 'cloudwatch');
  let cwGroups: Map<string, { logStreamName: string; timestamp: number; message: string; ingestionTime?: number; eventId?: string }[]> | undefined;
  function logGroups() {
    if (cwGroups) return cwGroups;
    cwGroups = new Map();
    for (const f of listFiles(cwDir)) {
      if (!f.endsWith('.json')) continue;
      const rel = relative(cwDir, f).split(sep);
      const stream = rel.pop()!.replace(/\.json$/, '');
      const group = rel.map((x) => decodeURIComponent(x)).join('/');
      const doc = JSON.parse(readFileSync(f, 'utf8')) as { events?: unknown[] } | unknown[];
      const events = (Array.isArray(doc) ? doc : (doc.events ?? [])) as { logStreamName?: string; timestamp: number; message: string; ingestionTime?: number; eventId?: string }[];
      const list = cwGroups.get(group) ?? [];
      for (const e of events) list.push({ ...e, logStreamName: e.logStreamName ?? stream });
      cwGroups.set(group, list);
    }
    for (const list of cwGroups.values()) list.sort((a, b) => a.timestamp - b.timestamp || a.logStreamName.localeCompare(b.logStreamName));
    return cwGroups;
  }

  // ---------------------------------------------------------------- faults
  function takeFault(service: string, op: string, account: string | undefined, region: string | undefined, key?: string): Fault | undefined {
    for (const f of faults) {
      if (f.times !== undefined && f.times <= 0) continue;
      if (f.service && f.service !== service) continue;
      if (f.op && f.op !== op) continue;
      if (f.account && f.account !== account) continue;
      if (f.region && f.region !== region) continue;
      if (f.key && !(key ?? '').includes(f.key)) continue;
      if (f.times !== undefined) f.times--;
      return f;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- responses
  function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': rid(), ...headers });
    res.end(body);
  }
  function sendError(res: ServerResponse, service: string, code: string, status: number, message: string) {
    const id = rid();
    if (service === 'ec2') return send(res, status, ec2ErrorXml(code, message, id), 'text/xml');
    if (service === 's3') return send(res, status, s3ErrorXml(code, message, id), 'application/xml');
    if (QUERY_XML.includes(service)) return send(res, status, queryErrorXml(code, message, id, status < 500), 'text/xml');
    const ct = REST_JSON.includes(service) ? 'application/json' : 'application/x-amz-json-1.1';
    return send(res, status, JSON.stringify({ __type: code, message }), ct, { 'x-amzn-errortype': code });
  }

  // ---------------------------------------------------------------- ECS
  /**
   * ECS from the estate's ecs.DescribeTasks.json (`{"tasks", "failures"}`): ListClusters names the clusters its
   * tasks are in, ListTasks a cluster's tasks by desired status (RUNNING is the default, as in ECS), DescribeTasks
   * at most 100 of them, their tags only when asked to include TAGS, and a MISSING failure for one it does not hold.
   */
  function ecs(account: string, region: string, op: string, q: Record<string, unknown>, repeat: boolean):
    { body: Record<string, unknown> } | { error: [string, string] } {
    const tasks = items(account, region, { file: 'ecs.DescribeTasks.json', list: 'tasks' }) as Record<string, unknown>[];
    const clusterOf = (name: unknown) => {
      const n = String(name ?? 'default');
      return n.startsWith('arn:') ? n : `arn:aws:ecs:${region}:${account}:cluster/${n}`;
    };
    if (op === 'ListClusters') {
      const all = [...new Set(tasks.map((t) => String(t.clusterArn)))];
      const { slice, next } = page(all, (q.nextToken as string) || undefined, q.maxResults !== undefined ? String(q.maxResults) : undefined, repeat);
      return { body: { clusterArns: slice, ...(next ? { nextToken: next } : {}) } };
    }
    if (op === 'ListTasks') {
      const cluster = clusterOf(q.cluster);
      const status = String(q.desiredStatus ?? 'RUNNING');
      const all = tasks.filter((t) => t.clusterArn === cluster && (t.desiredStatus ?? 'RUNNING') === status).map((t) => t.taskArn);
      const { slice, next } = page(all, (q.nextToken as string) || undefined, q.maxResults !== undefined ? String(q.maxResults) : undefined, repeat);
      return { body: { taskArns: slice, ...(next ? { nextToken: next } : {}) } };
    }
    if (op === 'DescribeTasks') {
      const cluster = clusterOf(q.cluster);
      const wanted = Array.isArray(q.tasks) ? (q.tasks as string[]) : [];
      if (wanted.length === 0 || wanted.length > 100) return { error: ['InvalidParameterException', 'Tasks cannot be empty and can hold at most 100 tasks.'] };
      const withTags = Array.isArray(q.include) && (q.include as string[]).includes('TAGS');
      const found: unknown[] = [];
      const failures: unknown[] = [];
      for (const arn of wanted) {
        const t = tasks.find((x) => x.taskArn === arn && x.clusterArn === cluster);
        if (!t) failures.push({ arn, reason: 'MISSING' });
        else if (withTags) found.push(t);
        else found.push(Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'tags')));
      }
      return { body: { tasks: found, failures } };
    }
    return { error: ['UnknownOperationException', `unknown operation ${op}`] };
  }

  // ---------------------------------------------------------------- STS
  function stsOp(op: string, p: URLSearchParams, caller: Identity): { status: number; body?: Record<string, unknown>; error?: [string, string] } {
    if (op === 'GetCallerIdentity') return { status: 200, body: { UserId: caller.userId, Account: caller.account, Arn: caller.arn } };
    if (op !== 'AssumeRole') return { status: 400, error: ['InvalidAction', `${op} is not supported here`] };
    const roleArn = p.get('RoleArn') ?? '';
    const m = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    const denied = (why: string): { status: number; error: [string, string] } => ({
      status: 403,
      error: ['AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}${why ? ` (${why})` : ''}`],
    });
    if (!m) return { status: 400, error: ['ValidationError', `invalid RoleArn ${roleArn}`] };
    const [, account, name] = m;
    const role = roles.find((r) => r.name === name && (r.accounts ?? accounts).includes(account!));
    if (!role) return denied('');
    if (role.externalId !== undefined && p.get('ExternalId') !== role.externalId) return denied('');
    if (role.mfaSerial) {
      if (p.get('SerialNumber') !== role.mfaSerial || p.get('TokenCode') !== role.mfaCode) return denied('MultiFactorAuthentication failed');
    }
    const seconds = role.sessionSeconds ?? Number(p.get('DurationSeconds') ?? 3600);
    const keyId = 'ASIA' + randomBytes(8).toString('hex').toUpperCase();
    const secret = randomBytes(30).toString('base64');
    const token = 'FwoG' + randomBytes(48).toString('base64');
    const expires = Date.now() + seconds * 1000;
    const session = p.get('RoleSessionName') ?? 'session';
    const arn = `arn:aws:sts::${account}:assumed-role/${name}/${session}`;
    issuedSecrets.push(keyId, secret, token);
    identities.set(keyId, { account: account!, arn, userId: `AROA${account}:${session}`, secret, token, expires, ...(role.denied ? { denied: role.denied } : {}) });
    return {
      status: 200,
      body: {
        Credentials: { AccessKeyId: keyId, SecretAccessKey: secret, SessionToken: token, Expiration: new Date(expires) },
        AssumedRoleUser: { AssumedRoleId: `AROA${account}:${session}`, Arn: arn },
      },
    };
  }

  // ---------------------------------------------------------------- S3
  function s3(req: IncomingMessage, res: ServerResponse, url: URL, account: string | undefined, region: string | undefined): RequestRecord {
    const parts = url.pathname.split('/').filter((x, i) => i > 0 || x);
    const bucket = decodeURIComponent(parts[0] ?? '');
    const key = parts.slice(1).map(decodeURIComponent).join('/');
    const bucketDir = join(flowDir, bucket);
    const isList = !key && req.method === 'GET' && url.searchParams.get('list-type') === '2';
    const op = isList ? 'ListObjectsV2' : req.method === 'HEAD' ? (key ? 'HeadObject' : 'HeadBucket') : key ? 'GetObject' : 'ListObjects';
    const listed = isList ? url.searchParams.get('prefix') : null;
    const rec: RequestRecord = {
      service: 's3', op, status: 200, ...(account ? { account } : {}), ...(region ? { region } : {}), ...(key ? { key } : {}), ...(listed !== null ? { prefix: listed } : {}),
    };
    const fault = takeFault('s3', op, account, region, key);
    if (fault && fault.kind !== 'truncate' && fault.kind !== 'repeat-token') {
      rec.fault = fault.kind;
      if (fault.kind === 'html') {
        rec.status = fault.status ?? 200;
        send(res, rec.status, PROXY_PAGE, 'text/html; charset=utf-8');
        return rec;
      }
      if (fault.kind === 'reset') {
        rec.status = 0;
        req.socket.destroy();
        return rec;
      }
      const { code, status } = errorCodes('s3', fault.kind);
      rec.status = status;
      sendError(res, 's3', code, status, `${code} (injected)`);
      return rec;
    }
    if (!bucket || bucket === 'cloudwatch' || !existsSync(bucketDir) || !statSync(bucketDir).isDirectory()) {
      rec.status = 404;
      sendError(res, 's3', 'NoSuchBucket', 404, 'The specified bucket does not exist');
      return rec;
    }
    if (isList) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const delimiter = url.searchParams.get('delimiter') ?? '';
      const maxKeys = Math.min(Number(url.searchParams.get('max-keys') ?? 1000), pageSize >= 25 ? 1000 : pageSize);
      const token = url.searchParams.get('continuation-token');
      const startAfter = token ? Buffer.from(token, 'base64').toString('utf8') : (url.searchParams.get('start-after') ?? '');
      const keys = listFiles(bucketDir)
        .map((f) => relative(bucketDir, f).split(sep).join('/'))
        .filter((k) => k.startsWith(prefix) && k > startAfter)
        .sort();
      const contents: string[] = [];
      const common = new Set<string>();
      let last = '';
      let truncated = false;
      for (const k of keys) {
        // a key under a common prefix already given adds nothing: it never ends a page (S3 gives a prefix once)
        const i = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
        const cp = i >= 0 ? k.slice(0, i + delimiter.length) : undefined;
        if (cp !== undefined && common.has(cp)) {
          last = k;
          continue;
        }
        if (contents.length + common.size >= maxKeys) {
          truncated = true;
          break;
        }
        if (cp !== undefined) {
          common.add(cp);
          last = k;
          continue;
        }
        const st = statSync(join(bucketDir, ...k.split('/')));
        const etag = createHash('md5').update(readFileSync(join(bucketDir, ...k.split('/')))).digest('hex');
        contents.push(
          `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${st.mtime.toISOString()}</LastModified><ETag>&quot;${etag}&quot;</ETag><Size>${st.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        );
        last = k;
      }
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
        `<KeyCount>${contents.length + common.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<IsTruncated>${truncated}</IsTruncated>` +
        contents.join('') +
        [...common].map((c) => `<CommonPrefixes><Prefix>${xmlEscape(c)}</Prefix></CommonPrefixes>`).join('') +
        (truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64')}</NextContinuationToken>` : '') +
        (token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '') +
        `</ListBucketResult>`;
      send(res, 200, body, 'application/xml');
      return rec;
    }
    const file = join(bucketDir, ...key.split('/'));
    if (!key || !existsSync(file) || !statSync(file).isFile()) {
      rec.status = 404;
      sendError(res, 's3', 'NoSuchKey', 404, 'The specified key does not exist.');
      return rec;
    }
    const data = readFileSync(file);
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    const headers: Record<string, string> = { 'last-modified': statSync(file).mtime.toUTCString(), etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', 'x-amz-request-id': rid() };
    let body = data;
    let status = 200;
    const range = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (range) {
      const a = Number(range[1]);
      const b = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      body = data.subarray(a, b + 1);
      status = 206;
      headers['content-range'] = `bytes ${a}-${b}/${data.length}`;
    }
    headers['content-length'] = String(body.length);
    rec.status = status;
    if (req.method === 'HEAD') {
      res.writeHead(status, headers);
      res.end();
      return rec;
    }
    res.writeHead(status, headers);
    if (fault?.kind === 'truncate') {
      rec.fault = 'truncate';
      // Half the promised bytes, then the connection drops.
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => req.socket.destroy(), 5));
      return rec;
    }
    res.end(body);
    return rec;
  }

  // ---------------------------------------------------------------- Athena
  async function athena(op: string, input: Record<string, unknown>, caller: Identity, region: string): Promise<Record<string, unknown>> {
    if (op === 'GetDatabase') {
      const ctx = { catalog: String(input.CatalogName ?? ''), database: String(input.DatabaseName ?? '') };
      if (opts.athena?.database && !(await opts.athena.database(ctx))) {
        throw Object.assign(new Error(`Database ${ctx.database} not found. (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException)`), { code: 'MetadataException' });
      }
      return { Database: { Name: ctx.database } };
    }
    if (op === 'GetWorkGroup') {
      const name = String(input.WorkGroup ?? '');
      const output = opts.athena?.workgroupOutput?.[name];
      return { WorkGroup: { Name: name, State: 'ENABLED', Configuration: output ? { ResultConfiguration: { OutputLocation: output } } : {} } };
    }
    if (op === 'StartQueryExecution') {
      const id = `q-${randomBytes(6).toString('hex')}`;
      const sql = String(input.QueryString ?? '');
      athenaQueries.push(sql);
      athenaStarts.push(input);
      const ctx = (input.QueryExecutionContext ?? {}) as { Database?: string; Catalog?: string };
      const ddl = ddlAction(sql);
      const reuse = (input.ResultReuseConfiguration as { ResultReuseByAgeConfiguration?: { Enabled?: boolean; MaxAgeInMinutes?: number } } | undefined)
        ?.ResultReuseByAgeConfiguration;
      const location = (input.ResultConfiguration as { OutputLocation?: string } | undefined)?.OutputLocation ?? 's3://athena-results/';
      const unload = /^UNLOAD \(\s*([\s\S]*?)\s*\) TO '((?:[^']|'')*)' WITH \(format = 'PARQUET'\)$/.exec(sql.trim());
      queries.set(id, { sql, state: 'QUEUED', polls: 0, ...(ctx.Database ? { db: ctx.Database } : {}), ...(ctx.Catalog ? { catalog: ctx.Catalog } : {}),
        ...(ddl ? { ddl: { ...ddl, arn: caller.arn, denied: caller.denied ?? [], region, account: caller.account } } : {}),
        ...(unload ? { unload: { select: unload[1]!, to: unload[2]!.replace(/''/g, "'") } } : {}),
        ...(reuse?.Enabled ? { reuseMinutes: reuse.MaxAgeInMinutes ?? 60 } : {}), output: `${location.replace(/\/?$/, '/')}${id}.csv` });
      return { QueryExecutionId: id };
    }
    const id = String(input.QueryExecutionId ?? '');
    const q = queries.get(id);
    if (!q) throw Object.assign(new Error(`QueryExecution ${id} was not found`), { code: 'InvalidRequestException' });
    if (op === 'StopQueryExecution') {
      q.state = 'CANCELLED';
      return {};
    }
    if (op === 'GetQueryExecution') {
      q.polls++;
      if (q.state === 'QUEUED') q.state = 'RUNNING';
      else if (q.state === 'RUNNING' && q.polls > (opts.athena?.runningPolls ?? 1)) {
        if (!opts.athena) {
          q.state = 'FAILED';
          q.reason = 'no query engine configured';
        } else {
          // result reuse: the newest result of the same SQL, if young enough, answers without a scan
          const kept = q.reuseMinutes === undefined ? undefined : [...queries.values()]
            .filter((o) => o !== q && o.sql === q.sql && o.state === 'SUCCEEDED' && o.result && Date.now() - (o.done ?? 0) <= q.reuseMinutes! * 60_000)
            .sort((a, b) => (b.done ?? 0) - (a.done ?? 0))[0];
          try {
            if (q.ddl) {
              // Athena runs a DDL through Glue, with the caller's permissions: a refusal fails the query, Glue's words in its reason
              const { action, resource, arn, denied, region: at, account } = q.ddl;
              if (denied.includes(action)) {
                throw new Error(`FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:User: ${arn} is not authorized to perform: ${action} `
                  + `on resource: arn:aws:glue:${at}:${account}:${resource} because no identity-based policy allows the ${action} action (Service: AWSGlue; Status Code: 400; Error Code: AccessDeniedException))`);
              }
              if (!opts.athena.ddl) throw new Error(`FAILED: this Athena cannot run ${q.sql.split('\n')[0]}`);
              await opts.athena.ddl(q.sql, { ...(q.db ? { database: q.db } : {}), ...(q.catalog ? { catalog: q.catalog } : {}) });
              q.result = { columns: [], rows: [], scannedBytes: 0 };
              q.done = Date.now();
              q.state = 'SUCCEEDED';
              return executionOf(id, q);
            }
            q.result = kept ? { ...kept.result!, scannedBytes: 0 } : await opts.athena.run(q.unload?.select ?? q.sql, q.db ? { database: q.db } : {});
            q.reused = kept !== undefined;
            q.done = Date.now();
            if (q.unload) {
              await writeUnload(q.unload.to, q.result);
              q.result = { ...q.result, columns: [], rows: [] }; // an UNLOAD returns no rows
            } else if (opts.athena.resultFiles !== false) writeResultFile(q.output, q.result);
            q.state = 'SUCCEEDED';
          } catch (err) {
            q.state = 'FAILED';
            q.reason = (err as Error).message;
          }
        }
      }
      return executionOf(id, q);
    }
    if (op === 'GetQueryResults') {
      if (q.state !== 'SUCCEEDED' || !q.result) throw Object.assign(new Error(`Query has not yet finished. Current state: ${q.state}`), { code: 'InvalidRequestException' });
      const rows = [q.result.columns.map((c) => c.name), ...q.result.rows];
      const { slice, next } = page(rows, input.NextToken as string | undefined, String(Math.min(Number(input.MaxResults ?? 1000), opts.athena?.pageSize ?? Infinity)));
      return {
        ResultSet: {
          Rows: (slice as (string | null)[][]).map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
          ResultSetMetadata: { ColumnInfo: q.result.columns.map((c) => ({ Name: c.name, Label: c.name, Type: c.type, CatalogName: 'hive', SchemaName: q.db ?? '', TableName: '' })) },
        },
        ...(next ? { NextToken: next } : {}),
      };
    }
    throw Object.assign(new Error(`${op} is not supported here`), { code: 'InvalidRequestException' });
  }

  /** GetQueryExecution's answer for a query. */
  function executionOf(id: string, q: { sql: string; state: string; reason?: string; output: string; result?: { scannedBytes?: number }; reused?: boolean; ddl?: unknown }): Record<string, unknown> {
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Query: q.sql,
        ...(q.ddl ? { StatementType: 'DDL' } : {}),
        Status: { State: q.state, ...(q.reason ? { StateChangeReason: q.reason } : {}) },
        ResultConfiguration: { OutputLocation: q.output },
        Statistics: { DataScannedInBytes: q.result?.scannedBytes ?? 0, ResultReuseInformation: { ReusedPreviousResult: q.reused === true } },
      },
    };
  }

  /**
   * Glue GetPartitions: the table's registered partitions, a page at a time (NextToken), as a principal allowed
   * glue:GetPartitions; refused as Glue refuses it otherwise.
   */
  async function glue(op: string, input: Record<string, unknown>, caller: Identity, region: string): Promise<Record<string, unknown>> {
    if (op !== 'GetPartitions') throw Object.assign(new Error(`${op} is not supported here`), { code: 'InvalidInputException' });
    const ctx = { database: String(input.DatabaseName ?? ''), table: String(input.TableName ?? '') };
    const action = `glue:${op}`;
    if (caller.denied?.includes(action)) {
      throw Object.assign(new Error(`User: ${caller.arn} is not authorized to perform: ${action} on resource: arn:aws:glue:${region}:${caller.account}:catalog `
        + `because no identity-based policy allows the ${action} action`), { code: 'AccessDeniedException' });
    }
    const registered = await opts.athena?.partitions?.(ctx);
    if (!registered) throw Object.assign(new Error(`Table ${ctx.table} not found.`), { code: 'EntityNotFoundException' });
    // Segment: one of TotalSegments (at most 10) disjoint parts of the listing, read side by side
    const segment = input.Segment as { SegmentNumber?: number; TotalSegments?: number } | undefined;
    if (segment && !(Number(segment.TotalSegments) >= 1 && Number(segment.TotalSegments) <= 10 && Number(segment.SegmentNumber) >= 0 && Number(segment.SegmentNumber) < Number(segment.TotalSegments))) {
      throw Object.assign(new Error('1 validation error detected: Value at \'segment\' failed to satisfy constraint'), { code: 'InvalidInputException' });
    }
    const all = segment ? registered.filter((_, i) => i % Number(segment.TotalSegments) === Number(segment.SegmentNumber)) : registered;
    const limit = String(Math.min(Number(input.MaxResults ?? 1000), opts.athena?.pageSize ?? Infinity));
    const { slice, next } = page(all, input.NextToken as string | undefined, limit);
    return {
      Partitions: (slice as typeof all).map((p) => ({ Values: p.values, DatabaseName: ctx.database, TableName: ctx.table, StorageDescriptor: { Location: p.location } })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** GetTableMetadata: what the engine says of the table; an unknown one is AWS's MetadataException. */
  async function athenaTable(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const ctx = { catalog: String(input.CatalogName ?? ''), database: String(input.DatabaseName ?? ''), table: String(input.TableName ?? '') };
    const t = await opts.athena?.table?.(ctx);
    if (!t) throw Object.assign(new Error(`Entity Not Found (Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException): table ${ctx.database}.${ctx.table}`), { code: 'MetadataException' });
    const col = (c: { name: string; type: string }) => ({ Name: c.name, Type: c.type });
    return { TableMetadata: { Name: ctx.table, TableType: 'EXTERNAL_TABLE', Columns: t.columns.map(col), PartitionKeys: (t.partitionKeys ?? []).map(col), Parameters: t.parameters ?? {} } };
  }

  // ---------------------------------------------------------------- router
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
    if (!scope) return sendError(res, 's3', 'AccessDenied', 403, 'Missing or unsigned Authorization header');
    const [, keyId, region, service] = scope as unknown as [string, string, string, string];
    const ident = identities.get(keyId);
    const token = req.headers['x-amz-security-token'];

    // Operation name by protocol.
    let op = '';
    let params = new URLSearchParams();
    let json: Record<string, unknown> = {};
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      op = target.split('.').pop()!;
      json = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } else if (REST_JSON.includes(service)) {
      const r = restOperation(service, req.method ?? 'GET', url.pathname);
      op = r?.op ?? 'Unknown';
      json = { ...Object.fromEntries(url.searchParams), ...(r?.labels ?? {}) };
    } else if (service !== 's3') {
      params = new URLSearchParams(body.toString('utf8'));
      op = params.get('Action') ?? '';
    }

    let account = ident?.account;
    const rec = (status: number, extra: Partial<RequestRecord> = {}) =>
      requests.push({ service, op, status, ...(account ? { account } : {}), region, ...extra });

    if (!ident || (ident.token !== undefined && ident.token !== token)) {
      rec(403);
      return sendError(res, service, service === 'ec2' ? 'AuthFailure' : service === 's3' ? 'InvalidAccessKeyId' : 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    }
    if (!(await signatureMatches(req, body, keyId, ident.secret, ident.token, region, service))) {
      rec(403, { fault: 'signature' });
      const json = JSON_PROTOCOL.includes(service);
      if (service === 'ec2') return sendError(res, service, 'AuthFailure', 401, 'AWS was not able to validate the provided access credentials');
      return sendError(res, service, json ? 'InvalidSignatureException' : 'SignatureDoesNotMatch', json && service !== 'lambda' ? 400 : 403,
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
    }
    if (ident.expires !== undefined && Date.now() > ident.expires) {
      rec(400, { fault: 'expired-token' });
      const { code, status } = errorCodes(service, 'expired-token');
      return sendError(res, service, code, status, 'The security token included in the request is expired');
    }

    if (service === 's3') {
      requests.push(s3(req, res, url, account, region));
      return;
    }
    if (service === 'sts' && op === 'AssumeRole') {
      const m = /::(\d{12}):/.exec(params.get('RoleArn') ?? '');
      if (m) account = m[1];
    }
    const fault = takeFault(service, op, account, region);
    const repeat = fault?.kind === 'repeat-token';
    if (fault && !repeat) {
      if (fault.kind === 'html') {
        rec(fault.status ?? 200, { fault: fault.kind });
        return send(res, fault.status ?? 200, PROXY_PAGE, 'text/html; charset=utf-8');
      }
      if (fault.kind === 'garbled') {
        rec(200, { fault: fault.kind });
        const json = JSON_PROTOCOL.includes(service);
        return send(res, 200, json ? '{"cut short' : `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response><${op}Result><cut`, json ? 'application/x-amz-json-1.1' : 'text/xml');
      }
      if (fault.kind === 'reset') {
        rec(0, { fault: fault.kind });
        req.socket.destroy();
        return;
      }
      const { code, status } = errorCodes(service, fault.kind);
      rec(status, { fault: fault.kind });
      const what =
        fault.kind === 'access-denied' ? `User: ${ident.arn} is not authorized to perform: ${service}:${op}`
        : fault.kind === 'not-implemented' ? `The action ${op} is not valid for this web service.`
        : `${code} (injected)`;
      return sendError(res, service, code, status, what);
    }

    const acct = ident.account;
    try {
      if (service === 'sts') {
        const r = stsOp(op, params, ident);
        rec(r.status);
        if (r.error) return sendError(res, 'sts', r.error[0], r.status, r.error[1]);
        const { output } = operationSchema(stsSdk as never, op);
        return send(res, 200, queryXml(op, output, r.body!, rid(), 'https://sts.amazonaws.com/doc/2011-06-15/'), 'text/xml');
      }
      const served = OPS.get(service);
      if (served) {
        const p = served.get(op);
        if (!p) {
          const code = service === 'ec2' || !JSON_PROTOCOL.includes(service) ? 'InvalidAction' : REST_JSON.includes(service) ? 'ResourceNotFoundException' : 'UnknownOperationException';
          rec(REST_JSON.includes(service) ? 404 : 400);
          return sendError(res, service, code, REST_JSON.includes(service) ? 404 : 400, `The action ${op} is not valid for this web service.`);
        }
        // a request member, from a JSON body, a rest-json path or query, or a query form (Name.member.N / Name.N lists)
        const get = (name: string): string | string[] | undefined => {
          if (JSON_PROTOCOL.includes(service)) {
            const v = json[name];
            return v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String) : String(v);
          }
          if (params.has(name)) return params.get(name)!;
          const list = [...params.entries()].filter(([k]) => k.startsWith(`${name}.`)).map(([, v]) => v);
          return list.length ? list : undefined;
        };
        const one = (name: string | undefined) => {
          const v = name ? get(name) : undefined;
          return Array.isArray(v) ? v[0] : v;
        };
        const parentValue = p.parent ? one(p.parent) : undefined;
        // a wrapped answer that is not a list (Lambda ListTags' Tags map) is the wrapper's own
        const wrapped = p.parent ? (documents(acct, region, p.file) as Record<string, unknown>[]).find((d) => d[p.parent!] === parentValue) : undefined;
        if (!wrapped && op === 'DescribeDeliveryStream') {
          rec(400);
          return sendError(res, service, 'ResourceNotFoundException', 400, `Firehose stream ${parentValue} under account ${acct} not found.`);
        }
        if (wrapped && !Array.isArray(wrapped[p.list])) {
          const { output } = operationSchema(SDK_OF.get(service)!, op);
          rec(200);
          return send(res, 200, JSON.stringify(jsonValue(output, { [p.list]: wrapped[p.list] })), REST_JSON.includes(service) ? 'application/json' : 'application/x-amz-json-1.1');
        }
        let all = items(acct, region, p, parentValue);
        if (p.select) {
          const want = get(p.select.input);
          const wanted = new Set(Array.isArray(want) ? want : want !== undefined ? [want] : []);
          all = all.filter((x) => wanted.has(String((x as Record<string, unknown>)[p.select!.item])));
        }
        if (op === 'LookupEvents') all = filterEvents(all, json);
        const { slice, next } = p.tokenIn ? page(all, one(p.tokenIn) || undefined, one(p.limit), repeat) : { slice: all, next: undefined };
        const out: Record<string, unknown> = { [p.list]: slice, ...(next ? { [p.tokenOut!]: next } : {}) };
        if (p.parent) out[p.parent] = one(p.parent);
        const { output } = operationSchema(SDK_OF.get(service)!, op);
        rec(200);
        if (service === 'ec2') return send(res, 200, ec2Xml(op, output, out, rid()), 'text/xml;charset=UTF-8');
        const xmlns = (SERVICES[p.service] as { xmlns?: string }).xmlns;
        if (xmlns) return send(res, 200, queryXml(op, output, out, rid(), xmlns), 'text/xml');
        return send(res, 200, JSON.stringify(jsonValue(output, out)), REST_JSON.includes(service) ? 'application/json' : 'application/x-amz-json-1.1');
      }
      if (service === 'logs') {
        if (op !== 'FilterLogEvents') {
          rec(400);
          return sendError(res, 'logs', 'UnknownOperationException', 400, `unknown operation ${op}`);
        }
        const group = String(json.logGroupName ?? json.logGroupIdentifier ?? '').replace(/^\/+/, '');
        const groups = logGroups();
        const events = groups.get(group) ?? [...groups.entries()].find(([g]) => g.replace(/^\/+/, '') === group)?.[1];
        if (!events) {
          rec(400);
          return sendError(res, 'logs', 'ResourceNotFoundException', 400, `The specified log group does not exist: ${json.logGroupName}`);
        }
        const streams = json.logStreamNames as string[] | undefined;
        const t0 = json.startTime as number | undefined;
        const t1 = json.endTime as number | undefined;
        const sel = events.filter((e) => (t0 === undefined || e.timestamp >= t0) && (t1 === undefined || e.timestamp <= t1) && (!streams || streams.includes(e.logStreamName)));
        const { slice, next } = page(sel, (json.nextToken as string) || undefined, json.limit !== undefined ? String(json.limit) : undefined, repeat);
        rec(200);
        return send(
          res,
          200,
          JSON.stringify({
            events: (slice as typeof sel).map((e, i) => ({ ...e, ingestionTime: e.ingestionTime ?? e.timestamp + 60_000, eventId: e.eventId ?? `${e.timestamp}${i}` })),
            searchedLogStreams: [],
            ...(next ? { nextToken: next } : {}),
          }),
          'application/x-amz-json-1.1',
        );
      }
      if (service === 'ecs') {
        const out = ecs(acct, region, op, json, repeat);
        if ('error' in out) {
          rec(400);
          return sendError(res, 'ecs', out.error[0], 400, out.error[1]);
        }
        const { output } = operationSchema(SDK_OF.get('ecs')!, op);
        rec(200);
        return send(res, 200, JSON.stringify(jsonValue(output, out.body)), 'application/x-amz-json-1.1');
      }
      if (service === 'athena') {
        const out = op === 'GetTableMetadata' ? await athenaTable(json) : await athena(op, json, ident, region);
        const { output } = operationSchema(athenaSdk as never, op);
        rec(200);
        return send(res, 200, JSON.stringify(jsonValue(output, out)), 'application/x-amz-json-1.1');
      }
      if (service === 'glue') {
        const out = await glue(op, json, ident, region);
        const { output } = operationSchema(glueSdk as never, op);
        const seg = json.Segment as { SegmentNumber?: number; TotalSegments?: number } | undefined;
        rec(200, seg ? { segment: `${seg.SegmentNumber}/${seg.TotalSegments}` } : {});
        return send(res, 200, JSON.stringify(jsonValue(output, out)), 'application/x-amz-json-1.1');
      }
      rec(400);
      return sendError(res, service, 'UnknownService', 400, `service ${service} is not served here`);
    } catch (err) {
      const e = err as Error & { code?: string };
      rec(400);
      return sendError(res, service, e.code ?? 'InternalFailure', e.code ? 400 : 500, e.message);
    }
  }

  function filterEvents(all: unknown[], input: Record<string, unknown>): unknown[] {
    const t = (v: unknown) => (typeof v === 'number' ? v * 1000 : new Date(String(v)).getTime());
    const start = input.StartTime !== undefined ? t(input.StartTime) : -Infinity;
    const end = input.EndTime !== undefined ? t(input.EndTime) : Infinity;
    const attrs = (input.LookupAttributes ?? []) as { AttributeKey: string; AttributeValue: string }[];
    return all.filter((x) => {
      const e = x as { EventTime?: unknown; EventName?: string; ReadOnly?: string; Resources?: { ResourceName?: string }[] };
      const time = t(e.EventTime);
      if (time < start || time > end) return false;
      for (const a of attrs) {
        if (a.AttributeKey === 'EventName' && e.EventName !== a.AttributeValue) return false;
        if (a.AttributeKey === 'ReadOnly' && String(e.ReadOnly ?? 'false') !== a.AttributeValue) return false;
        if (a.AttributeKey === 'ResourceName' && !(e.Resources ?? []).some((r) => r.ResourceName === a.AttributeValue)) return false;
      }
      return true;
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ __type: 'InternalFailure', message: err.message }), 'application/json');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    requests,
    athenaQueries,
    athenaStarts,
    ...(opts.athena ? { athenaEngine: opts.athena } : {}),
    issuedSecrets,
    putLogEvents: (group, events) => {
      const groups = logGroups();
      const bare = (g: string) => g.replace(/^\/+/, '');
      const key = [...groups.keys()].find((g) => bare(g) === bare(group)) ?? bare(group);
      const list = [...(groups.get(key) ?? []), ...events];
      list.sort((a, b) => a.timestamp - b.timestamp || a.logStreamName.localeCompare(b.logStreamName));
      groups.set(key, list);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
