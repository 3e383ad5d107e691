/**
 * Inventory collectors: every API of the list in apis.ts that is collected live, per account x region, its
 * pages merged into one document and written as `<dumpDir>/<account>/<region>/<service>.<Operation>.json` (the
 * loader reads the same folder, and a user can inspect it or re-run offline). What each API is (its SDK
 * paginator or command, its list and token, how a per-parent answer is wrapped) is its descriptor's; this file
 * only runs them. Bounded concurrency over account x region, and over the APIs of one (an API waits for those it
 * needs); the SDK's adaptive retry absorbs throttling; a failing API is reported with account, region and API
 * while everything else is still collected. Lists are read through the SDK's paginators, guarded against a
 * repeated token and capped (paging.ts).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cloudtrail from '@aws-sdk/client-cloudtrail';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ecs from '@aws-sdk/client-ecs';
import * as efs from '@aws-sdk/client-efs';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as elasticache from '@aws-sdk/client-elasticache';
import * as firehose from '@aws-sdk/client-firehose';
import * as lambda from '@aws-sdk/client-lambda';
import * as rds from '@aws-sdk/client-rds';
import * as resourcegroupstaggingapi from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsIssue } from '../../protocol/reports';
import { dumpFileOf, LIVE_APIS, lostWithout, SERVICES, StopQuietly, type ApiDescriptor, type ListSpec, type LiveCall, type LiveResult, type LiveService } from './apis';
import { clientConfig, type AwsSettings, type ServiceId } from './clients';
import { describeAwsError, foldIssues } from './errors';
import { eachPage } from './paging';
import { mapPool, RateLimiter } from './pool';
import type { Target } from './targets';

export { LIFECYCLE_EVENTS } from './apis';

/** The SDK module of each service Flowlens calls live (apis.ts names paginators and commands by their export). */
export const SDK_MODULES: Record<LiveService, Record<string, unknown>> = { ec2, elbv2, rds, elasticache, lambda, ecs, efs, resourcegroupstaggingapi, firehose, cloudtrail };

type AnyClient = { send(command: unknown, options?: unknown): Promise<unknown>; destroy(): void };
type Paginate = (config: { client: AnyClient }, input: object, options?: unknown) => AsyncIterable<object>;

/** An error of one call, with the API (IAM action) it is reported as. */
const apiOfError = new WeakMap<object, string>();
function tagged<T>(api: string, p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err && typeof err === 'object' && !apiOfError.has(err)) apiOfError.set(err, api);
    throw err;
  });
}

export interface CollectOptions {
  targets: Target[];
  regions: string[];
  dumpDir: string;
  settings?: AwsSettings;
  /** The flow window: CloudTrail lifecycle events are looked up over it (with a day's margin before). */
  since: Date;
  until: Date;
  /** Account x region units in parallel (default 4). */
  concurrency?: number;
  /** EC2 describe calls in parallel within one account and region (default 3). */
  apiConcurrency?: number;
  /** LookupEvents calls per second per account and region (AWS allows 2). */
  cloudTrailPerSecond?: number;
  /** Skip CloudTrail (default: collected). */
  cloudTrail?: boolean;
  /** Pages one list call may read (default MAX_PAGES in paging.ts). */
  maxPages?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface CollectReport {
  /** Dump files written. */
  files: string[];
  issues: AwsIssue[];
  calls: number;
  items: number;
}

interface Unit {
  target: Target;
  region: string;
}

function writeJson(path: string, doc: unknown): void {
  const tmp = `${path}.partial`;
  writeFileSync(tmp, JSON.stringify(doc, null, 1));
  renameSync(tmp, path);
}

export async function collectInventory(o: CollectOptions): Promise<CollectReport> {
  const report: CollectReport = { files: [], issues: [], calls: 0, items: 0 };
  const settings = o.settings ?? {};
  const units: Unit[] = o.targets.flatMap((target) => o.regions.map((region) => ({ target, region })));
  // A rate-limited API (CloudTrail LookupEvents: 2 calls per second) is limited per account and region.
  const limiters = new Map<string, RateLimiter>();

  await mapPool(
    units,
    o.concurrency ?? 4,
    async ({ target, region }) => {
      const account = target.accountId;
      const dir = join(o.dumpDir, account, region);
      mkdirSync(dir, { recursive: true });
      const clients = new Map<LiveService, AnyClient>();
      const client = (service: LiveService): AnyClient => {
        let c = clients.get(service);
        if (!c) {
          const def = SERVICES[service];
          const Ctor = SDK_MODULES[service][def.client] as new (cfg: unknown) => AnyClient;
          c = new Ctor(clientConfig(def.endpointId as ServiceId, region, target.credentials, settings));
          clients.set(service, c);
        }
        return c;
      };
      const sendOpts = o.signal ? { abortSignal: o.signal } : {};
      const notAborted = async () => o.signal?.throwIfAborted();
      const limiterKey = `${account}/${region}`;
      const limiter = limiters.get(limiterKey) ?? new RateLimiter(o.cloudTrailPerSecond ?? 2);
      limiters.set(limiterKey, limiter);
      const issues: AwsIssue[] = [];
      const report1 = (api: string, err: unknown) => {
        if (o.signal?.aborted) throw err;
        if (err instanceof StopQuietly) return;
        const named = err !== null && typeof err === 'object' ? apiOfError.get(err) : undefined;
        issues.push(describeAwsError(err, { account, region, api: named ?? api }));
      };

      /** The items of every page of one list call (or of one unpaged command); a paging stop is an issue. */
      const pages = (service: LiveService, spec: ListSpec): Promise<unknown[]> =>
        tagged(spec.api, (async () => {
          const fn = SDK_MODULES[service][spec.sdk];
          if (typeof fn !== 'function') throw new Error(`the SDK has no ${spec.sdk}`);
          if (!spec.tokenKey) {
            const Command = fn as new (input: object) => unknown;
            const r = (await client(service).send(new Command(spec.input ?? {}), sendOpts)) as Record<string, unknown>;
            report.calls++;
            const list = r[spec.listKey];
            return Array.isArray(list) ? (list as unknown[]) : [];
          }
          const out: unknown[] = [];
          const wait = async () => {
            await notAborted();
            if (spec.rateLimited) await limiter.wait(o.signal);
          };
          if (spec.rateLimited) await limiter.wait(o.signal);
          const stop = await eachPage(
            (fn as Paginate)({ client: client(service) }, spec.input ?? {}, sendOpts),
            spec.tokenKey,
            (page) => {
              report.calls++;
              const list = (page as Record<string, unknown>)[spec.listKey];
              if (Array.isArray(list)) out.push(...(list as unknown[]));
            },
            { beforeNext: wait, ...(o.maxPages ? { maxPages: o.maxPages } : {}) },
          );
          if (stop) issues.push({ account, region, api: spec.api, code: stop.code, message: spec.label ? `${spec.label}: ${stop.message}` : stop.message });
          return out;
        })());

      // Every API's collection, as a promise of its items (undefined: it failed or wrote nothing).
      const started = new Map<string, Promise<unknown[] | undefined>>();
      let taggedArns: Promise<Set<string> | undefined> | undefined;

      const callFor = (d: ApiDescriptor): LiveCall => {
        const service = d.service as LiveService;
        const own = (input?: object): ListSpec => ({
          api: d.iam[0]!, sdk: d.sdk!, input: { ...(d.input ?? {}), ...(input ?? {}) }, listKey: d.listKey, ...(d.paging ? { tokenKey: d.paging.tokenOut } : {}),
        });
        return {
          account, region, since: o.since, until: o.until, cloudTrail: o.cloudTrail !== false,
          all: (input) => pages(service, own(input)),
          pages: (spec) => pages(service, spec),
          send: (api, command, input) =>
            tagged(api, (async () => {
              const Command = SDK_MODULES[service][command] as new (input: object) => unknown;
              const r = (await client(service).send(new Command(input), sendOpts)) as Record<string, unknown>;
              report.calls++;
              return r;
            })()),
          of: async (kind) => {
            if (!d.needs?.includes(kind)) throw new Error(`${d.kind} reads ${kind} without needing it`);
            return started.get(kind) ?? undefined;
          },
          tagged: async (arn) => {
            taggedArns ??= (started.get('tagging:GetResources') ?? Promise.resolve(undefined)).then((l) =>
              l ? new Set(l.map((m) => (m as { ResourceARN?: string }).ResourceARN).filter((x): x is string => !!x)) : undefined);
            return (await taggedArns)?.has(arn) ?? false;
          },
          each: async (api, inputs, fn, stopOnFailure = false) => {
            let ok = true;
            for (const x of inputs) {
              await notAborted();
              try {
                await fn(x);
              } catch (err) {
                report1(api, err);
                ok = false;
                if (stopOnFailure) break;
              }
            }
            return ok;
          },
        };
      };

      /** One API: collected, dumped, its items kept for the APIs that need them. Its failure is reported and the rest go on. */
      const collect = async (d: ApiDescriptor): Promise<unknown[] | undefined> => {
        let r: LiveResult | undefined;
        try {
          const c = callFor(d);
          r = d.live ? await d.live(c, d) : await (async () => {
            const items = await c.all();
            return { doc: { [d.listKey]: items }, items };
          })();
        } catch (err) {
          report1(d.iam[0]!, err);
          return undefined;
        }
        if (!r) return undefined;
        const file = join(dir, dumpFileOf(d));
        writeJson(file, r.doc);
        report.files.push(file);
        report.items += r.items.length;
        return r.items;
      };

      o.onProgress?.(`inventory ${account} ${region}`);
      // A few calls at a time within one account/region; the SDK's adaptive retry slows down if a service throttles.
      // An API starts after those it needs (they come before it in the list), and waits for their items.
      await mapPool(
        LIVE_APIS,
        o.apiConcurrency ?? 3,
        async (d) => {
          const p = (async () => {
            for (const n of d.needs ?? []) await started.get(n);
            return collect(d);
          })();
          started.set(d.kind, p);
          await p;
        },
        o.signal,
      );
      for (const c of clients.values()) c.destroy();
      // one answer broken the same way for several parents is said once for this account and region
      const seen = new Set<string>();
      report.issues.push(...issues.filter((x) => {
        const key = `${x.api}\u0000${x.code}\u0000${x.message}`;
        return !seen.has(key) && !!seen.add(key);
      }));
    },
    o.signal,
  );
  // Stable order for reports and tests; a broken answer is said once for every account and region.
  report.files.sort();
  report.issues = foldIssues(report.issues, lostWithout);
  return report;
}
