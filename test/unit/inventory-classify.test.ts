import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndex, classifyInterface, lambdaNameOf, type Candidate, type EniFacts } from '../../src/core/inventory/classify';
import { detectKind } from '../../src/core/inventory/detect';
import { regionFromAz, contextFromPath, ts } from '../../src/core/inventory/util';

const A = '111111111111';
const R = 'us-east-1';
const base: EniFacts = { eni_id: 'eni-0123', account_id: A, region: R, vpc_id: 'vpc-1', subnet_id: 'subnet-1', az: 'us-east-1a', security_group_ids: ['sg-1'] };
const fn = (name: string, sgs: string[], subnets = ['subnet-1']): Candidate => ({
  arn: `arn:aws:lambda:${R}:${A}:function:${name}`, resource_id: name, type: 'lambda:function', kind: 'lambda', vpc_id: 'vpc-1',
  attrs: { subnet_ids: subnets, security_group_ids: sgs },
});
const db = (id: string, az: string, sgs: string[], endpoint?: string): Candidate => ({
  arn: `arn:aws:rds:${R}:${A}:db:${id}`, resource_id: id, type: 'rds:db', kind: 'rds', vpc_id: 'vpc-1',
  attrs: { subnet_ids: ['subnet-1', 'subnet-2'], security_group_ids: sgs, az, endpoint },
});

test('older Lambda ENIs name their function in RequesterId; functions sharing subnet+SGs are all recorded', () => {
  const e = { ...base, description: 'AWS Lambda VPC ENI: 11111111-2222-3333-4444-555555555555', requester_id: 'AROAEXAMPLEROLEID:payments', interface_type: 'interface' };
  assert.equal(lambdaNameOf(e), 'payments');
  const idx = buildIndex([fn('payments', ['sg-1']), fn('refunds', ['sg-1']), fn('other', ['sg-2']), fn('elsewhere', ['sg-1'], ['subnet-9'])]);
  const o = classifyInterface(e, undefined, idx);
  assert.equal(o.kind, 'lambda');
  assert.equal(o.arn, `arn:aws:lambda:${R}:${A}:function:payments`);
  assert.deepEqual(o.candidates.map((c) => c.split(':').pop()), ['payments', 'refunds']);
  // a function name with dashes survives the uuid being stripped
  assert.equal(lambdaNameOf({ ...base, description: 'AWS Lambda VPC ENI-my-func-v2-3f1b2c4d-1111-2222-3333-444455556666' }), 'my-func-v2');
  // no ListFunctions loaded: the function named by the ENI
  const bare = classifyInterface({ ...base, description: 'AWS Lambda VPC ENI-solo-3f1b2c4d-1111-2222-3333-444455556666' }, undefined, buildIndex([]));
  assert.equal(bare.arn, `arn:aws:lambda:${R}:${A}:function:solo`);
});

test('RDS: subnet group, then security groups, then AZ, then a resolved endpoint; ambiguity is recorded', () => {
  const e = { ...base, description: 'RDSNetworkInterface', requester_id: 'amazon-rds', addrs: ['10.0.1.5'] };
  const two = buildIndex([db('a', 'us-east-1a', ['sg-1']), db('b', 'us-east-1a', ['sg-1']), db('c', 'us-east-1a', ['sg-9'])]);
  const o = classifyInterface(e, undefined, two);
  assert.equal(o.arn.split(':').pop(), 'a');
  assert.deepEqual(o.candidates.map((c) => c.split(':').pop()), ['a', 'b']);
  const resolved = buildIndex([db('a', 'us-east-1a', ['sg-1'], 'a.rds'), db('b', 'us-east-1a', ['sg-1'], 'b.rds')], new Map([['b.rds', ['10.0.1.5']]]));
  const r = classifyInterface(e, undefined, resolved);
  assert.equal(r.arn.split(':').pop(), 'b');
  assert.deepEqual(r.candidates, []);
  const none = classifyInterface(e, undefined, buildIndex([]));
  assert.deepEqual([none.kind, none.type, none.rule], ['rds', 'rds:db', 'rds-unmatched']);
});

test('an ENI attached to an instance belongs to the instance; unattached, to what its description says', () => {
  const idx = buildIndex([]);
  const e = { ...base, description: 'VPC Endpoint Interface: vpce-0abc', interface_type: 'interface' };
  assert.equal(classifyInterface(e, undefined, idx).kind, 'interface-endpoint');
  assert.equal(classifyInterface(e, 'i-0abc', idx).kind, 'instance');
  idx.eksInstances.add('i-0abc');
  assert.equal(classifyInterface(e, 'i-0abc', idx).kind, 'eks-node');
  assert.equal(classifyInterface({ ...base, description: 'ElastiCache+redis-0001-002' }, undefined, idx).resource_id, 'redis-0001-002');
  assert.equal(classifyInterface({ ...base, interface_type: 'nat_gateway', description: '' }, undefined, idx).kind, 'natgateway');
  assert.equal(classifyInterface({ ...base, description: '' }, undefined, idx).kind, 'unknown');
});

test('content detection, AZ and path context, timestamps', () => {
  assert.equal(detectKind({ NetworkInterfaces: [] }), 'ec2:DescribeNetworkInterfaces');
  assert.equal(detectKind({ LoadBalancerDescriptions: [] }), 'elb:DescribeLoadBalancers');
  assert.equal(detectKind({ Entries: [{ Cidr: '10.0.0.0/8' }] }), 'ec2:GetManagedPrefixListEntries');
  assert.equal(detectKind({ Targets: [{ RdsResourceId: 'x' }] }), 'rds:DescribeDBProxyTargets');
  assert.equal(detectKind({ Records: [{ eventName: 'RunInstances' }] }), 'cloudtrail:LogFile');
  assert.equal(detectKind({ Entries: [{ Name: 'x' }] }), null);
  assert.equal(detectKind([1]), null);
  assert.equal(regionFromAz('us-east-1a'), 'us-east-1');
  assert.equal(regionFromAz('us-west-2-lax-1a'), 'us-west-2');
  assert.equal(regionFromAz('us-gov-west-1b'), 'us-gov-west-1');
  assert.deepEqual(contextFromPath('/x/inventory/111111111111/eu-central-1/ec2.json'), { accountId: A, region: 'eu-central-1' });
  assert.deepEqual(contextFromPath('s3/AWSLogs/aws-account-id=222222222222/aws-region=ap-south-1/f.json'), { accountId: '222222222222', region: 'ap-south-1' });
  assert.equal(ts('2024-03-01T10:00:00+02:00'), '2024-03-01 08:00:00.000');
  assert.equal(ts(1709287200000), '2024-03-01 10:00:00.000');
  assert.equal(ts('2024-03-01 10:00:00'), '2024-03-01 10:00:00.000');
  assert.equal(ts('garbage'), undefined);
});
