/**
 * Serialises an operation's output (the PascalCase JSON shape `aws … --output json` prints) into the bytes the
 * service really sends: EC2 query XML (camelCase element names, `item` list members), awsQuery XML
 * (`<OpResponse><OpResult>…`, `member` list members), JSON 1.1 and rest-json (timestamps as epoch seconds).
 * Element names and list wrapping come from the wire traits (xmlName, xmlFlattened, ec2QueryName) of the
 * service model that ships inside the SDK package: the same model the real services are built from.
 */
import { NormalizedSchema } from '@smithy/core/schema';

type Ns = NormalizedSchema;

export function operationSchema(client: Record<string, unknown>, op: string): { input: Ns; output: Ns } {
  const s = client[`${op}$`] as unknown[] | undefined;
  if (!s) throw new Error(`no schema for ${op}`);
  return { input: NormalizedSchema.of(s[4] as never), output: NormalizedSchema.of(s[5] as never) };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number') return new Date(v > 1e11 ? v : v * 1000);
  return new Date(String(v));
}

function scalarText(ns: Ns, v: unknown): string {
  if (ns.isTimestampSchema()) return toDate(v).toISOString();
  if (ns.isBlobSchema()) return Buffer.from(v as Uint8Array).toString('base64');
  return String(v);
}

function xmlValue(ns: Ns, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (ns.isListSchema()) throw new Error('list value outside a member');
  if (ns.isStructSchema()) {
    const obj = v as Record<string, unknown>;
    let out = '';
    for (const [name, member] of ns.structIterator()) {
      if (obj[name] === undefined || obj[name] === null) continue;
      out += xmlMember(member, name, obj[name]);
    }
    return out;
  }
  if (ns.isMapSchema()) {
    const k = ns.getKeySchema().getMergedTraits().xmlName ?? 'key';
    const val = ns.getValueSchema();
    const vn = val.getMergedTraits().xmlName ?? 'value';
    return Object.entries(v as Record<string, unknown>)
      .map(([key, x]) => `<entry><${k}>${esc(key)}</${k}><${vn}>${xmlValue(val, x)}</${vn}></entry>`)
      .join('');
  }
  return esc(scalarText(ns, v));
}

function xmlMember(member: Ns, name: string, v: unknown): string {
  const tag = member.getMemberTraits().xmlName ?? name;
  if (member.isListSchema()) {
    const item = member.getValueSchema();
    const items = v as unknown[];
    if (member.getMergedTraits().xmlFlattened) return items.map((x) => `<${tag}>${xmlValue(item, x)}</${tag}>`).join('');
    const itemTag = item.getMergedTraits().xmlName ?? 'member';
    return `<${tag}>${items.map((x) => `<${itemTag}>${xmlValue(item, x)}</${itemTag}>`).join('')}</${tag}>`;
  }
  return `<${tag}>${xmlValue(member, v)}</${tag}>`;
}

export function ec2Xml(op: string, output: Ns, value: Record<string, unknown>, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
    `<requestId>${requestId}</requestId>${xmlValue(output, value)}</${op}Response>`
  );
}

export function queryXml(op: string, output: Ns, value: Record<string, unknown>, requestId: string, xmlns: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="${xmlns}"><${op}Result>${xmlValue(output, value)}</${op}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`
  );
}

/** JSON protocols: member names as in the model; timestamps as epoch seconds; blobs base64. */
export function jsonValue(ns: Ns, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (ns.isListSchema()) return (v as unknown[]).map((x) => jsonValue(ns.getValueSchema(), x));
  if (ns.isMapSchema()) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = jsonValue(ns.getValueSchema(), x);
    return out;
  }
  if (ns.isStructSchema()) {
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, member] of ns.structIterator()) if (obj[name] !== undefined) out[name] = jsonValue(member, obj[name]);
    return out;
  }
  if (ns.isTimestampSchema()) return toDate(v).getTime() / 1000;
  if (ns.isBlobSchema()) return Buffer.from(v as Uint8Array).toString('base64');
  return v;
}

export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function queryErrorXml(code: string, message: string, requestId: string, sender = true): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

export function s3ErrorXml(code: string, message: string, requestId: string, resource = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message><Resource>${esc(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
}

export { esc as xmlEscape };
