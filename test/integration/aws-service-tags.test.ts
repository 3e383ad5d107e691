/**
 * Issue 11, item 1, live: an enrichment from AWS (the real SDK against the local endpoint, real DuckDB) reads
 * tags from each service's own API where tag:GetResources lacks the resource, and they end on the conversations.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset, type Db } from '../../src/core/api';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, B, REGIONS, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;
let db: Db;

before(async () => {
  home = makeTempHome();
  estate = mkdtempSync(join(tmpdir(), 'flowlens-live-tags-estate-'));
  work = mkdtempSync(join(tmpdir(), 'flowlens-live-tags-'));
  writeMiniEstate(estate);
  ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 5 });
  db = await openDataset(join(work, 'live.duckdb'));
  const s = (await enrich(db, { source: { ...miniEstateSource(home, ep.url), dumpDir: join(work, 'dump') } })).aws!;
  assert.deepEqual(s.issues, []);
});

after(async () => {
  db?.close();
  await ep.close();
  for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
  home.cleanup();
});

const tags = (arn: string) => db.json<{ key: string; value: string }>(`SELECT key, value FROM inv_tags WHERE arn = $arn ORDER BY key`, { arn });

test('each service\'s own API gives the tags tag:GetResources lacks, in every account and region', async () => {
  for (const account of [A, B]) {
    for (const region of REGIONS) {
      const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
      assert.deepEqual(await tags(arn('elasticloadbalancing', 'loadbalancer/app/web/50dc6c495c0c9188')), [{ key: 'team', value: 'web-team' }]);
      assert.deepEqual(await tags(arn('lambda', 'function:fn-3')), [{ key: 'fn', value: 'fn-3' }, { key: 'team', value: 'fn-team' }]);
      assert.deepEqual(await tags(arn('rds', 'db-proxy:prx-0123456789abcdef0')), [{ key: 'team', value: 'data' }]);
      // in B from tag:GetResources, in A from ElastiCache's own API
      assert.deepEqual(await tags(arn('elasticache', 'cluster:sessions-001')), [{ key: 'team', value: 'cache' }]);
      const fs = `fs-0${account.slice(0, 2)}${region === 'us-east-1' ? 'a' : 'b'}0000000000001`;
      assert.deepEqual(await tags(arn('elasticfilesystem', `file-system/${fs}`)), [{ key: 'Name', value: 'shared' }, { key: 'team', value: 'storage' }]);
      assert.deepEqual(await tags(`arn:aws:ec2:${region}:${account}:elastic-ip/eipalloc-0abc`), [{ key: 'Name', value: 'nat-egress' }]);
    }
  }
});

test('the load balancer\'s tags from DescribeTags are on its conversations', async () => {
  const rows = await db.json<{ client_tags: { key: string; value: string }[] }>(
    `SELECT DISTINCT client_tags FROM conversations_v WHERE client_arn LIKE 'arn:aws:elasticloadbalancing:%:loadbalancer/app/web/%'`);
  assert.deepEqual(rows, [{ client_tags: { team: 'web-team' } }]);
});
