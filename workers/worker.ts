/**
 * Builds the ccsync worker: the activities with their runtime (connections file, destination,
 * HTTP), and the workflows bundle. Used by `npm run worker`, `npm start`, tests and benchmarks.
 */
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ConnectionsStore, connectionsFilePath } from '../activities/connections';
import { closeRuntime, createRuntime, type Runtime } from '../activities/runtime';
import { destinationFromEnv } from '../destinations';
import { watchFleet, workerIdentity } from './fleet';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from './temporal-connection';

export interface CcsyncWorkerOptions {
  temporal?: Partial<TemporalSettings>;
  connectionsFile?: string;
  destinationUrl?: string;
  env?: Record<string, string | undefined>;
  /** A prebuilt workflow bundle (tests and benchmarks build it once). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
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

export async function createCcsyncWorker(opts: CcsyncWorkerOptions = {}): Promise<CcsyncWorker> {
  const env = opts.env ?? process.env;
  const settings = { ...temporalSettingsFromEnv(env), ...opts.temporal };
  const connections = new ConnectionsStore(opts.connectionsFile ?? connectionsFilePath(env), env);
  // Fail at start, in plain words, if the file is broken or a credential variable is unset:
  // better than failing the first workflow.
  for (const c of connections.all()) connections.credentials(c);
  // The file's fingerprint in the identity: workers on one queue with different files show in the
  // Web UI's pollers and in `ccsync workers`.
  const identity = workerIdentity(connections.fingerprint());
  const destination = opts.destinationUrl ? (await import('../destinations')).openDestination(opts.destinationUrl) : destinationFromEnv(env);
  const runtime = createRuntime({ connections, destination });
  const connection = await NativeConnection.connect(connectionOptions(settings));
  const fleet = watchFleet({ service: connection.workflowService, namespace: settings.namespace, taskQueue: settings.taskQueue, identity, store: connections });
  await fleet.refresh();
  const worker = await Worker.create({
    connection,
    identity,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities(runtime),
    workflowBundle: opts.workflowBundle ?? (await quietBundle()),
    maxConcurrentActivityTaskExecutions: 20,
    // Graceful shutdown: in-flight page activities get this long to finish before they are handed back.
    shutdownGraceTime: '20s',
    ...opts.tuning,
  });
  return {
    worker,
    runtime,
    settings,
    async run() {
      try {
        await worker.run();
      } finally {
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
    logger: { trace: drop, debug: drop, info: drop, log: drop, warn: console.warn, error: console.error },
  });
}
