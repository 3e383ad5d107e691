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

/**
 * The codes of an answer that is not the API's, said in plain words (the AWS code, if any, is in the message):
 * an HTML page, an operation the endpoint does not implement, an answer the SDK could not read.
 */
export const BROKEN_ANSWER = { html: 'HtmlAnswer', notImplemented: 'NotImplemented', unreadable: 'UnreadableAnswer' } as const;
const BROKEN_CODES = new Set<string>(Object.values(BROKEN_ANSWER));

/** What services and emulators answer for an operation they do not have. */
const NOT_IMPLEMENTED_CODES = new Set(['InvalidAction', 'UnknownOperationException', 'UnknownOperation', 'NotImplemented', 'NotImplementedException', 'UnsupportedOperation']);

/** The SDK's hint after a failed parse, which names no cause a user can act on. */
const SDK_DESERIALIZATION_HINT = /\s*Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\.?/;

export function describeAwsError(err: unknown, ctx: IssueContext): AwsIssue {
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  let code = (err instanceof CredentialError ? err.code : undefined) ?? e?.Code ?? e?.name ?? e?.code ?? 'Error';
  if (code === 'Error' && e?.code) code = e.code;
  let message = e?.message ?? String(err);
  if (/AbortError/.test(code)) message = 'cancelled';
  const tls = err instanceof CredentialError ? undefined : tlsCertificateProblem(err);
  if (tls) ({ code, message } = tls);
  if (code === 'HtmlAnswer') message = 'the endpoint answered with HTML, not the API';
  else if (NOT_IMPLEMENTED_CODES.has(code) || e?.$metadata?.httpStatusCode === 501) {
    message = `the endpoint does not implement this operation (${code})`;
    code = BROKEN_ANSWER.notImplemented;
  } else if (SDK_DESERIALIZATION_HINT.test(message)) {
    message = `the endpoint's answer could not be read as the API's (${message.replace(SDK_DESERIALIZATION_HINT, '').split('\n')[0]!.trim().replace(/\.$/, '')})`;
    code = BROKEN_ANSWER.unreadable;
  }
  const issue: AwsIssue = { api: ctx.api, code: redact(String(code)), message: redact(message) };
  if (ctx.account) issue.account = ctx.account;
  if (ctx.region) issue.region = ctx.region;
  if (ctx.profile) issue.profile = ctx.profile;
  if (ctx.resource) issue.resource = ctx.resource;
  return issue;
}

/** Whether the issue is an answer that was not the API's (said in plain words, without its code). */
export function isBrokenAnswer(i: AwsIssue): boolean {
  return BROKEN_CODES.has(i.code);
}

/**
 * The broken answers (isBrokenAnswer) of one API said once, however many accounts and regions gave them:
 * `rds:DescribeDBProxies: the endpoint answered with HTML, not the API, in 4 account/regions; RDS proxies are not
 * attributed`. `lost` says what is missing without the API (for the collector's APIs). Other issues stay as they
 * are; the folded one takes the place of the first it stands for.
 */
export function foldIssues(issues: AwsIssue[], lost: (api: string) => string | undefined = () => undefined): AwsIssue[] {
  const groups = new Map<string, AwsIssue[]>();
  for (const i of issues) {
    if (!isBrokenAnswer(i)) continue;
    const key = `${i.api}\u0000${i.code}\u0000${i.message}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const out: AwsIssue[] = [];
  const said = new Set<string>();
  for (const i of issues) {
    if (!isBrokenAnswer(i)) {
      out.push(i);
      continue;
    }
    const key = `${i.api}\u0000${i.code}\u0000${i.message}`;
    if (said.has(key)) continue;
    said.add(key);
    const group = groups.get(key)!;
    const places = [...new Set(group.map((g) => `${g.account ?? '?'}/${g.region ?? '?'}`))].sort();
    const consequence = lost(i.api);
    const tail = consequence ? `; ${consequence}` : '';
    if (places.length === 1) {
      out.push({ ...i, message: `${i.message}${tail}` });
      continue;
    }
    const { account: _a, region: _r, resource: _s, ...rest } = i;
    out.push({ ...rest, message: `${i.message}, in ${places.length} account/regions${tail}`, places });
  }
  return out;
}

export function isAbort(err: unknown): boolean {
  const e = err as { name?: string };
  return e?.name === 'AbortError';
}
