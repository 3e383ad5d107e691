import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AwsSettings } from '../../src/core/aws/clients';
import { configuredEndpoint, proxyFor } from '../../src/core/aws/clients';
import { profileCredentials } from '../../src/core/aws/credentials';
import { listProfiles } from '../../src/core/aws/profiles';
import { redact } from '../../src/core/aws/secrets';
import { resolveTargets } from '../../src/core/aws/targets';
import { BASE_USER, EXTERNAL_ID, MFA_CODE, MFA_SERIAL, PROCESS_USER, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

describe('AWS profiles and credentials (real shared files, local STS)', () => {
  let home: TempHome;
  let estate: string;
  let ep: AwsEndpoint;
  let settings: AwsSettings;
  const prevHome = process.env.HOME;

  before(async () => {
    home = makeTempHome();
    process.env.HOME = home.dir; // the SSO token cache and ~ expansion look here
    estate = mkdtempSync(join(tmpdir(), 'flowlens-estate-'));
    for (const a of ['111111111111', '222222222222', '333333333333']) mkdirSync(join(estate, 'inventory', a, 'us-east-1'), { recursive: true });
    ep = await startAwsEndpoint({
      estateDir: estate,
      users: [BASE_USER, PROCESS_USER],
      roles: [
        { name: 'FlowLogIntrospector', externalId: EXTERNAL_ID },
        { name: 'MfaAdmin', mfaSerial: MFA_SERIAL, mfaCode: MFA_CODE },
      ],
    });
    settings = { env: { AWS_ENDPOINT_URL: ep.url }, maxAttempts: 2 };
  });
  after(async () => {
    await ep.close();
    rmSync(estate, { recursive: true, force: true });
    home.cleanup();
    process.env.HOME = prevHome;
  });

  const files = () => ({ configFile: home.configFile, credentialsFile: home.credentialsFile });

  it('lists every profile with its kind and problems before calling anything', async () => {
    const before = ep.requests.length;
    const list = await listProfiles(files());
    const by = Object.fromEntries(list.map((p) => [p.name, p]));
    assert.equal(by.base!.kind, 'static');
    assert.deepEqual(by.base!.problems, []);
    assert.equal(by.chain!.kind, 'role');
    assert.equal(by.chain!.externalId, true);
    assert.deepEqual(by.chain2!.chain, ['chain2', 'chain', 'base']);
    assert.equal(by.mfa!.mfa, true);
    assert.equal(by.proc!.kind, 'process');
    assert.equal(by.sso!.kind, 'sso');
    assert.equal(by.sso!.ssoStartUrl, 'https://example.awsapps.com/start');
    assert.match(by.broken!.problems.join(), /source_profile nowhere, which does not exist/);
    assert.ok(by['loop-a']!.problems.includes('source_profile cycle: loop-a -> loop-b -> loop-a'), by['loop-a']!.problems.join());
    assert.match(by['sso-missing-session']!.problems.join(), /sso_session nope, which is not defined/);
    assert.match(by.halfkey!.problems.join(), /no aws_secret_access_key/);
    assert.equal(ep.requests.length, before, 'listing profiles calls nothing');
    // No secret value appears in the listing.
    const text = JSON.stringify(list);
    for (const s of home.secrets) assert.ok(!text.includes(s));
  });

  it('a role chain with external id assumes the role through the local STS', async () => {
    const creds = await profileCredentials('chain', { files: files(), settings });
    const c = await creds();
    assert.match(c.accessKeyId, /^ASIA/);
    const { targets, issues } = await resolveTargets({ profile: 'chain', files: files(), settings });
    assert.deepEqual(issues, []);
    assert.equal(targets[0]!.accountId, '222222222222');
    assert.match(targets[0]!.arn, /assumed-role\/FlowLogIntrospector/);
    const two = await resolveTargets({ profile: 'chain2', files: files(), settings });
    assert.deepEqual(two.issues, []);
    assert.equal(two.targets[0]!.accountId, '333333333333');
  });

  it('the same chain without the external id is refused, and the failure names the profile and API', async () => {
    const { targets, issues } = await resolveTargets({ profile: 'chain-no-extid', files: files(), settings });
    assert.equal(targets.length, 0);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.profile, 'chain-no-extid');
    assert.match(issues[0]!.message, /AccessDenied|not authorized/);
  });

  it('an MFA profile asks the callback once, with the serial, and uses the code', async () => {
    const asked: string[] = [];
    const { targets, issues } = await resolveTargets({
      profile: 'mfa',
      files: files(),
      settings,
      mfaCodeProvider: async (serial) => {
        asked.push(serial);
        return MFA_CODE;
      },
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(asked, [MFA_SERIAL]);
    assert.equal(targets[0]!.accountId, '333333333333');
    // Every client of the target shares the credentials: one code, one AssumeRole, however many calls.
    const before = ep.requests.filter((r) => r.op === 'AssumeRole').length;
    const creds = targets[0]!.credentials;
    await Promise.all([creds(), creds(), creds()]);
    await creds();
    assert.deepEqual(asked, [MFA_SERIAL]);
    assert.equal(ep.requests.filter((r) => r.op === 'AssumeRole').length, before);
    const wrong = await resolveTargets({ profile: 'mfa', files: files(), settings, mfaCodeProvider: async () => '000000' });
    assert.equal(wrong.targets.length, 0);
    assert.match(wrong.issues[0]!.message, /MultiFactorAuthentication|not authorized/);
    assert.ok(!JSON.stringify(wrong.issues).includes('000000'), 'the MFA code is not repeated');
    const none = await resolveTargets({ profile: 'mfa', files: files(), settings });
    assert.match(none.issues[0]!.message, /needs an MFA code/);
  });

  it('credential_process supplies keys', async () => {
    const { targets, issues } = await resolveTargets({ profile: 'proc', files: files(), settings });
    assert.deepEqual(issues, []);
    assert.equal(targets[0]!.accountId, PROCESS_USER.account);
  });

  it('a broken chain or a cycle fails before any call, naming the problem', async () => {
    const before = ep.requests.length;
    await assert.rejects(profileCredentials('broken', { files: files(), settings }), /source_profile nowhere, which does not exist/);
    await assert.rejects(profileCredentials('loop-b', { files: files(), settings }), /loop-b -> loop-a -> loop-b/);
    await assert.rejects(profileCredentials('missing', { files: files(), settings }), /"missing" was not found/);
    assert.equal(ep.requests.length, before);
  });

  it('an SSO profile without a cached token says to run aws sso login', async () => {
    const creds = await profileCredentials('sso', { files: files(), settings });
    await assert.rejects(creds(), /run `aws sso login --profile sso`/);
  });

  it('fans out from one profile into several accounts with the default role', async () => {
    const { targets, issues } = await resolveTargets({
      profile: 'base',
      accounts: ['222222222222', '333333333333', '444444444444'],
      externalId: EXTERNAL_ID,
      files: files(),
      settings,
    });
    assert.deepEqual(targets.map((t) => t.accountId), ['222222222222', '333333333333']);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.account, '444444444444');
    assert.equal(issues[0]!.api, 'sts:AssumeRole');
  });

  it('temporary credentials are refreshed by the provider when they expire', async () => {
    const ep2 = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID, sessionSeconds: 1 }] });
    try {
      const s2: AwsSettings = { env: { AWS_ENDPOINT_URL: ep2.url }, maxAttempts: 1 };
      const { targets } = await resolveTargets({ profile: 'base', accounts: ['222222222222'], externalId: EXTERNAL_ID, files: files(), settings: s2 });
      const t = targets[0]!;
      const a = await t.credentials();
      await new Promise((r) => setTimeout(r, 1100));
      const b = await t.credentials();
      assert.notEqual(a.accessKeyId, b.accessKeyId, 'a new session after expiry');
      // The SDK renews credentials that are within minutes of expiring, so every use here assumes the role again.
      assert.ok(ep2.requests.filter((r) => r.op === 'AssumeRole').length >= 2);
    } finally {
      await ep2.close();
    }
  });

  it('endpoints, proxy and redaction follow the environment and the profile', () => {
    assert.equal(configuredEndpoint('S3', { env: { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' } }), 'http://s3');
    assert.equal(configuredEndpoint('EC2', { env: {}, profileSettings: { endpoint_url: 'http://p' } }), 'http://p');
    assert.equal(configuredEndpoint('EC2', { env: {}, profileSettings: { endpoint_url: 'http://p', 'services.ec2.endpoint_url': 'http://e' } }), 'http://e');
    assert.equal(configuredEndpoint('EC2', { env: { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://a' } }), undefined);
    assert.equal(proxyFor('ec2.us-east-1.amazonaws.com', { env: { HTTPS_PROXY: 'http://proxy:3128' } }), 'http://proxy:3128');
    assert.equal(proxyFor('ec2.us-east-1.amazonaws.com', { env: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.amazonaws.com' } }), undefined);
    const msg = redact(`failed with aws_secret_access_key=${BASE_USER.secretAccessKey} and key AKIAABCDEFGHIJKLMNOP`);
    assert.ok(!msg.includes(BASE_USER.secretAccessKey) && !msg.includes('AKIAABCDEFGHIJKLMNOP'), msg);
  });
});
