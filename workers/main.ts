/**
 * `npm run worker`: the ccsync worker process. Polls task queue `ccsync` (CCSYNC_TASK_QUEUE) on
 * TEMPORAL_ADDRESS until SIGINT/SIGTERM, then shuts down gracefully (the SDK's own signal
 * handling: in-flight activities finish within the grace time or are handed back).
 */
import { installTelemetry } from './telemetry';
import { createCcsyncWorker } from './worker';

async function main(): Promise<void> {
  // Before anything creates the Temporal Runtime (a NativeConnection, a Worker).
  const { metricsAddress } = installTelemetry();
  const w = await createCcsyncWorker();
  if (metricsAddress) console.log(`ccsync worker serving Prometheus metrics on http://${metricsAddress}/metrics`);
  console.log(
    `ccsync worker polling task queue "${w.settings.taskQueue}" on ${w.settings.address} (namespace ${w.settings.namespace}); ` +
      `connections from ${w.runtime.connections.path}; destination ${w.runtime.destination.describe}`,
  );
  await w.run();
  console.log('ccsync worker stopped');
}

main().catch((err) => {
  console.error(`ccsync worker could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
