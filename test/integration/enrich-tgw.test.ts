/**
 * A transit gateway's flow log (AWS's default transit gateway format, from a file) attributed to both VPCs: the
 * record's attachment interface is the observer, both ends resolve in its VPC and the VPC the transit gateway links
 * it to (another account's), the egress path is the transit gateway, and a flow the VPC flow log saw too is counted
 * once, from the client's own records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { A, B, arnA, arnB, tgwDataset } from '../support/tgwDataset';

let dir: string;
let db: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-tgw-'));
  db = await tgwDataset(dir);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a transit gateway flow log is attributed to both VPCs: each end in its own VPC and account, the attachment observes it, the path is the transit gateway', async () => {
  const rows = await db.json(`SELECT client_arn, client_vpc, client_account, client_az, server_arn, server_vpc, server_account, server_az,
      uploaded, downloaded, records, observer_eni, observer_side, orientation, egress_path, cross_vpc, cross_account, cross_az,
      client_attribution, server_attribution
    FROM conversations WHERE server_port = 5432 AND client_addr = '10.0.1.10'`);
  assert.deepEqual(rows, [{
    client_arn: arnA('instance/i-app'), client_vpc: 'vpc-a', client_account: A, client_az: 'us-east-1a',
    server_arn: arnB('instance/i-db'), server_vpc: 'vpc-b', server_account: B, server_az: 'us-east-1b',
    // the flow once (two attachments logged it), from the attachment in the client's VPC (the first interface)
    uploaded: 1200, downloaded: 64000, records: 2, observer_eni: 'eni-tgwa', observer_side: 'other', orientation: 'syn',
    egress_path: 'transit-gateway', cross_vpc: true, cross_account: true, cross_az: true,
    client_attribution: 'exact', server_attribution: 'exact',
  }]);
});

test('a flow both the transit gateway and a VPC flow log saw is counted once, from the client\'s own records', async () => {
  const rows = await db.json(`SELECT client_arn, server_arn, uploaded, downloaded, records, observer_eni, observer_side, egress_path
    FROM conversations WHERE server_port = 6379`);
  assert.deepEqual(rows, [{ client_arn: arnA('instance/i-app'), server_arn: arnB('instance/i-db'), uploaded: 300, downloaded: 900, records: 2,
    observer_eni: 'eni-app', observer_side: 'client', egress_path: 'transit-gateway' }]);
});

test('a flow from a VPN attachment (no VPC, no interface) is counted once, from the attachment in the VPC, which finds the server', async () => {
  const rows = await db.json(`SELECT client_addr, client_type, server_arn, server_vpc, server_attribution, uploaded, records, observer_eni, observer_side, egress_path
    FROM conversations WHERE client_addr = '192.168.7.5'`);
  assert.deepEqual(rows, [{ client_addr: '192.168.7.5', client_type: 'unknown', server_arn: arnB('instance/i-db'), server_vpc: 'vpc-b',
    server_attribution: 'exact', uploaded: 1500, records: 1, observer_eni: 'eni-tgwb', observer_side: 'other', egress_path: 'transit-gateway' }]);
  assert.equal(await db.value(`SELECT count(*) FROM conversations`), 3n);
});
