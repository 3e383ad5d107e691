/** Durations and times as people type them: `30s`, `90m`, `24h`, `7d`, `2w`, or an ISO time. */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;

/** A duration (`30s`, `90m`, `24h`, `7d`, `2w`) in milliseconds, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] * 1000 : undefined;
}

/** `24h`, `90m`, `7d`, `30s` back from `now`, or an ISO time. */
export function parseTime(v: Date | string, now = new Date()): Date {
  if (v instanceof Date) return v;
  const back = parseDuration(v);
  if (back !== undefined) return new Date(now.getTime() - back);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`cannot read "${v}" as a time: use an ISO time (2026-09-01T00:00Z) or a duration (24h, 7d)`);
  return d;
}

/**
 * A duration (`24h`, `7d`) as the UTC time that far back from `now`, written as a SQL TIMESTAMP's text
 * (`2026-11-30 10:30:15`); undefined when the text is not a duration. Template and notebook parameters of a
 * TIMESTAMP type take it, as enrich --since does.
 */
export function timestampBack(text: string, now = new Date()): string | undefined {
  const back = parseDuration(text);
  return back === undefined ? undefined : new Date(now.getTime() - back).toISOString().slice(0, 19).replace('T', ' ');
}
