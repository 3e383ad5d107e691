/**
 * What a flow record must be to be stored: the value rules, as SQL over a record's typed columns. A record that
 * breaks one is a bad line (with its number and the reason), never a stored record: the enrichment can rely on
 * every stored value.
 *
 * - addresses parse as IPv4 (dotted quad) or IPv6; a zone id (`fe80::1%eth0`) is refused, not stripped: AWS
 *   never writes one, so a record carrying it did not come from a flow log as it was written;
 * - ports are 0 to 65535, the protocol 0 to 255;
 * - bytes and packets are 0 to 2^48 (a record covers at most minutes of one interface; 2^48 bytes is 281 TB);
 * - start and end lie between 2015-01-01 (before VPC flow logs' fields existed as read here) and a day from now,
 *   and start is not after end.
 *
 * Sums stay exact: values are at most 2^48 and ingest keeps the stored total of bytes and of packets under 2^62
 * (see MAX_STORED_TOTAL), so no sum of stored records, grouped any way, overflows a BIGINT.
 */
import { q, type FlowField } from './flowFields';

export const MAX_COUNT = 2n ** 48n;
/** The largest total of bytes (or packets) a dataset stores: any sum over its records then fits a BIGINT. */
export const MAX_STORED_TOTAL = 2n ** 62n;
export const EARLIEST_TIME = 1420070400; // 2015-01-01T00:00:00Z

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const V4 = `${OCTET}(\\.${OCTET}){3}`;
const H = '[0-9a-f]{1,4}';
/** RFC 4291 text forms (lower case: addresses are stored lower-cased), with an IPv4 tail allowed. */
const V6 = [
  `(${H}:){7}${H}`,
  `(${H}:){1,7}:`,
  `(${H}:){1,6}:${H}`,
  `(${H}:){1,5}(:${H}){1,2}`,
  `(${H}:){1,4}(:${H}){1,3}`,
  `(${H}:){1,3}(:${H}){1,4}`,
  `(${H}:){1,2}(:${H}){1,5}`,
  `${H}:(:${H}){1,6}`,
  `:(:${H}){1,7}`,
  '::',
  `(${H}:){6}${V4}`,
  `(${H}:){0,5}:${V4}`,
  `::(ffff(:0{1,4})?:)?${V4}`,
].map((x) => `(${x})`).join('|');

const ADDRESSES = new Set(['srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr']);
const PORTS = new Set(['srcport', 'dstport']);
const COUNTS = new Set(['bytes', 'packets']);
const LOST = new Set(['packets_lost_no_route', 'packets_lost_blackhole', 'packets_lost_mtu_exceeded', 'packets_lost_ttl_expired']);

interface Rule {
  /** SQL, true when the record breaks the rule (never NULL). */
  broken: string;
  /** SQL text: why, naming the field and the value. */
  reason: string;
}

const sqlText = (s: string) => "'" + s.replace(/'/g, "''") + "'";

/** SQL: true when the address `c` (lower case, or NULL) is neither IPv4 nor IPv6 text (never NULL). */
export function brokenAddressSql(c: string): string {
  return `(${c} IS NOT NULL AND NOT CASE WHEN contains(${c}, ':') THEN regexp_full_match(${c}, ${sqlText(V6)}) ELSE regexp_full_match(${c}, ${sqlText(V4)}) END)`;
}

/** The address columns among these fields (checked once per distinct address by a set-based load, see validSql). */
export function addressColumns(fields: readonly FlowField[]): string[] {
  return fields.filter((f) => ADDRESSES.has(f.column)).map((f) => f.column);
}

/** The rules that apply to records of these fields; `col(column)` is the SQL of a column's typed value. */
function rules(fields: readonly FlowField[], col: (column: string) => string, now: number): Rule[] {
  const has = new Set(fields.map((f) => f.column));
  const out: Rule[] = [];
  const latest = now + 86400;
  const latestText = new Date(latest * 1000).toISOString().slice(0, 10);
  for (const f of fields) {
    const c = col(f.column);
    if (ADDRESSES.has(f.column)) {
      out.push({
        broken: brokenAddressSql(c),
        reason: `CASE WHEN contains(${c}, '%') THEN format('{}: "{}" carries a zone id (%{}); flow logs never do, so the record is refused', ${sqlText(f.name)}, ${c}, split_part(${c}, '%', 2))
          ELSE format('{}: "{}" is not an IPv4 or IPv6 address', ${sqlText(f.name)}, ${c}) END`,
      });
    } else if (PORTS.has(f.column)) {
      out.push({ broken: `coalesce(${c} NOT BETWEEN 0 AND 65535, false)`, reason: `format('{}: {} is not a port (0 to 65535)', ${sqlText(f.name)}, ${c})` });
    } else if (f.column === 'protocol') {
      out.push({ broken: `coalesce(${c} NOT BETWEEN 0 AND 255, false)`, reason: `format('protocol: {} is not an IP protocol number (0 to 255)', ${c})` });
    } else if (COUNTS.has(f.column)) {
      out.push({
        broken: `coalesce(${c} NOT BETWEEN 0 AND ${MAX_COUNT}, false)`,
        reason: `CASE WHEN ${c} < 0 THEN format('{}: {} is negative', ${sqlText(f.name)}, ${c})
          ELSE format('{}: {} is more than one record can carry (at most 2^48 = ${MAX_COUNT})', ${sqlText(f.name)}, ${c}) END`,
      });
    } else if (LOST.has(f.column)) {
      out.push({ broken: `coalesce(${c} < 0, false)`, reason: `format('{}: {} is negative', ${sqlText(f.name)}, ${c})` });
    } else if (f.column === 'start' || f.column === 'end') {
      out.push({
        broken: `coalesce(${c} NOT BETWEEN ${EARLIEST_TIME} AND ${latest}, false)`,
        reason: `format('{}: {} is not a plausible time (2015-01-01 to ${latestText}, a day from now)', ${sqlText(f.name)}, ${c})`,
      });
    }
  }
  if (has.has('start') && has.has('end')) {
    out.push({ broken: `coalesce(${col('start')} > ${col('end')}, false)`, reason: `format('start {} is after end {}', ${col('start')}, ${col('end')})` });
  }
  return out;
}

/**
 * SQL: true when the record (columns through `col`) may be stored. With `addresses: false`, every rule but the
 * addresses': a set-based load checks those once per distinct address (brokenAddressSql), since matching two
 * regular expressions per record cost 5.4-9.3 s of a 10 M-record load against 0.6-0.75 s for its 2,599 distinct ones.
 */
export function validSql(fields: readonly FlowField[], col: (column: string) => string = q, now = Math.floor(Date.now() / 1000), opts: { addresses?: boolean } = {}): string {
  const r = rules(opts.addresses === false ? fields.filter((f) => !ADDRESSES.has(f.column)) : fields, col, now);
  return r.length ? `NOT (${r.map((x) => x.broken).join(' OR ')})` : 'true';
}

/** SQL: why the record may not be stored (the first rule it breaks), NULL when it may. */
export function reasonSql(fields: readonly FlowField[], col: (column: string) => string = q, now = Math.floor(Date.now() / 1000)): string {
  const r = rules(fields, col, now);
  return r.length ? `CASE ${r.map((x) => `WHEN ${x.broken} THEN ${x.reason}`).join(' ')} END` : 'NULL::VARCHAR';
}
