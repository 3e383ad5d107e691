/**
 * The names people know resources by, for text meant for people (the CLI's tables): the inventory's name (Name
 * tag, DB identifier, function, service, …), else the name or id the ARN itself carries; resources that share a
 * name and kind are told apart by account or region, then their short id. The same rules as the map's labels.
 */
import type { Db } from './store/db';
import { distinctLabels, fallbackLabel } from './topology/graph';
import { NAMES_CTE } from './topology/sql';

export async function readableNames(db: Db, values: Iterable<unknown>): Promise<Map<string, string>> {
  const arns = [...new Set([...values].filter((v): v is string => typeof v === 'string' && v.startsWith('arn:')))];
  if (!arns.length) return new Map();
  const rows = await db.all<{ key: string; label: string }>(
    `WITH ${NAMES_CTE}
     SELECT key, min(label) AS label FROM names
     WHERE key IN (SELECT unnest(from_json($keys::JSON, '["VARCHAR"]'))) AND label IS NOT NULL AND label <> ''
     GROUP BY key`,
    { keys: JSON.stringify(arns) },
  );
  const known = new Map(rows.map((r) => [r.key, r.label]));
  // told apart among resources of one kind: an instance and its load balancer may share a name
  const byKind = new Map<string, { id: string; label: string; account?: string; region?: string }[]>();
  for (const arn of arns) {
    const [, , service, region, account, resource] = arn.split(':');
    const kind = `${service}:${/^[a-z-]+/.exec(resource ?? '')?.[0] ?? ''}`;
    const list = byKind.get(kind) ?? byKind.set(kind, []).get(kind)!;
    list.push({ id: arn, label: known.get(arn) ?? fallbackLabel(arn), account: account || undefined, region: region || undefined });
  }
  return new Map([...byKind.values()].flatMap((same) => [...distinctLabels(same)]));
}
