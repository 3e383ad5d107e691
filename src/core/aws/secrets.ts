/**
 * Keeps credentials, session tokens and MFA codes out of everything Flowlens writes: every secret that passes
 * through a provider or the MFA callback is remembered (in memory only) and scrubbed from messages before they
 * reach a report, a log, a checkpoint or the dataset.
 */
const known = new Set<string>();

/** Remembers a secret value so redact() removes it. Short values (< 6 chars) are ignored. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** Patterns that look like AWS secrets even when we never saw them (keys echoed back by a server). */
const PATTERNS: RegExp[] = [
  /\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, // access key ids
  // the separator stops at the end of the line: a key name ending one line must not redact the next line's text
  /(aws_secret_access_key|SecretAccessKey|aws_session_token|SessionToken|X-Amz-Security-Token)(["'\t :=]+)[^\s"'&,}:=][^\s"'&,}]*/gi,
  /(Credential=)[^,\s]+/g,
  /(Signature=)[0-9a-f]+/g,
];

export function redact(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('[redacted]');
  out = out.replace(PATTERNS[0]!, '[redacted-key-id]');
  for (const re of PATTERNS.slice(1)) out = out.replace(re, (_m, a: string, b: unknown) => (typeof b === 'string' ? `${a}${b}[redacted]` : `${a}[redacted]`));
  return out;
}
