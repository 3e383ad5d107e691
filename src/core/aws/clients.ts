/**
 * Client configuration shared by every AWS call: region, a credentials *provider* (so expiring credentials
 * refresh), configured endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, a profile's endpoint_url or
 * [services] section), a custom CA bundle (AWS_CA_BUNDLE / ca_bundle, NODE_EXTRA_CA_CERTS), an HTTPS proxy
 * (HTTPS_PROXY, NO_PROXY, or the editor's setting), and the SDK's adaptive retry for throttling.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { rootCertificates } from 'node:tls';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider, HttpHandlerOptions } from '@smithy/types';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { AwsSettings } from '../../protocol/enrich';
import type { LiveService, SERVICES } from './apis';

/**
 * The SDK service ids used by configured endpoints: env AWS_ENDPOINT_URL_<ID> and `[services]` keys (lower case).
 * The inventory's services are apis.ts's; the flow-log sources' are named here (Glue: an Athena table's partitions).
 */
export type ServiceId = (typeof SERVICES)[LiveService]['endpointId'] | 'STS' | 'S3' | 'CLOUDWATCH_LOGS' | 'ATHENA' | 'GLUE';

export type { AwsSettings };

/** The endpoint configured for a service, following the SDK's precedence for configured endpoints. */
export function configuredEndpoint(service: ServiceId, s: AwsSettings): string | undefined {
  if (s.endpoint) return s.endpoint;
  const env = s.env ?? process.env;
  const p = s.profileSettings ?? {};
  const ignore = (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? p.ignore_configured_endpoint_urls ?? '').toLowerCase() === 'true';
  if (ignore) return undefined;
  return (
    env[`AWS_ENDPOINT_URL_${service}`] ||
    env.AWS_ENDPOINT_URL ||
    p[`services.${service.toLowerCase()}.endpoint_url`] ||
    p.endpoint_url ||
    undefined
  );
}

/** The trusted CAs for AWS requests: Node's roots plus the CA bundle (caBundle, AWS_CA_BUNDLE or the profile's
 * ca_bundle) and NODE_EXTRA_CA_CERTS; undefined when none is configured (Node's defaults apply). */
export function readCa(s: AwsSettings): string[] | undefined {
  const env = s.env ?? process.env;
  const files = [s.caBundle ?? env.AWS_CA_BUNDLE ?? s.profileSettings?.ca_bundle, env.NODE_EXTRA_CA_CERTS].filter(
    (x): x is string => !!x,
  );
  if (files.length === 0) return undefined;
  const extra = files.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the CA bundle ${f}: ${(err as Error).message}`);
    }
  });
  return [...rootCertificates, ...extra];
}

function noProxy(host: string, env: NodeJS.ProcessEnv): boolean {
  const list = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  const h = host.toLowerCase();
  return list.some((n) => n === '*' || h === n || h.endsWith(n.startsWith('.') ? n : '.' + n));
}

// Node's codes for a server certificate the client refused.
const TLS_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** For a refused TLS server certificate, its code and what the user can do; undefined for any other error. */
export function tlsCertificateProblem(err: unknown): { code: string; message: string } | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code !== 'string' || !TLS_CERT_CODES.has(e.code)) return undefined;
  const why = String(e.message);
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { code: e.code, message: `the TLS certificate of the endpoint is for another host (${why}); check the endpoint URL` };
  }
  if (e.code === 'CERT_HAS_EXPIRED' || e.code === 'CERT_NOT_YET_VALID') {
    return { code: e.code, message: `the TLS certificate of the endpoint is outside its validity dates (${why}); check the endpoint and this machine's clock` };
  }
  return {
    code: e.code,
    message:
      `the TLS certificate of the endpoint was refused (${why}); if a private CA signs it (a corporate proxy, a ` +
      `private endpoint), name that CA's PEM file in AWS_CA_BUNDLE or the profile's ca_bundle`,
  };
}

/** The proxy URL that applies to requests to `host`, if any. */
export function proxyFor(host: string, s: AwsSettings): string | undefined {
  const env = s.env ?? process.env;
  const proxy = s.proxy ?? env.HTTPS_PROXY ?? env.https_proxy;
  if (!proxy) return undefined;
  return noProxy(host, env) ? undefined : proxy;
}

type AgentConnectOpts = Parameters<HttpsProxyAgent<string>['connect']>[1];

/**
 * An agent that tunnels through `proxy` with CONNECT. https-proxy-agent gives its constructor options to the
 * connection to the proxy only; the TLS session with the endpoint inside the tunnel is built from the request's
 * options, so a custom CA has to be added there or it is ignored behind a proxy.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    private readonly targetCa: string[] | undefined,
    opts: { keepAlive?: boolean; maxSockets?: number; ca?: string[] },
  ) {
    super(proxy, opts);
  }
  override connect(req: http.ClientRequest, opts: AgentConnectOpts) {
    if (!opts.secureEndpoint) return super.connect(req, opts);
    // The tunnelled TLS connection is made without `host`, so for an IP address (no SNI servername) Node would
    // check the certificate against "localhost": check it against the address actually requested.
    const host = opts.host;
    const extra: Partial<tls.ConnectionOptions> = {
      ...(this.targetCa ? { ca: this.targetCa } : {}),
      ...(host && isIP(host) ? { checkServerIdentity: (_name: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert) } : {}),
    };
    return super.connect(req, { ...opts, ...extra } as AgentConnectOpts);
  }
}

/** An agent for requests through `proxy`, trusting `ca` both for an https:// proxy and for the endpoint behind it. */
export function proxyAgent(proxy: string, ca: string[] | undefined, opts: { keepAlive?: boolean; maxSockets?: number } = {}): HttpsProxyAgent<string> {
  return new TunnelAgent(proxy, ca, { ...opts, ...(ca ? { ca } : {}) });
}

/**
 * An HTML page where the API's answer should be: a proxy's block or login page, a web server at the endpoint URL.
 * The SDK's XML parsers read such a page as an answer with nothing in it (an empty list, silently); its JSON
 * parsers fail with a "Deserialization error". So the page is refused here, before either sees it.
 */
export class HtmlAnswerError extends Error {
  override readonly name = 'HtmlAnswer';
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number) {
    super(`the endpoint answered with an HTML page (HTTP ${status}), not the API`);
    this.$metadata = { httpStatusCode: status };
  }
}

/** The node handler, refusing HTML answers (S3 is left out: an object is served with whatever type it was stored with). */
class ApiHttpHandler extends NodeHttpHandler {
  override async handle(request: Parameters<NodeHttpHandler['handle']>[0], options?: HttpHandlerOptions): ReturnType<NodeHttpHandler['handle']> {
    const out = await super.handle(request, options);
    const type = String(out.response.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('text/html')) {
      (out.response.body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new HtmlAnswerError(out.response.statusCode);
    }
    return out;
  }
}

/** A fresh HTTP handler for one client (a client's destroy() also closes its agents). */
export function httpHandler(service: ServiceId, region: string, s: AwsSettings): NodeHttpHandler {
  const ca = readCa(s);
  const endpoint = configuredEndpoint(service, s);
  const host = endpoint ? new URL(endpoint).hostname : `${service.toLowerCase()}.${region}.amazonaws.com`;
  const proxy = proxyFor(host, s);
  const agentOptions = { keepAlive: true, maxSockets: 50, ...(ca ? { ca } : {}) };
  let httpsAgent: https.Agent;
  let httpAgent: http.Agent;
  if (proxy) {
    const agent = proxyAgent(proxy, ca, { keepAlive: true, maxSockets: 50 });
    httpsAgent = agent as unknown as https.Agent;
    httpAgent = agent as unknown as http.Agent;
  } else {
    httpsAgent = new https.Agent(agentOptions);
    httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  }
  const Handler = service === 'S3' ? NodeHttpHandler : ApiHttpHandler;
  return new Handler({
    httpsAgent,
    httpAgent,
    connectionTimeout: 10_000,
    requestTimeout: s.requestTimeout ?? 60_000,
  });
}

export interface ClientConfig {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  endpoint?: string;
  forcePathStyle?: boolean;
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  retryMode: 'adaptive';
}

/** The configuration object for an SDK v3 client of `service` in `region`. */
export function clientConfig(
  service: ServiceId,
  region: string,
  credentials: AwsCredentialIdentityProvider,
  s: AwsSettings,
): ClientConfig {
  const endpoint = configuredEndpoint(service, s);
  const cfg: ClientConfig = {
    region,
    credentials,
    requestHandler: httpHandler(service, region, s),
    maxAttempts: s.maxAttempts ?? 5,
    retryMode: 'adaptive',
  };
  if (endpoint) {
    cfg.endpoint = endpoint;
    // Custom S3 endpoints (local servers, S3-compatible stores) rarely resolve bucket subdomains.
    if (service === 'S3') cfg.forcePathStyle = true;
  }
  return cfg;
}
