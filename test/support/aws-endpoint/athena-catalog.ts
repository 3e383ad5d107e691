/**
 * The local Athena's catalogue for tables made by DDL (AthenaEngine.ddl, .database, .table): a CREATE DATABASE
 * makes a schema in the test's DuckDB; a CREATE EXTERNAL TABLE (AWS's flow-log DDL, as athenaDdl.ts writes it)
 * makes a view there over the test's flow_records with the columns it declares and its partition columns, and
 * GetTableMetadata then answers with those columns, partition keys, location and TBLPROPERTIES, as Glue would.
 * And a table as a Glue crawler makes it (crawledTable): a key per folder level (partition_0 …, or a Hive-style level's
 * name), partitions registered.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ingestFiles } from '../../../src/core/flowlogs/ingest';
import { lit, type Db } from '../../../src/core/store/db';
import type { AthenaEngine } from './server';

export type Table = NonNullable<Awaited<ReturnType<NonNullable<AthenaEngine['table']>>>>;

/** What a partition column holds for a record (SQL over flow_records): the region given, the day of its start. */
function partitionExpr(key: string, region: string): string {
  const at = 'to_timestamp("start")';
  switch (key) {
    case 'region':
      return `'${region}'`;
    case 'day':
      return `strftime(${at}, '%Y/%m/%d')`;
    case 'year':
      return `strftime(${at}, '%Y')`;
    case 'month':
      return `strftime(${at}, '%m')`;
    default:
      return 'NULL';
  }
}

export interface DdlCatalog extends Pick<AthenaEngine, 'ddl' | 'database'> {
  /** A table made by DDL, as GetTableMetadata describes it (undefined: none of that name). */
  table(database: string, table: string): Table | undefined;
  /** The DDL statements that made something, in order. */
  made: string[];
}

/**
 * `databases` exist from the start; the tables' records are `db`'s flow_records, their region partition `region`.
 */
export function ddlCatalog(db: Db, o: { databases: string[]; region: string }): DdlCatalog {
  const databases = new Set(o.databases);
  const tables = new Map<string, Table>();
  const made: string[] = [];
  return {
    made,
    table: (database, table) => tables.get(`${database}.${table}`),
    database: async (ctx) => databases.has(ctx.database),
    ddl: async (sql) => {
      const d = /^CREATE (?:DATABASE|SCHEMA) IF NOT EXISTS `([\w-]+)`$/i.exec(sql.trim());
      if (d) {
        databases.add(d[1]!);
        await db.exec(`CREATE SCHEMA IF NOT EXISTS "${d[1]}"`);
        made.push(sql);
        return;
      }
      const t = /^CREATE EXTERNAL TABLE IF NOT EXISTS `([\w-]+)`\.`([\w-]+)` \(\n([\s\S]*?)\n\)\nPARTITIONED BY \(([^)]*)\)[\s\S]*?\nLOCATION '([^']*)'\nTBLPROPERTIES \(\n([\s\S]*)\n\)$/.exec(sql.trim());
      if (!t) throw new Error(`FAILED: ParseException: not a statement this catalogue knows: ${sql.split('\n')[0]}`);
      const [, database, name, cols, parts, location, props] = t as unknown as string[];
      if (!databases.has(database!)) throw new Error(`FAILED: SemanticException [Error 10072]: Database does not exist: ${database}`);
      if (tables.has(`${database}.${name}`)) return;
      const columns = [...cols!.matchAll(/`([^`]+)` (\w+)/g)].map((m) => ({ name: m[1]!, type: m[2]! }));
      const partitionKeys = [...parts!.matchAll(/`([^`]+)` (\w+)/g)].map((m) => ({ name: m[1]!, type: m[2]! }));
      const parameters = Object.fromEntries([...props!.matchAll(/'([^']*)' = '([^']*)'/g)].map((m) => [m[1]!, m[2]!]));
      await db.exec(`CREATE SCHEMA IF NOT EXISTS "${database}"; CREATE VIEW "${database}"."${name}" AS SELECT
        ${[...columns.map((c) => `"${c.name}"`), ...partitionKeys.map((k) => `${partitionExpr(k.name, o.region)} AS "${k.name}"`)].join(', ')} FROM flow_records`);
      tables.set(`${database}.${name}`, { columns, partitionKeys, parameters: { ...parameters, location } });
      made.push(sql);
    },
  };
}

/** A table as GetTableMetadata describes it, and its partitions as Glue GetPartitions lists them. */
export interface CrawledTable extends Table {
  partitions: { values: string[]; location: string }[];
}

/**
 * What a Glue crawler makes of flow logs under a location (`s3://<bucket>/<prefix>`, its objects in the estate folder
 * `dir`): one partition key per folder level below the location, a string, named as the crawler names it: by the level
 * when it is Hive-style (`dt=2026-09-01`: key dt, value 2026-09-01), else partition_0 … (AWS's plain layout,
 * <account>/vpcflowlogs/<region>/<yyyy>/<MM>/<dd>); and each folder of objects registered as a partition at its own
 * location. The objects are loaded into `db`, and the view `<database>.<table>` there gives each of their records its
 * object's folder levels as the keys' values, so that Athena's engine (duckDbAthenaRun) runs the submitted SQL over the
 * table as Athena would, its predicates on the partition columns included.
 */
export async function crawledTable(db: Db, o: { dir: string; bucket: string; prefix: string; database: string; table: string }): Promise<CrawledTable> {
  const root = join(o.dir, ...o.prefix.split('/').filter(Boolean));
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const levels = files.map((f) => relative(root, f).split(sep).slice(0, -1));
  const depth = Math.max(...levels.map((l) => l.length));
  // a level whose every folder is <name>=<value>, of one name: a Hive-style key
  const hive = Array.from({ length: depth }, (_, i) => {
    const names = new Set(levels.map((l) => /^([^=/]+)=/.exec(l[i] ?? '')?.[1]));
    const [name] = [...names];
    return names.size === 1 && name ? name : undefined;
  });
  const keys = hive.map((name, i) => name ?? `partition_${i}`);
  const valueOf = (segment: string, i: number) => (hive[i] ? segment.slice(hive[i]!.length + 1) : segment);
  const partitions = [...new Map(levels.map((l) => [l.join('/'), l])).values()].sort((a, b) => a.join('/').localeCompare(b.join('/')))
    .map((l) => ({ values: l.map(valueOf), location: `s3://${o.bucket}/${o.prefix}${l.join('/')}/` }));
  await ingestFiles(db, [root]);
  const under = `${root}${sep}`;
  const level = (i: number) => `split_part(substr(f.name, ${under.length + 1}), '${sep}', ${i + 1})`;
  await db.exec(`CREATE SCHEMA IF NOT EXISTS "${o.database}"; CREATE OR REPLACE VIEW "${o.database}"."${o.table}" AS
    SELECT r.* EXCLUDE (file_id), ${keys.map((k, i) => `${hive[i] ? `substr(${level(i)}, ${hive[i]!.length + 2})` : level(i)} AS "${k}"`).join(', ')}
    FROM flow_records r JOIN ingest_files f ON f.file_id = r.file_id WHERE starts_with(f.name, ${lit(under)})`);
  const described = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE "${o.database}"."${o.table}"`);
  return {
    columns: described.filter((c) => !keys.includes(c.column_name)).map((c) => ({ name: c.column_name, type: c.column_type.toLowerCase() })),
    partitionKeys: keys.map((name) => ({ name, type: 'string' })),
    parameters: { location: `s3://${o.bucket}/${o.prefix}`, classification: 'csv' },
    partitions,
  };
}
