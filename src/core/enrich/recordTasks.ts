/**
 * ECS tasks from the flow records themselves (version 7's ecs-* fields): before an enrichment reads the inventory,
 * the tasks its pending records name are kept in inv_record_tasks (record-tasks.sql), which attribution reads as the
 * owners of interfaces the inventory does not know (prepare.sql). Only the formats with ecs-task-arn are read.
 */
import type { Db } from '../store/db';
import { pendingRecords } from '../store/records';
import RECORD_TASKS_SQL from './record-tasks.sql';

/** The fields record-tasks.sql reads. */
const TASK_FIELDS = ['interface_id', 'vpc_id', 'subnet_id', 'account_id', 'region', 'srcaddr', 'dstaddr', 'start', 'end', 'log_status', 'flow_direction',
  'ecs_task_arn', 'ecs_cluster_name', 'ecs_service_name'];

/** Keeps the ECS tasks the records loaded after file `afterFileId` name. */
export async function keepRecordTasks(db: Db, afterFileId: number): Promise<void> {
  // (a file's format names its fields; a joined file's parts may differ from its first: looked into)
  const any = await db.value<bigint>(`SELECT count(*) FROM ingest_files WHERE file_id > $after
    AND (log_format LIKE '%ecs-task-arn%' OR reader = 'joined')`, { after: Math.floor(afterFileId) });
  if (Number(any) === 0) return;
  const pending = await pendingRecords(db, afterFileId, { fields: TASK_FIELDS, having: 'ecs_task_arn' });
  if (pending.parts === 0) return;
  await db.exec(`CREATE OR REPLACE TEMP VIEW fl_task_records AS SELECT * FROM ${pending.sql};\n${RECORD_TASKS_SQL}\nDROP VIEW fl_task_records;`);
}
