/**
 * AWS profiles from the standard shared files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/*), read with
 * the SDK's own loader, and validated before anything calls AWS: each profile's kind and its problems (a missing
 * source_profile, a cycle `a -> b -> a`, an sso_session that is not defined, half a key pair).
 *
 * Credentials themselves always come from the SDK's providers (credentials.ts); nothing here resolves a key.
 */
import { loadSharedConfigFiles, type ParsedIniData } from '@smithy/core/config';
import type { ProfileFiles } from '../../protocol/enrich';

export type ProfileKind =
  | 'static' // aws_access_key_id + aws_secret_access_key
  | 'role' // role_arn + source_profile | credential_source
  | 'web-identity' // role_arn + web_identity_token_file
  | 'process' // credential_process
  | 'sso' // sso_session or legacy sso_start_url
  | 'login' // login_session (aws login)
  | 'unknown'; // none of the above (e.g. a profile that only sets region)

export interface ProfileInfo {
  name: string;
  kind: ProfileKind;
  /** Where it is defined: 'config', 'credentials' or both. */
  files: ('config' | 'credentials')[];
  region?: string;
  roleArn?: string;
  sourceProfile?: string;
  credentialSource?: string;
  /** True when the profile or a profile in its chain asks for an MFA code. */
  mfa: boolean;
  mfaSerial?: string;
  /** True when the profile's role assumption carries an external id (the value itself is never listed). */
  externalId: boolean;
  ssoSession?: string;
  ssoStartUrl?: string;
  /** The chain of profiles credentials are resolved through, starting with this one. */
  chain: string[];
  /** Human-readable problems; empty when the profile can be used. */
  problems: string[];
}

export type { ProfileFiles };

interface Loaded {
  config: ParsedIniData;
  credentials: ParsedIniData;
}

async function load(files: ProfileFiles): Promise<Loaded> {
  const init: { filepath?: string; configFilepath?: string; ignoreCache: boolean } = { ignoreCache: true };
  if (files.credentialsFile) init.filepath = files.credentialsFile;
  if (files.configFile) init.configFilepath = files.configFile;
  const parsed = await loadSharedConfigFiles(init);
  return { config: parsed.configFile, credentials: parsed.credentialsFile };
}

const SECTION_PREFIXES = ['sso-session.', 'services.'];

function profileNames(l: Loaded): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(l.config)) if (!SECTION_PREFIXES.some((p) => key.startsWith(p))) names.add(key);
  for (const key of Object.keys(l.credentials)) names.add(key);
  return [...names].sort();
}

function merged(l: Loaded, name: string): Record<string, string | undefined> | undefined {
  const c = l.config[name];
  const k = l.credentials[name];
  if (!c && !k) return undefined;
  // As the SDK does: the credentials file wins for keys defined in both.
  return { ...(c ?? {}), ...(k ?? {}) };
}

function kindOf(p: Record<string, string | undefined>): ProfileKind {
  if (p.role_arn && p.web_identity_token_file) return 'web-identity';
  if (p.role_arn) return 'role';
  if (p.sso_session || p.sso_start_url) return 'sso';
  if (p.aws_access_key_id || p.aws_secret_access_key) return 'static';
  if (p.credential_process) return 'process';
  if (p.login_session) return 'login';
  return 'unknown';
}

const CREDENTIAL_SOURCES = ['Environment', 'Ec2InstanceMetadata', 'EcsContainer'];

function describe(l: Loaded, name: string): ProfileInfo {
  const p = merged(l, name) ?? {};
  const files: ('config' | 'credentials')[] = [];
  if (l.config[name]) files.push('config');
  if (l.credentials[name]) files.push('credentials');
  const info: ProfileInfo = {
    name,
    kind: kindOf(p),
    files,
    mfa: false,
    externalId: false,
    chain: [name],
    problems: [],
  };
  if (p.region) info.region = p.region;
  if (p.role_arn) info.roleArn = p.role_arn;
  if (p.source_profile) info.sourceProfile = p.source_profile;
  if (p.credential_source) info.credentialSource = p.credential_source;
  if (p.mfa_serial) info.mfaSerial = p.mfa_serial;
  if (p.sso_session) info.ssoSession = p.sso_session;
  if (p.sso_start_url) info.ssoStartUrl = p.sso_start_url;
  info.externalId = !!p.external_id;

  switch (info.kind) {
    case 'static':
      if (!p.aws_access_key_id) info.problems.push(`profile ${name} has aws_secret_access_key but no aws_access_key_id`);
      if (!p.aws_secret_access_key) info.problems.push(`profile ${name} has aws_access_key_id but no aws_secret_access_key`);
      break;
    case 'sso': {
      if (p.sso_session) {
        const session = l.config[`sso-session.${p.sso_session}`];
        if (!session) info.problems.push(`profile ${name} names sso_session ${p.sso_session}, which is not defined ([sso-session ${p.sso_session}])`);
        else if (!session.sso_start_url) info.problems.push(`sso-session ${p.sso_session} has no sso_start_url`);
        else info.ssoStartUrl = session.sso_start_url;
      }
      if (!p.sso_account_id || !p.sso_role_name) info.problems.push(`profile ${name} needs sso_account_id and sso_role_name`);
      break;
    }
    case 'role':
      if (p.source_profile && p.credential_source) {
        info.problems.push(`profile ${name} sets both source_profile and credential_source`);
      } else if (!p.source_profile && !p.credential_source) {
        info.problems.push(`profile ${name} has role_arn but neither source_profile nor credential_source`);
      } else if (p.credential_source && !CREDENTIAL_SOURCES.includes(p.credential_source)) {
        info.problems.push(`profile ${name}: credential_source ${p.credential_source} is not one of ${CREDENTIAL_SOURCES.join(', ')}`);
      }
      break;
    case 'unknown':
      info.problems.push(`profile ${name} defines no credentials (no keys, role_arn, credential_process or SSO)`);
      break;
    default:
      break;
  }

  // Walk the source_profile chain: a missing link or a cycle makes the profile unusable.
  let current = name;
  let cur = p;
  if (cur.mfa_serial) info.mfa = true;
  while (cur.role_arn && cur.source_profile && !cur.web_identity_token_file) {
    const next = cur.source_profile;
    if (info.chain.includes(next)) {
      // A role profile may name itself as source when it also holds static keys (the SDK allows it).
      if (next === current && (cur.aws_access_key_id || l.credentials[next]?.aws_access_key_id)) break;
      info.problems.push(`source_profile cycle: ${[...info.chain, next].join(' -> ')}`);
      break;
    }
    const np = merged(l, next);
    info.chain.push(next);
    if (!np) {
      info.problems.push(`profile ${current} names source_profile ${next}, which does not exist`);
      break;
    }
    if (np.mfa_serial) info.mfa = true;
    const nk = kindOf(np);
    if (nk === 'unknown') {
      info.problems.push(`source profile ${next} (of ${current}) defines no credentials`);
      break;
    }
    current = next;
    cur = np;
  }
  return info;
}

/** Every profile in the shared files with its kind and problems; nothing is called, no prompt is shown. */
export async function listProfiles(files: ProfileFiles = {}): Promise<ProfileInfo[]> {
  const l = await load(files);
  return profileNames(l).map((n) => describe(l, n));
}

/** One profile's description, or an error naming the files searched when it does not exist. */
export async function getProfile(name: string, files: ProfileFiles = {}): Promise<ProfileInfo> {
  const l = await load(files);
  if (!merged(l, name)) {
    const where = [files.configFile ?? process.env.AWS_CONFIG_FILE ?? '~/.aws/config', files.credentialsFile ?? process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'];
    throw new Error(`AWS profile "${name}" was not found in ${where.join(' or ')}`);
  }
  return describe(l, name);
}

/** A profile's raw settings other than secrets (region, endpoint_url, ca_bundle, ...), for client configuration. */
export async function profileSettings(name: string, files: ProfileFiles = {}): Promise<Record<string, string>> {
  const l = await load(files);
  const p = merged(l, name) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined || /secret|session_token|access_key/i.test(k)) continue;
    out[k] = v;
  }
  // endpoint_url per service: `services = x` names a [services x] section with `s3 =\n  endpoint_url = …`.
  if (p.services) {
    const svc = l.config[`services.${p.services}`];
    if (svc) for (const [k, v] of Object.entries(svc)) if (v !== undefined) out[`services.${k}`] = v;
  }
  return out;
}
