/**
 * AWS's published ip-ranges.json, fetched only when the user allows it (the CLI flag / setting is the consent),
 * through the same proxy and CA settings as the SDK, and cached with its syncToken: an unchanged file is not
 * rewritten. Without it, gateway endpoints' managed prefix lists and v5 pkt-*-aws-service fields still classify.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname } from 'node:path';
import { proxyAgent, proxyFor, readCa, type AwsSettings } from './clients';

export const IP_RANGES_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';

export interface IpRangesResult {
  /** The cached file, when there is one. */
  path?: string;
  syncToken?: string;
  /** 'downloaded' (new syncToken), 'unchanged', 'cached' (not allowed to fetch; the cache was used), 'none'. */
  status: 'downloaded' | 'unchanged' | 'cached' | 'none' | 'failed';
  error?: string;
}

function cachedToken(path: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { syncToken?: string }).syncToken;
  } catch {
    return undefined;
  }
}

function get(url: string, s: AwsSettings, signal?: AbortSignal): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  // The SDK clients' CA settings (caBundle, AWS_CA_BUNDLE, the profile's ca_bundle, NODE_EXTRA_CA_CERTS) and proxy.
  const ca = readCa(s);
  const proxy = proxyFor(u.hostname, s);
  const agent = proxy ? proxyAgent(proxy, ca) : undefined;
  const mod = u.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { ...(agent ? { agent } : {}), ...(ca && !agent ? { ca } : {}), timeout: 30_000, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export async function fetchIpRanges(o: { allow: boolean; cacheFile: string; url?: string; settings?: AwsSettings; signal?: AbortSignal }): Promise<IpRangesResult> {
  const have = existsSync(o.cacheFile) ? cachedToken(o.cacheFile) : undefined;
  if (!o.allow) return have ? { path: o.cacheFile, syncToken: have, status: 'cached' } : { status: 'none' };
  const url = o.url ?? IP_RANGES_URL;
  try {
    const r = await get(url, o.settings ?? {}, o.signal);
    if (r.status !== 200) throw new Error(`HTTP ${r.status} from ${url}`);
    const doc = JSON.parse(r.body.toString('utf8')) as { syncToken?: string; prefixes?: unknown[] };
    if (!doc.syncToken || !Array.isArray(doc.prefixes)) throw new Error(`${url} is not an ip-ranges.json document`);
    if (have === doc.syncToken) return { path: o.cacheFile, syncToken: have, status: 'unchanged' };
    mkdirSync(dirname(o.cacheFile), { recursive: true });
    writeFileSync(o.cacheFile + '.partial', r.body);
    renameSync(o.cacheFile + '.partial', o.cacheFile);
    return { path: o.cacheFile, syncToken: doc.syncToken, status: 'downloaded' };
  } catch (err) {
    const e = { status: 'failed' as const, error: `ip-ranges.json: ${(err as Error).message}` };
    return have ? { ...e, path: o.cacheFile, syncToken: have } : e;
  }
}
