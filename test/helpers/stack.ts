/**
 * A whole product stack for an integration test, all real: the Temporal server from the harness,
 * a Kore.ai simulator on a free port, a connections file pointing at it, a destination (a SQLite
 * file or a private PostgreSQL schema), and a ccsync worker on a task queue of its own.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { SourceRegistry } from '../../core/connections';
import { openDestination, type Destination } from '../../destinations';
import { DEMO_KORE, KoreSimulator, demoKoreOptions, type KoreSimulatorOptions } from '../../simulators/kore';
import { createCcsyncWorker, quietBundle, type CcsyncWorker } from '../../workers/worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from './temporal';
import { koreConnection, writeConnectionsFile } from './connections-file';

export const POSTGRES_URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test process (webpack takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= quietBundle();
  return bundle;
}

export type DestinationKind = 'sqlite' | 'postgres';

export function destinationUrl(kind: DestinationKind): string {
  if (kind === 'sqlite') return `sqlite:${join(mkdtempSync(join(tmpdir(), 'ccsync-test-')), 'ccsync.db')}`;
  return `${POSTGRES_URL}?schema=t_${randomBytes(5).toString('hex')}`;
}

export interface StackOptions {
  destination: DestinationKind;
  simulator?: Partial<KoreSimulatorOptions>;
  /** Extra YAML lines under the kore connection (e.g. `requestTimeout: PT2S`). */
  connectionExtra?: string;
  /** Settings beyond the demo tenant's ids (pageSize, rateLimitPerMinute, ...). */
  settings?: Record<string, string | number>;
  /** Default: client id + secret from environment variables. */
  credentials?: Record<string, string>;
  /** The kore connection's streams (default: callvolume). */
  koreStreams?: string[];
  /** More connections (YAML list items, indented by 2), e.g. for other sources' simulators; a function gets the Kore.ai simulator's URL. */
  extraConnectionsYaml?: string | ((koreUrl: string) => string);
  /** More worker environment (credential variables of the extra connections). */
  extraEnv?: Record<string, string>;
  /** More secret values that must never show up in histories or logs. */
  extraSecrets?: string[];
  /** The sources the worker loads (the product's registry unless given). */
  sources?: SourceRegistry;
}

export interface Stack {
  temporal: TestTemporal;
  client: Client;
  taskQueue: string;
  kore: KoreSimulator;
  destination: Destination;
  destinationUrl: string;
  worker: CcsyncWorker;
  connectionsFile: string;
  /** The worker's environment: where the test's secrets live. */
  env: Record<string, string>;
  secrets: string[];
  start(type: string, input: unknown, id?: string): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

export const CONNECTION = 'kore-test';

export async function startStack(opts: StackOptions): Promise<Stack> {
  const temporal = await testTemporal();
  const kore = new KoreSimulator(demoKoreOptions(opts.simulator));
  const koreUrl = await kore.start(0);
  const extraConnections = typeof opts.extraConnectionsYaml === 'function' ? opts.extraConnectionsYaml(koreUrl) : (opts.extraConnectionsYaml ?? '');
  const connectionsFile = writeConnectionsFile([
    koreConnection({
      name: CONNECTION,
      baseUrl: koreUrl,
      settings: opts.settings,
      credentials: opts.credentials ?? { clientId: '${TEST_KORE_CLIENT_ID}', clientSecret: '${TEST_KORE_CLIENT_SECRET}' },
      streams: opts.koreStreams,
      extra: opts.connectionExtra,
    }),
    ...(extraConnections.trim() ? [extraConnections] : []),
  ]);
  const env: Record<string, string> = {
    TEST_KORE_CLIENT_ID: DEMO_KORE.clientId,
    TEST_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret,
    TEST_KORE_TOKEN: DEMO_KORE.staticToken,
    ...opts.extraEnv,
  };
  const url = destinationUrl(opts.destination);
  const taskQueue = uniqueTaskQueue('ccsync');
  const worker = await createCcsyncWorker({
    temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue },
    connectionsFile,
    destinationUrl: url,
    env,
    sources: opts.sources,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  // A second handle on the same database, for the test's own reads.
  const destination = openDestination(url);
  return {
    temporal,
    client: temporal.client,
    taskQueue,
    kore,
    destination,
    destinationUrl: url,
    worker,
    connectionsFile,
    env,
    secrets: [DEMO_KORE.clientSecret, DEMO_KORE.staticToken, ...(opts.extraSecrets ?? [])],
    start: (type, input, id) =>
      temporal.client.workflow.start(type, { taskQueue, workflowId: id ?? `${type}-${randomBytes(6).toString('hex')}`, args: [input] }),
    async close() {
      worker.shutdown();
      await running;
      await destination.close();
      await kore.stop();
      await temporal.close();
    },
  };
}

/** The whole history of a run, as `temporal workflow show --output json` would export it. */
export async function historyJson(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  return safeJson(history);
}

/** JSON.stringify that copes with the BigInts in histories and log entries. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
