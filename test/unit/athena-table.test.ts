import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatScanCost, parseSize, partitionKeysText, partitionPlan, partsPlan, registeredParts, registeredReadEnd, scanPrice, tableLocation, type PlanPart } from '../../src/core/aws/athenaTable';
import { reductionSql, reductionWindow } from '../../src/core/aws/athenaReduction';
import { flowLogTableDdl } from '../../src/core/aws/athenaDdl';

const since = new Date('2026-09-30T22:00:00Z');
const until = new Date('2026-10-02T01:00:00Z');

describe('the flow-log table partitions the reduction prunes by', () => {
  it("AWS's Hive-compatible delivery: region, one conjunction per day with the hours of a day read in part, and the prefixes of those partitions only", () => {
    const p = partitionPlan({
      columns: [], parameters: { location: 's3://logs/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/' },
      partitionKeys: [{ name: 'aws-region', type: 'string' }, { name: 'year', type: 'string' }, { name: 'month', type: 'string' }, { name: 'day', type: 'string' }, { name: 'hour', type: 'string' }],
    }, since, until, ['us-east-1', 'eu-west-1']);
    // records up to 01:00 on the 2nd are delivered up to an hour later: its hours 00 and 01
    assert.deepEqual(p.predicates, [
      `"aws-region" IN ('us-east-1', 'eu-west-1')`,
      `(("year" = '2026' AND "month" = '09' AND "day" = '30' AND "hour" IN ('22', '23')) OR ("year" = '2026' AND "month" = '10' AND "day" = '01') OR ("year" = '2026' AND "month" = '10' AND "day" = '02' AND "hour" IN ('00', '01')))`,
    ]);
    assert.deepEqual(p.recognised, ['aws-region (region)', 'year/month/day/hour (Hive-style date and hour)']);
    assert.deepEqual(p.ignored, []);
    const at = 's3://logs/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/';
    assert.deepEqual(p.prefixes, [
      `${at}aws-region=us-east-1/year=2026/month=09/day=30/hour=22/`, `${at}aws-region=us-east-1/year=2026/month=09/day=30/hour=23/`,
      `${at}aws-region=eu-west-1/year=2026/month=09/day=30/hour=22/`, `${at}aws-region=eu-west-1/year=2026/month=09/day=30/hour=23/`,
      `${at}aws-region=us-east-1/year=2026/month=10/day=01/`, `${at}aws-region=eu-west-1/year=2026/month=10/day=01/`,
      `${at}aws-region=us-east-1/year=2026/month=10/day=02/hour=00/`, `${at}aws-region=us-east-1/year=2026/month=10/day=02/hour=01/`,
      `${at}aws-region=eu-west-1/year=2026/month=10/day=02/hour=00/`, `${at}aws-region=eu-west-1/year=2026/month=10/day=02/hour=01/`,
    ]);
    assert.deepEqual(p.hive, { location: at, firstKey: 'aws-region' });
    // the 1st held already (left out of the query): its hours are not kept, but for the late hour of the 30th's records
    const held = partitionPlan({
      columns: [], parameters: { location: at },
      partitionKeys: [{ name: 'aws-region', type: 'string' }, { name: 'year', type: 'string' }, { name: 'month', type: 'string' }, { name: 'day', type: 'string' }, { name: 'hour', type: 'string' }],
    }, since, until, ['us-east-1'], [{ since: Date.parse('2026-10-01T00:00:00Z'), until: Date.parse('2026-10-02T00:00:00Z') }]);
    assert.deepEqual(held.predicates[1], `(("year" = '2026' AND "month" = '09' AND "day" = '30' AND "hour" IN ('22', '23')) OR ("year" = '2026' AND "month" = '10' AND "day" = '01' AND "hour" IN ('00')) `
      + `OR ("year" = '2026' AND "month" = '10' AND "day" = '02' AND "hour" IN ('00', '01')))`);
    assert.deepEqual(held.prefixes, [`${at}aws-region=us-east-1/year=2026/month=09/day=30/hour=22/`, `${at}aws-region=us-east-1/year=2026/month=09/day=30/hour=23/`,
      `${at}aws-region=us-east-1/year=2026/month=10/day=01/hour=00/`, `${at}aws-region=us-east-1/year=2026/month=10/day=02/hour=00/`, `${at}aws-region=us-east-1/year=2026/month=10/day=02/hour=01/`]);
  });

  it("AWS's documented DDL at AWSLogs/ (no account asked, service unconstrained): those levels are left to be listed, integer keys compared as integers", () => {
    const info = {
      columns: [], parameters: { location: 's3://logs/prefix/AWSLogs' },
      partitionKeys: [{ name: 'aws-account-id', type: 'string' }, { name: 'aws-service', type: 'string' }, { name: 'aws-region', type: 'string' },
        { name: 'year', type: 'string' }, { name: 'month', type: 'int' }, { name: 'day', type: 'int' }],
    };
    const p = partitionPlan(info, new Date('2026-10-01T05:00:00Z'), new Date('2026-10-01T07:00:00Z'), ['eu-west-1']);
    assert.deepEqual(p.predicates, [`"aws-region" IN ('eu-west-1')`, `(("year" = '2026' AND "month" = 10 AND "day" = 1))`]);
    assert.deepEqual(p.recognised.at(-1), 'aws-account-id (account; every account read)');
    assert.deepEqual(p.ignored, ['aws-service']);
    assert.deepEqual(p.prefixes, ['s3://logs/prefix/AWSLogs/aws-account-id=${aws-account-id}/aws-service=${aws-service}/aws-region=eu-west-1/year=2026/month=10/day=01/']);
    // no region asked: every region is read, and so listed
    const all = partitionPlan({ columns: [], parameters: { location: 's3://logs/t/' }, partitionKeys: [{ name: 'region', type: 'string' }, { name: 'dt', type: 'string' }] },
      new Date('2026-10-01T05:00:00Z'), new Date('2026-10-01T07:00:00Z'), []);
    assert.deepEqual(all.prefixes, ['s3://logs/t/region=${region}/dt=2026-10-01/']);
  });

  it('a day key whose values hold slashes is no Hive-style level: the whole location is what an estimate can list', () => {
    const p = partitionPlan({ columns: [], parameters: { location: 's3://logs/t/' }, partitionKeys: [{ name: 'region', type: 'string' }, { name: 'day', type: 'string' }] },
      since, until, ['us-east-1']);
    assert.deepEqual(p.prefixes, ['s3://logs/t/']);
    assert.equal(p.hive, undefined);
  });

  it("partition projection over AWS's plain layout: the day in the projection's format, and the objects' prefixes per day and region", () => {
    const p = partitionPlan({
      columns: [],
      partitionKeys: [{ name: 'accid', type: 'string' }, { name: 'region', type: 'string' }, { name: 'day', type: 'string' }],
      parameters: {
        'projection.enabled': 'true', 'projection.day.type': 'date', 'projection.day.format': 'yyyy/MM/dd',
        'storage.location.template': 's3://logs/AWSLogs/${accid}/vpcflowlogs/${region}/${day}',
      },
    }, since, until, ['us-east-1']);
    assert.deepEqual(p.predicates, [`"region" IN ('us-east-1')`, `"day" IN ('2026/09/30', '2026/10/01', '2026/10/02')`]);
    assert.deepEqual(p.ignored, []);
    // the account is not constrained: its level is left to be listed
    assert.deepEqual(p.prefixes, ['2026/09/30', '2026/10/01', '2026/10/02'].map((d) => `s3://logs/AWSLogs/\${accid}/vpcflowlogs/us-east-1/${d}/`));
  });

  it("an organisation's table (an account key): the accounts asked for are a predicate on it, as the regions are on theirs, and only their objects are listed", () => {
    const [w0, w1] = [new Date('2026-10-01T05:00:00Z'), new Date('2026-10-01T07:00:00Z')];
    // AWS's Hive-compatible layout at AWSLogs/ (an organisation's level before it is the location's)
    const hive = partitionPlan({
      columns: [], parameters: { location: 's3://logs/AWSLogs/o-abc123/' },
      partitionKeys: ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day'].map((name) => ({ name, type: 'string' })),
    }, w0, w1, ['eu-west-1'], [], ['111111111111']);
    assert.deepEqual(hive.predicates, [`"aws-region" IN ('eu-west-1')`, `(("year" = '2026' AND "month" = '10' AND "day" = '01'))`, `"aws-account-id" IN ('111111111111')`]);
    assert.deepEqual(hive.recognised.at(-1), 'aws-account-id (account)');
    assert.deepEqual(hive.prefixes, ['s3://logs/AWSLogs/o-abc123/aws-account-id=111111111111/aws-service=${aws-service}/aws-region=eu-west-1/year=2026/month=10/day=01/']);
    // partition projection over the plain layout: the account put in the template, each of those asked for
    const projected = partitionPlan({
      columns: [],
      partitionKeys: [{ name: 'accid', type: 'string' }, { name: 'region', type: 'string' }, { name: 'day', type: 'string' }],
      parameters: { 'projection.enabled': 'true', 'projection.day.format': 'yyyy/MM/dd', 'storage.location.template': 's3://logs/AWSLogs/${accid}/vpcflowlogs/${region}/${day}' },
    }, w0, w1, ['us-east-1'], [], ['111111111111', '222222222222']);
    assert.equal(projected.predicates[2], `"accid" IN ('111111111111', '222222222222')`);
    assert.deepEqual(projected.prefixes, ['111111111111', '222222222222'].map((a) => `s3://logs/AWSLogs/${a}/vpcflowlogs/us-east-1/2026/10/01/`));
    // a crawler's table of the plain layout: the account key known by its values, and only its partitions kept
    const accounts = ['111111111111', '222222222222'];
    const info = crawled(every(accounts, ['us-east-1'], ['2026/10/01', '2026/10/02']));
    const one = partitionPlan(info, w0, w1, ['us-east-1'], [], ['222222222222']);
    assert.equal(one.predicates[2], `"partition_0" IN ('222222222222')`);
    assert.equal(one.recognised.at(-1), "partition_0 (account, from the registered partitions' values)");
    assert.deepEqual([one.kept, one.prefixes], [1, ['s3://logs/AWSLogs/222222222222/vpcflowlogs/us-east-1/2026/10/01/']]);
    // an account whose partitions the table does not hold: none kept
    assert.equal(partitionPlan(info, w0, w1, ['us-east-1'], [], ['333333333333']).kept, 0);
  });

  it("every account but those read before: a predicate that leaves them out of the account key, and their objects neither kept nor listed", () => {
    const [w0, w1] = [new Date('2026-10-01T05:00:00Z'), new Date('2026-10-01T07:00:00Z')];
    const [a, b, c] = ['111111111111', '222222222222', '333333333333'];
    const hive = partitionPlan({
      columns: [], parameters: { location: 's3://logs/AWSLogs/o-abc123/' },
      partitionKeys: ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day'].map((name) => ({ name, type: 'string' })),
    }, w0, w1, ['eu-west-1'], [], [], [a, b]);
    assert.equal(hive.predicates[2], `"aws-account-id" NOT IN ('${a}', '${b}')`);
    assert.equal(hive.recognised.at(-1), `aws-account-id (account; every account but ${a}, ${b} read)`);
    // the account level is listed to be found, without those two
    assert.deepEqual(hive.prefixes, [`s3://logs/AWSLogs/o-abc123/aws-account-id=\${aws-account-id!${a},${b}}/aws-service=\${aws-service}/aws-region=eu-west-1/year=2026/month=10/day=01/`]);
    const projected = partitionPlan({
      columns: [],
      partitionKeys: [{ name: 'accid', type: 'string' }, { name: 'region', type: 'string' }, { name: 'day', type: 'string' }],
      parameters: { 'projection.enabled': 'true', 'projection.day.format': 'yyyy/MM/dd', 'storage.location.template': 's3://logs/AWSLogs/${accid}/vpcflowlogs/${region}/${day}' },
    }, w0, w1, ['us-east-1'], [], [], [a]);
    assert.deepEqual(projected.prefixes, [`s3://logs/AWSLogs/\${accid!${a}}/vpcflowlogs/us-east-1/2026/10/01/`]);
    // a crawler's table: only the other accounts' partitions kept
    const info = crawled(every([a, b, c], ['us-east-1'], ['2026/10/01', '2026/10/02']));
    const others = partitionPlan(info, w0, w1, ['us-east-1'], [], [], [a, b]);
    assert.equal(others.predicates[2], `"partition_0" NOT IN ('${a}', '${b}')`);
    assert.deepEqual([others.kept, others.prefixes], [1, [`s3://logs/AWSLogs/${c}/vpcflowlogs/us-east-1/2026/10/01/`]]);
  });

  it("a query of parts (accounts whose time left to read differs): each part's partitions in one disjunction, and those of every part kept and listed once", () => {
    const [a, b, c] = ['111111111111', '222222222222', '333333333333'];
    const info = crawled(every([a, b, c], ['us-east-1'], ['2026/10/01', '2026/10/02', '2026/10/03']));
    // A held until the 2nd 12:00 (read from there), B and C read over the whole window
    const [w0, mid, w1] = [new Date('2026-10-01T05:00:00Z'), new Date('2026-10-02T12:00:00Z'), new Date('2026-10-02T20:00:00Z')];
    const p = partsPlan(info, [{ since: mid, until: w1, leftOut: [], accounts: { only: [a] } }, { since: w0, until: w1, leftOut: [], accounts: { except: [a] } }], ['us-east-1']);
    const day = (d: string) => `("partition_3" = '2026' AND "partition_4" = '10' AND "partition_5" = '${d}')`;
    assert.deepEqual(p.predicates, [`"partition_2" IN ('us-east-1')`,
      `((${day('02')}) AND "partition_0" IN ('${a}')) OR ((${day('01')} OR ${day('02')}) AND "partition_0" NOT IN ('${a}'))`]);
    // A's 2nd, B's and C's 1st and 2nd: not A's 1st
    const at = (x: string, d: string) => `s3://logs/AWSLogs/${x}/vpcflowlogs/us-east-1/2026/10/${d}/`;
    assert.deepEqual([p.kept, p.prefixes], [5, [at(a, '02'), at(b, '01'), at(b, '02'), at(c, '01'), at(c, '02')]]);
    assert.equal(p.recognised.at(-1), "partition_0 (account, from the registered partitions' values; every account read)");
    // one part: the plan of its own
    const one = partsPlan(info, [{ since: w0, until: w1, leftOut: [], accounts: { only: [b] } }], ['us-east-1']);
    assert.deepEqual(one, partitionPlan(info, w0, w1, ['us-east-1'], [], [b]));
  });

  it('a date-typed key, and a table without partitions', () => {
    const p = partitionPlan({ columns: [], partitionKeys: [{ name: 'date', type: 'date' }], parameters: {} }, since, until, []);
    assert.deepEqual(p.predicates, [`"date" IN (DATE '2026-09-30', DATE '2026-10-01', DATE '2026-10-02')`]);
    const none = partitionPlan({ columns: [], partitionKeys: [], parameters: { location: 's3://b/p' } }, since, until, ['us-east-1']);
    assert.deepEqual(none.predicates, []);
    assert.deepEqual(none.prefixes, ['s3://b/p/']);
  });
});

/** A Glue crawler's table over AWS's plain layout at s3://logs/AWSLogs/ and its registered partitions (account, service, region, y, m, d). */
function crawled(partitions: string[][], types: Partial<Record<number, string>> = {}) {
  return {
    columns: [], parameters: { location: 's3://logs/AWSLogs/' },
    partitionKeys: partitions[0]!.map((_, i) => ({ name: `partition_${i}`, type: types[i] ?? 'string' })),
    partitions: partitions.map((values) => ({ values, location: `s3://logs/AWSLogs/${values.join('/')}/` })),
  };
}
const every = (accounts: string[], regions: string[], days: string[], hours: string[] = []) =>
  accounts.flatMap((a) => regions.flatMap((r) => days.flatMap((d) => (hours.length ? hours.map((h) => [a, 'vpcflowlogs', r, ...d.split('/'), h]) : [[a, 'vpcflowlogs', r, ...d.split('/')]]))));

describe('partition keys known by the values registered for them (a Glue crawler\'s partition_0 …)', () => {
  const accounts = ['111111111111', '222222222222'];
  const days = ['2026/09/01', '2026/09/02', '2026/09/03'];
  const from = "from the registered partitions' values";
  // 22:00 on the 1st to 03:00 on the 2nd: records delivered up to an hour later, so the 1st and the 2nd
  const [s, u] = [new Date('2026-09-01T22:00:00Z'), new Date('2026-09-02T03:00:00Z')];

  it("AWS's plain layout: account, region and date recognised, one conjunction per day, the region asked, and only the kept partitions' locations", () => {
    const info = crawled(every(accounts, ['us-east-1', 'eu-west-1'], days));
    const p = partitionPlan(info, s, u, ['us-east-1']);
    assert.deepEqual(p.predicates, [
      `"partition_2" IN ('us-east-1')`,
      `(("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '01') OR ("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '02'))`,
    ]);
    assert.deepEqual(p.recognised, [`partition_2 (region, ${from})`, `partition_3/partition_4/partition_5 (year/month/day, ${from})`, `partition_0 (account, ${from}; every account read)`]);
    assert.deepEqual(p.ignored, ['partition_1'], "'vpcflowlogs' is left alone");
    assert.deepEqual(p.prefixes, accounts.flatMap((a) => ['01', '02'].map((d) => `s3://logs/AWSLogs/${a}/vpcflowlogs/us-east-1/2026/09/${d}/`)));
    assert.equal(p.kept, 4);
    assert.equal(p.hive, undefined);
    // two regions asked: both kept
    const both = partitionPlan(info, s, u, ['us-east-1', 'eu-west-1']);
    assert.equal(both.predicates[0], `"partition_2" IN ('us-east-1', 'eu-west-1')`);
    assert.equal(both.kept, 8);
    // the registered partitions unknown (not read): as before, nothing constrained and the whole location
    const { partitions: _, ...bare } = info;
    const before = partitionPlan(bare, s, u, ['us-east-1']);
    assert.deepEqual([before.predicates, before.recognised, before.prefixes, before.kept], [[], [], ['s3://logs/AWSLogs/'], undefined]);
    assert.equal(before.ignored.length, 6);
  });

  it('a key with one value that does not fit is not recognised: no predicate on it, and the partitions it would have dropped are kept', () => {
    const rows = every(accounts, ['us-east-1'], days);
    // a stray folder the crawler registered beside the regions, and a month that is none
    const stray = crawled([...rows, ['111111111111', 'vpcflowlogs', 'logs', '2026', '09', '01']]);
    const p = partitionPlan(stray, s, u, ['us-east-1']);
    assert.deepEqual(p.predicates, [`(("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '01') OR ("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '02'))`]);
    assert.deepEqual(p.ignored, ['partition_1', 'partition_2']);
    assert.equal(p.kept, 5, 'the stray partition of a kept day too');
    const month = partitionPlan(crawled([...rows, ['111111111111', 'vpcflowlogs', 'us-east-1', '2026', '13', '01']]), s, u, ['us-east-1']);
    assert.deepEqual(month.predicates, [`"partition_2" IN ('us-east-1')`]);
    assert.deepEqual(month.ignored, ['partition_1', 'partition_3', 'partition_4', 'partition_5']);
    // a text key's month without its leading zero: a predicate '09' would miss it, so it is not recognised
    const unpadded = partitionPlan(crawled(every(accounts, ['us-east-1'], ['2026/9/01'])), s, u, ['us-east-1']);
    assert.deepEqual(unpadded.predicates, [`"partition_2" IN ('us-east-1')`]);
  });

  it('an hour key after the day: the hours of the window on the days it covers in part', () => {
    const hours = ['00', '01', '02', '21', '22', '23'];
    const p = partitionPlan(crawled(every(['111111111111'], ['us-east-1'], days, hours)), s, new Date('2026-09-02T01:00:00Z'), []);
    // records to 01:00, delivered up to an hour later: 22-23 on the 1st, 00-01 on the 2nd
    assert.deepEqual(p.predicates, [`(("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '01' AND "partition_6" IN ('22', '23')) `
      + `OR ("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = '02' AND "partition_6" IN ('00', '01')))`]);
    assert.deepEqual(p.recognised, [`partition_3/partition_4/partition_5/partition_6 (year/month/day/hour, ${from})`, `partition_0 (account, ${from}; every account read)`]);
    assert.deepEqual(p.ignored, ['partition_1', 'partition_2'], 'no region asked: the region key is not constrained');
    assert.deepEqual(p.prefixes, ['01/22', '01/23', '02/00', '02/01'].map((x) => `s3://logs/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/09/${x}/`));
  });

  it('integer keys are compared as integers, a text key as text', () => {
    const rows = every(accounts, ['us-east-1'], ['2026/9/1', '2026/9/2', '2026/9/3']);
    const p = partitionPlan(crawled(rows, { 3: 'int', 4: 'int', 5: 'int' }), s, u, ['us-east-1']);
    assert.deepEqual(p.predicates, [`"partition_2" IN ('us-east-1')`,
      `(("partition_3" = 2026 AND "partition_4" = 9 AND "partition_5" = 1) OR ("partition_3" = 2026 AND "partition_4" = 9 AND "partition_5" = 2))`]);
    assert.deepEqual(p.prefixes, accounts.flatMap((a) => ['1', '2'].map((d) => `s3://logs/AWSLogs/${a}/vpcflowlogs/us-east-1/2026/9/${d}/`)));
    // a text region key and a bigint day key in one table
    const mixed = partitionPlan(crawled(every(accounts, ['us-east-1'], days), { 5: 'bigint' }), s, u, ['us-east-1']);
    assert.equal(mixed.predicates[1], `(("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = 1) OR ("partition_3" = '2026' AND "partition_4" = '09' AND "partition_5" = 2))`);
    assert.equal(mixed.kept, 4);
  });

  it('a projected table\'s registered partitions are not used (Athena ignores them), nor are keys known by name looked at again', () => {
    const info = crawled(every(accounts, ['us-east-1'], days));
    const projected = partitionPlan({ ...info, parameters: { ...info.parameters, 'projection.enabled': 'true' } }, s, u, ['us-east-1']);
    assert.deepEqual([projected.predicates, projected.kept], [[], undefined]);
    // AWS's Hive-compatible DDL at AWSLogs/, its partitions registered: the date and region by name, the account by
    // value, and the estimate lists the kept partitions' own locations
    const hive = partitionPlan({
      columns: [], parameters: { location: 's3://logs/AWSLogs/' },
      partitionKeys: ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day'].map((name) => ({ name, type: 'string' })),
      partitions: every(['111111111111'], ['us-east-1', 'eu-west-1'], days).map((v) => ({ values: v,
        location: `s3://logs/AWSLogs/aws-account-id=${v[0]}/aws-service=${v[1]}/aws-region=${v[2]}/year=${v[3]}/month=${v[4]}/day=${v[5]}` })),
    }, s, u, ['eu-west-1']);
    assert.deepEqual(hive.recognised, ['aws-region (region)', 'year/month/day (Hive-style date)', 'aws-account-id (account; every account read)']);
    assert.deepEqual(hive.prefixes, ['01', '02'].map((d) => `s3://logs/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=${d}/`));
  });
});

describe('scan sizes and prices', () => {
  it('reads sizes as people write them', () => {
    assert.equal(parseSize('10GB'), 10e9);
    assert.equal(parseSize('1.5 TiB'), 1.5 * 2 ** 40);
    assert.equal(parseSize('500'), 500);
    assert.equal(parseSize('ten'), undefined);
  });
  it('prices a scan at $5/TB by default, at least 10 MB', () => {
    assert.equal(scanPrice(2e12), 10);
    assert.equal(scanPrice(1), (10 * 1024 * 1024 / 1e12) * 5);
    assert.equal(scanPrice(1e12, 6.75), 6.75);
  });
  it("says a scan below Athena's minimum is billed as the minimum, so that cents beside 0 B are not taken for a bug", () => {
    const at = (bytes: number, usd = scanPrice(bytes)) => ({ bytes, usd });
    // before: "0 B ($0.000052)"
    assert.equal(formatScanCost([at(0)]), "0 B (billed as Athena's 10.0 MiB minimum: $0.000052)");
    assert.equal(formatScanCost([at(3213)], { perTb: 5 }), "3.14 KiB (billed as Athena's 10.0 MiB minimum: $0.000052 at $5/TB)");
    assert.equal(formatScanCost([at(0)], { minimumSaid: true }), '0 B ($0.000052)', 'said once a line');
    assert.equal(formatScanCost([at(40e9)]), '37.3 GiB ($0.20)');
    assert.equal(formatScanCost([at(0, 0)]), '0 B ($0.00)', 'a result Athena kept: nothing billed, no minimum');
    assert.equal(formatScanCost([at(0), at(1024)]), "1.00 KiB (billed as Athena's 10.0 MiB minimum for each of the 2 queries: $0.00010)");
    assert.equal(formatScanCost([at(0), at(40e9), at(5, 0)]), "37.3 GiB (billed as Athena's 10.0 MiB minimum for 1 of the 3 queries: $0.20)");
  });
});

describe('the reduction statement', () => {
  it('puts a typed NULL where the table lacks a column, and refuses other windows', () => {
    const sql = reductionSql({ table: '"db"."t"', since, until, columns: ['tcp_flags'] });
    assert.ok(sql.includes('tcp_flags AS flags'));
    assert.ok(sql.includes('CAST(NULL AS varchar) AS vpc_id'));
    assert.ok(!sql.includes('{{'));
    assert.ok(!sql.startsWith('--'), 'the file comment is not sent');
    assert.throws(() => reductionWindow(120), /an Athena reduction window is 60, 300 or 3600 seconds \(1 minute, 5 minutes, 1 hour\), not 120/);
  });
});

describe("AWS's DDL for a flow log without a table", () => {
  it('text in the plain layout: the format\'s columns in order, projection by region and day, the header skipped', () => {
    const ddl = flowLogTableDdl({ destination: 'arn:aws:s3:::logs-bucket/vpc', account: '111111111111', logFormat: '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${start} ${end} ${tcp-flags}' },
      { database: 'flowlogs', table: 'vpc', regions: ['us-east-1', 'eu-west-1'], since: new Date('2026-09-01T05:00:00Z') });
    assert.equal(ddl, `CREATE EXTERNAL TABLE IF NOT EXISTS \`flowlogs\`.\`vpc\` (
  \`version\` int,
  \`interface_id\` string,
  \`srcaddr\` string,
  \`dstaddr\` string,
  \`srcport\` int,
  \`dstport\` int,
  \`protocol\` int,
  \`bytes\` bigint,
  \`start\` bigint,
  \`end\` bigint,
  \`tcp_flags\` int
)
PARTITIONED BY (\`region\` string, \`day\` string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION 's3://logs-bucket/vpc/AWSLogs/111111111111/vpcflowlogs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.region.type' = 'enum',
  'projection.region.values' = 'us-east-1,eu-west-1',
  'projection.day.type' = 'date',
  'projection.day.range' = '2026/09/01,NOW',
  'projection.day.format' = 'yyyy/MM/dd',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://logs-bucket/vpc/AWSLogs/111111111111/vpcflowlogs/\${region}/\${day}/',
  'skip.header.line.count' = '1'
)`);
  });

  it('the table it makes is one the reduction prunes: region and day, and the objects of the window', () => {
    for (const hive of [false, true]) {
      const ddl = flowLogTableDdl({ destination: 's3://b/p/', account: '222222222222', fileFormat: 'parquet', hive }, { database: 'd', table: 't', regions: ['eu-west-1'], since });
      assert.ok(ddl.includes('ParquetHiveSerDe') && !ddl.includes('skip.header'));
      // what GetTableMetadata would say of it
      const keys = /PARTITIONED BY \((.*)\)/.exec(ddl)![1]!.split(', ').map((k) => ({ name: k.split(' ')[0]!.replace(/`/g, ''), type: 'string' }));
      const parameters = Object.fromEntries([...ddl.matchAll(/^ {2}'([^']+)' = '([^']*)'/gm)].map((m) => [m[1]!, m[2]!]));
      const p = partitionPlan({ columns: [], partitionKeys: keys, parameters }, since, until, ['eu-west-1']);
      assert.equal(p.predicates.length, 2);
      assert.deepEqual(p.ignored, []);
      assert.deepEqual(p.prefixes[0], hive ? 's3://b/p/AWSLogs/aws-account-id=222222222222/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=09/day=30/'
        : 's3://b/p/AWSLogs/222222222222/vpcflowlogs/eu-west-1/2026/09/30/');
      assert.equal(p.prefixes.length, 3);
    }
  });
});

describe("where the registered partitions end (keptUntil), and where a read of the window ends by them", () => {
  const t = (iso: string) => Date.parse(iso);
  /** Where a read of since..until ends, by the plan of `info` over it. */
  const readEnd = (info: Parameters<typeof partitionPlan>[0], since: string, until: string, regions: string[] = []) => {
    const plan = partitionPlan(info, new Date(since), new Date(until), regions);
    return { keptUntil: plan.keptUntil === undefined ? undefined : new Date(plan.keptUntil).toISOString(), end: new Date(registeredReadEnd(plan.keptUntil, t(since), t(until))).toISOString() };
  };
  /** AWS's Hive-compatible layout, its partitions registered (MSCK REPAIR TABLE): account, service, region, year, month, day (and hour). */
  const hive = (rows: string[][], hour: boolean) => ({
    columns: [], parameters: { location: 's3://logs/AWSLogs/' },
    partitionKeys: ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day', ...(hour ? ['hour'] : [])].map((name) => ({ name, type: 'string' })),
    partitions: rows.map((v) => ({ values: v, location: `s3://logs/AWSLogs/${v.map((x, i) => `${['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day', 'hour'][i]}=${x}`).join('/')}/` })),
  });
  const hours = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(2, '0'));

  it("hour keys (AWS's year/month/day/hour): the end of the last hour registered, and the read an hour before it", () => {
    const info = hive(every(['111111111111'], ['us-east-1'], ['2026/09/03'], hours(0, 5)), true);
    assert.deepEqual(readEnd(info, '2026-09-03T00:00:00.000Z', '2026-09-04T00:00:00.000Z'), { keptUntil: '2026-09-03T06:00:00.000Z', end: '2026-09-03T05:00:00.000Z' });
    // another region registered further is not the one asked
    const two = hive([...every(['111111111111'], ['us-east-1'], ['2026/09/03'], hours(0, 5)), ...every(['111111111111'], ['eu-west-1'], ['2026/09/03'], hours(0, 9))], true);
    assert.deepEqual(readEnd(two, '2026-09-03T00:00:00.000Z', '2026-09-04T00:00:00.000Z', ['us-east-1']).end, '2026-09-03T05:00:00.000Z');
    assert.deepEqual(readEnd(two, '2026-09-03T00:00:00.000Z', '2026-09-04T00:00:00.000Z', ['eu-west-1']).end, '2026-09-03T09:00:00.000Z');
  });

  it('day keys: the end of the last day registered', () => {
    const info = hive(every(['111111111111'], ['us-east-1'], ['2026/09/01', '2026/09/02']), false);
    assert.deepEqual(readEnd(info, '2026-09-01T22:00:00.000Z', '2026-09-03T03:00:00.000Z'), { keptUntil: '2026-09-03T00:00:00.000Z', end: '2026-09-02T23:00:00.000Z' });
  });

  it("a Glue crawler's partition_0 … keys, known by their registered values: by day, and by hour with an hour key", () => {
    const days = crawled(every(['111111111111', '222222222222'], ['us-east-1', 'eu-west-1'], ['2026/09/01', '2026/09/02', '2026/09/03']));
    assert.deepEqual(readEnd(days, '2026-09-03T00:00:00.000Z', '2026-09-05T00:00:00.000Z'), { keptUntil: '2026-09-04T00:00:00.000Z', end: '2026-09-03T23:00:00.000Z' });
    const byHour = crawled(every(['111111111111'], ['us-east-1'], ['2026/09/03'], hours(0, 13)));
    assert.deepEqual(readEnd(byHour, '2026-09-03T10:00:00.000Z', '2026-09-03T20:00:00.000Z'), { keptUntil: '2026-09-03T14:00:00.000Z', end: '2026-09-03T13:00:00.000Z' });
  });

  it("one date key (a crawler's dt=2026-09-03, or a day of 2026/09/03): the end of the last day registered, the values' format theirs", () => {
    /** A table partitioned by region and one date key `name` of `type`, its partitions registered for `values`. */
    const dated = (name: string, type: string, values: string[], hour?: string[]) => ({
      columns: [], parameters: { location: 's3://logs/flows/' },
      partitionKeys: [{ name: 'region', type: 'string' }, { name, type }, ...(hour ? [{ name: 'hour', type: 'string' }] : [])],
      partitions: values.flatMap((v) => (hour ?? ['']).map((h) => ({ values: ['us-east-1', v, ...(hour ? [h] : [])], location: `s3://logs/flows/region=us-east-1/${name}=${v}/${hour ? `hour=${h}/` : ''}` }))),
    });
    const window = ['2026-09-03T00:00:00.000Z', '2026-09-05T00:00:00.000Z'] as const;
    const registeredTo = { keptUntil: '2026-09-04T00:00:00.000Z', end: '2026-09-03T23:00:00.000Z' };
    // before: no keptUntil, so the whole window was read and remembered, 09-04 never read once registered
    assert.deepEqual(readEnd(dated('dt', 'string', ['2026-09-01', '2026-09-02', '2026-09-03']), ...window), registeredTo);
    assert.deepEqual(readEnd(dated('date', 'date', ['2026-09-02', '2026-09-03']), ...window), registeredTo);
    const slashes = dated('day', 'string', ['2026/09/02', '2026/09/03']);
    assert.deepEqual(readEnd(slashes, ...window), registeredTo);
    // a day key holding 2026-09-03 (its name suggests 2026/09/03): the values say, and the predicate keeps them
    const dashes = dated('day', 'string', ['2026-09-02', '2026-09-03']);
    assert.deepEqual(readEnd(dashes, ...window), registeredTo);
    const plan = partitionPlan(dashes, new Date(window[0]), new Date(window[1]), ['us-east-1']);
    assert.deepEqual(plan.predicates[1], `"day" IN ('2026-09-03', '2026-09-04', '2026-09-05')`);
    assert.deepEqual([plan.kept, plan.recognised[1]], [1, "day (day as yyyy-MM-dd, from the registered partitions' values)"]);
    // an hour key beside it: the end of the last hour registered
    assert.deepEqual(readEnd(dated('dt', 'string', ['2026-09-03'], hours(0, 13)), '2026-09-03T10:00:00.000Z', '2026-09-03T20:00:00.000Z'),
      { keptUntil: '2026-09-03T14:00:00.000Z', end: '2026-09-03T13:00:00.000Z' });
    // the registered partitions not read yet: the plan says they would tell where the table ends
    const { partitions: _, ...bare } = dated('dt', 'string', ['2026-09-03']);
    assert.equal(partitionPlan(bare, new Date(window[0]), new Date(window[1]), []).datedByRegistered, true);
    assert.equal(partitionPlan(dated('dt', 'string', ['2026-09-03']), new Date(window[0]), new Date(window[1]), []).datedByRegistered, undefined);
  });

  it('accounts and regions whose partitions end apart: a part each, with where its partitions end; those registered alike one part; those of none missing', () => {
    const [a, b, c, d] = ['111111111111', '222222222222', '333333333333', '444444444444'];
    // a and b registered to 09-03 in both regions, c to 09-01 in us-east-1 and to 09-03 in eu-west-1; d nowhere
    const info = crawled([...every([a, b], ['us-east-1', 'eu-west-1'], ['2026/09/01', '2026/09/02', '2026/09/03']), ...every([c], ['us-east-1'], ['2026/09/01']),
      ...every([c], ['eu-west-1'], ['2026/09/01', '2026/09/02', '2026/09/03'])]);
    const regions = ['us-east-1', 'eu-west-1'];
    const part: PlanPart = { since: new Date('2026-09-01T22:00:00.000Z'), until: new Date('2026-09-02T03:00:00.000Z'), leftOut: [], accounts: { only: [a, b, c, d] } };
    const { held, missing } = registeredParts(info, [part], (p) => partsPlan(info, [p], regions), regions);
    const iso = (x?: number) => (x === undefined ? undefined : new Date(x).toISOString());
    assert.deepEqual(held.map((p) => [p.accounts, p.regions, iso(p.keptUntil)]), [
      [{ only: [a, b] }, ['us-east-1'], '2026-09-03T00:00:00.000Z'], [{ only: [a, b, c] }, ['eu-west-1'], '2026-09-03T00:00:00.000Z'],
      [{ only: [c] }, ['us-east-1'], '2026-09-02T00:00:00.000Z']]);
    assert.deepEqual(missing.map((p) => [p.accounts, p.regions]), [[{ only: [d] }, undefined]]);
    // each read to its own end: c in us-east-1 to 23:00 on the 1st, the others to the window's end
    assert.deepEqual(held.map((p) => iso(registeredReadEnd(p.keptUntil, p.since.getTime(), p.until.getTime()))),
      ['2026-09-02T03:00:00.000Z', '2026-09-02T03:00:00.000Z', '2026-09-01T23:00:00.000Z']);
    // every account registered alike: the part whole, with the plan's end
    const whole = registeredParts(info, [{ ...part, accounts: { only: [a, b] } }], (p) => partsPlan(info, [p], regions), regions);
    assert.deepEqual(whole.held.map((p) => [p.accounts, p.regions, iso(p.keptUntil)]), [[{ only: [a, b] }, undefined, '2026-09-03T00:00:00.000Z']]);
    // every account: in us-east-1, c apart and every account but c; in eu-west-1, every account
    const all: PlanPart = { since: part.since, until: part.until, leftOut: [] };
    const everyOne = registeredParts(info, [all], (p) => partsPlan(info, [p], regions), regions);
    assert.deepEqual(everyOne.held.map((p) => [p.accounts, p.regions, iso(p.keptUntil)]), [[{ only: [c] }, ['us-east-1'], '2026-09-02T00:00:00.000Z'],
      [{ except: [c] }, ['us-east-1'], '2026-09-03T00:00:00.000Z'], [undefined, ['eu-west-1'], '2026-09-03T00:00:00.000Z']]);
    assert.deepEqual(everyOne.missing, []);
  });

  it("a cut at or before the window's start: nothing of it is read (the read ends where it starts)", () => {
    const info = crawled(every(['111111111111'], ['us-east-1'], ['2026/09/03'], hours(0, 13)));
    // registered to 14:00: a record of 13:00 or later may lie in 14:00's partition, not registered yet
    for (const since of ['2026-09-03T13:00:00.000Z', '2026-09-03T13:30:00.000Z']) {
      assert.deepEqual(readEnd(info, since, '2026-09-03T20:00:00.000Z'), { keptUntil: '2026-09-03T14:00:00.000Z', end: since }, since);
    }
  });

  it("a cut after the window's end, or no registered partition known: the whole window", () => {
    const info = crawled(every(['111111111111'], ['us-east-1'], ['2026/09/03', '2026/09/04', '2026/09/05']));
    assert.deepEqual(readEnd(info, '2026-09-03T00:00:00.000Z', '2026-09-04T00:00:00.000Z'), { keptUntil: '2026-09-05T00:00:00.000Z', end: '2026-09-04T00:00:00.000Z' });
    // every hour registered: the last kept is the late hour after the window, so the cut is the window's end
    const byHour = crawled(every(['111111111111'], ['us-east-1'], ['2026/09/03'], hours(0, 23)));
    assert.deepEqual(readEnd(byHour, '2026-09-03T10:00:00.000Z', '2026-09-03T20:00:00.000Z'), { keptUntil: '2026-09-03T21:00:00.000Z', end: '2026-09-03T20:00:00.000Z' });
    // no partitions read (a projected table, or keys known by name without GetPartitions): no cut
    const unread = { ...info, partitions: undefined };
    assert.deepEqual(readEnd(unread, '2026-09-03T00:00:00.000Z', '2026-09-04T00:00:00.000Z'), { keptUntil: undefined, end: '2026-09-04T00:00:00.000Z' });
  });

  it('a day read with no partition registered, later days registered: held to its start (missingUntil: the next day registered); an hour missing beside registered ones is no gap', () => {
    const [a, c] = ['111111111111', '333333333333'];
    const iso = (x?: number) => (x === undefined ? undefined : new Date(x).toISOString());
    /** Each held part of `info` over since..until (of `accounts`, none: every account): its accounts, where it is held to, whether a day is missing, where its read ends. */
    const heldOf = (info: Parameters<typeof partitionPlan>[0], since: string, until: string, accounts?: string[]) => {
      const part: PlanPart = { since: new Date(since), until: new Date(until), leftOut: [], ...(accounts ? { accounts: { only: accounts } } : {}) };
      const { held, missing } = registeredParts(info, [part], (p) => partsPlan(info, [p], []), []);
      assert.deepEqual(missing, []);
      return held.map((p) => [p.accounts, iso(p.keptUntil), iso(p.missingUntil), iso(registeredReadEnd(p.keptUntil, t(since), t(until)))]);
    };
    // by day: 09-02 missing between 09-01 and 09-03 (before: held to 09-03's end, 09-02 never read)
    const days = crawled(every([a], ['us-east-1'], ['2026/09/01', '2026/09/03']));
    assert.deepEqual(heldOf(days, '2026-09-01T00:00:00.000Z', '2026-09-03T12:00:00.000Z', [a]),
      [[{ only: [a] }, '2026-09-02T00:00:00.000Z', '2026-09-03T00:00:00.000Z', '2026-09-01T23:00:00.000Z']]);
    // the window's first day missing (a day after the first registered): nothing read (its end is its start)
    assert.deepEqual(heldOf(days, '2026-09-02T22:00:00.000Z', '2026-09-03T12:00:00.000Z', [a]),
      [[{ only: [a] }, '2026-09-02T00:00:00.000Z', '2026-09-03T00:00:00.000Z', '2026-09-02T22:00:00.000Z']]);
    // days before the account's first registered (its flow log made within the window): no gap, read to the end
    const later = crawled(every([a], ['us-east-1'], ['2026/09/03', '2026/09/04']));
    assert.deepEqual(heldOf(later, '2026-09-01T00:00:00.000Z', '2026-09-04T12:00:00.000Z', [a]), [[{ only: [a] }, '2026-09-05T00:00:00.000Z', undefined, '2026-09-04T12:00:00.000Z']]);
    // days missing in a row: said to the next day registered
    assert.deepEqual(heldOf(crawled(every([a], ['us-east-1'], ['2026/09/01', '2026/09/05'])), '2026-09-01T00:00:00.000Z', '2026-09-05T12:00:00.000Z', [a]),
      [[{ only: [a] }, '2026-09-02T00:00:00.000Z', '2026-09-05T00:00:00.000Z', '2026-09-01T23:00:00.000Z']]);
    // a day missing with partitions of three later days registered: taken as a day without objects (a VPC with no
    // interface that day), not waited for any more, so that the account is read past it (two later days: still waited for)
    const waited = (last: string) => heldOf(crawled(every([a], ['us-east-1'], ['2026/09/01', '2026/09/03', '2026/09/04', last])), '2026-09-01T00:00:00.000Z', '2026-09-04T12:00:00.000Z', [a]);
    assert.deepEqual(waited('2026/09/05'), [[{ only: [a] }, '2026-09-05T00:00:00.000Z', undefined, '2026-09-04T12:00:00.000Z']]);
    assert.deepEqual(waited('2026/09/04'), [[{ only: [a] }, '2026-09-02T00:00:00.000Z', '2026-09-03T00:00:00.000Z', '2026-09-01T23:00:00.000Z']]);
    // the day missing after the last registered one: where the partitions end, as before
    assert.deepEqual(heldOf(days, '2026-09-03T00:00:00.000Z', '2026-09-05T00:00:00.000Z', [a]), [[{ only: [a] }, '2026-09-04T00:00:00.000Z', undefined, '2026-09-03T23:00:00.000Z']]);
    // by hour: 06:00 and 07:00 of 09-03 missing beside the day's other hours (an account quiet those hours): no gap,
    // the read to an hour before the last registered hour's end; the whole of 09-02 missing: a gap
    const byHour = crawled(every([a], ['us-east-1'], ['2026/09/03'], [...hours(0, 5), ...hours(8, 13)]));
    assert.deepEqual(heldOf(byHour, '2026-09-03T00:00:00.000Z', '2026-09-03T20:00:00.000Z', [a]), [[{ only: [a] }, '2026-09-03T14:00:00.000Z', undefined, '2026-09-03T13:00:00.000Z']]);
    // (a day read in part whose hours read are missing, other hours of it registered: no gap either)
    assert.deepEqual(heldOf(crawled(every([a], ['us-east-1'], ['2026/09/02', '2026/09/03'], hours(0, 12))), '2026-09-02T20:00:00.000Z', '2026-09-03T20:00:00.000Z', [a]),
      [[{ only: [a] }, '2026-09-03T13:00:00.000Z', undefined, '2026-09-03T12:00:00.000Z']]);
    const dayGone = crawled(every([a], ['us-east-1'], ['2026/09/01', '2026/09/03'], hours(0, 23)));
    assert.deepEqual(heldOf(dayGone, '2026-09-01T20:00:00.000Z', '2026-09-03T10:00:00.000Z', [a]), [[{ only: [a] }, '2026-09-02T00:00:00.000Z', '2026-09-03T00:00:00.000Z', '2026-09-01T23:00:00.000Z']]);
    // every account: the one with a day missing apart, held to that day; the others to the window's end
    const two = crawled([...every([a], ['us-east-1'], ['2026/09/01', '2026/09/02', '2026/09/03']), ...every([c], ['us-east-1'], ['2026/09/01', '2026/09/03'])]);
    assert.deepEqual(heldOf(two, '2026-09-01T00:00:00.000Z', '2026-09-03T12:00:00.000Z'), [[{ only: [c] }, '2026-09-02T00:00:00.000Z', '2026-09-03T00:00:00.000Z', '2026-09-01T23:00:00.000Z'],
      [{ except: [c] }, '2026-09-04T00:00:00.000Z', undefined, '2026-09-03T12:00:00.000Z']]);
  });
});

describe("a table's S3 location, written one way (two tables there read the same objects)", () => {
  it('the scheme, the bucket and the slashes written one way; the prefix as it is; none when not an S3 address', () => {
    const at = (location: string) => tableLocation({ parameters: { location } });
    for (const l of ['s3://flowlens-logs/AWSLogs', 's3://flowlens-logs/AWSLogs/', 's3a://Flowlens-Logs/AWSLogs//', ' s3://flowlens-logs//AWSLogs/ ']) {
      assert.equal(at(l), 's3://flowlens-logs/AWSLogs/', l);
    }
    assert.equal(at('s3://flowlens-logs'), 's3://flowlens-logs/');
    assert.equal(at('s3://flowlens-logs/awslogs/'), 's3://flowlens-logs/awslogs/', "a key's case is its own");
    assert.equal(tableLocation({ parameters: { 'storage.location': 's3://b/p' } }), 's3://b/p/');
    for (const l of ['', 'hdfs://x/y', '/local/path']) assert.equal(at(l), undefined, l);
    assert.equal(tableLocation({ parameters: {} }), undefined);
  });

  it('partition keys said as the catalogue names them, in lower case', () => {
    assert.equal(partitionKeysText({ partitionKeys: [{ name: 'partition_0', type: 'string' }, { name: 'DT', type: 'STRING' }] }), 'partition_0 string, dt string');
    assert.equal(partitionKeysText({ partitionKeys: [] }), '');
  });
});
