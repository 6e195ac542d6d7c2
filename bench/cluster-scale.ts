/**
 * `npm run cluster:scale`: the scale simulation on the self-hosted cluster. N connections (default
 * 100), each a distinct Kore.ai account on a simulator of its own, each with a 15-minute schedule
 * (`incrementalSync`), served by 3 worker processes. Time is compressed with the schedules' own
 * backfill: every schedule runs every 15-minute action of the last H hours (default 1) one after
 * another, as it would have live, all schedules at once.
 *
 * Measured, from the run itself: schedule-to-start latency of every activity and workflow task
 * (from the exported histories: scheduled → started event times), windows per minute, Temporal's
 * PostgreSQL size per synced day (both databases, before and after, over connection-days synced),
 * worker CPU (utime+stime from /proc over the run). Written to bench/cluster-scale.json; the
 * README's table comes from it (npm run cluster:readme).
 *
 *   CCSYNC_SCALE_CONNECTIONS=100 CCSYNC_SCALE_HOURS=1 npm run cluster:scale
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { Pool } from 'pg';
import { startTemporalCluster, uniqueClusterName } from '../dev/cluster';
import { ensurePostgresDatabase } from '../dev/cluster-main';
import { DEMO_KORE, demoKoreOptions, KoreSimulator } from '../simulators/kore';
import { ConnectionsStore } from '../activities/connections';
import { applySchedules, scheduleIdFor } from '../workers/schedules';
import { WorkerProcess } from '../test/helpers/worker-process';

const N = Number(process.env.CCSYNC_SCALE_CONNECTIONS ?? 100);
const HOURS = Number(process.env.CCSYNC_SCALE_HOURS ?? 1);
const WORKERS = Number(process.env.CCSYNC_SCALE_WORKERS ?? 3);
const OUT = resolve(__dirname, 'cluster-scale.json');
const MIN = 60_000;
const HOUR = 60 * MIN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (t: unknown): number => {
  const s = t as { seconds?: number | string | { toNumber(): number }; nanos?: number } | undefined;
  if (!s) return NaN;
  const sec = typeof s.seconds === 'object' && s.seconds !== null ? s.seconds.toNumber() : Number(s.seconds ?? 0);
  return sec * 1000 + (s.nanos ?? 0) / 1e6;
};

async function dbSizes(pool: Pool, names: string[]): Promise<number> {
  const r = await pool.query<{ s: string }>('SELECT sum(pg_database_size(datname))::text AS s FROM pg_database WHERE datname = ANY($1)', [names]);
  return Number(r.rows[0]!.s);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const name = uniqueClusterName('ccsync_scale');
  const cluster = await startTemporalCluster({
    ports: 'free',
    dbName: name,
    visibilityDbName: `${name}_vis`,
    logDir: mkdtempSync(join(tmpdir(), 'ccsync-scale-logs-')),
    dropDatabasesOnStop: true,
  });
  const clusterStartMs = Date.now() - t0;
  const sims: KoreSimulator[] = [];
  const workers: WorkerProcess[] = [];
  const admin = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', max: 1 });
  const destDb = `${name}_dest`;
  const connection = await Connection.connect({ address: cluster.address });
  try {
    // N distinct accounts, each on its own simulator (its own 60-per-minute budget).
    const end = Math.floor((Date.now() - HOUR) / (15 * MIN)) * 15 * MIN;
    const start = end - HOURS * HOUR;
    let yaml = 'connections:\n';
    for (let i = 0; i < N; i++) {
      const accountId = `${DEMO_KORE.accountId.slice(0, -4)}${String(i).padStart(4, '0')}`;
      const sim = new KoreSimulator(demoKoreOptions({ accountId, seed: `scale-${i}` }));
      const url = await sim.start(0);
      sims.push(sim);
      yaml += `  - name: kore-scale-${i}
    source: kore
    settings: { baseUrl: "${url}", accountId: ${accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId} }
    credentials: { clientId: "\${SC_KORE_ID}", clientSecret: "\${SC_KORE_SECRET}" }
    streams: [callvolume]
    start: ${new Date(start - HOUR).toISOString()}
    schedule: { every: 15m, lag: 10m, lookback: 1h, paused: true }
`;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'ccsync-scale-')), 'connections.yaml');
    writeFileSync(file, yaml);
    const destination = `postgres://postgres@127.0.0.1:5432/${destDb}?poolSize=4`;
    await ensurePostgresDatabase(destination);
    const taskQueue = `scale-${Date.now().toString(36)}`;
    const env = {
      TEMPORAL_ADDRESS: cluster.address,
      CCSYNC_TASK_QUEUE: taskQueue,
      CCSYNC_CONNECTIONS: file,
      CCSYNC_DESTINATION: destination,
      SC_KORE_ID: DEMO_KORE.clientId,
      SC_KORE_SECRET: DEMO_KORE.clientSecret,
    };
    for (let i = 0; i < WORKERS; i++) workers.push(new WorkerProcess(env));
    await Promise.all(workers.map((w) => w.start(180_000)));
    const client = new Client({ connection, namespace: cluster.namespace });
    const store = new ConnectionsStore(file, env);
    await applySchedules(client, store.all(), { taskQueue });

    const sizeBefore = await dbSizes(admin, [name, `${name}_vis`]);
    const cpuBefore = workers.map((w) => cpuSeconds(w.pid));
    const runStarted = Date.now();
    // Every schedule runs each 15-minute action of [start, end) in order (BUFFER_ALL: one after another).
    await Promise.all(
      store
        .all()
        .map((c) =>
          client.schedule
            .getHandle(scheduleIdFor(c.name))
            .backfill([{ start: new Date(start), end: new Date(end + MIN), overlap: ScheduleOverlapPolicy.BUFFER_ALL }]),
        ),
    );
    const expectedRuns = N * HOURS * 4;
    const count = async (q: string) =>
      Number((await connection.workflowService.countWorkflowExecutions({ namespace: cluster.namespace, query: `TaskQueue = '${taskQueue}' AND ${q}` })).count);
    let done = 0;
    for (;;) {
      done = await count(`WorkflowType = 'incrementalSync' AND ExecutionStatus != 'Running'`);
      const running = await count(`ExecutionStatus = 'Running'`);
      process.stderr.write(`[scale] ${done}/${expectedRuns} incremental runs closed, ${running} running, ${((Date.now() - runStarted) / 1000).toFixed(0)} s\n`);
      if (done >= expectedRuns && running === 0) break;
      if (Date.now() - runStarted > 60 * MIN) throw new Error(`only ${done} of ${expectedRuns} runs closed in an hour`);
      await sleep(5000);
    }
    const wallMs = Date.now() - runStarted;
    const cpu = workers.map((w, i) => cpuSeconds(w.pid) - cpuBefore[i]!);
    const sizeAfter = await dbSizes(admin, [name, `${name}_vis`]);
    const failed = await count(`ExecutionStatus = 'Failed'`);
    const windows = await count(`WorkflowType = 'syncWindow' AND ExecutionStatus = 'Completed'`);

    // Schedule-to-start, from the histories: every activity and workflow task.
    const activity: number[] = [];
    const workflowTask: number[] = [];
    for await (const w of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      const events = (await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory()).events ?? [];
      const scheduled = new Map<string, number>();
      for (const e of events) {
        const id = String(e.eventId);
        if (e.activityTaskScheduledEventAttributes || e.workflowTaskScheduledEventAttributes) scheduled.set(id, ms(e.eventTime));
        const a = e.activityTaskStartedEventAttributes;
        if (a) activity.push(ms(e.eventTime) - scheduled.get(String(a.scheduledEventId))!);
        const t = e.workflowTaskStartedEventAttributes;
        if (t) workflowTask.push(ms(e.eventTime) - scheduled.get(String(t.scheduledEventId))!);
      }
    }
    activity.sort((a, b) => a - b);
    workflowTask.sort((a, b) => a - b);
    const syncedDays = (N * HOURS) / 24;
    const result = {
      recordedAt: new Date().toISOString(),
      command: 'npm run cluster:scale',
      connections: N,
      scheduleEvery: '15m',
      simulatedHours: HOURS,
      workers: WORKERS,
      historyShards: 4,
      clusterStartSeconds: clusterStartMs / 1000,
      incrementalRuns: done,
      failedWorkflows: failed,
      windowsCompleted: windows,
      wallSeconds: Math.round(wallMs / 1000),
      windowsPerMinute: Math.round((windows / (wallMs / MIN)) * 10) / 10,
      scheduleToStartMs: {
        activity: { count: activity.length, p50: Math.round(percentile(activity, 50)), p95: Math.round(percentile(activity, 95)) },
        workflowTask: { count: workflowTask.length, p50: Math.round(percentile(workflowTask, 50)), p95: Math.round(percentile(workflowTask, 95)) },
      },
      temporalPostgres: {
        bytesBefore: sizeBefore,
        bytesAfter: sizeAfter,
        connectionDaysSynced: syncedDays,
        mbPerSyncedConnectionDay: Math.round(((sizeAfter - sizeBefore) / 1e6 / syncedDays) * 100) / 100,
      },
      workerCpu: {
        secondsPerWorker: cpu.map((c) => Math.round(c * 10) / 10),
        coresAverage: Math.round((cpu.reduce((a, b) => a + b, 0) / (wallMs / 1000)) * 100) / 100,
        cpuMsPerWindow: Math.round((cpu.reduce((a, b) => a + b, 0) * 1000) / Math.max(1, windows)),
      },
      rssMb: cluster.rssMb(),
    };
    writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
    for (const s of sims) await s.stop();
    await cluster.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${destDb} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
