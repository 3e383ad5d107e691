/**
 * Flow logs in AWS's plain S3 layout, as a Glue crawler finds them when pointed at a bucket's AWSLogs/ folder:
 * s3://flowlens-crawled/AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<MM>/<dd>/<AWS's file name>.log.gz, for
 * 2 accounts (or those asked for) x 2 regions x 3 days (2026-09-01 to 09-03), three objects a day (stamped 01:00, 10:00 and 22:00),
 * each of four records that start in its first four minutes, addresses and sizes of their own per object.
 * And the same days of one region's flow logs in folders of one Hive-style date key, as a delivery rearranged by day
 * (an ETL job, a Firehose prefix) lays them out: s3://flowlens-daily/vpc/dt=<yyyy-MM-dd>/<AWS's file name>.log.gz.
 * Everything is fake (documentation-style ids).
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDataset, type Db } from '../../../src/core/api';
import { ingestFiles } from '../../../src/core/flowlogs/ingest';
import { crawledTable, type CrawledTable, type Table } from './athena-catalog';
import { BASE_USER } from './home';
import { A, B, REGIONS } from './mini-estate';
import { duckDbAthenaRun, startAwsEndpoint, type AwsEndpoint, type EndpointRole } from './server';

export const CRAWLED_BUCKET = 'flowlens-crawled';
/** The bucket of the flow logs laid out by one date key, and their table's location. */
export const DAILY_BUCKET = 'flowlens-daily';
export const DAILY_LOCATION = `s3://${DAILY_BUCKET}/vpc/`;
/** The table's location: where the crawler was pointed. */
export const CRAWLED_LOCATION = `s3://${CRAWLED_BUCKET}/AWSLogs/`;
export const CRAWLED_DAYS = ['2026/09/01', '2026/09/02', '2026/09/03'];
export const CRAWLED_HOURS = [1, 10, 22];
/** s3://bucket/a/b/ -> [bucket, a, b]: where a location's objects lie under an estate's flowlogs/ folder. */
const parseLocation = (location: string) => location.slice('s3://'.length).split('/').filter(Boolean);
/** Partitions a Glue GetPartitions page holds. */
export const CRAWLED_PAGE = 5;

export interface CrawledObject {
  /** The file in the estate (served by the local S3). */
  path: string;
  account: string;
  region: string;
  /** yyyy/MM/dd */
  day: string;
  hour: number;
  size: number;
  /** The records' starts, epoch seconds. */
  starts: number[];
}

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** Where an object of an account, region and day lies in a bucket: its folders, AWS's plain layout unless told. */
export interface CrawledLayout {
  bucket: string;
  regions: readonly string[];
  folders(account: string, region: string, y: string, m: string, d: string): string[];
}

const PLAIN: CrawledLayout = { bucket: CRAWLED_BUCKET, regions: REGIONS, folders: (account, region, y, m, d) => ['AWSLogs', account, 'vpcflowlogs', region, y, m, d] };
/** The folders of one Hive-style date key (dt=2026-09-01) under vpc/, of us-east-1's flow logs. */
export const DAILY: CrawledLayout = { bucket: DAILY_BUCKET, regions: ['us-east-1'], folders: (_a, _r, y, m, d) => ['vpc', `dt=${y}-${m}-${d}`] };

/**
 * Writes the objects of `days` of `accounts` under `<estateDir>/flowlogs/<bucket>/` in the layout's folders (numbered
 * on from `first`: addresses and sizes of their own; each account's addresses in a 10.<its place>.0.0/16 of its own);
 * returns each with what it holds.
 */
export function writeCrawledLogs(estateDir: string, days: readonly string[] = CRAWLED_DAYS, first = 0, accounts: readonly string[] = [A, B], layout = PLAIN): CrawledObject[] {
  const out: CrawledObject[] = [];
  let n = first;
  for (const [i, account] of accounts.entries()) {
    for (const [r, region] of layout.regions.entries()) {
      const eni = `eni-0c${account.slice(0, 2)}${r}000000000001`;
      for (const day of days) {
        for (const hour of CRAWLED_HOURS) {
          n++;
          const [y, m, d] = day.split('/') as [string, string, string];
          const h = String(hour).padStart(2, '0');
          const t0 = Date.parse(`${y}-${m}-${d}T${h}:00:00Z`) / 1000;
          const starts = [0, 1, 2, 3].map((k) => t0 + k * 60);
          const lines = starts.map((s, k) => `2 ${account} ${eni} 10.${i + 1}.${r + 1}.${10 + k} 10.${i + 1}.${r + 1}.${100 + (n % 7)} `
            + `${40000 + n * 4 + k} 443 6 ${5 + k} ${1000 * n + 17 * k} ${s} ${s + 60} ACCEPT OK`);
          const dir = join(estateDir, 'flowlogs', layout.bucket, ...layout.folders(account, region, y, m, d));
          mkdirSync(dir, { recursive: true });
          const path = join(dir, `${account}_vpcflowlogs_${region}_fl-0c0000000000000${r}_${y}${m}${d}T${h}00Z_${n.toString(16).padStart(8, '0')}.log.gz`);
          writeFileSync(path, gzipSync(`${HEADER}\n${lines.join('\n')}\n`));
          out.push({ path, account, region, day, hour, size: statSync(path).size, starts });
        }
      }
    }
  }
  return out;
}

/** The crawled estate served: its objects, the crawler's table and where its Athena runs the SQL sent. */
export interface CrawledEstate {
  ep: AwsEndpoint;
  objects: CrawledObject[];
  table: CrawledTable;
  /**
   * Tables over the same objects: flowlogs.projected, with partition projection as AWS's DDL for an organisation's
   * plain layout makes it (keys accid, region and day, `storage.location.template` …/AWSLogs/${accid}/vpcflowlogs/${region}/${day});
   * flowlogs.unpartitioned, without partitions nor an account_id column (a custom format without it).
   */
  others: Record<'projected' | 'unpartitioned', Table>;
  /**
   * The flow logs laid out by one date key (DAILY: us-east-1's, of the same accounts and days) and the table a crawler
   * makes of them, flowlogs.daily: one key dt (yyyy-MM-dd), a partition registered per day.
   */
  daily: { objects: CrawledObject[]; table: CrawledTable };
  /** Athena's DuckDB (the objects' records, the views flowlogs.crawled and flowlogs.daily). */
  athenaDb: Db;
  /**
   * The crawler's next run after a day's flow logs reached S3: the day's objects written (yyyy/MM/dd, as
   * CRAWLED_DAYS) in the layout of flowlogs.crawled (or of flowlogs.daily), loaded into Athena's table and their folders
   * registered as partitions. Returns the objects.
   */
  crawl(day: string, into?: 'crawled' | 'daily'): Promise<CrawledObject[]>;
  close(): Promise<void>;
}

/**
 * The crawled logs of `accounts` (A and B unless told) written to `estateDir`, the table a crawler makes of them
 * (flowlogs.crawled, crawledTable), the same days laid out by one date key (flowlogs.daily) and the local endpoint: BASE_USER's keys, the `role` in every account, an Athena
 * that runs the SQL it is sent over the table and a Glue that lists its partitions, 5 a page (so that paging is
 * exercised).
 */
export async function serveCrawledEstate(estateDir: string, role: EndpointRole, accounts: readonly string[] = [A, B]): Promise<CrawledEstate> {
  const objects = writeCrawledLogs(estateDir, CRAWLED_DAYS, 0, accounts);
  const athenaDb = await openDataset(':memory:');
  const table = await crawledTable(athenaDb, { dir: join(estateDir, 'flowlogs', CRAWLED_BUCKET), bucket: CRAWLED_BUCKET, prefix: 'AWSLogs/', database: 'flowlogs', table: 'crawled' });
  const dailyObjects = writeCrawledLogs(estateDir, CRAWLED_DAYS, objects.length, accounts, DAILY);
  const daily = { objects: dailyObjects, table: await crawledTable(athenaDb, { dir: join(estateDir, 'flowlogs', DAILY_BUCKET), bucket: DAILY_BUCKET, prefix: 'vpc/', database: 'flowlogs', table: 'daily' }) };
  const ours = (t: { database: string; table: string }) => t.database === 'flowlogs' && t.table === 'crawled';
  const isDaily = (t: { database: string; table: string }) => t.database === 'flowlogs' && t.table === 'daily';
  // (the records' own region column is the partition key's name there)
  await athenaDb.exec(`CREATE VIEW flowlogs.projected AS SELECT * EXCLUDE (region, partition_0, partition_1, partition_2, partition_3, partition_4, partition_5),
    partition_0 AS accid, partition_2 AS region, concat_ws('/', partition_3, partition_4, partition_5) AS day FROM flowlogs.crawled`);
  await athenaDb.exec(`CREATE VIEW flowlogs.unpartitioned AS SELECT * EXCLUDE (account_id, partition_0, partition_1, partition_2, partition_3, partition_4, partition_5)
    FROM flowlogs.crawled`);
  const others: CrawledEstate['others'] = {
    unpartitioned: { columns: table.columns.filter((c) => c.name !== 'account_id'), partitionKeys: [], parameters: { location: CRAWLED_LOCATION } },
    projected: {
      columns: table.columns.filter((c) => c.name !== 'region'),
      partitionKeys: ['accid', 'region', 'day'].map((name) => ({ name, type: 'string' })),
      parameters: { 'projection.enabled': 'true', 'projection.accid.type': 'enum', 'projection.accid.values': accounts.join(','), 'projection.region.type': 'enum',
        'projection.region.values': REGIONS.join(','), 'projection.day.type': 'date', 'projection.day.format': 'yyyy/MM/dd',
        'storage.location.template': `${CRAWLED_LOCATION}\${accid}/vpcflowlogs/\${region}/\${day}` },
    },
  };
  const ep = await startAwsEndpoint({
    estateDir,
    users: [BASE_USER],
    roles: [{ accounts: [...accounts], ...role }],
    athena: {
      pageSize: CRAWLED_PAGE,
      run: (sql, ctx) => duckDbAthenaRun(athenaDb, 0)(sql, ctx),
      table: async (t) => (ours(t) ? table : isDaily(t) ? daily.table : t.database === 'flowlogs' ? others[t.table as keyof typeof others] : undefined),
      partitions: async (t) => (ours(t) ? table.partitions : isDaily(t) ? daily.table.partitions : undefined),
    },
  });
  const crawl = async (day: string, into: 'crawled' | 'daily' = 'crawled') => {
    const [layout, t, location, out] = into === 'daily' ? [DAILY, daily.table, DAILY_LOCATION, daily.objects] : [PLAIN, table, CRAWLED_LOCATION, objects];
    const added = writeCrawledLogs(estateDir, [day], objects.length + daily.objects.length, accounts, layout);
    await ingestFiles(athenaDb, added.map((x) => x.path));
    const root = join(estateDir, 'flowlogs', ...parseLocation(location));
    const folders = new Set(added.map((x) => relative(root, dirname(x.path)).split(sep).join('/')));
    // (a Hive-style level's value is what follows its key's name)
    const keys = t.partitionKeys ?? [];
    const values = (f: string) => f.split('/').map((v, i) => (keys[i]!.name.startsWith('partition_') ? v : v.slice(keys[i]!.name.length + 1)));
    t.partitions.push(...[...folders].map((f) => ({ values: values(f), location: `${location}${f}/` })));
    t.partitions.sort((a, b) => a.values.join('/').localeCompare(b.values.join('/')));
    out.push(...added);
    return added;
  };
  return { ep, objects, table, others, daily, athenaDb, crawl, close: async () => {
    await ep.close();
    athenaDb.close();
  } };
}
