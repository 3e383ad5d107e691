/**
 * CloudWatch Logs shapes that carry flow-log records: events from FilterLogEvents / GetLogEvents
 * (`{"events":[...]}`), a subscription-filter payload (`{"messageType","logGroup","logStream","logEvents":[...]}`,
 * as Firehose writes it to S3, several back to back), a bare array of events, or one event per line
 * (`{"message": "2 123456789012 eni-… …"}`). Each event's `message` is one record without a header.
 */

export interface CloudWatchEvent {
  message: string;
  timestamp?: number;
  logStreamName?: string;
  ingestionTime?: number;
  eventId?: string;
}

export class NotCloudWatchError extends Error {}

function isEventArray(x: unknown): x is CloudWatchEvent[] {
  return Array.isArray(x) && x.every((e) => e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string');
}

/**
 * The events of a parsed CloudWatch Logs JSON document. Throws NotCloudWatchError (saying what was
 * found) for any other JSON. A subscription CONTROL_MESSAGE has no flow records: it yields [].
 */
export function cloudWatchEventsOf(doc: unknown): CloudWatchEvent[] {
  if (isEventArray(doc)) return doc;
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (o.messageType === 'CONTROL_MESSAGE') return [];
    if (typeof o.message === 'string') return [o as unknown as CloudWatchEvent];
    if (isEventArray(o.events)) return o.events;
    if (isEventArray(o.logEvents)) return o.logEvents;
    const keys = Object.keys(o).slice(0, 5).join(', ');
    throw new NotCloudWatchError(`JSON is not CloudWatch Logs events (expected "message", or "events" or "logEvents" holding objects with a "message"; found keys: ${keys || 'none'})`);
  }
  throw new NotCloudWatchError('JSON is not CloudWatch Logs events (expected an object with "events" or "logEvents")');
}

/**
 * Parses JSON text into CloudWatch events: one document, or several written back to back (Firehose
 * delivers subscription payloads to S3 concatenated, `{…}{…}`, or one a line).
 */
export function parseCloudWatchJson(text: string): CloudWatchEvent[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const lines = jsonLines(text);
    if (lines) return lines;
    // `}` followed by `{` with no comma cannot occur inside one valid document (outside strings, and
    // flow-log messages hold no braces): it separates documents.
    let docs: unknown;
    try {
      docs = /}\s*{/.test(text) ? JSON.parse('[' + text.replace(/}\s*{/g, '},{') + ']') : undefined;
    } catch {
      docs = undefined;
    }
    if (!Array.isArray(docs)) throw new NotCloudWatchError(`not valid JSON: ${(err as Error).message}`);
    return docs.flatMap((d) => cloudWatchEventsOf(d));
  }
  return cloudWatchEventsOf(doc);
}

/**
 * One event a line (`{"message": …}` each): the events in line order, an empty line kept as an empty message so
 * that line i of the file is line i of the records (and is reported as an empty line). Undefined when a line is
 * not one such event (another shape, or JSON spread over lines).
 */
function jsonLines(text: string): CloudWatchEvent[] | undefined {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1].trim() === '') lines.pop();
  const events: CloudWatchEvent[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      events.push({ message: '' });
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (doc === null || typeof doc !== 'object' || typeof (doc as { message?: unknown }).message !== 'string') return undefined;
    events.push(doc as CloudWatchEvent);
  }
  return events.length > 1 || lines.length > 1 ? events : undefined;
}

/**
 * The messages as newline-separated text, line i+1 holding event i. A message's own line breaks (never
 * present in flow records) become spaces so that line numbers stay event numbers.
 */
export function eventsAsText(events: readonly CloudWatchEvent[]): string {
  const lines = events.map((e) => (/[\r\n]/.test(e.message) ? e.message.replace(/[\r\n]+/g, ' ') : e.message));
  return lines.length ? lines.join('\n') + '\n' : '';
}
