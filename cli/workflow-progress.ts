/**
 * A workflow's `progress`, without hanging on a task queue nobody polls any more. A query needs a
 * worker to replay the workflow, closed or not; on a self-hosted server 1.32 a query to a queue with
 * no poller waits instead of failing (seen in `npm run test:cluster`: `ccsync backfill list` hung on
 * backfills left by earlier runs). So: a completed workflow's progress is its result, read from
 * history; any other is queried with a deadline, and unknown when no worker answers in time.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';

export const QUERY_DEADLINE_MS = 5_000;

export async function progressOf<T>(client: Client, handle: WorkflowHandle, status: string | undefined): Promise<T | undefined> {
  if (status === 'COMPLETED') return (await handle.result().catch(() => undefined)) as T | undefined;
  return client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<T>('progress')).catch(() => undefined);
}
