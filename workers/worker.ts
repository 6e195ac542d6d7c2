/**
 * Builds the ccsync worker: the activities with their runtime (connections file, destination,
 * HTTP), and the workflows bundle. Used by `npm run worker`, `npm start`, tests and benchmarks.
 */
import { bundleWorkflowCode, NativeConnection, Runtime as TemporalRuntime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ConnectionsStore, connectionsFilePath } from '../activities/connections';
import { refreshFreshness } from '../activities/freshness';
import { CcsyncMetrics } from '../activities/metrics';
import { closeRuntime, createRuntime, type Runtime, type SecretRegistry } from '../activities/runtime';
import { budgetFromEnv } from '../activities/budget';
import type { SourceRegistry } from '../core/connections';
import { activityLogAttributes } from './logging';
import { destinationUrlFromEnv, openDestination } from '../destinations';
import { deploymentWorkerOptions } from './deployment';
import { applyWorkerHeapDefaults } from './heap';
import { watchFleet, workerIdentity } from './fleet';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from './temporal-connection';

export interface CcsyncWorkerOptions {
  temporal?: Partial<TemporalSettings>;
  connectionsFile?: string;
  destinationUrl?: string;
  env?: Record<string, string | undefined>;
  /** The sources the worker may sync (the product's registry unless given: the benchmark passes its own). */
  sources?: SourceRegistry;
  /** A prebuilt workflow bundle (tests and benchmarks build it once). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
  /** How often the freshness gauges are read again from the destination (default 30 s; only when metrics are exported). */
  freshnessRefreshMs?: number;
  /** The registry the process's logger scrubs (workers/main.ts shares it with its logger). */
  secrets?: SecretRegistry;
}

export interface CcsyncWorker {
  worker: Worker;
  runtime: Runtime;
  settings: TemporalSettings;
  /** Runs until shutdown; then closes the runtime and the connection. */
  run(): Promise<void>;
  shutdown(): void;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Log attributes and window counts (workflows/interceptors.ts), bundled with the workflows. */
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('../workflows/interceptors');
const FRESHNESS_REFRESH_MS = 30_000;

export async function createCcsyncWorker(opts: CcsyncWorkerOptions = {}): Promise<CcsyncWorker> {
  const env = opts.env ?? process.env;
  // Before anything else: a worker's peak RSS must not grow with the length of its history (workers/heap.ts).
  applyWorkerHeapDefaults(env);
  const settings = { ...temporalSettingsFromEnv(env), ...opts.temporal };
  const connections = new ConnectionsStore(opts.connectionsFile ?? connectionsFilePath(env), env, opts.sources);
  // Fail at start, in plain words, if the file is broken or a credential variable is unset:
  // better than failing the first workflow.
  for (const c of connections.all()) connections.credentials(c);
  // The file's fingerprint in the identity: workers on one queue with different files show in the
  // Web UI's pollers and in `ccsync workers`.
  const identity = workerIdentity(connections.fingerprint());
  const destinationUrl = opts.destinationUrl ?? destinationUrlFromEnv(env);
  const destination = openDestination(destinationUrl);
  // The SDK's meter: a no-op unless installTelemetry() configured the Prometheus exporter.
  const metrics = new CcsyncMetrics(TemporalRuntime.instance().metricMeter);
  // One budget per vendor account for every worker process: the store follows the destination (or CCSYNC_LIMITER).
  const runtime = createRuntime({ connections, destination, metrics, secrets: opts.secrets, limiter: budgetFromEnv(env, destinationUrl) });
  // Known before any activity resolves them: a log line can never carry a credential, even early.
  for (const c of connections.all()) runtime.secrets.addAll(Object.values(connections.credentials(c)));
  const connection = await NativeConnection.connect(connectionOptions(settings));
  const fleet = watchFleet({ service: connection.workflowService, namespace: settings.namespace, taskQueue: settings.taskQueue, identity, store: connections });
  await fleet.refresh();
  const worker = await Worker.create({
    connection,
    identity,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities(runtime),
    interceptors: { activity: [activityLogAttributes] },
    workflowBundle: opts.workflowBundle ?? (await quietBundle()),
    // Page activities waiting for a vendor budget hold a slot each (a promise, nothing more): rate-bound
    // runs keep many windows in flight (core/parallel-windows.ts, up to 32 per run), and one account's
    // waiting pages must not take every slot from another account's.
    maxConcurrentActivityTaskExecutions: 100,
    // A page walk heartbeats its cursor after each page (activities/walk.ts): sent at once, not held
    // back 16 s (the SDK's default, 0.8 × the heartbeat timeout), so a retry after a killed worker
    // resumes after the last page written, not up to 16 s of pages earlier.
    maxHeartbeatThrottleInterval: '10ms',
    // Graceful shutdown: in-flight page activities get this long to finish before they are handed back.
    shutdownGraceTime: '20s',
    // Worker Versioning when CCSYNC_DEPLOYMENT_NAME + CCSYNC_BUILD_ID are set (workers/deployment.ts).
    ...deploymentWorkerOptions(env),
    ...opts.tuning,
  });
  return {
    worker,
    runtime,
    settings,
    async run() {
      const refresh = () =>
        refreshFreshness(runtime).catch((err: unknown) => {
          TemporalRuntime.instance().logger.warn(`could not refresh the freshness gauges: ${err instanceof Error ? err.message : String(err)}`);
        });
      const timer = metrics.enabled ? setInterval(() => void refresh(), opts.freshnessRefreshMs ?? FRESHNESS_REFRESH_MS) : undefined;
      if (metrics.enabled) void refresh();
      try {
        await worker.run();
      } finally {
        clearInterval(timer);
        metrics.close();
        fleet.stop();
        await closeRuntime(runtime);
        await connection.close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}

/** The workflow bundle, built without webpack's module listing (it buries the startup banner). */
export function quietBundle() {
  const drop = () => undefined;
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    logger: { trace: drop, debug: drop, info: drop, log: drop, warn: console.warn, error: console.error },
  });
}
