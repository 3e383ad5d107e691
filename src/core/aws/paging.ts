/**
 * Every page of one list call, read through the SDK's own paginator (`paginateDescribeVpcs(…)`), with the two
 * guards the paginators lack. A service that sends a token it already sent would be asked forever (one
 * ElastiCache endpoint repeated its Marker: about 60,000 requests a minute, never ending): a token seen before
 * stops the call. And no call reads more than a cap of pages. The paginator's `stopOnSameToken` only notices a
 * token sent twice in a row, and silently; here both stops are reported, and the pages read are kept.
 */
import { plural } from '../format';

/** Pages one call may read (10,000 pages is 500,000 CloudTrail events at 50 a page, more for every other API). */
export const MAX_PAGES = 10_000;

export interface PagingStop {
  /** RepeatedToken or TooManyPages: the code the issue is reported with. */
  code: 'RepeatedToken' | 'TooManyPages';
  message: string;
  /** Pages read (and kept) before the stop. */
  pages: number;
}

export interface PagingOptions<P = object> {
  /** The page's token when it is not simply page[tokenKey] (S3: only while IsTruncated). */
  tokenOf?: (page: P) => unknown;
  /** Pages one call may read (default MAX_PAGES). */
  maxPages?: number;
  /** Waited before each request after the first (a rate limit); the first is the caller's to wait for. */
  beforeNext?: () => Promise<void>;
}

const kept = (n: number) => (n === 1 ? 'the first page is kept' : `the first ${plural(n, 'page')} are kept`);

/**
 * Reads the pages of `pages` (a paginator), handing each to onPage, until the last one, a token that was sent
 * before, or the cap. `tokenKey` is the page's output token (NextToken, Marker, NextMarker, …). Returns why it
 * stopped early, or undefined when every page was read. Leaving the loop ends the paginator: no request is sent
 * after the page that tripped a guard.
 */
export async function eachPage<P extends object>(
  pages: AsyncIterable<P>,
  tokenKey: string,
  onPage: (page: P) => void,
  o: PagingOptions<P> = {},
): Promise<PagingStop | undefined> {
  const max = Math.max(1, o.maxPages ?? MAX_PAGES);
  const seen = new Set<string>();
  let n = 0;
  let first = true;
  const it = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (!first) await o.beforeNext?.();
      first = false;
      const r = await it.next();
      if (r.done) return undefined;
      n++;
      onPage(r.value);
      const token = o.tokenOf ? o.tokenOf(r.value) : (r.value as Record<string, unknown>)[tokenKey];
      if (token === undefined || token === null || token === '') return undefined;
      const key = String(token);
      if (seen.has(key)) {
        return { code: 'RepeatedToken', pages: n, message: `the service repeated its ${tokenKey} on page ${n}, so paging stopped there; ${kept(n)}` };
      }
      seen.add(key);
      if (n >= max) {
        return { code: 'TooManyPages', pages: n, message: `the call had more pages than the cap of ${plural(max, 'page')}, so paging stopped there; ${kept(n)}` };
      }
    }
  } finally {
    await it.return?.();
  }
}

/** A stop where partial pages are no use (a flow-log listing, an hour of events): the call fails with it. */
export class PagingStopped extends Error {
  constructor(stop: PagingStop) {
    super(stop.message.replace(/; the first .* (is|are) kept$/, ''));
    this.name = stop.code;
  }
}

/** eachPage, failing with PagingStopped when a guard trips. */
export async function everyPage<P extends object>(pages: AsyncIterable<P>, tokenKey: string, onPage: (page: P) => void, o: PagingOptions<P> = {}): Promise<void> {
  const stop = await eachPage(pages, tokenKey, onPage, o);
  if (stop) throw new PagingStopped(stop);
}
