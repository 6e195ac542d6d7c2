/**
 * `npm run worker`: the ccsync worker process. Polls task queue `ccsync` (CCSYNC_TASK_QUEUE) on
 * TEMPORAL_ADDRESS until SIGINT/SIGTERM, then shuts down gracefully (the SDK's own signal
 * handling: in-flight activities finish within the grace time or are handed back).
 */
import { temporalSettingsFromEnv } from './temporal-connection';
import { createCcsyncWorker } from './worker';

async function main(): Promise<void> {
  const w = await createCcsyncWorker();
  console.log(
    `ccsync worker polling task queue "${w.settings.taskQueue}" on ${w.settings.address} (namespace ${w.settings.namespace}); ` +
      `connections from ${w.runtime.connections.path}; destination ${w.runtime.destination.describe}`,
  );
  await w.run();
  console.log('ccsync worker stopped');
}

main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  // The same plain words as the CLI's, instead of a gRPC transport error.
  if (/Failed to connect|transport error|tcp connect|connection refused|DEADLINE_EXCEEDED/i.test(message)) {
    const { address } = temporalSettingsFromEnv();
    console.error(`ccsync worker could not start: cannot reach Temporal at ${address} (set TEMPORAL_ADDRESS): ${message}`);
    process.exit(1);
  }
  console.error(`ccsync worker could not start: ${message}`);
  process.exit(1);
});
