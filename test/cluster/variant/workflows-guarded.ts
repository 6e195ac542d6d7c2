/**
 * "Build B" of the rolling-deploy test: the product's workflows with a deliberately incompatible
 * change to `syncWindow` (a timer before its first page, a new command at the top of the history)
 * guarded with `patched()`: histories recorded by build A (no marker) replay on the old path,
 * new executions take the new one. workflows-unguarded.ts is the same change without the guard,
 * which the replay of build A's histories must reject.
 */
import { patched, sleep } from '@temporalio/workflow';
import { syncWindow as productSyncWindow } from '../../../workflows';

export * from '../../../workflows';

export const PATCH_ID = 'ccsync-rolling-deploy-demo';

export async function syncWindow(...args: Parameters<typeof productSyncWindow>): ReturnType<typeof productSyncWindow> {
  if (patched(PATCH_ID)) await sleep(1);
  return productSyncWindow(...args);
}
