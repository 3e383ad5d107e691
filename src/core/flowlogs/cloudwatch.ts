/**
 * CloudWatch Logs shapes that carry flow-log records: events from FilterLogEvents / GetLogEvents
 * (`{"events":[...]}`), a subscription-filter payload (`{"logGroup","logStream","logEvents":[...]}`),
 * or a bare array of events. Each event's `message` is one record without a header.
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
    if (isEventArray(o.events)) return o.events;
    if (isEventArray(o.logEvents)) return o.logEvents;
    const keys = Object.keys(o).slice(0, 5).join(', ');
    throw new NotCloudWatchError(`JSON is not CloudWatch Logs events (expected "events" or "logEvents" holding objects with a "message"; found keys: ${keys || 'none'})`);
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
 * The messages as newline-separated text, line i+1 holding event i. A message's own line breaks (never
 * present in flow records) become spaces so that line numbers stay event numbers.
 */
export function eventsAsText(events: readonly CloudWatchEvent[]): string {
  const lines = events.map((e) => (/[\r\n]/.test(e.message) ? e.message.replace(/[\r\n]+/g, ' ') : e.message));
  return lines.length ? lines.join('\n') + '\n' : '';
}
