/**
 * The host's AWS path without VS Code: the mini estate served by the local AWS endpoint, a temporary HOME whose
 * profiles add an MFA-protected role, and real DuckDB worker processes (WorkerClient) that reach AWS only there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsSource, EnrichRequest } from '../../../src/protocol/enrich';
import { WorkerClient } from '../../../src/host/workerClient';
import { BASE_USER, EXTERNAL_ID, MFA_CODE, MFA_SERIAL, localAwsEnv, makeTempHome, type TempHome } from './home';
import { A, REGIONS, WINDOW, writeMiniEstate } from './mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from './server';

// FLOWLENS_TEST_WORKER runs the same tests against a bundled worker (e.g. dist/duckdbWorker.js).
const workerPath = process.env.FLOWLENS_TEST_WORKER ?? join(__dirname, '../../../src/host/duckdbWorker.js');

export interface WorkerAwsFixture {
  home: TempHome;
  /** The mini estate's folder (inventory dumps and flow logs the endpoint serves). */
  estate: string;
  /** A scratch folder for datasets and dumps. */
  work: string;
  ep: AwsEndpoint;
  /** What writeMiniEstate wrote. */
  counts: Record<string, number>;
  /** A worker whose AWS calls go to the endpoint with the temporary HOME's profiles; its log lines go to `log`. */
  client(log?: string[]): WorkerClient;
  close(): Promise<void>;
}

/** The worker's request to read the mini estate's window from AWS with profile `base` (rate limits lifted). */
export function miniEstateRequest(over: Partial<AwsSource> = {}): EnrichRequest {
  return {
    source: {
      kind: 'aws',
      profile: 'base',
      regions: REGIONS,
      since: WINDOW.since.toISOString(),
      until: WINDOW.until.toISOString(),
      ipRanges: false,
      cloudTrailPerSecond: 100,
      logsPerSecond: 100,
      ...over,
    },
  };
}

/** Profile `mfa-a` assumes MfaAdmin in account A with an MFA code; FlowLogIntrospector needs the external id. */
export async function startWorkerAwsFixture(o: { name: string; introspectorAccounts?: string[] }): Promise<WorkerAwsFixture> {
  const home = makeTempHome(['[profile mfa-a]', `role_arn = arn:aws:iam::${A}:role/MfaAdmin`, 'source_profile = base', `mfa_serial = ${MFA_SERIAL}`, ''].join('\n'));
  const estate = mkdtempSync(join(tmpdir(), `flowlens-${o.name}-estate-`));
  const work = mkdtempSync(join(tmpdir(), `flowlens-${o.name}-`));
  const counts = writeMiniEstate(estate);
  const ep = await startAwsEndpoint({
    estateDir: estate,
    users: [BASE_USER],
    roles: [
      { name: 'FlowLogIntrospector', externalId: EXTERNAL_ID, ...(o.introspectorAccounts ? { accounts: o.introspectorAccounts } : {}) },
      { name: 'MfaAdmin', mfaSerial: MFA_SERIAL, mfaCode: MFA_CODE },
    ],
    pageSize: 50,
  });
  return {
    home,
    estate,
    work,
    ep,
    counts,
    client: (log) => new WorkerClient({ workerPath, log: (l) => log?.push(l), env: localAwsEnv(home, ep.url) }),
    async close() {
      await ep.close();
      home.cleanup();
      for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
    },
  };
}
