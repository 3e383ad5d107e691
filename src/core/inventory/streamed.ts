/**
 * Loads a document from its events (stream.ts) as it is read: the pages it holds go to the same handlers as a
 * parsed document's, so what is stored is the same. The items of a DescribeNetworkInterfaces or DescribeInstances
 * response go to the handler a batch at a time, as they arrive, so that however many there are only one batch
 * is held; the items of every other list are gathered into their page, which is handled at its end (those
 * dumps are small, and some handlers look at the whole list at once).
 */
import { apiOf } from '../aws/apis';
import { detectKind, itemsKeyOf, type InventoryKind } from './detect';
import { InventoryInputError, scopeWarnings, type DocContext } from './parse';
import type { ResponseEvent } from './stream';
import type { Obj } from './util';

/**
 * The lists loaded a batch at a time. Each of their items stands alone: the handler replaces what an earlier
 * item of the same file said about the same resource, so a later batch does what a later item would.
 */
const BATCHED = new Set(['NetworkInterfaces', 'Reservations']);

export class StreamedDocument {
  /** Whether the document is an array of pages. */
  rootArray = false;
  /** The kind of each page, in order (null: not a response Flowlens reads). */
  readonly kinds: (InventoryKind | null)[] = [];
  /** Items loaded, as the handlers count them. */
  items = 0;
  private page: Obj | undefined;
  private batch: { key: string; kind: InventoryKind; items: unknown[] } | undefined;

  constructor(
    private readonly ctx: DocContext,
    private readonly batchItems: number,
  ) {}

  /** The kinds of the pages that are responses Flowlens reads, once each, in order. */
  get known(): InventoryKind[] {
    return [...new Set(this.kinds.filter((k): k is InventoryKind => k !== null))];
  }

  async on(e: ResponseEvent): Promise<void> {
    const page = this.page;
    switch (e.t) {
      case 'root':
        this.rootArray = e.array;
        break;
      case 'page':
        this.page = {};
        break;
      case 'other':
        this.kinds.push(null);
        break;
      case 'member':
        if (page) page[e.key] = e.value;
        break;
      case 'list':
        if (this.batch?.key === e.key) throw new InventoryInputError(`${this.ctx.name}: a response holds ${e.key} twice`);
        if (page) page[e.key] = [];
        break;
      case 'item':
        if (page) await this.item(page, e.key, e.value);
        break;
      case 'end':
        if (page) await this.end(page);
        break;
    }
  }

  private async item(page: Obj, key: string, value: unknown): Promise<void> {
    if (!this.batch && BATCHED.has(key)) {
      // the page is of the kind this list makes it, as far as it has been read (the end of the page checks)
      const kind = detectKind(page);
      if (kind && itemsKeyOf(kind) === key) {
        this.batch = { key, kind, items: [] };
        this.ctx.unknownScope = { missingAccount: 0, missingRegion: 0 };
      }
    }
    if (this.batch?.key === key) {
      this.batch.items.push(value);
      if (this.batch.items.length >= this.batchItems) await this.flush(page);
      return;
    }
    const list = page[key];
    if (Array.isArray(list)) list.push(value);
  }

  private async flush(page: Obj): Promise<void> {
    const b = this.batch;
    if (!b?.items.length) return;
    const items = b.items;
    b.items = [];
    this.items += await apiOf(b.kind)!.parse(this.ctx, { ...page, [b.key]: items });
  }

  private async end(page: Obj): Promise<void> {
    this.page = undefined;
    const kind = detectKind(page);
    this.kinds.push(kind);
    const b = this.batch;
    if (!b) {
      if (kind) this.items += await apiOf(kind)!.parse(this.ctx, page);
      return;
    }
    await this.flush(page);
    this.batch = undefined;
    if (kind !== b.kind) {
      throw new InventoryInputError(`${this.ctx.name}: a response holds ${b.key} and is also ${kind ?? 'something else'}: give each its own file`);
    }
    this.ctx.warnings.push(...scopeWarnings(this.ctx.name, this.ctx.unknownScope ?? { missingAccount: 0, missingRegion: 0 }));
    this.ctx.unknownScope = undefined;
  }
}
