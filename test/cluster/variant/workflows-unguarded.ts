/** The same incompatible change as workflows-guarded.ts, without `patched()`: unsafe for running workflows. */
import { sleep } from '@temporalio/workflow';
import { syncWindow as productSyncWindow } from '../../../workflows';

export * from '../../../workflows';

export async function syncWindow(...args: Parameters<typeof productSyncWindow>): ReturnType<typeof productSyncWindow> {
  await sleep(1);
  return productSyncWindow(...args);
}
