/**
 * The local Athena's catalogue for tables made by DDL (AthenaEngine.ddl, .database, .table): a CREATE DATABASE
 * makes a schema in the test's DuckDB; a CREATE EXTERNAL TABLE (AWS's flow-log DDL, as athenaDdl.ts writes it)
 * makes a view there over the test's flow_records with the columns it declares and its partition columns, and
 * GetTableMetadata then answers with those columns, partition keys, location and TBLPROPERTIES, as Glue would.
 */
import type { Db } from '../../../src/core/store/db';
import type { AthenaEngine } from './server';

type Table = NonNullable<Awaited<ReturnType<NonNullable<AthenaEngine['table']>>>>;

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
