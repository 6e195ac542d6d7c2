/**
 * A self-hosted Temporal cluster, the shape of a production deployment, on this machine: the
 * official server 1.32.1 (dev/temporal-server.ts builds it) with persistence and visibility on
 * PostgreSQL in databases of their own, set up and upgraded idempotently with the SQL tool; the
 * frontend, history, matching and worker services as four separate processes sharing one config
 * file kept in the repo (deploy/temporal/config.yaml, dynamic config next to it); the `default`
 * namespace and our search attributes created through the operator API; the standalone Web UI.
 *
 * `startTemporalCluster()` is the library (tests use it with free ports and private databases);
 * dev/cluster-main.ts (`npm run cluster`) adds the simulators and N worker processes.
 *
 * Process hygiene as in dev/dev-server.ts: every process we spawn has a watchdog that SIGTERMs it
 * when this process dies in any way; `stop()` ends them and waits until every pid is gone.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes';
import { pidGone, startWatchdog, tcpAccepts } from './dev-server';
import { resolveClusterBinaries, type ClusterBinaries } from './temporal-server';

export const ROOT = path.resolve(__dirname, '..');
export const CONFIG_FILE = path.join(ROOT, 'deploy', 'temporal', 'config.yaml');
export const DYNAMIC_CONFIG_FILE = path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml');
export const UI_ROOT = path.join(ROOT, 'deploy', 'temporal', 'ui');

export const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ClusterPorts {
  frontend: number;
  frontendMembership: number;
  frontendHttp: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The ports of deploy/temporal/config.yaml's defaults (Temporal's usual ones). */
export const DEFAULT_PORTS: ClusterPorts = {
  frontend: 7233,
  frontendMembership: 6933,
  frontendHttp: 7243,
  history: 7234,
  historyMembership: 6934,
  matching: 7235,
  matchingMembership: 6935,
  worker: 7239,
  workerMembership: 6939,
};

/**
 * A free port below 32768. Temporal stores each host's RPC port in `cluster_membership.rpc_port`, a
 * PostgreSQL smallint: a port from the kernel's ephemeral range (32768+) makes every service exit with
 * "value ... is out of range for type smallint" (seen on 1.32.1). So: random ports in 20000-32767 that bind.
 */
export async function findFreeLowPort(taken: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12767);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 20000-32767');
}

export async function freePorts(): Promise<ClusterPorts> {
  const keys = Object.keys(DEFAULT_PORTS) as (keyof ClusterPorts)[];
  const out = {} as ClusterPorts;
  const taken = new Set<number>();
  for (const k of keys) out[k] = await findFreeLowPort(taken);
  return out;
}

export interface ClusterOptions {
  /** Ports; default: the config file's defaults. `'free'` picks free ones (tests). */
  ports?: ClusterPorts | 'free';
  /** Persistence database (default ccsync_temporal) and visibility database (default ccsync_temporal_visibility). */
  dbName?: string;
  visibilityDbName?: string;
  /** host:port the services use for PostgreSQL (a TCP proxy in fault tests). Default 127.0.0.1:5432. */
  dbAddr?: string;
  /** host:port the SQL tool uses to create and upgrade the schemas. Default: 127.0.0.1:5432. */
  setupDbAddr?: string;
  dbUser?: string;
  dbPassword?: string;
  namespace?: string;
  /** The standalone Web UI on this port; undefined = no UI. */
  uiPort?: number;
  /** Where the services' logs go (one file per service). Default: a folder under .data/cluster. */
  logDir?: string;
  logLevel?: string;
  binaries?: ClusterBinaries;
  /** Drop both databases in `stop()` (tests). Default false: a cluster's history survives restarts. */
  dropDatabasesOnStop?: boolean;
  log?: (message: string) => void;
}

export interface ServiceProcess {
  name: ServiceName | 'ui';
  pid?: number;
  running(): boolean;
  /** Signals it and waits until the pid is gone (SIGKILL after `graceMs` for SIGTERM). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** The last lines of its log. */
  tail(lines?: number): string;
  logFile: string;
}

export interface TemporalCluster {
  address: string;
  namespace: string;
  uiUrl?: string;
  ports: ClusterPorts;
  dbName: string;
  visibilityDbName: string;
  /** The environment the services run with (the config file's variables). */
  serviceEnv: Record<string, string>;
  services: Record<ServiceName, ServiceProcess>;
  ui?: ServiceProcess;
  logDir: string;
  /** SIGKILL (or another signal) one service; resolves when its pid is gone. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service again (after kill) and waits for its port. */
  restart(service: ServiceName): Promise<void>;
  /** Resident memory of every Temporal process, in MB (from /proc). */
  rssMb(): Record<string, number>;
  /** Stops the UI, then frontend, matching, history, worker; optionally drops the databases. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function execTool(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * Creates the database when missing, and brings its schema to the newest version the SQL tool
 * embeds. Idempotent: `create` of an existing database and `setup-schema -v 0.0` of a set-up one
 * are refused by the tool with "already exists", which we treat as done; `update-schema` applies
 * only missing versions.
 */
export async function setupDatabase(
  sqlTool: string,
  opts: { addr: string; user: string; password?: string; dbName: string; schema: 'temporal' | 'visibility' },
): Promise<void> {
  const i = opts.addr.lastIndexOf(':');
  const base = ['--plugin', 'postgres12', '--ep', opts.addr.slice(0, i), '-p', opts.addr.slice(i + 1), '-u', opts.user];
  if (opts.password) base.push('--pw', opts.password);
  base.push('--db', opts.dbName);
  const env = { ...process.env };
  const step = async (args: string[], alreadyDone: RegExp) => {
    const r = await execTool(sqlTool, [...base, ...args], env);
    if (r.code !== 0 && !alreadyDone.test(r.out)) {
      throw new Error(`temporal-sql-tool ${args.join(' ')} on ${opts.dbName} failed (exit ${r.code}):\n${r.out.trim().split('\n').slice(-15).join('\n')}`);
    }
  };
  await step(['create'], /already exists/i);
  await step(['setup-schema', '-v', '0.0'], /already exists/i);
  await step(['update-schema', '--schema-name', `postgresql/v12/${opts.schema}`], /$^/);
}

export async function dropDatabase(sqlTool: string, opts: { addr: string; user: string; password?: string; dbName: string }): Promise<void> {
  const i = opts.addr.lastIndexOf(':');
  const args = ['--plugin', 'postgres12', '--ep', opts.addr.slice(0, i), '-p', opts.addr.slice(i + 1), '-u', opts.user];
  if (opts.password) args.push('--pw', opts.password);
  await execTool(sqlTool, [...args, '--db', opts.dbName, 'drop', '-f'], { ...process.env });
}

/** One OS process with its log file and watchdog. */
export function spawnLogged(
  name: ServiceProcess['name'],
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string },
): ServiceProcess {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(fd, `\n=== ${new Date().toISOString()} start ${name}: ${file} ${args.join(' ')}\n`);
  const child: ChildProcess = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const endWatchdog = () => {
    if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
  child.once('exit', endWatchdog);
  const onParentExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.on('exit', onParentExit);
  child.unref();
  return {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    running: () => !exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
      if (!exited) {
        // Referenced again while we wait: an unreferenced child does not keep node alive, so once the
        // SIGKILL timer below has fired, node could exit before the child's exit is seen (it did:
        // `npm run test:cluster` ended with code 0 in the middle of a failed start).
        child.ref();
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exitedPromise;
        clearTimeout(timer);
      }
      process.removeListener('exit', onParentExit);
      endWatchdog();
      if (child.pid !== undefined) {
        const deadline = Date.now() + 5_000;
        while (!pidGone(child.pid) && Date.now() < deadline) await sleep(50);
      }
    },
    tail(lines = 30) {
      try {
        return fs.readFileSync(opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function waitForPort(port: number, what: string, deadline: number, proc: ServiceProcess): Promise<void> {
  while (!(await tcpAccepts('127.0.0.1', port))) {
    if (!proc.running()) throw new Error(`${what} exited during startup; its log:\n${proc.tail(40)}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} in time; its log:\n${proc.tail(40)}`);
    await sleep(100);
  }
}

function grpcCode(err: unknown): number | undefined {
  return typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
}

/**
 * The namespace (retention 3 days) and our search attributes, through the frontend's APIs, each
 * only when missing; then waits until the namespace is usable by history and matching too.
 */
export async function ensureNamespace(address: string, namespace: string, deadline: number): Promise<void> {
  let connection: Connection;
  for (;;) {
    try {
      // The port accepts TCP a moment before the frontend answers gRPC.
      connection = await Connection.connect({ address, connectTimeout: 5_000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
  try {
    for (;;) {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
        break;
      } catch (err) {
        if (grpcCode(err) === 6 /* ALREADY_EXISTS */) break;
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
    const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
    const want = Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [
        name,
        type === 'Keyword' ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD : IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      ]),
    );
    for (;;) {
      try {
        const have = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
        const missing = Object.fromEntries(Object.entries(want).filter(([name]) => have[name] === undefined));
        if (Object.keys(missing).length === 0) break;
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
      } catch (err) {
        // A namespace just created is not in every service's cache yet: NOT_FOUND / UNAVAILABLE for a moment.
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
    // Usable end to end: matching answers for the namespace and visibility has the attributes.
    for (;;) {
      try {
        await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: 'ccsync-readiness' } });
        await connection.workflowService.countWorkflowExecutions({ namespace, query: 'CcsyncConnection = "readiness"' });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  } finally {
    await connection.close();
  }
}

export async function startTemporalCluster(opts: ClusterOptions = {}): Promise<TemporalCluster> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  const binaries = opts.binaries ?? (await resolveClusterBinaries({ withoutUi: opts.uiPort === undefined }));
  const ports = opts.ports === 'free' ? await freePorts() : (opts.ports ?? DEFAULT_PORTS);
  const dbName = opts.dbName ?? 'ccsync_temporal';
  const visibilityDbName = opts.visibilityDbName ?? 'ccsync_temporal_visibility';
  const dbUser = opts.dbUser ?? 'postgres';
  const setupAddr = opts.setupDbAddr ?? '127.0.0.1:5432';
  const namespace = opts.namespace ?? 'default';
  const logDir = opts.logDir ?? path.join(ROOT, '.data', 'cluster', `logs-${dbName}`);
  fs.mkdirSync(logDir, { recursive: true });

  const t0 = Date.now();
  await setupDatabase(binaries.sqlTool, { addr: setupAddr, user: dbUser, password: opts.dbPassword, dbName, schema: 'temporal' });
  await setupDatabase(binaries.sqlTool, { addr: setupAddr, user: dbUser, password: opts.dbPassword, dbName: visibilityDbName, schema: 'visibility' });
  log(`databases ${dbName} and ${visibilityDbName} ready (schemas set up or upgraded) in ${Date.now() - t0} ms`);

  const serviceEnv: Record<string, string> = {
    TEMPORAL_DB_ADDR: opts.dbAddr ?? '127.0.0.1:5432',
    TEMPORAL_DB_USER: dbUser,
    TEMPORAL_DB_PASSWORD: opts.dbPassword ?? '',
    TEMPORAL_DB_NAME: dbName,
    TEMPORAL_VISIBILITY_DB_NAME: visibilityDbName,
    TEMPORAL_BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_DYNAMIC_CONFIG: DYNAMIC_CONFIG_FILE,
    TEMPORAL_LOG_LEVEL: opts.logLevel ?? 'warn',
  };
  const env = { ...process.env, ...serviceEnv };
  const grpcPort: Record<ServiceName, number> = { frontend: ports.frontend, history: ports.history, matching: ports.matching, worker: ports.worker };
  const services = {} as Record<ServiceName, ServiceProcess>;
  const launch = (name: ServiceName) => {
    services[name] = spawnLogged(name, binaries.server, ['--config-file', CONFIG_FILE, '--allow-no-auth', 'start', '--service', name], {
      env,
      cwd: ROOT,
      logFile: path.join(logDir, `${name}.log`),
    });
  };
  /**
   * Launches a service and waits until it listens; one that exits during startup is launched again
   * until the deadline, as a process supervisor (systemd's Restart=on-failure) would. Seen: a matching
   * service restarted while PostgreSQL had no free connection ("too many clients already") exited at
   * once, and the fault test that restarted it waited for a service that never came back.
   */
  const launchUntilListening = async (name: ServiceName, deadline: number) => {
    for (let attempt = 1; ; attempt++) {
      if (!services[name]?.running()) launch(name);
      try {
        await waitForPort(grpcPort[name], `the ${name} service`, deadline, services[name]);
        return;
      } catch (err) {
        if (services[name].running() || Date.now() + 2_000 > deadline) throw err;
        log(`${name} exited during startup (attempt ${attempt}); launching it again`);
        await sleep(1_000);
      }
    }
  };
  let ui: ServiceProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await ui?.stop();
      // Frontend first (no new requests), then matching and history, the worker service last.
      for (const name of ['frontend', 'matching', 'history', 'worker'] as const) await services[name]?.stop();
      if (opts.dropDatabasesOnStop) {
        for (const db of [dbName, visibilityDbName])
          await dropDatabase(binaries.sqlTool, { addr: setupAddr, user: dbUser, password: opts.dbPassword, dbName: db });
      }
    })();
    return stopped;
  };

  const address = `127.0.0.1:${ports.frontend}`;
  try {
    const started = Date.now();
    const deadline = started + 90_000;
    // History first, alone: every service writes the cluster's metadata row when it finds none, and
    // on a fresh database two doing it at once make one exit ("duplicate key ... cluster_metadata_info_pkey",
    // seen on 1.32.1). Once history listens the row exists, and the other three start together.
    await launchUntilListening('history', deadline);
    for (const name of SERVICES.filter((s) => s !== 'history')) launch(name);
    await Promise.all(SERVICES.map((name) => launchUntilListening(name, deadline)));
    await ensureNamespace(address, namespace, deadline);
    log(
      `frontend, history, matching, worker up (pids ${SERVICES.map((s) => services[s].pid).join(', ')}); namespace ${namespace} ready in ${Date.now() - started} ms`,
    );
    if (opts.uiPort !== undefined) {
      ui = spawnLogged('ui', binaries.ui, ['-r', UI_ROOT, '-e', 'development', 'start'], {
        env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_UI_PORT: String(opts.uiPort), TEMPORAL_NAMESPACE: namespace },
        cwd: ROOT,
        logFile: path.join(logDir, 'ui.log'),
      });
      await waitForPort(opts.uiPort, 'the Web UI', Date.now() + 30_000, ui);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    address,
    namespace,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${opts.uiPort}` } : {}),
    ports,
    dbName,
    visibilityDbName,
    serviceEnv,
    services,
    ui,
    logDir,
    async kill(service, signal = 'SIGKILL') {
      await services[service].stop(signal);
    },
    async restart(service) {
      if (services[service].running()) await services[service].stop();
      await launchUntilListening(service, Date.now() + 60_000);
    },
    rssMb() {
      const out: Record<string, number> = {};
      for (const s of SERVICES) out[s] = rssOf(services[s].pid);
      if (ui) out.ui = rssOf(ui.pid);
      return out;
    },
    stop,
  };
}

/** A unique database-name suffix for a test cluster. */
export function uniqueClusterName(prefix = 'ccsync_t'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}
