/**
 * Fan-out: the (account, credentials) pairs to collect from. Either one starting profile assumes a named role
 * (default FlowLogIntrospector, with an external id) in a list of accounts, or several profiles are used as they
 * are. Every target is checked with sts:GetCallerIdentity; a target that fails is reported (account, API,
 * reason) and the others go on.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsIssue } from '../../protocol/reports';
import { clientConfig, type AwsSettings } from './clients';
import { assumedRoleCredentials, profileCredentials, roleArnFor, type MfaCodeProvider } from './credentials';
import { describeAwsError } from './errors';
import type { ProfileFiles } from './profiles';

export const DEFAULT_ROLE = 'FlowLogIntrospector';

export interface Target {
  accountId: string;
  /** What the user would call it: the profile name, or role@account. */
  label: string;
  arn: string;
  credentials: AwsCredentialIdentityProvider;
}

export interface TargetOptions {
  /** One starting profile, or several profiles used side by side. Default: the SDK's default chain. */
  profile?: string | string[];
  /** Role to assume in each of `accounts` (name or ARN). With accounts and no role, FlowLogIntrospector. */
  role?: string;
  externalId?: string;
  accounts?: string[];
  files?: ProfileFiles;
  mfaCodeProvider?: MfaCodeProvider;
  settings?: AwsSettings;
  /** Region for STS calls (default us-east-1). */
  stsRegion?: string;
  signal?: AbortSignal;
}

async function identity(creds: AwsCredentialIdentityProvider, o: TargetOptions): Promise<{ account: string; arn: string }> {
  const client = new STSClient(clientConfig('STS', o.stsRegion ?? 'us-east-1', creds, o.settings ?? {}));
  try {
    const r = await client.send(new GetCallerIdentityCommand({}), o.signal ? { abortSignal: o.signal } : {});
    return { account: r.Account ?? '', arn: r.Arn ?? '' };
  } finally {
    client.destroy();
  }
}

export async function resolveTargets(o: TargetOptions): Promise<{ targets: Target[]; issues: AwsIssue[] }> {
  const profiles = o.profile === undefined ? [undefined] : Array.isArray(o.profile) ? o.profile : [o.profile];
  const credOpts = {
    ...(o.files ? { files: o.files } : {}),
    ...(o.mfaCodeProvider ? { mfaCodeProvider: o.mfaCodeProvider } : {}),
    ...(o.settings ? { settings: o.settings } : {}),
    region: o.stsRegion ?? 'us-east-1',
  };
  const targets: Target[] = [];
  const issues: AwsIssue[] = [];
  const role = o.role ?? (o.accounts?.length ? DEFAULT_ROLE : undefined);

  if (role && o.accounts?.length) {
    if (profiles.length > 1) throw new Error('assume a role from one starting profile, not several');
    const profile = profiles[0];
    let base: AwsCredentialIdentityProvider;
    try {
      base = await profileCredentials(profile, credOpts);
    } catch (err) {
      issues.push(describeAwsError(err, { api: 'credentials', profile: profile ?? 'default' }));
      return { targets, issues };
    }
    // One after another: an MFA prompt is asked once (the SDK caches the source credentials).
    for (const accountId of o.accounts) {
      o.signal?.throwIfAborted();
      const creds = assumedRoleCredentials(base, { ...credOpts, accountId, role, ...(o.externalId ? { externalId: o.externalId } : {}) });
      try {
        const who = await identity(creds, o);
        targets.push({ accountId: who.account || accountId, label: `${roleArnFor(accountId, role)}`, arn: who.arn, credentials: creds });
      } catch (err) {
        issues.push(describeAwsError(err, { account: accountId, api: 'sts:AssumeRole', profile: profile ?? 'default' }));
      }
    }
    return { targets, issues };
  }

  for (const profile of profiles) {
    o.signal?.throwIfAborted();
    try {
      const creds = await profileCredentials(profile, credOpts);
      const who = await identity(creds, o);
      if (o.accounts?.length && !o.accounts.includes(who.account)) continue;
      targets.push({ accountId: who.account, label: profile ?? 'default', arn: who.arn, credentials: creds });
    } catch (err) {
      issues.push(describeAwsError(err, { api: 'sts:GetCallerIdentity', profile: profile ?? 'default' }));
    }
  }
  return { targets, issues };
}
