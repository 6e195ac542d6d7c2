/**
 * `npm run worker`: the ccsync worker process. Polls task queue `ccsync` (CCSYNC_TASK_QUEUE) on
 * TEMPORAL_ADDRESS until SIGINT/SIGTERM, then shuts down gracefully (the SDK's own signal
 * handling: in-flight activities finish within the grace time or are handed back).
 */
import { SecretRegistry } from '../activities/runtime';
import { createLogger, LOG_LEVEL_ENV, logFormatFrom, TemporalPinoLogger } from './logging';
import { installTelemetry } from './telemetry';
import { temporalSettingsFromEnv } from './temporal-connection';
import { createCcsyncWorker } from './worker';

const secrets = new SecretRegistry();
let log = createLogger({ format: 'text', secrets: () => secrets });

async function main(): Promise<void> {
  log = createLogger({ format: logFormatFrom(), level: process.env[LOG_LEVEL_ENV] || 'info', secrets: () => secrets });
  // Before anything creates the Temporal Runtime (a NativeConnection, a Worker).
  const { metricsAddress } = installTelemetry({ logger: new TemporalPinoLogger(log) });
  const w = await createCcsyncWorker({ secrets });
  if (metricsAddress) log.info({ metricsAddress }, `ccsync worker serving Prometheus metrics on http://${metricsAddress}/metrics`);
  log.info(
    { taskQueue: w.settings.taskQueue, namespace: w.settings.namespace },
    `ccsync worker polling task queue "${w.settings.taskQueue}" on ${w.settings.address} (namespace ${w.settings.namespace}); ` +
      `connections from ${w.runtime.connections.path}; destination ${w.runtime.destination.describe}`,
  );
  await w.run();
  log.info('ccsync worker stopped');
}

main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  // The same plain words as the CLI's, instead of a gRPC transport error.
  if (/Failed to connect|transport error|tcp connect|connection refused|DEADLINE_EXCEEDED/i.test(message)) {
    const { address } = temporalSettingsFromEnv();
    log.error(`ccsync worker could not start: cannot reach Temporal at ${address} (set TEMPORAL_ADDRESS): ${message}`);
    process.exit(1);
  }
  log.error(`ccsync worker could not start: ${message}`);
  process.exit(1);
});
