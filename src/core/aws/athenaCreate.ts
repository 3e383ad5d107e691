/**
 * Creating the Athena table a user does not have, when they ask (`--create-athena-table`, the editor's "Create the
 * Athena table…"): the DDL Flowlens showed them (athenaDdl.ts: AWS's, for their flow log's bucket and format, with
 * partition projection), run in Athena with the credentials, region, catalog and workgroup the source was read with.
 * When the database is missing (athena:GetDatabase says so), `CREATE DATABASE IF NOT EXISTS` runs first. Each
 * statement is started and polled like the reduction (athena.ts startQuery/awaitQuery).
 *
 * A DDL runs in Athena but is done by Glue: a principal without glue:CreateTable (or glue:CreateDatabase) sees its
 * query FAILED with Glue's AccessDeniedException in the reason. That is said with the principal, the permission it
 * lacks and the way out (a principal allowed to, such as the user's own profile; or the DDL run by hand). The
 * read-only role (cloudformation/) never gets these permissions.
 */
import { GetDatabaseCommand, type AthenaClient } from '@aws-sdk/client-athena';
import type { AthenaTableCreation } from '../../protocol/reports';
import { awaitQuery, queryFailure, startQuery, type QueryRun } from './athena';
import { describeAwsError } from './errors';
import { redact } from './secrets';
import type { AthenaSource } from './sources';

export interface CreateTableOptions extends QueryRun {
  /** Who runs it (GetCallerIdentity's ARN), named when AWS refuses. */
  principal?: string;
  onProgress?: (message: string) => void;
}

const bq = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/** The statement a missing database is created with. */
export function createDatabaseSql(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${bq(database)}`;
}

/** Whether `ddl` is the DDL of the source's own table (what Flowlens showed), and nothing else. */
export function isTableDdl(ddl: string, src: Pick<AthenaSource, 'database' | 'table'>): boolean {
  return ddl.startsWith(`CREATE EXTERNAL TABLE IF NOT EXISTS ${bq(src.database)}.${bq(src.table)} (\n`) && !/;\s*\S/.test(ddl);
}

/** The IAM action a refusal names (`glue:CreateTable`), and the principal it names. */
export function refusal(message: string): { permission?: string; principal?: string } {
  const perm = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1]
    ?? /Insufficient Lake Formation permission\(s\): Required ([A-Za-z ]+?) on/.exec(message)?.[1]?.replace(/^/, 'Lake Formation ');
  const principal = /User: (arn:[^\s]+) is not authorized/.exec(message)?.[1];
  return { ...(perm ? { permission: perm } : {}), ...(principal ? { principal } : {}) };
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return /EntityNotFound|MetadataException|NotFound/i.test(e?.name ?? '') || /not found|does not exist/i.test(e?.message ?? '');
}

/**
 * Runs the DDL of the source's missing table (CREATE DATABASE IF NOT EXISTS first when its database is missing) and
 * says whether it was created, or why not. A cancel stops the running statement and throws.
 */
export async function createAthenaTable(athena: AthenaClient, src: AthenaSource, ddl: string, o: CreateTableOptions): Promise<AthenaTableCreation> {
  const catalog = src.catalog ?? 'AwsDataCatalog';
  const out: AthenaTableCreation = {
    source: src.id, account: src.account, region: src.region, catalog, database: src.database, table: src.table,
    workgroup: o.workgroup ?? 'primary', ...(o.principal ? { principal: o.principal } : {}), statements: [], created: false,
  };
  const where = { account: src.account, region: src.region, resource: src.id };
  const say = (m: string) => o.onProgress?.(`Athena ${src.database}.${src.table}: ${m}`);
  if (!isTableDdl(ddl, src)) {
    out.issue = { ...where, api: 'athena', code: 'NotTheTableDdl', message: `the statement is not the DDL of ${src.database}.${src.table} that Flowlens showed (CREATE EXTERNAL TABLE IF NOT EXISTS ${bq(src.database)}.${bq(src.table)} …, one statement): nothing was run` };
    return out;
  }
  const opts = o.signal ? { abortSignal: o.signal } : {};

  // the database: created only when Athena says it is missing (GetDatabase refused: assumed to exist, and said)
  let statements = [ddl];
  try {
    await athena.send(new GetDatabaseCommand({ CatalogName: catalog, DatabaseName: src.database }), opts);
  } catch (err) {
    if (o.signal?.aborted) throw err;
    if (isMissing(err)) statements = [createDatabaseSql(src.database), ddl];
    else say(`cannot tell whether the database ${src.database} exists (${(err as Error).message.split('\n')[0]}); creating the table in it`);
  }

  for (const sql of statements) {
    const database = sql === ddl; // CREATE DATABASE runs outside the database it makes
    const api = database ? 'glue:CreateTable' : 'glue:CreateDatabase';
    say(`running in workgroup ${out.workgroup} (account ${src.account}, ${src.region})${out.principal ? ` as ${out.principal}` : ''}:\n${sql}`);
    out.statements.push(sql);
    let failure: unknown;
    try {
      const id = await startQuery(athena, sql, src, o, opts, database);
      const q = await awaitQuery(athena, id, o);
      if (q.Status?.State !== 'SUCCEEDED') failure = queryFailure(q);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      failure = err;
    }
    if (failure === undefined) continue;
    const issue = describeAwsError(failure, { ...where, api: (failure as Error).name?.startsWith('Query') ? api : 'athena:StartQueryExecution' });
    const said = refusal(issue.message);
    const denied = said.permission !== undefined || /AccessDenied/i.test(issue.code);
    if (denied) {
      const who = said.principal ?? out.principal ?? `the credentials of account ${src.account}`;
      const lacks = said.permission ?? issue.api;
      const needs = statements.length > 1 ? 'glue:CreateDatabase and glue:CreateTable' : 'glue:CreateTable';
      out.issue = {
        ...where, api: lacks, code: 'AccessDenied',
        message: redact(`${who} may not create ${src.database}.${src.table}: it lacks ${lacks} (AWS: ${issue.message.split('\n')[0]}). `
          + `Creating the table needs a principal allowed ${needs} (your own profile, say; the read-only FlowLogIntrospector role is not); `
          + 'or run the DDL shown by hand in Athena, then read the source again'),
      };
    } else {
      out.issue = { ...issue, message: `${sql.split('\n')[0]} failed: ${issue.message}; the DDL shown can be run by hand in Athena, then the source read again` };
    }
    return out;
  }
  out.created = true;
  say(`created in ${catalog}`);
  return out;
}
