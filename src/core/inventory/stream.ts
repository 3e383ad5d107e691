/**
 * Reads one JSON document (an AWS response, or an array of responses: pages) from a stream of bytes without
 * ever holding it whole: a DescribeNetworkInterfaces dump of hundreds of megabytes is more than V8's longest
 * string, and JSON.parse of it takes gigabytes. The tokens come from @streamparser/json (its tokenizer and
 * token parser check the grammar and build values); this module follows the shallow structure, the pages and
 * their members, and hands on the items of each list member one at a time as soon as they are complete.
 *
 * What comes out, in document order, in arrays of events (one array per chunk read):
 *   root      the document's first token: an array (pages) or an object (one response); a scalar has none
 *   page      a page (object) begins           other   a page that is no object
 *   member    a member that is no array: a primitive, or an object (complete)
 *   list      a member that is an array begins  item    one element of it, complete
 *   end       the page ends
 */
import { Tokenizer, TokenParser, TokenParserError, TokenType, TokenizerError, type ParsedElementInfo, type ParsedTokenInfo } from '@streamparser/json';

export type ResponseEvent =
  | { t: 'root'; array: boolean }
  | { t: 'page' }
  | { t: 'other' }
  | { t: 'member'; key: string; value: unknown }
  | { t: 'list'; key: string }
  | { t: 'item'; key: string; value: unknown }
  | { t: 'end' };

/** The document is not valid JSON: where (1-based line and column, counted in bytes) and what. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
    /** Whether the document began as JSON does, with an object or an array (a file of another kind does not). */
    readonly startsLikeJson: boolean,
  ) {
    super(`invalid JSON at line ${line}, column ${column}: ${reason}`);
  }
}

/** Where a byte offset of the stream is, as line and column (the chunks' newlines are counted as they pass). */
class Lines {
  private line = 1;
  /** Offset of the first byte of the current line. */
  private lineStart = 0;
  private chunkStart = 0;
  private chunk: Uint8Array = new Uint8Array(0);

  /** Counts the newlines of the chunk before last (so that an offset in the current one can still be placed). */
  next(chunk: Uint8Array): void {
    this.passed();
    this.chunk = chunk;
  }

  private passed(): void {
    const c = this.chunk;
    for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) {
      this.line++;
      this.lineStart = this.chunkStart + i + 1;
    }
    this.chunkStart += c.length;
    this.chunk = new Uint8Array(0);
  }

  at(offset: number): { line: number; column: number } {
    let line = this.line;
    let lineStart = this.lineStart;
    const end = Math.min(Math.max(offset - this.chunkStart, 0), this.chunk.length);
    for (let i = this.chunk.indexOf(10); i >= 0 && i < end; i = this.chunk.indexOf(10, i + 1)) {
      line++;
      lineStart = this.chunkStart + i + 1;
    }
    return { line, column: Math.max(offset, lineStart) - lineStart + 1 };
  }

  /** Bytes passed so far, the current chunk included. */
  get length(): number {
    return this.chunkStart + this.chunk.length;
  }
}

const PRIMITIVE = new Set([TokenType.STRING, TokenType.NUMBER, TokenType.TRUE, TokenType.FALSE, TokenType.NULL]);

/** Follows the pages and members of a document from its tokens (the token parser has checked the grammar). */
class Outline {
  readonly events: ResponseEvent[] = [];
  private depth = 0;
  /** Depth inside a page object: 1 for a document that is one response, 2 for an array of pages. */
  private pageDepth = 0;
  private inPage = false;
  private expectKey = false;
  private key = '';
  /** The member being read when it is a container: its name, and its members when it is an object. */
  private member: { key: string; object?: Record<string, unknown> } | undefined;
  /** The document's first value has begun; whether it is an object or an array. */
  rootSeen = false;
  container = false;

  token(t: ParsedTokenInfo): void {
    const tok = t.token;
    if (tok === TokenType.LEFT_BRACE || tok === TokenType.LEFT_BRACKET) {
      const object = tok === TokenType.LEFT_BRACE;
      if (this.depth === 0) {
        this.rootSeen = true;
        this.container = true;
        this.events.push({ t: 'root', array: !object });
        this.pageDepth = object ? 1 : 2;
        if (object) this.openPage();
      } else if (this.depth === 1 && this.pageDepth === 2) {
        if (object) this.openPage();
        else this.events.push({ t: 'other' });
      } else if (this.inPage && this.depth === this.pageDepth) {
        this.member = object ? { key: this.key, object: {} } : { key: this.key };
        if (!object) this.events.push({ t: 'list', key: this.key });
      }
      this.depth++;
    } else if (tok === TokenType.RIGHT_BRACE || tok === TokenType.RIGHT_BRACKET) {
      this.depth--;
      if (this.inPage && this.depth === this.pageDepth && this.member) {
        if (this.member.object) this.events.push({ t: 'member', key: this.member.key, value: this.member.object });
        this.member = undefined;
      } else if (this.inPage && this.depth === this.pageDepth - 1) {
        this.inPage = false;
        this.events.push({ t: 'end' });
      }
    } else if (this.inPage && this.depth === this.pageDepth) {
      if (tok === TokenType.COMMA) this.expectKey = true;
      else if (tok === TokenType.STRING && this.expectKey) {
        this.key = t.value as string;
        this.expectKey = false;
      } else if (PRIMITIVE.has(tok)) this.events.push({ t: 'member', key: this.key, value: t.value });
    } else if (PRIMITIVE.has(tok)) {
      if (this.depth === 0) this.rootSeen = true;
      else if (this.depth === 1 && this.pageDepth === 2) this.events.push({ t: 'other' });
    }
  }

  /** A value the token parser completed at the depth of a member's elements. */
  value(v: ParsedElementInfo): void {
    if (!this.inPage || !this.member) return; // inside a page that is no object
    if (this.member.object) this.member.object[String(v.key)] = v.value;
    else this.events.push({ t: 'item', key: this.member.key, value: v.value });
  }

  private openPage(): void {
    this.inPage = true;
    this.expectKey = true;
    this.events.push({ t: 'page' });
  }

  get complete(): boolean {
    return this.rootSeen && this.depth === 0;
  }
}

/**
 * The events of the document the chunks make up, one array per chunk. Throws JsonSyntaxError where the
 * document is not JSON, or ends before it is complete (a truncated file).
 */
export async function* readResponses(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ResponseEvent[]> {
  const outline = new Outline();
  const lines = new Lines();
  const tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024 });
  let parser: TokenParser | undefined;
  let lastToken = 0;
  tokenizer.onToken = (t) => {
    lastToken = t.offset;
    if (!parser) {
      // the elements of a list member are what comes out: $.Member.* of a response, $.*.Member.* of pages
      parser = new TokenParser({ paths: [t.token === TokenType.LEFT_BRACKET ? '$.*.*.*' : '$.*.*'], keepStack: false });
      parser.onValue = (v) => outline.value(v);
    }
    parser.write(t);
    outline.token(t);
  };
  const fail = (e: unknown): never => {
    if (!(e instanceof TokenizerError || e instanceof TokenParserError)) throw e;
    const m = /^Unexpected "(.*)" at chunk position "\d+" \(absolute position "(\d+)"\)/s.exec(e.message);
    if (m) throw syntaxError(lines.at(Number(m[2])), `unexpected ${JSON.stringify(m[1])}`, outline.container);
    const p = /^Unexpected \w+ \((.*)\) in state/s.exec(e.message);
    if (p) throw syntaxError(lines.at(lastToken), `unexpected ${p[1]}`, outline.container);
    throw syntaxError(lines.at(lines.length), 'the file ends before the JSON does (is it cut short?)', outline.container);
  };
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3); // a byte order mark
    first = false;
    lines.next(chunk);
    try {
      tokenizer.write(chunk);
    } catch (e) {
      fail(e);
    }
    if (outline.events.length) yield outline.events.splice(0);
  }
  try {
    if (!tokenizer.isEnded) tokenizer.end();
  } catch (e) {
    fail(e);
  }
  if (!outline.complete) fail(new TokenizerError('ended'));
  if (outline.events.length) yield outline.events.splice(0);
}

function syntaxError(at: { line: number; column: number }, reason: string, startsLikeJson: boolean): JsonSyntaxError {
  return new JsonSyntaxError(at.line, at.column, reason, startsLikeJson);
}
