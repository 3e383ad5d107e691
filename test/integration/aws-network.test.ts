/**
 * The network side of AWS access, end to end with the real SDK: a custom CA over HTTPS (AWS_CA_BUNDLE, the
 * profile's ca_bundle), an HTTPS proxy (CONNECT tunnels, NO_PROXY), consent before fetching ip-ranges.json,
 * and no credential in any file produced. The CA and the server certificate are made at test time with openssl;
 * a TLS front forwards to the local endpoint's plain HTTP port. Every server listens on 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { openDataset, type Db } from '../../src/core/api';
import { acquire } from '../../src/core/aws/acquire';
import type { AwsSource } from '../../src/protocol/enrich';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, FLOW_LOGS, WINDOW, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (not for "localhost": the endpoint is
 * reached by address, and the certificate must be checked against that address, through a proxy too). */
function makeCertificates(dir: string): { ca: string; key: string; cert: string; otherCa: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Flowlens Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  // A second, unrelated CA: trusting it must not make the server trusted.
  run(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Flowlens Other CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=Flowlens Test Endpoint']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'server.key'), cert: join(dir, 'server.pem'), otherCa: join(dir, 'other.pem') };
}

function listen(server: HttpServer | TlsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeAll(server: HttpServer | TlsServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function pipeBoth(a: Socket, b: Socket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

interface TlsFront {
  url: string;
  /** TLS connections accepted (handshake completed). */
  connections: number;
  /** Handshakes the client aborted (it did not trust the certificate). */
  rejected: number;
  close(): Promise<void>;
}

/** HTTPS in front of a plain HTTP server on 127.0.0.1:<port>: TLS terminated here, bytes forwarded as they are. */
async function startTlsFront(targetPort: number, key: string, cert: string): Promise<TlsFront> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (tlsSocket) => {
    front.connections++;
    const up = netConnect(targetPort, '127.0.0.1');
    sockets.add(tlsSocket).add(up);
    tlsSocket.on('close', () => sockets.delete(tlsSocket));
    up.on('close', () => sockets.delete(up));
    pipeBoth(tlsSocket, up);
  });
  server.on('tlsClientError', () => front.rejected++);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  const front: TlsFront = { url: `https://127.0.0.1:${port}`, connections: 0, rejected: 0, close: () => closeAll(server, sockets) };
  return front;
}

interface ConnectProxy {
  url: string;
  /** host:port of every CONNECT tunnel opened. */
  tunnels: string[];
  /** Plain (non-CONNECT) requests, which this proxy refuses. */
  plain: number;
  close(): Promise<void>;
}

/** A forward proxy that only opens CONNECT tunnels, and only to 127.0.0.1. */
async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    proxy.plain++;
    res.writeHead(405).end();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    proxy.tunnels.push(target);
    const m = /^127\.0\.0\.1:(\d+)$/.exec(target);
    if (!m) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const up = netConnect(Number(m[1]), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      pipeBoth(client, up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
  });
  const port = await listen(server);
  const proxy: ConnectProxy = { url: `http://127.0.0.1:${port}`, tunnels: [], plain: 0, close: () => closeAll(server, sockets) };
  return proxy;
}

/** A small document in AWS's ip-ranges.json format (documentation addresses only). */
function ipRangesDoc(syncToken: string, extra = false): string {
  const prefixes = [
    { ip_prefix: '198.51.100.0/24', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
    { ip_prefix: '198.51.100.0/25', region: 'us-east-1', service: 'S3', network_border_group: 'us-east-1' },
    { ip_prefix: '203.0.113.0/24', region: 'eu-west-1', service: 'EC2', network_border_group: 'eu-west-1' },
    ...(extra ? [{ ip_prefix: '192.0.2.0/24', region: 'eu-west-1', service: 'CLOUDFRONT', network_border_group: 'eu-west-1' }] : []),
  ];
  const ipv6 = [{ ipv6_prefix: '2001:db8:100::/40', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' }];
  return JSON.stringify({ syncToken, createDate: '2026-09-01-00-00-00', prefixes, ipv6_prefixes: ipv6 }, null, 2);
}

async function ipRangeRows(db: Db): Promise<{ n: number; tokens: string[] }> {
  const n = Number(await db.value(`SELECT count(*) FROM inv_prefixes WHERE source = 'ip-ranges'`));
  const tokens = (await db.all<{ t: string }>(`SELECT DISTINCT sync_token AS t FROM inv_prefixes WHERE source = 'ip-ranges' ORDER BY 1`)).map((r) => r.t);
  return { n, tokens };
}

describe('AWS access over the network: custom CA, HTTPS proxy, ip-ranges consent, no secrets on disk', () => {
  let home: TempHome;
  let certDir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let estate: string;
  let work: string;
  let ep: AwsEndpoint;
  let front: TlsFront;
  let proxy: ConnectProxy;
  let ranges: HttpServer;
  let rangesUrl: string;
  let rangesBody = ipRangesDoc('1790000000');
  let rangesHits = 0;
  let base: AwsSource;
  /** Records of the one flow log of account A in us-east-1 (S3, default layout), what every run must load. */
  let expected: number;
  /** Write-ahead logs seen (and searched for secrets) while a dataset was still open. */
  let walsSeen = 0;
  let secretsSearched = 0;

  /** Fails if any file of `files` holds a key, an issued token or an MFA code. */
  function assertNoSecrets(files: string[]): void {
    const secrets = [...home.secrets, ...ep.issuedSecrets];
    for (const f of files) {
      if (!existsSync(f) || !statSync(f).isFile()) continue;
      const bytes = readFileSync(f);
      for (const s of secrets) assert.equal(bytes.indexOf(s), -1, `${f} contains a secret`);
      secretsSearched++;
    }
  }

  before(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'flowlens-certs-'));
    certs = makeCertificates(certDir);
    // A profile whose ca_bundle names the test CA (the SDK's shared-config setting), same keys as `base`.
    home = makeTempHome(['[profile corp-ca]', 'region = us-east-1', `ca_bundle = ${certs.ca}`, ''].join('\n'));
    appendFileSync(home.credentialsFile, `\n[corp-ca]\naws_access_key_id = ${BASE_USER.accessKeyId}\naws_secret_access_key = ${BASE_USER.secretAccessKey}\n`);
    estate = mkdtempSync(join(tmpdir(), 'flowlens-estate-'));
    work = mkdtempSync(join(tmpdir(), 'flowlens-net-'));
    expected = writeMiniEstate(estate)[FLOW_LOGS[0]!.id]!;
    ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 50 });
    front = await startTlsFront(Number(new URL(ep.url).port), certs.key, certs.cert);
    proxy = await startConnectProxy();
    ranges = createHttpServer((req, res) => {
      rangesHits++;
      if (req.url !== '/ip-ranges.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(rangesBody);
    });
    rangesUrl = `http://127.0.0.1:${await listen(ranges)}/ip-ranges.json`;
    base = miniEstateSource(home, front.url, { accounts: [A], regions: ['us-east-1'], settings: { env: { AWS_ENDPOINT_URL: front.url }, maxAttempts: 2 } });
  });
  after(async () => {
    await Promise.all([front?.close(), proxy?.close(), ep?.close(), ranges && new Promise<void>((r) => { ranges.closeAllConnections(); ranges.close(() => r()); })]);
    for (const d of [estate, work, certDir]) if (d) rmSync(d, { recursive: true, force: true });
    home?.cleanup();
  });

  /** Only STS and one S3 flow log (no inventory): the quick variant where inventory adds nothing to the point. */
  const quick: Partial<AwsSource> = { inventory: false, sources: ['s3://flowlens-logs-a/vpc'] };

  /** One acquisition into a fresh dataset under `work`; returns the summary and the dataset's figures. The
   * dataset and its write-ahead log are searched for secrets while it is still open. */
  async function run(name: string, o: Partial<AwsSource>) {
    const path = join(work, `${name}.duckdb`);
    const db = await openDataset(path);
    try {
      const s = await acquire(db, { ...base, dumpDir: join(work, `dump-${name}`), ...o });
      const enis = Number(await db.value('SELECT count(*) FROM inv_enis'));
      const records = Number(await db.value('SELECT count(*) FROM flow_records'));
      if (existsSync(`${path}.wal`)) walsSeen++;
      assertNoSecrets([path, `${path}.wal`]);
      return { s, enis, records };
    } finally {
      db.close();
    }
  }

  it('HTTPS with a CA nobody trusts fails with a certificate error that says how to trust it; nothing is collected', async () => {
    const before = ep.requests.length;
    const rejectedBefore = front.rejected;
    const { s, enis, records } = await run('untrusted', { settings: { env: { AWS_ENDPOINT_URL: front.url }, maxAttempts: 1 } });
    assert.deepEqual(s.accounts, []);
    assert.ok(s.issues.length > 0);
    const msg = s.issues.map((i) => `${i.code}: ${i.message}`).join('\n');
    for (const i of s.issues) {
      assert.equal(i.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', msg);
      assert.match(i.message, /TLS certificate .*refused.*AWS_CA_BUNDLE or the profile's ca_bundle/, msg);
      assert.doesNotMatch(i.message, /expired/i, 'not mistaken for expired credentials');
      assert.equal(i.message.split('AWS_CA_BUNDLE').length, 2, 'the advice is given once');
    }
    assert.equal(ep.requests.length, before, 'no request got past the TLS handshake');
    assert.ok(front.rejected > rejectedBefore, 'the client refused the handshake');
    assert.equal(enis + records, 0);

    // Trusting an unrelated CA does not help either.
    const other = await run('other-ca', { settings: { env: { AWS_ENDPOINT_URL: front.url, AWS_CA_BUNDLE: certs.otherCa }, maxAttempts: 1 } });
    assert.deepEqual(other.s.accounts, []);
    assert.ok(other.s.issues.length > 0 && other.s.issues.every((i) => i.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), JSON.stringify(other.s.issues));
    assert.equal(ep.requests.length, before);
  });

  it('AWS_CA_BUNDLE (environment or caBundle) makes the HTTPS endpoint trusted: inventory and flow logs arrive', async () => {
    const before = ep.requests.length;
    const viaEnv = await run('ca-env', { settings: { env: { AWS_ENDPOINT_URL: front.url, AWS_CA_BUNDLE: certs.ca }, maxAttempts: 2 } });
    assert.deepEqual(viaEnv.s.issues, []);
    assert.deepEqual(viaEnv.s.accounts, [A]);
    assert.ok(viaEnv.enis >= 12, `ENIs: ${viaEnv.enis}`);
    assert.equal(viaEnv.records, expected);
    assert.equal(viaEnv.s.records, expected);
    const served = ep.requests.slice(before);
    assert.ok(served.some((r) => r.service === 'sts') && served.some((r) => r.service === 'ec2') && served.some((r) => r.service === 's3'));
    assert.ok(served.every((r) => r.status === 200), JSON.stringify(served.filter((r) => r.status !== 200)));

    const viaOption = await run('ca-option', { ...quick, settings: { env: { AWS_ENDPOINT_URL: front.url }, caBundle: certs.ca, maxAttempts: 2 } });
    assert.deepEqual(viaOption.s.issues, []);
    assert.equal(viaOption.records, expected);
  });

  it("the profile's ca_bundle makes the HTTPS endpoint trusted", async () => {
    const before = ep.requests.length;
    const { s, records } = await run('ca-profile', { ...quick, profile: 'corp-ca', settings: { env: { AWS_ENDPOINT_URL: front.url }, maxAttempts: 2 } });
    assert.deepEqual(s.issues, []);
    assert.deepEqual(s.accounts, [A]);
    assert.equal(records, expected);
    const served = ep.requests.slice(before);
    assert.ok(served.some((r) => r.op === 'AssumeRole') && served.some((r) => r.op === 'GetObject'), 'STS and S3 both went over HTTPS');
  });

  it('HTTPS_PROXY tunnels every connection to the HTTPS endpoint through the proxy; NO_PROXY bypasses it', async () => {
    const req0 = ep.requests.length;
    const conn0 = front.connections;
    const tun0 = proxy.tunnels.length;
    const env = { AWS_ENDPOINT_URL: front.url, AWS_CA_BUNDLE: certs.ca, HTTPS_PROXY: proxy.url };
    const via = await run('proxy', { settings: { env, maxAttempts: 2 } });
    assert.deepEqual(via.s.issues, []);
    assert.ok(via.enis >= 12);
    assert.equal(via.records, expected);
    const tunnels = proxy.tunnels.slice(tun0);
    assert.ok(tunnels.length > 0, 'tunnels were opened');
    assert.deepEqual([...new Set(tunnels)], [new URL(front.url).host], 'every tunnel goes to the endpoint');
    assert.equal(front.connections - conn0, tunnels.length, 'every connection the endpoint accepted came through a tunnel');
    assert.equal(proxy.plain, 0);
    const served = ep.requests.slice(req0);
    assert.ok(served.length >= 24, `requests: ${served.length}`);
    assert.ok(served.every((r) => r.status === 200));

    // The same acquisition with the endpoint's host in NO_PROXY never touches the proxy.
    const conn1 = front.connections;
    const tun1 = proxy.tunnels.length;
    const direct = await run('no-proxy', { ...quick, settings: { env: { ...env, NO_PROXY: 'localhost,127.0.0.1' }, maxAttempts: 2 } });
    assert.deepEqual(direct.s.issues, []);
    assert.equal(direct.records, expected);
    assert.equal(proxy.tunnels.length, tun1, 'no tunnel with NO_PROXY');
    assert.ok(front.connections > conn1, 'the endpoint was reached directly');
  });

  it('ip-ranges.json: nothing is fetched without consent; with consent it is fetched, cached with its syncToken and loaded once', async () => {
    const cache = join(work, 'cache', 'ip-ranges.json');
    const plain = { settings: { env: { AWS_ENDPOINT_URL: ep.url }, maxAttempts: 2 }, ipRangesUrl: rangesUrl, ipRangesCache: cache };
    rangesHits = 0;

    // No consent, no cache: no request at all, nothing loaded.
    let db = await openDataset(join(work, 'ipr.duckdb'));
    try {
      const s = await acquire(db, { ...base, ...plain, dumpDir: join(work, 'dump-ipr') });
      assert.equal(s.ipRanges.status, 'none');
      assert.equal(rangesHits, 0, 'not one request without consent');
      assert.ok(!existsSync(cache));
      assert.deepEqual(await ipRangeRows(db), { n: 0, tokens: [] });

      // Consent: fetched, cached as served, loaded.
      const s1 = await acquire(db, { ...base, ...plain, ipRanges: true, dumpDir: join(work, 'dump-ipr') });
      assert.deepEqual(s1.ipRanges, { status: 'downloaded', syncToken: '1790000000' });
      assert.equal(rangesHits, 1);
      assert.equal(readFileSync(cache, 'utf8'), rangesBody, 'the cache holds the document as served');
      assert.deepEqual(await ipRangeRows(db), { n: 4, tokens: ['1790000000'] });
      const mtime = statSync(cache).mtimeMs;

      // Same syncToken again: asked, not rewritten, not loaded twice.
      const s2 = await acquire(db, { ...base, ...plain, ipRanges: true, dumpDir: join(work, 'dump-ipr') });
      assert.deepEqual(s2.ipRanges, { status: 'unchanged', syncToken: '1790000000' });
      assert.equal(rangesHits, 2);
      assert.equal(statSync(cache).mtimeMs, mtime, 'an unchanged document is not rewritten');
      assert.deepEqual(await ipRangeRows(db), { n: 4, tokens: ['1790000000'] });
      assert.equal(Number(await db.value(`SELECT count(*) FROM inv_files WHERE kind = 'ip-ranges'`)), 1, 'one load of that document');

      // A newer document replaces the old prefixes instead of adding to them.
      rangesBody = ipRangesDoc('1790003600', true);
      const s3 = await acquire(db, { ...base, ...plain, ipRanges: true, dumpDir: join(work, 'dump-ipr') });
      assert.deepEqual(s3.ipRanges, { status: 'downloaded', syncToken: '1790003600' });
      assert.deepEqual(await ipRangeRows(db), { n: 5, tokens: ['1790003600'] });
      if (existsSync(join(work, 'ipr.duckdb.wal'))) walsSeen++;
      assertNoSecrets([join(work, 'ipr.duckdb'), join(work, 'ipr.duckdb.wal')]);
    } finally {
      db.close();
    }

    // Without consent the cache is used, still without a request.
    const hits = rangesHits;
    db = await openDataset(join(work, 'ipr-cached.duckdb'));
    try {
      const s = await acquire(db, { ...base, ...plain, dumpDir: join(work, 'dump-ipr-cached') });
      assert.deepEqual(s.ipRanges, { status: 'cached', syncToken: '1790003600' });
      assert.equal(rangesHits, hits, 'the cache is used without asking');
      assert.deepEqual(await ipRangeRows(db), { n: 5, tokens: ['1790003600'] });
    } finally {
      db.close();
    }
  });

  it('ip-ranges.json over HTTPS uses the same CA and proxy settings as the SDK', async () => {
    const tlsRanges = await startTlsFront(Number(new URL(rangesUrl).port), certs.key, certs.cert);
    try {
      const url = `${tlsRanges.url}/ip-ranges.json`;
      const cache = join(work, 'cache-tls', 'ip-ranges.json');
      const tun0 = proxy.tunnels.length;
      const viaProfile = await run('ipr-tls', {
        profile: 'corp-ca',
        ipRanges: true,
        ipRangesUrl: url,
        ipRangesCache: cache,
        settings: { env: { AWS_ENDPOINT_URL: ep.url, HTTPS_PROXY: proxy.url }, maxAttempts: 2 },
      });
      assert.deepEqual(viaProfile.s.issues, []);
      assert.equal(viaProfile.s.ipRanges.status, 'downloaded');
      assert.ok(existsSync(cache));
      assert.ok(proxy.tunnels.slice(tun0).includes(new URL(tlsRanges.url).host), 'fetched through the proxy');
    } finally {
      await tlsRanges.close();
    }
  });

  it('no credential, issued token or MFA code is in any file produced (datasets, WAL, dumps, cache)', () => {
    assert.ok(ep.issuedSecrets.length > 0, 'role credentials were issued');
    assert.ok(walsSeen > 0 && secretsSearched > walsSeen, `write-ahead logs searched while open: ${walsSeen}`);
    const files = allFiles(work).filter((f) => statSync(f).isFile());
    for (const want of ['.duckdb', 'ip-ranges.json', 'ec2.DescribeNetworkInterfaces.json']) {
      assert.ok(files.some((f) => f.endsWith(want)), `a ${want} file was produced`);
    }
    assertNoSecrets(files);
  });
});
