/**
 * A temporary HOME with real AWS shared files (~/.aws/config and ~/.aws/credentials) for tests. All keys are
 * obviously fake and only known to the local endpoint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointUser } from './server';

export const BASE_USER: EndpointUser = {
  accessKeyId: 'AKIAFLOWLENSTEST0001',
  secretAccessKey: 'flowlensTestSecret0001/doNotUse+xxxxxxxxx',
  account: '111111111111',
  name: 'tester',
};
export const PROCESS_USER: EndpointUser = {
  accessKeyId: 'AKIAFLOWLENSPROC0002',
  secretAccessKey: 'flowlensProcSecret0002/doNotUse+yyyyyyyyy',
  account: '222222222222',
  name: 'process-user',
};
export const EXTERNAL_ID = 'flowlens-ext-7f3a';
export const MFA_SERIAL = 'arn:aws:iam::111111111111:mfa/tester';
export const MFA_CODE = '493817';

export interface TempHome {
  dir: string;
  configFile: string;
  credentialsFile: string;
  /** Every value a test must never find in a file it produced. */
  secrets: string[];
  cleanup(): void;
}

export function makeTempHome(extraConfig = ''): TempHome {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-home-'));
  const aws = join(dir, '.aws');
  mkdirSync(aws, { recursive: true });
  const proc = join(dir, 'cred-proc.js');
  writeFileSync(
    proc,
    `process.stdout.write(JSON.stringify({Version:1,AccessKeyId:${JSON.stringify(PROCESS_USER.accessKeyId)},SecretAccessKey:${JSON.stringify(PROCESS_USER.secretAccessKey)}}));\n`,
  );
  const credentialsFile = join(aws, 'credentials');
  writeFileSync(credentialsFile, `[base]\naws_access_key_id = ${BASE_USER.accessKeyId}\naws_secret_access_key = ${BASE_USER.secretAccessKey}\n\n[halfkey]\naws_access_key_id = AKIAHALFKEY000000000\n`);
  const configFile = join(aws, 'config');
  writeFileSync(
    configFile,
    [
      '[profile base]',
      'region = us-east-1',
      '',
      '[profile chain]',
      'role_arn = arn:aws:iam::222222222222:role/FlowLogIntrospector',
      'source_profile = base',
      `external_id = ${EXTERNAL_ID}`,
      '',
      '[profile chain-no-extid]',
      'role_arn = arn:aws:iam::222222222222:role/FlowLogIntrospector',
      'source_profile = base',
      '',
      '[profile chain2]',
      'role_arn = arn:aws:iam::333333333333:role/FlowLogIntrospector',
      'source_profile = chain',
      `external_id = ${EXTERNAL_ID}`,
      '',
      '[profile mfa]',
      'role_arn = arn:aws:iam::333333333333:role/MfaAdmin',
      'source_profile = base',
      `mfa_serial = ${MFA_SERIAL}`,
      '',
      '[profile proc]',
      `credential_process = ${process.execPath} ${proc}`,
      '',
      '[profile broken]',
      'role_arn = arn:aws:iam::222222222222:role/FlowLogIntrospector',
      'source_profile = nowhere',
      '',
      '[profile loop-a]',
      'role_arn = arn:aws:iam::222222222222:role/A',
      'source_profile = loop-b',
      '',
      '[profile loop-b]',
      'role_arn = arn:aws:iam::222222222222:role/B',
      'source_profile = loop-a',
      '',
      '[profile sso]',
      'sso_session = corp',
      'sso_account_id = 111111111111',
      'sso_role_name = ReadOnly',
      'region = us-east-1',
      '',
      '[sso-session corp]',
      'sso_start_url = https://example.awsapps.com/start',
      'sso_region = us-east-1',
      '',
      '[profile sso-missing-session]',
      'sso_session = nope',
      'sso_account_id = 111111111111',
      'sso_role_name = ReadOnly',
      '',
      extraConfig,
    ].join('\n'),
  );
  return {
    dir,
    configFile,
    credentialsFile,
    secrets: [BASE_USER.secretAccessKey, PROCESS_USER.secretAccessKey, BASE_USER.accessKeyId, PROCESS_USER.accessKeyId, MFA_CODE],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The environment of a process that must reach AWS only through the local endpoint and the temporary HOME:
 * the shared files, the endpoint, and no credentials leaking in from the developer's own environment.
 */
export function localAwsEnv(home: TempHome, endpointUrl: string): NodeJS.ProcessEnv {
  return {
    HOME: home.dir,
    AWS_CONFIG_FILE: home.configFile,
    AWS_SHARED_CREDENTIALS_FILE: home.credentialsFile,
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
  };
}
