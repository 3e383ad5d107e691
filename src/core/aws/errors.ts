/**
 * AWS failures as the user needs to read them: which account, region and API, what AWS said (error code), and
 * whether the rest went on. Messages pass through redact() so no key, token or MFA code is ever repeated.
 */
import type { AwsIssue } from '../../protocol/reports';
import { tlsCertificateProblem } from './clients';
import { CredentialError } from './credentials';
import { redact } from './secrets';

export interface IssueContext {
  account?: string;
  region?: string;
  api: string;
  profile?: string;
  resource?: string;
}

export function describeAwsError(err: unknown, ctx: IssueContext): AwsIssue {
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  let code = (err instanceof CredentialError ? err.code : undefined) ?? e?.Code ?? e?.name ?? e?.code ?? 'Error';
  if (code === 'Error' && e?.code) code = e.code;
  let message = e?.message ?? String(err);
  if (/AbortError/.test(code)) message = 'cancelled';
  const tls = err instanceof CredentialError ? undefined : tlsCertificateProblem(err);
  if (tls) ({ code, message } = tls);
  const issue: AwsIssue = { api: ctx.api, code: redact(String(code)), message: redact(message) };
  if (ctx.account) issue.account = ctx.account;
  if (ctx.region) issue.region = ctx.region;
  if (ctx.profile) issue.profile = ctx.profile;
  if (ctx.resource) issue.resource = ctx.resource;
  return issue;
}

export function formatIssue(i: AwsIssue): string {
  const where = [i.account && `account ${i.account}`, i.region && `region ${i.region}`, i.profile && `profile ${i.profile}`].filter(Boolean).join(', ');
  return `${i.api}${where ? ` (${where})` : ''}${i.resource ? ` ${i.resource}` : ''}: ${i.code}: ${i.message}`;
}

export function isAbort(err: unknown): boolean {
  const e = err as { name?: string };
  return e?.name === 'AbortError';
}
