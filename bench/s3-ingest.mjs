// S3 flow-log source throughput against a local S3 endpoint, compared with the same files from disk: both are
// one enrich() (load, then the rebuild, which is the same work on both sides). Build first
// (npm run build:test, output in out/), then:
//   node bench/s3-ingest.mjs [objects=40] [recordsPerObject=20000]
// Prints MB/s (compressed bytes) and records/s at concurrency 1, 4, 16, and the ratio to local disk. Asserts nothing.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const out = process.env.FLOWLENS_OUT ?? 'out';
const { enrich, openDataset } = require(`../${out}/src/core/api.js`);
const { startAwsEndpoint } = require(`../${out}/test/support/aws-endpoint/server.js`);

const N = Number(process.argv[2] ?? 40);
const R = Number(process.argv[3] ?? 20000);
const account = '111111111111';
const region = 'us-east-1';
const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-s3-'));
const bucketDir = join(dir, 'flowlogs', 'bench-logs');
const day = join(bucketDir, 'AWSLogs', account, 'vpcflowlogs', region, '2026', '09', '01');
mkdirSync(day, { recursive: true });
mkdirSync(join(dir, 'inventory', account, region), { recursive: true });

let bytes = 0;
const t0 = Date.parse('2026-09-01T00:00:00Z') / 1000;
for (let i = 0; i < N; i++) {
  const start = t0 + i * 300;
  const lines = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
  for (let k = 0; k < R; k++) {
    const a = `10.0.${(k >> 8) & 255}.${k & 255}`;
    const b = `10.1.${(i + k) & 255}.${(k * 7) & 255}`;
    lines.push(`2 ${account} eni-0${String(k % 2000).padStart(16, '0')} ${a} ${b} ${32768 + (k % 28000)} 443 6 ${1 + (k % 50)} ${100 + k} ${start} ${start + 60} ACCEPT OK`);
  }
  const stamp = new Date(start * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
  const body = gzipSync(lines.join('\n') + '\n');
  bytes += body.length;
  writeFileSync(join(day, `${account}_vpcflowlogs_${region}_fl-0bench_${stamp}_${i.toString(16).padStart(8, '0')}.log.gz`), body);
}
const mb = bytes / 1e6;
console.log(`${N} objects x ${R} records = ${N * R} records, ${mb.toFixed(1)} MB gzip`);

const user = { accessKeyId: 'AKIAFLOWLENSBENCH001', secretAccessKey: 'benchSecret/notReal+xxxxxxxxxxxxxxxxxxxxxx', account };
const ep = await startAwsEndpoint({ estateDir: dir, users: [user], pageSize: 1000 });
// A profile with the endpoint's user, in files of its own (nothing of the machine's AWS setup is read).
const files = { configFile: join(dir, 'config'), credentialsFile: join(dir, 'credentials') };
writeFileSync(files.configFile, `[profile bench]\nregion = ${region}\n`);
writeFileSync(files.credentialsFile, `[bench]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n`);
const since = new Date('2026-09-01T00:00:00Z');
const until = new Date(since.getTime() + N * 300_000);
const s3Source = (concurrency) => ({
  kind: 'aws', profile: 'bench', files, settings: { endpoint: ep.url, maxAttempts: 3 }, regions: [region], since, until,
  sources: ['s3://bench-logs/'], inventory: false, s3Concurrency: concurrency,
});

async function timed(source) {
  const db = await openDataset(':memory:');
  const t = performance.now();
  const summary = await enrich(db, { source });
  const s = (performance.now() - t) / 1000;
  db.close();
  return { s, summary };
}

async function disk() {
  const { s, summary } = await timed({ kind: 'files', flowLogs: [bucketDir] });
  return { s, records: summary.records };
}

const base = await disk();
console.log(`local disk (enrich from the folder): ${base.s.toFixed(2)} s, ${(mb / base.s).toFixed(1)} MB/s, ${Math.round(base.records / base.s)} records/s`);
for (const c of [1, 4, 16]) {
  const { s, summary } = await timed(s3Source(c));
  const rep = summary.aws;
  console.log(
    `S3 concurrency ${String(c).padStart(2)}: ${s.toFixed(2)} s, ${(mb / s).toFixed(1)} MB/s, ${Math.round(rep.records / s)} records/s, ` +
      `${rep.fetched} objects, ${rep.failed} failed; time ratio to disk ${(s / base.s).toFixed(2)}x`,
  );
}
await ep.close();
rmSync(dir, { recursive: true, force: true });
