/**
 * The cluster suite's own world, all real: a Temporal cluster of four service processes
 * (dev/cluster.ts) whose PostgreSQL connection runs through a TCP proxy (so it can be cut), the
 * three vendor simulators behind latency proxies, a destination PostgreSQL database of its own
 * reached through another proxy, and a fleet of ccsync worker processes (`workers/main.ts`).
 *
 * Exactness is checked against the simulators' ground truth record by record, and writes are
 * counted by PostgreSQL itself with the write ledger of test/helpers/write-ledger.ts: triggers on
 * every table the backfills fill log each committed insert, change and delete (a rolled-back
 * transaction's lines roll back with it), so "inserts = records checked" and no key inserted twice
 * mean each record was written exactly once, whatever the table looks like at the end.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Pool } from 'pg';
import { startTemporalCluster, uniqueClusterName, type TemporalCluster } from '../../dev/cluster';
import { openDestination, type Destination } from '../../destinations';
import type { TableSpec } from '../../destinations/destination';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import { callVolumeGroundTruth, DEMO_KORE, demoKoreOptions, KoreSimulator } from '../../simulators/kore';
import { DEMO_LIVEPERSON, demoLivePersonOptions, LivePersonSimulator } from '../../simulators/liveperson';
import { INTERVAL_METRICS_KEY } from '../../sources/liveperson/streams';
import { TcpProxy } from '../helpers/tcp-proxy';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';
import { WorkerProcess } from '../helpers/worker-process';
import { readAll } from '../helpers/destination-access';
import { ccaipWindowedRows, livePersonIntervalRows } from '../helpers/expected-rows';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PG = { host: '127.0.0.1', port: 5432 };

export type Source = 'kore' | 'liveperson' | 'ccaip';
/** One connection per source per scenario tag, so each scenario's rows, inserts and windows are its own. */
export const connName = (source: Source, tag: string) => `${{ kore: 'kore', liveperson: 'lp', ccaip: 'cc' }[source]}-${tag}`;
export const SOURCES: Source[] = ['kore', 'liveperson', 'ccaip'];

/** Every secret of the suite's connections: none may reach a history or a log line. */
export const SECRETS = [DEMO_KORE.clientSecret, DEMO_LIVEPERSON.bearerToken, DEMO_CCAIP.apiToken];

type Rec = Record<string, unknown>;
const T = (name: string, keyColumns: string[]): TableSpec => ({ name, keyColumns });
/** The tables each source's backfill fills, with their keys. */
export const TABLES: Record<Source, Record<string, TableSpec>> = {
  kore: { callvolume: T('kore_callvolume', ['_id']) },
  liveperson: { interval_metrics: T('liveperson_interval_metrics', [...INTERVAL_METRICS_KEY]) },
  ccaip: {
    calls: T('ccaip_calls', ['id']),
    chats: T('ccaip_chats', ['id']),
    agent_activity_logs: T('ccaip_agent_activity_logs', ['id']),
    call_participants: T('ccaip_call_participants', ['call_id', 'id']),
    chat_participants: T('ccaip_chat_participants', ['chat_id', 'id']),
    call_transfers: T('ccaip_call_transfers', ['call_id', 'id']),
    photos: T('ccaip_photos', ['parent', 'id']),
    videos: T('ccaip_videos', ['parent', 'id']),
  },
};

export interface Range {
  from: number;
  to: number;
}

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortKeys);
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Rec)[k])]),
  );
}
const same = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

export interface Expected {
  table: TableSpec;
  rows: { key: Record<string, string>; record: unknown }[];
}

export interface ClusterWorld {
  cluster: TemporalCluster;
  client: Client;
  taskQueue: string;
  temporalDbProxy: TcpProxy;
  destinationProxy: TcpProxy;
  destinationUrl: string;
  destination: Destination;
  /** Every committed insert, change and delete in the destination's tables (test/helpers/write-ledger.ts). */
  ledger: WriteLedger;
  kore: KoreSimulator;
  liveperson: LivePersonSimulator;
  ccaip: CcaipSimulator;
  workers: WorkerProcess[];
  workerEnv: Record<string, string>;
  /** `ccsync <pid>@<host>`: how the worker's Temporal identity starts (workers/fleet.ts), as histories and pollers show it. */
  identityOf(w: WorkerProcess): string;
  /** Whether a history's or DescribeWorkflowExecution's identity is this worker process's. */
  isWorker(w: WorkerProcess, identity: string): boolean;
  expected(source: Source, range: Range): Expected[];
  /** Starts one backfill per source over its range, on the tag's connections; returns the handles by source. */
  startBackfills(ranges: Record<Source, Range>, tag: string, extra?: Rec): Promise<Record<Source, WorkflowHandle>>;
  /** Record-by-record comparison of the tag's connections with the ground truth, plus the insert log. */
  verify(ranges: Record<Source, Range>, tag: string): Promise<Verification>;
  /** What is in flight right now: page activities started and the worker running each. */
  inFlight(): Promise<InFlight[]>;
  close(): Promise<void>;
}

export interface InFlight {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
  worker: string;
}

export interface Verification {
  checked: number;
  lost: number;
  /** Keys stored twice, or inserted more than once (write ledger), or rows that are not in the ground truth. */
  duplicated: number;
  /** Committed inserts (write ledger), to compare with the ground-truth records. */
  inserts: number;
  /** Committed changes and deletes of rows (write ledger): a page written twice with other content. */
  extraWrites: number;
  perTable: { table: string; expected: number; rows: number; inserts: number; extraWrites: number; lost: number; duplicated: number }[];
}

/** A private destination database for the suite (dropped on close). */
async function createDestinationDatabase(): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `ccsync_dest_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Pool({ host: PG.host, port: PG.port, user: 'postgres', database: 'postgres', max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    name,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

export interface WorldOptions {
  workers?: number;
  /** Latency each vendor request pays (through a TCP proxy), so that backfills last long enough to be hit. */
  vendorLatencyMs?: number;
  /** Extra worker environment (e.g. CCSYNC_DEPLOYMENT_NAME / CCSYNC_BUILD_ID). */
  workerEnv?: Record<string, string>;
  /** The CCAI Platform data start (default: 20 days ago, midnight). */
  ccaipDataStart?: number;
  /** Scenario tags: each gets its own three connections (connName). */
  tags: string[];
}

export async function startWorld(opts: WorldOptions): Promise<ClusterWorld> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => console.error(`cleanup: ${String(err)}`));
  };
  try {
    const temporalDbProxy = new TcpProxy(PG);
    const temporalDbPort = await temporalDbProxy.start();
    cleanups.push(() => temporalDbProxy.stop());
    const name = uniqueClusterName('ccsync_faults');
    const cluster = await startTemporalCluster({
      ports: 'free',
      dbName: name,
      visibilityDbName: `${name}_vis`,
      dbAddr: `127.0.0.1:${temporalDbPort}`,
      logDir: mkdtempSync(join(tmpdir(), 'ccsync-cluster-logs-')),
      dropDatabasesOnStop: true,
      log: () => undefined,
    });
    cleanups.push(() => cluster.stop());
    const connection = await Connection.connect({ address: cluster.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: cluster.namespace });

    const destDb = await createDestinationDatabase();
    cleanups.push(() => destDb.drop());
    const destinationProxy = new TcpProxy(PG);
    const destPort = await destinationProxy.start();
    cleanups.push(() => destinationProxy.stop());
    const destinationUrl = `postgres://postgres@127.0.0.1:${destPort}/${destDb.name}?poolSize=4`;
    const destination = openDestination(`postgres://postgres@127.0.0.1:5432/${destDb.name}?poolSize=2`);
    cleanups.push(() => destination.close());
    // The tables exist before any worker writes (created by the product's own code), with the ledger on them.
    const ledger = await installWriteLedger(
      `postgres://postgres@127.0.0.1:5432/${destDb.name}`,
      destination,
      SOURCES.flatMap((s) => Object.values(TABLES[s])),
    );
    cleanups.push(() => ledger.close());

    const latency = opts.vendorLatencyMs ?? 0;
    const behind = async (port: number) => {
      const p = new TcpProxy({ host: '127.0.0.1', port }, { latencyMs: latency });
      const proxied = await p.start();
      cleanups.push(() => p.stop());
      return proxied;
    };
    const kore = new KoreSimulator(demoKoreOptions());
    const koreUrl = new URL(await kore.start(0));
    cleanups.push(() => kore.stop());
    const liveperson = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 0 }));
    await liveperson.start(0);
    cleanups.push(() => liveperson.stop());
    const lpUrl = new URL(liveperson.url);
    const ccaip = new CcaipSimulator(
      demoCcaipOptions({ dataStart: opts.ccaipDataStart ?? Math.floor(Date.now() / DAY) * DAY - 20 * DAY, rateLimitPerSecond: 0 }),
    );
    await ccaip.start(0);
    cleanups.push(() => ccaip.stop());
    const ccUrl = new URL(ccaip.apiUrl);

    const korePort = await behind(Number(koreUrl.port));
    const lpPort = await behind(Number(lpUrl.port));
    const ccPort = await behind(Number(ccUrl.port));
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-cluster-conn-'));
    const connectionsFile = join(dir, 'connections.yaml');
    const connectionsYaml = opts.tags
      .map(
        (tag) => `  - name: ${connName('kore', tag)}
    source: kore
    settings: { baseUrl: "http://127.0.0.1:${korePort}", accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId}, pageSize: 50 }
    credentials: { clientId: "\${CL_KORE_ID}", clientSecret: "\${CL_KORE_SECRET}" }
    streams: [callvolume]
    requestTimeout: PT5S
  - name: ${connName('liveperson', tag)}
    source: liveperson
    settings: { accountId: "${DEMO_LIVEPERSON.accountId}", baseUrl: "http://127.0.0.1:${lpPort}", grouping: [skill, agent], pageSize: 100 }
    credentials: { bearerToken: "\${CL_LP_BEARER}" }
    streams: [interval_metrics]
    requestTimeout: PT5S
  - name: ${connName('ccaip', tag)}
    source: ccaip
    settings: { baseUrl: "http://127.0.0.1:${ccPort}${ccUrl.pathname}", pageSize: 25 }
    credentials: { username: ${DEMO_CCAIP.subdomain}, password: "\${CL_CC_TOKEN}" }
    streams: [calls, chats, agent_activity_logs]
    requestTimeout: PT5S
`,
      )
      .join('');
    writeFileSync(connectionsFile, `connections:\n${connectionsYaml}`);
    const taskQueue = `cluster-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const workerEnv: Record<string, string> = {
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: cluster.namespace,
      CCSYNC_TASK_QUEUE: taskQueue,
      CCSYNC_CONNECTIONS: connectionsFile,
      CCSYNC_DESTINATION: destinationUrl,
      CL_KORE_ID: DEMO_KORE.clientId,
      CL_KORE_SECRET: DEMO_KORE.clientSecret,
      CL_LP_BEARER: DEMO_LIVEPERSON.bearerToken,
      CL_CC_TOKEN: DEMO_CCAIP.apiToken,
      ...opts.workerEnv,
    };
    const workers = Array.from({ length: opts.workers ?? 3 }, () => new WorkerProcess(workerEnv));
    cleanups.push(async () => {
      // A drain gets 30 s, then SIGKILL: a failed fault can leave a service down, and a suite that
      // waits forever for a worker's drain would hang CI instead of failing it.
      await Promise.all(
        workers.map(async (w) => {
          let timer: NodeJS.Timeout | undefined;
          const drained = await Promise.race([w.stop().then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
          clearTimeout(timer);
          if (!drained) await w.kill('SIGKILL');
        }),
      );
    });
    await Promise.all(workers.map((w) => w.start(120_000)));

    const expected = (source: Source, r: Range): Expected[] => {
      if (source === 'kore')
        return [{ table: TABLES.kore.callvolume!, rows: callVolumeGroundTruth(kore.data, r.from, r.to).map((t) => ({ key: { _id: t._id }, record: t })) }];
      if (source === 'liveperson') return [{ table: TABLES.liveperson.interval_metrics!, rows: livePersonIntervalRows(liveperson, r) }];
      const cc = ccaipWindowedRows(ccaip, r);
      return Object.entries(cc).map(([stream, rows]) => ({ table: TABLES.ccaip[stream]!, rows }));
    };

    const world: ClusterWorld = {
      cluster,
      client,
      taskQueue,
      temporalDbProxy,
      destinationProxy,
      destinationUrl,
      destination,
      ledger,
      kore,
      liveperson,
      ccaip,
      workers,
      workerEnv,
      identityOf: (w) => `ccsync ${w.pid}@${hostname()}`,
      isWorker: (w, identity) => w.pid !== undefined && identity.startsWith(`ccsync ${w.pid}@${hostname()} `),
      expected,
      async startBackfills(ranges, tag, extra = {}) {
        const out = {} as Record<Source, WorkflowHandle>;
        for (const s of SOURCES) {
          out[s] = await client.workflow.start('backfill', {
            taskQueue,
            workflowId: `cluster-${tag}-${s}-${Date.now().toString(36)}`,
            args: [
              {
                connection: connName(s, tag),
                from: new Date(ranges[s].from).toISOString(),
                to: new Date(ranges[s].to).toISOString(),
                maxParallelWindows: 2,
                ...extra,
              },
            ],
          });
        }
        return out;
      },
      async verify(ranges, tag) {
        const v: Verification = { checked: 0, lost: 0, duplicated: 0, inserts: 0, extraWrites: 0, perTable: [] };
        for (const s of SOURCES) {
          for (const e of expected(s, ranges[s])) {
            const conn = connName(s, tag);
            const keyOf = (k: Record<string, string | undefined>) => e.table.keyColumns.map((c) => String(k[c])).join('|');
            const rows = (await readAll(destination, e.table, conn).catch(() => [])).filter((r) => r.deletedAt === null);
            const want = new Map(e.rows.map((x) => [keyOf(x.key), x.record]));
            const stored = new Map<string, unknown[]>();
            for (const r of rows) stored.set(keyOf(r.key), [...(stored.get(keyOf(r.key)) ?? []), r.record]);
            let lost = 0;
            for (const [k, rec] of want) if (!stored.has(k) || !same(stored.get(k)![0], rec)) lost++;
            const counts = await ledger.counts(e.table.name, conn);
            // Stored twice, not in the ground truth, or inserted more than once (deleted and inserted again).
            const duplicated = rows.length - stored.size + [...stored.keys()].filter((k) => !want.has(k)).length + counts.reinserted.length;
            const extraWrites = counts.updated + counts.deleted;
            v.checked += want.size;
            v.lost += lost;
            v.duplicated += duplicated;
            v.inserts += counts.inserted;
            v.extraWrites += extraWrites;
            v.perTable.push({ table: e.table.name, expected: want.size, rows: rows.length, inserts: counts.inserted, extraWrites, lost, duplicated });
          }
        }
        return v;
      },
      async inFlight() {
        const out: InFlight[] = [];
        for await (const w of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType = 'syncWindow'` })) {
          const d = await client.workflow
            .getHandle(w.workflowId, w.runId)
            .describe()
            .catch(() => undefined);
          for (const a of d?.raw.pendingActivities ?? []) {
            // PENDING_ACTIVITY_STATE_STARTED = 2: a worker holds it right now.
            if (Number(a.state) === 2)
              out.push({
                workflowId: w.workflowId,
                runId: w.runId,
                activityId: a.activityId ?? '',
                attempt: a.attempt ?? 1,
                worker: a.lastWorkerIdentity ?? '',
              });
          }
        }
        return out;
      },
      close: cleanup,
    };
    return world;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Waits for every handle's result; fails naming the backfill that failed. */
export async function allDone(handles: Record<string, WorkflowHandle>, ms = 300_000): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await Promise.all(
    Object.entries(handles).map(async ([k, h]) => {
      // Cleared when the result comes: a pending timer would keep the test file's process alive for `ms`.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`backfill ${h.workflowId} did not finish within ${ms} ms`)), ms);
      });
      try {
        out[k] = await Promise.race([h.result(), late]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return out;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every history of the task queue (children and continued runs included), as JSON text. */
export async function exportHistories(world: ClusterWorld): Promise<{ workflowId: string; runId: string; json: string }[]> {
  const out: { workflowId: string; runId: string; json: string }[] = [];
  for await (const w of world.client.workflow.list({ query: `TaskQueue = '${world.taskQueue}'` })) {
    const history = await world.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    out.push({ workflowId: w.workflowId, runId: w.runId, json: JSON.stringify(history, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) });
  }
  return out;
}
