/**
 * The local AWS endpoint the AWS tests run against checks SigV4 signatures as AWS does: a client that signs with
 * the wrong secret key is refused, so a bug that loses or mixes up credentials cannot pass unnoticed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { EC2Client, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

const USER = { accessKeyId: 'AKIAFLOWLENSSIGV4001', secretAccessKey: 'flowlensSigv4Secret/doNotUse+zzzzzzzzzzzz', account: '111111111111' };
const WRONG = { accessKeyId: USER.accessKeyId, secretAccessKey: USER.secretAccessKey.replace('zzzz', 'zzzy') };

let dir: string;
let ep: AwsEndpoint;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-sigv4-'));
  mkdirSync(join(dir, 'inventory', USER.account, 'us-east-1'), { recursive: true });
  mkdirSync(join(dir, 'flowlogs', 'logs-bucket', 'a b'), { recursive: true });
  writeFileSync(join(dir, 'flowlogs', 'logs-bucket', 'a b', 'x+y=1.log'), 'version srcaddr\n2 10.0.0.1\n');
  ep = await startAwsEndpoint({ estateDir: dir, users: [USER], roles: [{ name: 'Reader', accounts: [USER.account] }] });
});

after(async () => {
  await ep?.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  ({ endpoint: ep.url, region: 'us-east-1', credentials, maxAttempts: 1 });

/** The error a call fails with: its name and HTTP status. */
async function refusal(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  return assert.fail('the call should have been refused');
}

test('a correctly signed request is served, in every protocol; one signed with the wrong secret key is refused as AWS refuses it', async () => {
  // the right secret: query (STS, EC2), REST-XML with a path and query to escape (S3), JSON 1.1 (CloudTrail)
  const who = await new STSClient(config(USER)).send(new GetCallerIdentityCommand({}));
  assert.equal(who.Account, USER.account);
  const s3 = new S3Client({ ...config(USER), forcePathStyle: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'logs-bucket', Prefix: 'a b/' }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), ['a b/x+y=1.log']);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'logs-bucket', Key: 'a b/x+y=1.log' }));
  assert.equal(await got.Body?.transformToString(), 'version srcaddr\n2 10.0.0.1\n');
  assert.deepEqual((await new EC2Client(config(USER)).send(new DescribeVpcsCommand({}))).Vpcs ?? [], []);
  assert.deepEqual((await new CloudTrailClient(config(USER)).send(new LookupEventsCommand({}))).Events ?? [], []);

  // the same key id with a wrong secret: each protocol's own refusal, and nothing is served
  const served = ep.requests.filter((r) => r.status === 200).length;
  assert.deepEqual(await refusal(new STSClient(config(WRONG)).send(new GetCallerIdentityCommand({}))), { name: 'SignatureDoesNotMatch', status: 403 });
  assert.deepEqual(await refusal(new S3Client({ ...config(WRONG), forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: 'logs-bucket' }))),
    { name: 'SignatureDoesNotMatch', status: 403 });
  assert.deepEqual(await refusal(new EC2Client(config(WRONG)).send(new DescribeVpcsCommand({}))), { name: 'AuthFailure', status: 401 });
  assert.deepEqual(await refusal(new CloudTrailClient(config(WRONG)).send(new LookupEventsCommand({}))), { name: 'InvalidSignatureException', status: 400 });
  assert.equal(ep.requests.filter((r) => r.status === 200).length, served);
  assert.equal(ep.requests.filter((r) => r.fault === 'signature').length, 4);
});

test('issued session credentials are checked too: the issued secret works, another secret or a changed token does not', async () => {
  const role = await new STSClient(config(USER)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${USER.account}:role/Reader`, RoleSessionName: 't' }));
  const c = role.Credentials!;
  const issued = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  assert.ok(ep.issuedSecrets.includes(issued.secretAccessKey));
  assert.match((await new STSClient(config(issued)).send(new GetCallerIdentityCommand({}))).Arn!, /assumed-role\/Reader\/t$/);
  assert.deepEqual(await refusal(new STSClient(config({ ...issued, secretAccessKey: USER.secretAccessKey })).send(new GetCallerIdentityCommand({}))),
    { name: 'SignatureDoesNotMatch', status: 403 });
  assert.deepEqual(await refusal(new STSClient(config({ ...issued, sessionToken: issued.sessionToken + 'x' })).send(new GetCallerIdentityCommand({}))),
    { name: 'InvalidClientTokenId', status: 403 });
});
