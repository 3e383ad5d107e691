/**
 * Credential providers, always the SDK's own (@aws-sdk/credential-providers): a profile from the shared files
 * (static keys, role_arn + source_profile with external_id and mfa_serial, credential_process, SSO), the default
 * chain, and an assumed role in another account. Providers, not keys, are handed to clients so that temporary
 * credentials refresh when they expire. The MFA code comes from a caller-supplied callback; it is only asked
 * for when a call needs it, never while listing profiles.
 */
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { clientConfig, tlsCertificateProblem, type AwsSettings } from './clients';
import { getProfile, type ProfileFiles } from './profiles';
import { redact, rememberSecret } from './secrets';

export type MfaCodeProvider = (mfaSerial: string) => Promise<string>;

export interface CredentialOptions {
  files?: ProfileFiles;
  mfaCodeProvider?: MfaCodeProvider;
  settings?: AwsSettings;
  /** Region for the STS calls that role assumption makes. Default us-east-1. */
  region?: string;
}

/** An error about credentials, with a message that is safe to show (no secret in it). */
export class CredentialError extends Error {
  constructor(
    message: string,
    readonly profile?: string,
    readonly code?: string,
  ) {
    super(redact(message));
    this.name = 'CredentialError';
  }
}

function stsClientConfig(o: CredentialOptions): Record<string, unknown> {
  const region = o.region ?? 'us-east-1';
  // The STS client the providers build gets the same endpoint, CA bundle, proxy and retry settings.
  const { credentials: _omit, ...rest } = clientConfig('STS', region, async () => ({ accessKeyId: '', secretAccessKey: '' }), o.settings ?? {});
  return rest;
}

function wrapMfa(p: MfaCodeProvider | undefined, profile: string | undefined): MfaCodeProvider {
  return async (serial: string) => {
    if (!p) {
      throw new CredentialError(`profile ${profile ?? '(default)'} needs an MFA code for ${serial}, and no way to ask for one was given`, profile, 'MfaRequired');
    }
    const code = (await p(serial)).trim();
    rememberSecret(code);
    return code;
  };
}

/** Explains a provider failure in the words a user can act on. */
export function explainCredentialError(err: unknown, profile?: string): CredentialError {
  if (err instanceof CredentialError) return err;
  const e = err as { name?: string; message?: string; Code?: string };
  const msg = e?.message ?? String(err);
  const name = e?.name ?? 'Error';
  const p = profile ?? 'default';
  // Before the "expired" test below: "certificate has expired" is not about credentials.
  const tls = tlsCertificateProblem(err);
  if (tls) return new CredentialError(`could not get credentials for profile ${p}: ${tls.message}`, profile, tls.code);
  if (/sso/i.test(msg) && /(expired|not found|invalid|refresh)/i.test(msg)) {
    return new CredentialError(`the SSO session for profile ${p} is missing or expired: run \`aws sso login --profile ${p}\``, profile, 'SsoLoginRequired');
  }
  if (/ExpiredToken/i.test(name) || /expired/i.test(msg)) {
    return new CredentialError(`the credentials of profile ${p} have expired (${name}): refresh them and retry`, profile, 'ExpiredToken');
  }
  if (/credential_process|process/i.test(msg) && /fail|error|exit/i.test(msg)) {
    return new CredentialError(`credential_process of profile ${p} failed: ${msg}`, profile, 'CredentialProcessFailed');
  }
  return new CredentialError(`could not get credentials for profile ${p}: ${name}: ${msg}`, profile, name);
}

/**
 * Wraps a provider: errors in words a user can act on, secrets remembered for redaction, and the
 * credentials shared by every client that uses this provider until 5 minutes before they expire, so an
 * MFA code is asked for (and an AssumeRole made) once, not once per client.
 */
function wrap(inner: AwsCredentialIdentityProvider, profile: string | undefined): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (c: AwsCredentialIdentity) => !c.expiration || c.expiration.getTime() - Date.now() > 5 * 60 * 1000;
  const load = async (props?: Parameters<AwsCredentialIdentityProvider>[0]): Promise<AwsCredentialIdentity> => {
    let creds: AwsCredentialIdentity;
    try {
      creds = await inner(props);
    } catch (err) {
      throw explainCredentialError(err, profile);
    }
    rememberSecret(creds.accessKeyId);
    rememberSecret(creds.secretAccessKey);
    rememberSecret(creds.sessionToken);
    return creds;
  };
  return async (props?: Parameters<AwsCredentialIdentityProvider>[0]) => {
    const forced = Boolean((props as { forceRefresh?: boolean } | undefined)?.forceRefresh);
    if (cached && !forced) {
      const c = await cached.catch(() => undefined);
      if (c && fresh(c)) return c;
    }
    const mine = load(props);
    cached = mine;
    mine.catch(() => {
      if (cached === mine) cached = undefined; // a failure is not remembered: the next call tries again
    });
    return mine;
  };
}

/**
 * Credentials for a named profile (validated first: a broken chain fails here, naming the problem, before any
 * call), or the SDK's default chain (environment, default profile, SSO, process, container, instance) without one.
 */
export async function profileCredentials(profile: string | undefined, o: CredentialOptions = {}): Promise<AwsCredentialIdentityProvider> {
  const clientCfg = stsClientConfig(o);
  if (!profile) {
    const init: Record<string, unknown> = { mfaCodeProvider: wrapMfa(o.mfaCodeProvider, undefined), clientConfig: clientCfg, ignoreCache: true };
    if (o.files?.credentialsFile) init.filepath = o.files.credentialsFile;
    if (o.files?.configFile) init.configFilepath = o.files.configFile;
    return wrap(fromNodeProviderChain(init), undefined);
  }
  const info = await getProfile(profile, o.files);
  if (info.problems.length) throw new CredentialError(`profile ${profile} cannot be used: ${info.problems.join('; ')}`, profile, 'InvalidProfile');
  const init: Parameters<typeof fromIni>[0] = {
    profile,
    mfaCodeProvider: wrapMfa(o.mfaCodeProvider, profile),
    clientConfig: clientCfg,
    ignoreCache: true,
  };
  if (o.files?.credentialsFile) init.filepath = o.files.credentialsFile;
  if (o.files?.configFile) init.configFilepath = o.files.configFile;
  return wrap(fromIni(init), profile);
}

export interface AssumeRoleOptions extends CredentialOptions {
  accountId: string;
  /** A role name (FlowLogIntrospector) or a full role ARN. */
  role: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
}

export function roleArnFor(accountId: string, role: string): string {
  return role.startsWith('arn:') ? role : `arn:aws:iam::${accountId}:role/${role}`;
}

/** Credentials for a role assumed from `base` (refreshed by the SDK before they expire). */
export function assumedRoleCredentials(base: AwsCredentialIdentityProvider, o: AssumeRoleOptions): AwsCredentialIdentityProvider {
  const params: { RoleArn: string; RoleSessionName: string; ExternalId?: string; DurationSeconds: number } = {
    RoleArn: roleArnFor(o.accountId, o.role),
    RoleSessionName: o.sessionName ?? 'flowlens',
    DurationSeconds: o.durationSeconds ?? 3600,
  };
  if (o.externalId) params.ExternalId = o.externalId;
  const inner = fromTemporaryCredentials({
    masterCredentials: base,
    params,
    clientConfig: stsClientConfig(o) as never,
  });
  return wrap(inner, `${params.RoleArn}`);
}
