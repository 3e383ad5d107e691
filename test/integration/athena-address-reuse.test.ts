/**
 * An address that went from one network interface to another within an Athena reduction's window (an ECS task's
 * address reused by the next task within the hour): the reduced rows of the two interfaces, each logging the address
 * as its own client address, have the same key once the client's port is dropped. They are two conversations, not
 * one seen from two ends: both are kept, and the server's view of the same traffic is not counted again. Found with
 * bench/athena.mjs at 20,000 conversations an hour, where two hour windows of a task whose address was reused at
 * 17:19 were missing from the pushed-down enrichment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import { rebuild } from '../../src/core/enrich/rebuild';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { reductionSql, REDUCED_COLUMNS } from '../../src/core/aws/athenaReduction';
import { ingestReducedRows } from '../../src/core/flowlogs/reduced';

const HOUR = 1_790_002_800; // 2026-09-21 13:00:00 UTC, a whole hour
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

function eni(id: string, ip: string, instance: string) {
  return {
    NetworkInterfaceId: id, InterfaceType: 'interface', Description: 'Primary network interface', OwnerId: '111111111111',
    AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1', VpcId: 'vpc-0a', Status: 'in-use', RequesterManaged: false,
    Attachment: { InstanceId: instance, InstanceOwnerId: '111111111111', DeviceIndex: 0, Status: 'attached' },
    Groups: [{ GroupId: 'sg-0a1', GroupName: 'web' }], PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: [], TagSet: [],
  };
}

/** One TCP connection logged at the client's interface and at the server's: a record each way at each. */
function connection(clientEni: string, clientPort: number, at: number, up: number, down: number): string[] {
  const rec = (eniId: string, src: string, dst: string, sport: number, dport: number, bytes: number) =>
    `2 111111111111 ${eniId} ${src} ${dst} ${sport} ${dport} 6 10 ${bytes} ${at} ${at + 59} ACCEPT OK`;
  return [
    rec(clientEni, '10.0.1.50', '10.0.2.20', clientPort, 443, up), rec(clientEni, '10.0.2.20', '10.0.1.50', 443, clientPort, down),
    rec('eni-0a00000000000005e', '10.0.1.50', '10.0.2.20', clientPort, 443, up), rec('eni-0a00000000000005e', '10.0.2.20', '10.0.1.50', 443, clientPort, down),
  ];
}

test("two interfaces that held one client address in one window: both conversations, from the reduction's rows as from the records", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-athena-reuse-'));
  const dbs: { close(): void }[] = [];
  try {
    const inv = join(dir, 'inventory');
    mkdirSync(inv);
    // the first task's interface held 10.0.1.50 until its task stopped, the next one's from then on (the inventory
    // knows both: an earlier snapshot and the current one)
    writeFileSync(join(inv, 'ec2.DescribeNetworkInterfaces.json'), JSON.stringify({ NetworkInterfaces: [
      eni('eni-0a000000000000a01', '10.0.1.50', 'i-0a000000000000a01'),
      eni('eni-0a000000000000a02', '10.0.1.50', 'i-0a000000000000a02'),
      eni('eni-0a00000000000005e', '10.0.2.20', 'i-0a00000000000005e'),
    ] }));
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'a.log'), [HEADER,
      ...connection('eni-0a000000000000a01', 40000, HOUR + 300, 1000, 5000),
      ...connection('eni-0a000000000000a02', 41000, HOUR + 2400, 2000, 7000),
    ].join('\n') + '\n');

    const local = await openDataset(join(dir, 'local.duckdb'));
    dbs.push(local);
    await enrich(local, { source: { kind: 'files', inventory: [inv], flowLogs: [flows] } });

    // "Athena": the records as one table, reduced to an hour
    const athena = await openDataset(':memory:');
    dbs.push(athena);
    await ingestFiles(athena, [flows]);
    await athena.exec('CREATE SCHEMA flowlogs; CREATE VIEW flowlogs.vpc_flow_logs AS SELECT * FROM flow_records');
    const columns = (await athena.all<{ column_name: string }>(`SELECT column_name FROM duckdb_columns() WHERE schema_name = 'flowlogs'`)).map((c) => c.column_name);
    const rows = (await athena.all<Record<string, unknown>>(reductionSql({ table: '"flowlogs"."vpc_flow_logs"', since: new Date((HOUR - 3600) * 1000), until: new Date((HOUR + 7200) * 1000), windowSeconds: 3600, columns })))
      .map((r) => REDUCED_COLUMNS.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
    // per observer: the two clients' interfaces, and the server's, whose one row holds both connections
    assert.equal(rows.length, 3);

    const reduced = await openDataset(join(dir, 'reduced.duckdb'));
    dbs.push(reduced);
    await loadInventory(reduced, [inv]);
    await ingestReducedRows(reduced, 'athena://test/reuse', 3600, rows);
    await rebuild(reduced);

    const facts = `SELECT observer_eni, sum(uploaded) AS up, sum(downloaded) AS down FROM conversations GROUP BY ALL ORDER BY observer_eni`;
    assert.deepEqual(await reduced.json(facts), [
      { observer_eni: 'eni-0a000000000000a01', up: 1000, down: 5000 },
      { observer_eni: 'eni-0a000000000000a02', up: 2000, down: 7000 },
    ], "each client's interface's own conversation; the server's view of them not counted again");
    const hour = `SELECT sum(uploaded) AS up, sum(downloaded) AS down FROM windows_1h`;
    assert.deepEqual(await reduced.json(hour), [{ up: 3000, down: 12000 }]);
    assert.deepEqual(await local.json(hour), [{ up: 3000, down: 12000 }], 'the records give the same');
  } finally {
    for (const d of dbs) d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
