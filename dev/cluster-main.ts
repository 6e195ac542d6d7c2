/**
 * `npm run cluster [-- --workers 3] [--no-schedules] [--no-ui]`: the product on a self-hosted
 * Temporal cluster, the shape of a production deployment, on one machine:
 *
 *   - Temporal 1.32.1 as four processes (frontend, history, matching, worker) on PostgreSQL
 *     127.0.0.1:5432, databases ccsync_temporal and ccsync_temporal_visibility (dev/cluster.ts);
 *   - the standalone Web UI on CCSYNC_UI_PORT (8233), pointed at the frontend (CCSYNC_TEMPORAL_PORT, 7233);
 *   - the three vendor simulators on 4010, 4020, 4030 (as `npm start`);
 *   - N ccsync workers as separate processes (`tsx workers/main.ts`), the same product as `npm start`,
 *     only the environment differs (TEMPORAL_ADDRESS, CCSYNC_DESTINATION: PostgreSQL database `ccsync`,
 *     since several processes write at once);
 *   - the demo connections' schedules.
 *
 * Ctrl-C: the workers drain first (SIGTERM, in-flight activities finish within their grace time),
 * then the UI, the Temporal services and the simulators. Nothing keeps running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { ConnectionsStore, connectionsFilePath } from '../activities/connections';
import { CCAIP_SIMULATOR_DEFAULT_PORT, CcaipSimulator, demoCcaipOptions } from '../simulators/ccaip';
import { demoKoreOptions, KORE_SIMULATOR_DEFAULT_PORT, KoreSimulator } from '../simulators/kore';
import { demoLivePersonOptions, LIVEPERSON_SIMULATOR_DEFAULT_PORT, LivePersonSimulator } from '../simulators/liveperson';
import { applySchedules } from '../workers/schedules';
import { DEFAULT_TASK_QUEUE } from '../workers/temporal-connection';
import { DEFAULT_PORTS, ROOT, startTemporalCluster, type TemporalCluster } from './cluster';
import { pidGone, startWatchdog } from './dev-server';
import { orderedShutdown } from './stopper';
import { resolveClusterBinaries } from './temporal-server';

export interface ClusterArgs {
  workers: number;
  schedules: boolean;
  ui: boolean;
}

export function parseClusterArgs(argv: string[]): ClusterArgs {
  const args: ClusterArgs = { workers: 3, schedules: true, ui: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--workers' || a.startsWith('--workers=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 32) throw new Error(`--workers: must be a whole number from 0 to 32 (got ${JSON.stringify(v)})`);
      args.workers = n;
    } else if (a === '--no-schedules') args.schedules = false;
    else if (a === '--no-ui') args.ui = false;
    else throw new Error(`unknown option ${a} (options: --workers N, --no-schedules, --no-ui)`);
  }
  return args;
}

/** A ccsync worker process whose output is printed with a `[worker-N]` prefix. */
export class PrefixedWorker {
  private child?: ChildProcess;
  constructor(
    readonly label: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(timeoutMs = 120_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
    child.once('exit', () => watchdog?.kill('SIGKILL'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not start polling within ${timeoutMs} ms`)), timeoutMs);
      const print = (chunk: Buffer) => {
        const text = chunk.toString();
        for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`[${this.label}] ${line}\n`);
        if (text.includes('ccsync worker polling')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', print);
      child.stderr.on('data', print);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited (${code ?? signal}) before polling`));
      });
    });
  }

  /** SIGTERM to the node process itself (not npm): the SDK drains, then exits; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    const deadline = Date.now() + 5_000;
    while (child.pid !== undefined && !pidGone(child.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}

/** CREATE DATABASE when missing (our destination, separate from Temporal's databases). */
export async function ensurePostgresDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  admin.search = '';
  const pool = new Pool({ connectionString: admin.toString(), max: 1 });
  try {
    const exists = await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (exists.rowCount === 0) await pool.query(`CREATE DATABASE "${db.replace(/"/g, '""')}"`);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const args = parseClusterArgs(process.argv.slice(2));
  const frontendPort = Number(process.env.CCSYNC_TEMPORAL_PORT ?? DEFAULT_PORTS.frontend);
  const uiPort = Number(process.env.CCSYNC_UI_PORT ?? 8233);
  const destination = process.env.CCSYNC_DESTINATION ?? 'postgres://postgres@127.0.0.1:5432/ccsync';
  const workers: PrefixedWorker[] = [];
  let cluster: TemporalCluster | undefined;
  const stops = orderedShutdown({
    name: 'ccsync cluster',
    stopping: 'stopping; the workers drain first...',
    first: async () => {
      await Promise.all(workers.map((w) => w.stop().catch((err) => console.error(`ccsync cluster: ${String(err)}`))));
    },
  });

  try {
    const started = Date.now();
    const binaries = await resolveClusterBinaries({ withoutUi: !args.ui });
    const ports = { ...DEFAULT_PORTS, frontend: frontendPort };
    cluster = await startTemporalCluster({ binaries, ports, ...(args.ui ? { uiPort } : {}), log: (m) => console.log(`ccsync cluster: ${m}`) });
    stops.push(() => cluster!.stop());
    console.log(`ccsync cluster: Temporal frontend on ${cluster.address} in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${cluster.logDir}`);

    const kore = new KoreSimulator(demoKoreOptions());
    console.log(`ccsync cluster: Kore.ai simulator on ${await kore.start(KORE_SIMULATOR_DEFAULT_PORT)}`);
    stops.push(() => kore.stop());
    const liveperson = new LivePersonSimulator(demoLivePersonOptions());
    console.log(`ccsync cluster: LivePerson simulator on ${await liveperson.start(LIVEPERSON_SIMULATOR_DEFAULT_PORT)}`);
    stops.push(() => liveperson.stop());
    const ccaip = new CcaipSimulator(demoCcaipOptions());
    await ccaip.start(CCAIP_SIMULATOR_DEFAULT_PORT);
    console.log(`ccsync cluster: CCAI Platform simulator on ${ccaip.apiUrl}`);
    stops.push(() => ccaip.stop());

    if (destination.startsWith('postgres')) await ensurePostgresDatabase(destination);
    const workerEnv = { ...process.env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: cluster.namespace, CCSYNC_DESTINATION: destination };
    // Metrics on, as under `npm start`: one port per worker (9464, 9465, ...), scraped as job ccsync-worker.
    const metricsBase = Number(process.env.CCSYNC_METRICS_BASE_PORT ?? 9464);
    for (let i = 1; i <= args.workers; i++) {
      workers.push(new PrefixedWorker(`worker-${i}`, { ...workerEnv, CCSYNC_METRICS_ADDRESS: `127.0.0.1:${metricsBase + i - 1}` }));
    }
    await Promise.all(workers.map((w) => w.start()));
    console.log(
      `ccsync cluster: ${workers.length} worker process(es) polling (pids ${workers.map((w) => w.pid).join(', ')}); destination ${destination.replace(/:[^:@/]*@/, ':***@')}`,
    );

    if (args.schedules) {
      const connection = await Connection.connect({ address: cluster.address });
      stops.push(() => connection.close());
      const store = new ConnectionsStore(connectionsFilePath(process.env), process.env);
      const changes = await applySchedules(new Client({ connection, namespace: cluster.namespace }), store.all(), {
        taskQueue: process.env.CCSYNC_TASK_QUEUE || DEFAULT_TASK_QUEUE,
      });
      for (const c of changes) console.log(`ccsync cluster: schedule ${c.scheduleId} ${c.change}`);
    }
    console.log(`
  Web UI:    ${cluster.uiUrl ?? '(off)'}   (Start Workflow: type backfill, task queue ccsync)
  Temporal:  ${cluster.address}   (TEMPORAL_ADDRESS=${cluster.address} npx ccsync ...)
  Try:       TEMPORAL_ADDRESS=${cluster.address} npx ccsync backfill start -c kore-demo --from 2026-11-01T00:00:00Z --to 2026-11-08T00:00:00Z --wait
  Stop:      Ctrl-C  (up in ${((Date.now() - started) / 1000).toFixed(1)} s)
`);
  } catch (err) {
    console.error(`ccsync cluster: could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stops.stopAll(1);
  }
}

if (require.main === module) void main();
