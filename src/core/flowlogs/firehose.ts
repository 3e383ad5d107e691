/**
 * Flow logs published to Amazon Data Firehose: plain text, the flow log's LogFormat fields one record a line and no
 * header line. Firehose's S3 destination names each object `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`
 * (the time is the arrival of its oldest record, UTC unless the stream sets a time zone) under `<Prefix>YYYY/MM/DD/HH/`
 * when the prefix has no expressions. An object's name therefore says which stream wrote it, and the flow log that
 * delivers to that stream says its format.
 */
import { parseArn } from '../inventory/util';

export interface FirehoseObjectName {
  stream: string;
  /** The stream's configuration version when it wrote the object. */
  version: number;
  /** The wall time in the object's name (in the stream's time zone): year, month (1-12), day, hour, minute, second. */
  wall: [number, number, number, number, number, number];
}

const OBJECT_NAME = /^([A-Za-z0-9_.-]+?)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}|[0-9A-Fa-f-]{4,})(\.[^/]*)?$/;

/** The stream, version and time a Firehose object's name (its key's or path's last part) holds, if it is one. */
export function firehoseObjectName(keyOrPath: string): FirehoseObjectName | undefined {
  const base = keyOrPath.split(/[\\/]/).pop() ?? '';
  const m = OBJECT_NAME.exec(base);
  if (!m) return undefined;
  const wall = m.slice(3, 9).map(Number) as FirehoseObjectName['wall'];
  if (wall[1] < 1 || wall[1] > 12 || wall[2] < 1 || wall[2] > 31 || wall[3] > 23 || wall[4] > 59 || wall[5] > 59) return undefined;
  return { stream: m[1]!, version: Number(m[2]), wall };
}

/** The stream name of a delivery stream ARN (`arn:aws:firehose:<region>:<account>:deliverystream/<name>`). */
export function streamOfArn(arn: string | undefined): { name: string; account: string; region: string } | undefined {
  const p = parseArn(arn);
  if (!p || p.service !== 'firehose' || !p.resource.startsWith('deliverystream/')) return undefined;
  return { name: p.resource.slice('deliverystream/'.length), account: p.account, region: p.region };
}
