/**
 * The rolling-deploy test's build B worker: the product's worker (workers/worker.ts, same
 * activities, same environment variables) with the workflows of workflows-guarded.ts.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { createCcsyncWorker } from '../../../workers/worker';

async function main(): Promise<void> {
  const drop = () => undefined;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows-guarded'),
    logger: { trace: drop, debug: drop, info: drop, log: drop, warn: console.warn, error: console.error },
  });
  const w = await createCcsyncWorker({ workflowBundle });
  console.log(`ccsync worker polling task queue "${w.settings.taskQueue}" (build ${process.env.CCSYNC_BUILD_ID ?? 'unversioned'}, guarded workflow change)`);
  await w.run();
  console.log('ccsync worker stopped');
}

main().catch((err) => {
  console.error(`ccsync worker could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
