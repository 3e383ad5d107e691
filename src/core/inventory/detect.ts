/**
 * Which AWS API response a JSON document is, from its content (never from the file name): each API's descriptor
 * (src/core/aws/apis.ts) says the member that holds its items, and a further test where that is not enough.
 * The shapes are what `aws <service> <op> --output json` prints: the SDK v3 output shapes.
 */
import { APIS, apiOf } from '../aws/apis';
import { isObj } from './util';

/** A descriptor's kind: `ec2:DescribeNetworkInterfaces`, `tagging:GetResources`, `ip-ranges`, … */
export type InventoryKind = string;

/** The kind of one response object, or null when it is not one Flowlens reads. */
export function detectKind(doc: unknown): InventoryKind | null {
  if (!isObj(doc)) return null;
  for (const d of APIS) {
    if (d.match ? d.match(doc) : Array.isArray(doc[d.listKey]) && (!d.is || d.is(doc))) return d.kind;
  }
  return null;
}

/** The member a kind's response carries its items under (for counting and for loading in batches). */
export function itemsKeyOf(kind: InventoryKind): string | undefined {
  return apiOf(kind)?.listKey;
}

/** A document may be one response or an array of responses (pages). */
export function pagesOf(doc: unknown): unknown[] {
  return Array.isArray(doc) ? doc : [doc];
}
