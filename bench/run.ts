/**
 * `npm run bench`: throughput, orchestration overhead and scale of a Kore.ai call-volume backfill.
 *
 * Starts everything it needs on 127.0.0.1 and stops it on exit or Ctrl-C: a headless Temporal dev
 * server (fresh in-memory database), the Kore.ai simulator (50 queues, its rate limit off) behind a
 * TCP proxy that adds latency, and for each run a fresh destination (a SQLite file, or a private
 * PostgreSQL schema that is dropped afterwards) and a fresh process: the ccsync worker
 * (bench/worker.ts) or the plain loop (bench/plain.ts).
 *
 *  1. matrix: for SQLite and PostgreSQL, at 0 ms and 150 ms: the same backfill through Temporal and
 *     through the plain loop; their wall-time ratio is what Temporal costs.
 *  2. scale: one week, three months and one year of 15-minute call volume for 50 queues.
 *
 * Every run is checked against the simulator's ground truth (row count, sampled rows, sync state).
 * Prints a table and writes bench/results/latest.json (and a timestamped copy).
 *
 *   npm run bench                        the full benchmark (about 25 minutes on 2 quiet cores; each matrix cell 3 times per arm)
 *   npm run bench -- --quick             small sizes, a minute or two (development)
 *   npm run bench -- --only=matrix       or --only=scale; more flags: see `--help`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { describeLimiterUrl, LIMITER_ENV } from '../activities/budget';
import { parsePostgresUrl } from '../destinations/postgres';
import { DEMO_KORE, KoreSimulator, demoKoreOptions } from '../simulators/kore';
import { TcpProxy } from '../test/helpers/tcp-proxy';
import { startDevServer, type DevServer } from '../dev/dev-server';
import { resolveTemporalCli, temporalCliVersion } from '../dev/temporal-cli';
import { quietBundle } from '../workers/worker';
import { analyzeBackfill, type HistoryFigures } from './lib/history';
import { CpuMeter, RssSampler, memoryOf, pidsNamed, round } from './lib/proc';
import { BENCH_REQUESTS_PER_MINUTE } from './lib/rate-limit';
import { spread, type Spread } from './lib/stats';
import { RESULT_PREFIX, WORKER_READY, type BenchWorkerConfig, type PlainLoopConfig, type PlainLoopResult, type WorkerTuning } from './lib/types';
import { verifyRun, type Verification } from './lib/verify';
import { MEMORY_PREFIX, type MemoryReport } from './lib/memory';
import { koreConnection, writeConnectionsFile } from '../test/helpers/connections-file';

const ROOT = resolve(__dirname, '..');
const DAY_MS = 86_400_000;
const CONNECTION = 'kore-bench';
const STREAM = 'callvolume';
/** Everything (setup included) must end before this; runs that would start later are skipped. */
const TOTAL_BUDGET_MS = 60 * 60_000;
const POSTGRES_URL = process.env.CCSYNC_BENCH_POSTGRES_URL ?? process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Dest = 'sqlite' | 'postgres';
type Mode = 'temporal' | 'plain';

interface Options {
  quick: boolean;
  only: Set<'matrix' | 'scale'>;
  queues: number;
  pageSize: number;
  matrix: { windowDays: number; parallel: number[]; sweep: number[]; daysPerLane?: number; repeat: number };
  scale: { windowDays: number; parallel: number; windowsPerRun?: number };
  latencies: number[];
  destinations: Dest[];
  scaleDays: number[];
  scaleDestination: Dest;
  scalePlain: boolean;
  poolSize?: number;
  tuning: WorkerTuning;
  serverConfig: string[];
  experiments: string[];
  /** Extra node flags for the worker and plain-loop processes (e.g. V8 heap sizes), as the product's worker would run with. */
  nodeOptions: string[];
  /** Runs that would start after this many minutes are skipped (default: TOTAL_BUDGET_MS). */
  budgetMinutes?: number;
  out: string;
}

const HELP = `npm run bench -- [flags]
  --quick                 small sizes (development); the full run is the default
  --only=matrix|scale     one part only
  --only=rate             the rate-bound table instead (bench/rate-bound.ts: --minutes=5 --workers=1,3, about 15 min)
  --only=typed            what typed columns cost per record written, destinations alone (bench/typed-write.ts, about a minute)
                          --before-feature: also the product before typed columns (6a3db3f, same rounds); --code-at=COMMIT: that commit's typed write path
  --queues=50             simulator queues (records per 15 minutes)
  --page-size=1000        records per page (Kore.ai call volume allows up to 1000)
  --window-days=N         backfill windowSize in days, both parts (call volume allows up to 31)
  --parallel=N            maxParallelWindows (and the plain loop's windows at once), both parts
  --matrix-window-days=7  --matrix-parallel=2 (list)   the matrix: windowSize and maxParallelWindows
  --sweep=1,4             more maxParallelWindows values, at the highest latency only ('' for none)
  --lane-days=14          days per parallel lane in each matrix run (2 windows of 7 days): P lanes = P × 14 days
  --repeat=3              runs per matrix cell and arm (1 with --quick), in the order plain, Temporal, Temporal, plain, ...:
                          each arm's median run is shown, and the range of the ratios of the runs paired by repetition
  --scale-window-days=7 --scale-parallel=4 --windows-per-run=25   the scale runs (windowsPerRun: when the backfill continues as new)
  --latencies=0,150       proxy latency per request, ms
  --destinations=sqlite,postgres
  --scale-days=7,91,365   --scale-destination=sqlite   --scale-plain=false (skip the plain loop at scale)
  --pool-size=N           PostgreSQL pool (?poolSize=), default the product's (10)
  --max-activities=N --max-workflow-tasks=N --max-cached=N   worker tuning (createCcsyncWorker tuning)
  --server-config=K=V[;K=V]  dynamic config for the dev server (--dynamic-config-value), e.g. system.enableActivityEagerExecution=true
  --node-options="--max-semi-space-size=4 ..."   node flags for the worker and plain-loop processes (V8 heap sizes)
  --experiment=skip-first-heartbeat,split-workers   measurement-only variations of the bench worker
                          (split-workers: one activity-only and one workflow-only worker process)
  --budget-minutes=60      runs that would start later are skipped (the results so far are still written)
  --out=bench/results/latest.json`;

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${HELP}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const quick = flags.get('quick') === 'true';
  const num = (name: string, dflt: number) => {
    const v = flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, not ${v}`);
    return n;
  };
  const list = (name: string, dflt: string) =>
    (flags.get(name) ?? dflt)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const onlyList = list('only', 'matrix,scale');
  for (const o of onlyList) if (o !== 'matrix' && o !== 'scale') throw new Error(`--only takes matrix or scale, not ${o}`);
  const only = new Set(onlyList as ('matrix' | 'scale')[]);
  const destList = list('destinations', 'sqlite,postgres');
  for (const d of destList) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`unknown destination ${d}`);
  const dests = destList as Dest[];
  const opt = (name: string) => (flags.has(name) ? num(name, 0) : undefined);
  const tuning: WorkerTuning = {};
  if (opt('max-activities') !== undefined) tuning.maxConcurrentActivityTaskExecutions = opt('max-activities');
  if (opt('max-workflow-tasks') !== undefined) tuning.maxConcurrentWorkflowTaskExecutions = opt('max-workflow-tasks');
  if (opt('max-cached') !== undefined) tuning.maxCachedWorkflows = opt('max-cached');
  const scaleDestination = flags.get('scale-destination') ?? 'sqlite';
  if (scaleDestination !== 'sqlite' && scaleDestination !== 'postgres') throw new Error(`unknown destination ${scaleDestination}`);
  for (const k of flags.keys()) {
    if (!HELP.includes(`--${k}`)) throw new Error(`unknown flag --${k}\n${HELP}`);
  }
  return {
    quick,
    only,
    queues: num('queues', 50),
    pageSize: num('page-size', 1000),
    matrix: {
      windowDays: num('matrix-window-days', num('window-days', 7)),
      parallel: list('matrix-parallel', flags.get('parallel') ?? '2').map(Number),
      sweep: list('sweep', quick ? '' : '1,4').map(Number),
      daysPerLane: flags.has('lane-days') ? num('lane-days', 14) : quick ? 7 : undefined,
      repeat: Math.max(1, num('repeat', quick ? 1 : 3)),
    },
    scale: {
      windowDays: num('scale-window-days', num('window-days', 7)),
      parallel: num('scale-parallel', num('parallel', 4)),
      windowsPerRun: flags.get('windows-per-run') === '' ? undefined : num('windows-per-run', 25),
    },
    latencies: list('latencies', '0,150').map(Number),
    destinations: dests,
    scaleDays: list('scale-days', quick ? '2,7' : '7,91,365').map(Number),
    scaleDestination,
    scalePlain: flags.get('scale-plain') !== 'false',
    poolSize: opt('pool-size'),
    tuning,
    experiments: list('experiment', ''),
    budgetMinutes: opt('budget-minutes'),
    nodeOptions: (flags.get('node-options') ?? '').split(/\s+/).filter(Boolean),
    serverConfig: (flags.get('server-config') ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean),
    out: resolve(ROOT, flags.get('out') ?? 'bench/results/latest.json'),
  };
}

// --- process hygiene -------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  })();
  return cleaning;
}

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the benchmark and everything it started...`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** CCSYNC_BENCH_CPU_PROF=DIR: the worker and plain-loop processes write V8 CPU profiles there (where the time goes). */
const CPU_PROF_DIR = process.env.CCSYNC_BENCH_CPU_PROF;

function spawnTsx(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): { child: ChildProcess; output: () => string; lines: (fn: (line: string) => void) => void } {
  const prof = CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', resolve(CPU_PROF_DIR)] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...prof, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-8000);
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) for (const l of listeners) l(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
  });
  return { child, output: () => tail, lines: (fn) => listeners.push(fn) };
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

// --- the stack -------------------------------------------------------------------------------

interface Stack {
  server: DevServer;
  cliVersion?: string;
  client: Client;
  connection: Connection;
  kore: KoreSimulator;
  proxy: TcpProxy;
  connectionsFile: string;
  bundlePath: string;
  workDir: string;
  env: Record<string, string>;
}

async function startStack(opts: Options): Promise<Stack> {
  const workDir = mkdtempSync(join(os.tmpdir(), 'ccsync-bench-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  const cli = await resolveTemporalCli();
  const server = await startDevServer({
    headless: true,
    cliPath: cli.path,
    logLevel: 'error',
    extraArgs: opts.serverConfig.flatMap((kv) => ['--dynamic-config-value', kv]),
  });
  cleanups.push(() => server.stop());
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: server.namespace });
  // The vendor's limit is lifted for the benchmark only (lib/rate-limit.ts): rateLimitPerMinute 0 here.
  const kore = new KoreSimulator(demoKoreOptions({ queues: opts.queues, rateLimitPerMinute: 0 }));
  const koreUrl = new URL(await kore.start(0, '127.0.0.1'));
  cleanups.push(() => kore.stop());
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(koreUrl.port) });
  const proxyPort = await proxy.start(0);
  cleanups.push(() => proxy.stop());
  const connectionsFile = writeConnectionsFile(
    koreConnection({
      name: CONNECTION,
      baseUrl: `http://127.0.0.1:${proxyPort}`,
      settings: { pageSize: opts.pageSize },
      credentials: { clientId: '${BENCH_KORE_CLIENT_ID}', clientSecret: '${BENCH_KORE_CLIENT_SECRET}' },
      streams: [STREAM],
    }),
    { dir: workDir },
  );
  const bundle = await quietBundle();
  const bundlePath = join(workDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  return {
    server,
    cliVersion: await temporalCliVersion(cli.path).catch(() => undefined),
    client,
    connection,
    kore,
    proxy,
    connectionsFile,
    bundlePath,
    workDir,
    env: { BENCH_KORE_CLIENT_ID: DEMO_KORE.clientId, BENCH_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret },
  };
}

/** A fresh, empty destination for one run, and how to remove it afterwards. */
function freshDestination(stack: Stack, kind: Dest, opts: Options, label: string): { url: string; drop: () => Promise<void> } {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(stack.workDir, `${label}-`));
    return { url: `sqlite:${join(dir, 'ccsync.db')}`, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const params = new URLSearchParams({ schema });
  if (opts.poolSize !== undefined) params.set('poolSize', String(opts.poolSize));
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}${params.toString()}`;
  const drop = async () => {
    const client = new pg.Client({ connectionString: parsePostgresUrl(url).connectionString });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };
  return { url, drop };
}

// --- one run -----------------------------------------------------------------------------------

interface RunSpec {
  id: string;
  part: 'matrix' | 'scale' | 'warmup';
  mode: Mode;
  destination: Dest;
  latencyMs: number;
  days: number;
  from: number;
  windowDays: number;
  parallel: number;
  rep: number;
  /** The backfill's windowsPerRun (default: the product's). */
  windowsPerRun?: number;
}

interface RunResult {
  id: string;
  part: RunSpec['part'];
  mode: Mode;
  destination: Dest;
  latencyMs: number;
  days: number;
  range: { from: string; to: string };
  rep: number;
  params: {
    pageSize: number;
    windowDays: number;
    parallel: number;
    poolSize?: number;
    tuning: WorkerTuning;
    queues: number;
    serverConfig: string[];
    experiments: string[];
    nodeOptions: string[];
    windowsPerRun?: number;
  };
  shape: { windows: number; pagesPerWindow: number; pageSize: number; records: number; pages: number };
  wallMs: number;
  recordsPerSec: number;
  pagesPerSec: number;
  /** Rows per second of database time: records ÷ Σ writeMs (one writer's rate). */
  writeRowsPerSec?: number;
  perPageMs: { http?: Spread; write?: Spread; total?: Spread };
  overhead?: HistoryFigures['perPage'];
  perWindow?: HistoryFigures['perWindow'];
  history?: Omit<HistoryFigures, 'pages' | 'perPage' | 'perWindow' | 'sampleTimeline'>;
  sampleWindowTimeline?: string[];
  cpuSeconds: { runner?: number; temporal?: number; benchProcess?: number; postgres?: number };
  /** breakdown: from inside the process (lib/memory.ts), the worker's main process only. */
  memory: { peakRssMb?: number; rssQuartilesMb?: number[]; breakdown?: MemoryReport };
  verified: Verification;
  error?: string;
}

function windowsOf(from: number, to: number, sizeMs: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let start = from; start < to;) {
    const end = Math.min(Math.floor(start / sizeMs) * sizeMs + sizeMs, to);
    out.push({ start, end });
    start = end;
  }
  return out;
}

async function runOne(stack: Stack, opts: Options, spec: RunSpec, deadline: number): Promise<RunResult> {
  const to = spec.from + spec.days * DAY_MS;
  const windowMs = spec.windowDays * DAY_MS;
  const windows = windowsOf(spec.from, to, windowMs);
  const records = stack.kore.data.callVolumeCount(spec.from, to);
  const perWindow = stack.kore.data.callVolumeCount(spec.from, Math.min(to, spec.from + windowMs));
  const dest = freshDestination(stack, spec.destination, opts, spec.id);
  stack.proxy.setLatency(spec.latencyMs);
  // Generous, yet bounded: a stuck run ends the benchmark instead of hanging it.
  const timeoutMs = Math.max(5_000, Math.min(deadline - Date.now(), 90_000 + records * 0.3));
  const cpu = {
    temporal: new CpuMeter(() => [stack.server.process.pid!]),
    postgres: new CpuMeter(() => (spec.destination === 'postgres' ? pidsNamed('postgres') : [])),
  };
  let runnerCpu = new CpuMeter(() => []);
  const selfCpuStart = process.cpuUsage();
  const base = {
    id: spec.id,
    part: spec.part,
    mode: spec.mode,
    destination: spec.destination,
    latencyMs: spec.latencyMs,
    days: spec.days,
    range: { from: new Date(spec.from).toISOString(), to: new Date(to).toISOString() },
    rep: spec.rep,
    params: {
      pageSize: opts.pageSize,
      windowDays: spec.windowDays,
      parallel: spec.parallel,
      poolSize: opts.poolSize,
      tuning: opts.tuning,
      queues: opts.queues,
      serverConfig: opts.serverConfig,
      experiments: opts.experiments,
      nodeOptions: opts.nodeOptions,
      windowsPerRun: spec.windowsPerRun,
    },
    shape: { windows: windows.length, pagesPerWindow: Math.ceil(perWindow / opts.pageSize), pageSize: opts.pageSize, records, pages: 0 },
  };
  try {
    let wallMs: number;
    let pageSpread: RunResult['perPageMs'];
    let writeMsTotal = 0;
    let pages = 0;
    let figures: HistoryFigures | undefined;
    let sampler: RssSampler | undefined;
    let selfCpu: NodeJS.CpuUsage | undefined;
    let plainCpuMs: number | undefined;
    let peakRssMb: number | undefined;
    let breakdown: MemoryReport | undefined;
    if (spec.mode === 'temporal') {
      const taskQueue = `bench-${spec.id}-${randomBytes(3).toString('hex')}`;
      const config: BenchWorkerConfig = {
        temporal: { address: stack.server.address, namespace: stack.server.namespace, taskQueue },
        connectionsFile: stack.connectionsFile,
        destinationUrl: dest.url,
        env: stack.env,
        bundlePath: stack.bundlePath,
        tuning: opts.tuning,
        experiments: opts.experiments,
      };
      // Normally one worker process; the `split-workers` experiment runs an activity-only and a workflow-only one.
      const split = opts.experiments.includes('split-workers');
      const roles = split ? (['activities', 'workflows'] as const) : (['both'] as const);
      const workers = roles.map((role) => spawnTsx('bench/worker.ts', { CCSYNC_BENCH_WORKER: JSON.stringify({ ...config, role }) }, opts.nodeOptions));
      const w = workers[0]!;
      w.lines((line) => {
        if (line.startsWith(MEMORY_PREFIX)) breakdown = JSON.parse(line.slice(MEMORY_PREFIX.length)) as MemoryReport;
      });
      try {
        await Promise.all(
          workers.map((wk) =>
            withTimeout(
              new Promise<void>((done, fail) => {
                wk.lines((line) => line.includes(WORKER_READY) && done());
                wk.child.once('exit', (code) => fail(new Error(`the bench worker exited with ${code}:\n${wk.output()}`)));
              }),
              90_000,
              'the bench worker start',
            ),
          ),
        );
        const pid = w.child.pid!;
        const pids = workers.map((wk) => wk.child.pid!);
        runnerCpu = new CpuMeter(() => pids);
        sampler = new RssSampler(pid, 250, () => {
          runnerCpu.refresh();
          cpu.temporal.refresh();
          cpu.postgres.refresh();
        }).start();
        const started = performance.now();
        const input = {
          connection: CONNECTION,
          streams: [STREAM],
          from: new Date(spec.from).toISOString(),
          to: new Date(to).toISOString(),
          windowSize: `P${spec.windowDays}D`,
          maxParallelWindows: spec.parallel,
          ...(spec.windowsPerRun === undefined ? {} : { windowsPerRun: spec.windowsPerRun }),
        };
        const workflowId = `bench-${spec.id}-${randomBytes(4).toString('hex')}`;
        const handle = await stack.client.workflow.start('backfill', { taskQueue, workflowId, args: [input] });
        await withTimeout(handle.result(), timeoutMs, `backfill ${spec.id}`);
        wallMs = performance.now() - started;
        sampler.stop();
        selfCpu = process.cpuUsage(selfCpuStart);
        peakRssMb = pids.reduce((sum, p) => sum + (memoryOf(p)?.peakMb ?? NaN), 0);
        await Promise.all(workers.map((wk) => stopChild(wk.child)));
        figures = await analyzeBackfill(stack.client, workflowId, handle.firstExecutionRunId);
        pages = figures.pages.reduce((n, p) => n + p.pages, 0);
        writeMsTotal = figures.pages.reduce((n, p) => n + p.writeMs, 0);
        pageSpread = {
          http: figures.perPage.http,
          write: figures.perPage.write,
          total: figures.perPage.activity,
        };
      } finally {
        await Promise.all(workers.map((wk) => stopChild(wk.child, 5_000)));
      }
    } else {
      const config: PlainLoopConfig = {
        connectionsFile: stack.connectionsFile,
        destinationUrl: dest.url,
        env: stack.env,
        connection: CONNECTION,
        stream: STREAM,
        windows,
        parallel: spec.parallel,
      };
      const p = spawnTsx('bench/plain.ts', { CCSYNC_BENCH_PLAIN: JSON.stringify(config) }, opts.nodeOptions);
      try {
        const pid = p.child.pid!;
        runnerCpu = new CpuMeter(() => [pid]);
        sampler = new RssSampler(pid, 250, () => {
          runnerCpu.refresh();
          cpu.temporal.refresh();
          cpu.postgres.refresh();
        }).start();
        const result = await withTimeout(
          new Promise<PlainLoopResult>((done, fail) => {
            p.lines((line) => {
              if (line.startsWith(RESULT_PREFIX)) done(JSON.parse(line.slice(RESULT_PREFIX.length)) as PlainLoopResult);
            });
            p.child.once('exit', (code) => fail(new Error(`the plain loop exited with ${code}:\n${p.output()}`)));
          }),
          timeoutMs,
          `plain loop ${spec.id}`,
        );
        sampler.stop();
        selfCpu = process.cpuUsage(selfCpuStart);
        wallMs = result.wallMs;
        plainCpuMs = result.cpuMs;
        peakRssMb = result.peakRssMb;
        breakdown = result.memory;
        pages = result.pages.length;
        writeMsTotal = result.pages.reduce((n, pg) => n + pg.writeMs, 0);
        pageSpread = {
          http: spread(result.pages.map((pg) => pg.httpMs)),
          write: spread(result.pages.map((pg) => pg.writeMs)),
          total: spread(result.pages.map((pg) => pg.totalMs)),
        };
        // It exits by itself right after its result line (and writes its CPU profile, if asked).
        await withTimeout(exitOf(p.child), 10_000, 'the plain loop exit').catch(() => undefined);
      } finally {
        await stopChild(p.child, 5_000);
      }
    }
    const self = selfCpu ?? process.cpuUsage(selfCpuStart);
    const verified = await verifyRun({ data: stack.kore.data, destinationUrl: dest.url, connection: CONNECTION, from: spec.from, to });
    const cpuS = (v: number | undefined) => (v === undefined ? undefined : round(v / 1000, 1));
    return {
      ...base,
      shape: { ...base.shape, pages },
      wallMs: round(wallMs),
      recordsPerSec: round(records / (wallMs / 1000)),
      pagesPerSec: round(pages / (wallMs / 1000), 1),
      writeRowsPerSec: writeMsTotal > 0 ? round(records / (writeMsTotal / 1000)) : undefined,
      perPageMs: pageSpread,
      overhead: figures?.perPage,
      perWindow: figures?.perWindow,
      history: figures && {
        backfillRuns: figures.backfillRuns,
        windowRuns: figures.windowRuns,
        windows: figures.windows,
        maxEventsBackfillRun: figures.maxEventsBackfillRun,
        maxEventsWindowRun: figures.maxEventsWindowRun,
        totalEvents: figures.totalEvents,
      },
      sampleWindowTimeline: figures?.sampleTimeline,
      cpuSeconds: {
        runner: cpuS(plainCpuMs ?? runnerCpu.total()),
        temporal: cpuS(cpu.temporal.total()),
        benchProcess: round((self.user + self.system) / 1e6, 1),
        postgres: spec.destination === 'postgres' ? cpuS(cpu.postgres.total()) : undefined,
      },
      memory: { peakRssMb: peakRssMb === undefined ? undefined : round(peakRssMb, 1), rssQuartilesMb: sampler?.quartiles(), breakdown },
      verified,
    };
  } catch (err) {
    return {
      ...base,
      wallMs: NaN,
      recordsPerSec: NaN,
      pagesPerSec: NaN,
      perPageMs: {},
      cpuSeconds: {},
      memory: {},
      verified: { ok: false, rows: 0, expected: records, sampled: 0, mismatches: 0, stateComplete: false, problems: ['the run failed'] },
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    await dest.drop().catch(() => undefined);
  }
}

// --- reporting ---------------------------------------------------------------------------------

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

async function postgresVersion(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(`SHOW server_version`);
    return rows[0]?.v;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pair = (s: Spread | undefined, digits = 0) => (s ? `${fmt(s.p50, digits)} / ${fmt(s.p95, digits)}` : 'n/a');

/** A Markdown table, or nothing when there are no rows (that part of the benchmark did not run). */
function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

interface Ratio {
  destination: Dest;
  latencyMs: number;
  parallel: number;
  /** Median Temporal run ÷ median plain run (wall time). */
  ratio: number;
  /** The runs behind it (each arm's median), and how many runs each arm had. */
  temporalRun: string;
  plainRun: string;
  reps: number;
  /** Temporal ÷ plain of the runs of the same repetition, sorted: how far the ratio moves run to run. */
  pairs: number[];
}

/** The columns every run's row has, in the matrix and the scale table alike (after its own leading ones). */
const RUN_HEADERS = ['windows×pages×K', 'records', 'wall s', 'records/s', 'pages/s', 'vs plain', 'orchestration/page p50/p95 ms', 'peak RSS MB'];

function runCells(x: RunResult, wallDigits: number, vsPlain: string): string[] {
  return [
    `${x.shape.windows}×${x.shape.pagesPerWindow}×${x.shape.pageSize}`,
    fmt(x.shape.records),
    fmt(x.wallMs / 1000, wallDigits),
    fmt(x.recordsPerSec),
    fmt(x.pagesPerSec, 1),
    vsPlain,
    x.mode === 'temporal' ? pair(x.overhead?.orchestration, 1) : '–',
    fmt(x.memory.peakRssMb),
  ];
}

/** Where the process's memory was at its RSS peak, from inside it (lib/memory.ts). */
const atPeak = (x: RunResult) => {
  const p = x.memory.breakdown?.atPeak;
  return p ? `${fmt(p.heapTotalMb)} / ${fmt(p.externalMb)} / ${fmt(p.nativeMb)}` : 'n/a';
};

const verifiedCell = (x: RunResult) => (x.verified.ok ? 'ok' : `FAILED: ${x.error ?? x.verified.problems.join('; ')}`);

function report(results: RunResult[]): { matrix: string; scale: string; breakdown: string; ratios: Ratio[]; medians: RunResult[] } {
  const ratios: Ratio[] = [];
  /** The Temporal run shown for each cell (its arm's median): the per-page targets are checked on it. */
  const medians: RunResult[] = [];
  const matrixRows: string[][] = [];
  const breakdownRows: string[][] = [];
  // With --repeat, each cell shows its median run (by wall time).
  const medianRun = (mode: Mode, destination: Dest, latencyMs: number, parallel: number): RunResult | undefined => {
    const runs = results
      .filter((x) => x.part === 'matrix' && x.mode === mode && x.destination === destination && x.latencyMs === latencyMs && x.params.parallel === parallel)
      .sort((a, b) => (Number.isNaN(a.wallMs) ? Infinity : a.wallMs) - (Number.isNaN(b.wallMs) ? Infinity : b.wallMs));
    return runs[Math.floor((runs.length - 1) / 2)];
  };
  const cells = new Map<string, { destination: Dest; latencyMs: number; parallel: number }>();
  for (const x of results) {
    if (x.part === 'matrix')
      cells.set(`${x.destination}|${x.latencyMs}|${x.params.parallel}`, { destination: x.destination, latencyMs: x.latencyMs, parallel: x.params.parallel });
  }
  for (const cell of cells.values()) {
    const r = medianRun('temporal', cell.destination, cell.latencyMs, cell.parallel);
    if (!r) continue;
    const plain = medianRun('plain', cell.destination, cell.latencyMs, cell.parallel);
    const ratio = plain && Number.isFinite(plain.wallMs) && Number.isFinite(r.wallMs) ? r.wallMs / plain.wallMs : undefined;
    const arm = (mode: Mode) =>
      results.filter(
        (x) =>
          x.part === 'matrix' && x.mode === mode && x.destination === cell.destination && x.latencyMs === cell.latencyMs && x.params.parallel === cell.parallel,
      );
    const pairs = arm('temporal')
      .map((t) => [t, arm('plain').find((p) => p.rep === t.rep)] as const)
      .filter(([t, p]) => p && Number.isFinite(t.wallMs) && Number.isFinite(p.wallMs))
      .map(([t, p]) => round(t.wallMs / p!.wallMs, 3))
      .sort((a, b) => a - b);
    if (ratio !== undefined && plain) {
      ratios.push({
        destination: r.destination,
        latencyMs: r.latencyMs,
        parallel: cell.parallel,
        ratio: round(ratio, 3),
        temporalRun: r.id,
        plainRun: plain.id,
        reps: arm('temporal').length,
        pairs,
      });
      medians.push(r);
    }
    for (const x of [plain, r]) {
      if (!x) continue;
      const vsPlain = x.mode === 'temporal' ? (ratio === undefined ? 'n/a' : `${fmt(ratio, 2)}×${pairRange(pairs)}`) : '1.00×';
      matrixRows.push([
        x.destination,
        `${x.latencyMs} ms`,
        String(x.params.parallel),
        x.mode,
        ...runCells(x, 2, vsPlain),
        fmt(x.writeRowsPerSec),
        verifiedCell(x),
      ]);
    }
    if (plain) {
      const o = r.overhead;
      breakdownRows.push([
        r.destination,
        `${r.latencyMs} ms`,
        String(cell.parallel),
        pair(r.perPageMs.http),
        pair(r.perPageMs.write),
        pair(o?.compute, 1),
        pair(o?.scheduleToStart, 1),
        pair(o?.temporalAround, 1),
        pair(o?.gap, 1),
        pair(o?.orchestration, 1),
        pair(plain.perPageMs.total),
        pair(r.perPageMs.total),
        `${fmt(r.cpuSeconds.runner, 1)} / ${fmt(plain.cpuSeconds.runner, 1)}`,
        fmt(r.cpuSeconds.temporal, 1),
        `${fmt(r.cpuSeconds.benchProcess, 1)} / ${fmt(plain.cpuSeconds.benchProcess, 1)}`,
        r.destination === 'postgres' ? `${fmt(r.cpuSeconds.postgres, 1)} / ${fmt(plain.cpuSeconds.postgres, 1)}` : '–',
      ]);
    }
  }
  const scaleRows = results
    .filter((x) => x.part === 'scale')
    .map((x) => {
      const plain = results.find((y) => y.part === 'scale' && y.mode === 'plain' && y.days === x.days);
      const vsPlain = x.mode === 'plain' ? '1.00×' : plain && Number.isFinite(plain.wallMs) ? `${fmt(x.wallMs / plain.wallMs, 2)}×` : '–';
      return [
        `${x.days} days`,
        x.mode,
        x.destination,
        ...runCells(x, 1, vsPlain),
        x.memory.rssQuartilesMb?.map((m) => fmt(m)).join(' → ') ?? 'n/a',
        atPeak(x),
        x.history ? `${x.history.backfillRuns} / ${x.history.windowRuns}` : '–',
        x.history ? `${x.history.maxEventsBackfillRun} / ${x.history.maxEventsWindowRun}` : '–',
        verifiedCell(x),
      ];
    });
  return {
    ratios,
    medians,
    matrix: table(['dest', 'latency', 'P', 'mode', ...RUN_HEADERS, 'write rows/s', 'verified'], matrixRows),
    breakdown: table(
      [
        'dest',
        'latency',
        'P',
        'http ms',
        'write ms',
        'compute ms',
        'sched→start ms',
        'Temporal around ms',
        'gap ms',
        'orchestration ms',
        'plain page ms',
        'Temporal page ms',
        'CPU s worker / plain',
        'CPU s server',
        'CPU s sim+proxy T / P',
        'CPU s PG T / P',
      ],
      breakdownRows,
    ),
    scale: table(
      [
        'scale',
        'mode',
        'dest',
        ...RUN_HEADERS,
        'RSS at 25/50/75/100 % MB',
        'at RSS peak: heap / external / native MB',
        'runs backfill / windows',
        'max events backfill / window run',
        'verified',
      ],
      scaleRows,
    ),
  };
}

// --- targets (issue #18) --------------------------------------------------------------------------

/** " (pairs 0.98–1.10)" when the cell ran more than once. */
const pairRange = (pairs: number[]) => (pairs.length > 1 ? ` (pairs ${fmt(pairs[0], 2)}–${fmt(pairs[pairs.length - 1], 2)})` : '');

interface TargetCheck {
  target: string;
  /** What was measured, as shown. */
  measured: string;
  met: boolean;
}

/** The limits #18 sets, checked against this run's figures (the ratio side by side, not absolute times). */
const TARGETS = { ratioAt150: 1.05, ratioAt0: 1.3, orchestrationP50Ms: 10, rssGrowth: 0.2 } as const;

function checkTargets(results: RunResult[], ratios: Ratio[], medians: RunResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of ratios) {
    const limit = r.latencyMs === 0 ? TARGETS.ratioAt0 : r.latencyMs >= 150 ? TARGETS.ratioAt150 : undefined;
    if (limit === undefined) continue;
    out.push({
      target: `${r.destination} ${r.latencyMs} ms, ${r.parallel} window${r.parallel > 1 ? 's' : ''}: Temporal / plain ≤ ${limit.toFixed(2)}×`,
      measured: `${r.ratio.toFixed(2)}×${pairRange(r.pairs)}`,
      met: r.ratio <= limit,
    });
  }
  for (const x of medians) {
    const p50 = x.overhead?.orchestration?.p50;
    if (p50 === undefined) continue;
    out.push({
      target: `${x.destination} ${x.latencyMs} ms, ${x.params.parallel} window${x.params.parallel > 1 ? 's' : ''}: orchestration per page p50 < ${TARGETS.orchestrationP50Ms} ms`,
      measured: `${fmt(p50, 1)} ms`,
      met: p50 < TARGETS.orchestrationP50Ms,
    });
  }
  const scale = results.filter((y) => y.part === 'scale' && y.mode === 'temporal' && y.memory.peakRssMb !== undefined).sort((a, b) => a.days - b.days);
  const week = scale.find((y) => y.days === 7) ?? scale[0];
  const year = scale.find((y) => y.days === 365) ?? scale[scale.length - 1];
  if (week && year && year !== week) {
    const growth = year.memory.peakRssMb! / week.memory.peakRssMb! - 1;
    out.push({
      target: `worker peak RSS, ${week.days} → ${year.days} days of history: growth ≤ ${TARGETS.rssGrowth * 100}%`,
      measured: `${fmt(week.memory.peakRssMb)} → ${fmt(year.memory.peakRssMb)} MB (${growth >= 0 ? '+' : ''}${fmt(growth * 100)}%)`,
      met: growth <= TARGETS.rssGrowth,
    });
  }
  return out;
}

// --- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  // The rate-bound table lives in its own module (bench/rate-bound.ts): mostly idle waiting on the vendor's limit.
  if (process.argv.includes('--only=rate')) {
    await (await import('./rate-bound')).main(process.argv.slice(2).filter((a) => a !== '--only=rate'));
    return;
  }
  if (process.argv.includes('--only=typed')) {
    await (await import('./typed-write')).main(process.argv.slice(2).filter((a) => a !== '--only=typed'));
    return;
  }
  const benchStarted = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const deadline = benchStarted + (opts.budgetMinutes ? opts.budgetMinutes * 60_000 : TOTAL_BUDGET_MS);
  const load = os.loadavg();
  console.log(`ccsync benchmark: ${opts.quick ? 'quick' : 'full'} profile; load average ${load.map((l) => l.toFixed(2)).join(' ')}`);
  if (load[0]! > 0.7) console.log('  note: the machine is not idle (1-minute load above 0.7); figures will be slower and noisier.');
  const stack = await startStack(opts);
  console.log(
    `  Temporal dev server ${stack.server.address} (${stack.cliVersion ?? 'version unknown'}), Kore.ai simulator with ${opts.queues} queues behind a latency proxy`,
  );
  console.log(
    `  Kore.ai rate limit lifted for the benchmark only: simulator rateLimitPerMinute 0, client limit ${BENCH_REQUESTS_PER_MINUTE.toExponential()} / min in the bench processes`,
  );
  const results: RunResult[] = [];
  // The simulator has data from 2025-01-01; windows are aligned to multiples of their size since the epoch.
  const dataStart = Date.parse('2025-01-01T00:00:00Z');
  const aligned = (windowDays: number) => Math.ceil(dataStart / (windowDays * DAY_MS)) * windowDays * DAY_MS;
  const specs: RunSpec[] = [];
  // A small warm-up (not reported): JIT, caches, the dev server's first workflows.
  specs.push({
    id: 'warmup',
    part: 'warmup',
    mode: 'temporal',
    destination: 'sqlite',
    latencyMs: 0,
    days: 2,
    from: dataStart,
    windowDays: 1,
    parallel: 2,
    rep: 1,
  });
  // Scale first: the memory target needs its runs whole, and a time budget that runs out skips the last matrix cells instead.
  if (opts.only.has('scale')) {
    const sc = opts.scale;
    for (const days of opts.scaleDays) {
      for (const mode of opts.scalePlain ? (['plain', 'temporal'] as const) : (['temporal'] as const)) {
        const spec = {
          part: 'scale' as const,
          mode,
          destination: opts.scaleDestination,
          latencyMs: 0,
          days,
          from: aligned(sc.windowDays),
          windowDays: sc.windowDays,
          parallel: sc.parallel,
          rep: 1,
          windowsPerRun: sc.windowsPerRun,
        };
        specs.push({ id: `scale-${days}d-${mode}`, ...spec });
      }
    }
  }
  if (opts.only.has('matrix')) {
    const m = opts.matrix;
    // Each parallel lane walks the same number of windows one after another (two by default), so
    // every run has the same sequential depth whatever its parallelism.
    const lanes = (parallel: number) => parallel * (m.daysPerLane ?? 2 * m.windowDays);
    const topLatency = Math.max(...opts.latencies);
    for (const destination of opts.destinations) {
      for (const latencyMs of opts.latencies) {
        const parallels = [...new Set([...m.parallel, ...(latencyMs === topLatency ? m.sweep : [])])].sort((a, b) => a - b);
        for (const parallel of parallels) {
          for (let rep = 1; rep <= m.repeat; rep++) {
            // Alternating order (ABBA): a load that rises or falls during the cell weighs on both arms alike.
            for (const mode of rep % 2 === 1 ? (['plain', 'temporal'] as const) : (['temporal', 'plain'] as const)) {
              const id = `matrix-${destination}-${latencyMs}ms-p${parallel}-${mode}${m.repeat > 1 ? `-${rep}` : ''}`;
              specs.push({
                id,
                part: 'matrix',
                mode,
                destination,
                latencyMs,
                days: lanes(parallel),
                from: aligned(m.windowDays),
                windowDays: m.windowDays,
                parallel,
                rep,
              });
            }
          }
        }
      }
    }
  }
  for (const spec of specs) {
    if (Date.now() > deadline - 30_000) {
      console.log(`  skipped ${spec.id}: the benchmark's time budget is spent`);
      continue;
    }
    process.stdout.write(`  ${spec.id} ... `);
    const r = await runOne(stack, opts, spec, deadline);
    console.log(
      r.error
        ? `FAILED: ${r.error.split('\n')[0]}`
        : `${fmt(r.wallMs / 1000, 2)} s, ${fmt(r.recordsPerSec)} records/s, ${r.verified.ok ? 'verified' : `NOT VERIFIED: ${r.verified.problems.join('; ')}`}`,
    );
    if (spec.part !== 'warmup') results.push(r);
  }
  const finishedAt = Date.now();
  const tables = report(results);
  const output = {
    startedAt: new Date(benchStarted).toISOString(),
    durationSeconds: round((finishedAt - benchStarted) / 1000, 1),
    machine: { ...machine(), loadAverageAtStart: load.map((l) => round(l, 2)), loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)) },
    versions: { temporalCli: stack.cliVersion, postgres: await postgresVersion() },
    // The worker's heap growth (workers/heap.ts) comes from the environment the worker inherits.
    options: {
      ...opts,
      only: [...opts.only],
      out: undefined,
      workerHeapGrowingPercent: process.env.CCSYNC_HEAP_GROWING_PERCENT ?? 'default',
      // The limiter's URL may carry a password: only its description is recorded.
      workerLimiter: describeLimiterUrl(process.env[LIMITER_ENV]) ?? 'default',
    },
    rateLimit: {
      simulatorPerMinute: 0,
      clientPerMinute: BENCH_REQUESTS_PER_MINUTE,
      note: 'lifted for the benchmark only; the product keeps Kore.ai at 60 per minute',
    },
    ratios: tables.ratios,
    targets: checkTargets(results, tables.ratios, tables.medians),
    results,
  };
  mkdirSync(resolve(opts.out, '..'), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(output, null, 2)}\n`);
  writeFileSync(resolve(opts.out, '..', `${output.startedAt.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(output, null, 2)}\n`);
  const m = output.machine;
  console.log(
    `\nMachine: ${m.nproc} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; Temporal CLI ${stack.cliVersion ?? '?'}; PostgreSQL ${output.versions.postgres ?? 'n/a'}`,
  );
  if (tables.matrix) {
    console.log(`\nThroughput and overhead (same pages, same concurrency: Temporal vs the plain loop)\n${tables.matrix}`);
    console.log(`\nWhere a page's time goes, p50 / p95 ms per page, and CPU seconds per process (Temporal run / plain run)\n${tables.breakdown}`);
  }
  if (tables.scale) console.log(`\nScale (15-minute call volume, ${opts.queues} queues)\n${tables.scale}`);
  console.log(
    `\nTargets (#18), measured in this run\n${table(
      ['target', 'measured', 'met'],
      output.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']),
    )}`,
  );
  const failed = results.filter((r) => !r.verified.ok);
  console.log(`\nWrote ${opts.out}. The benchmark took ${fmt(output.durationSeconds / 60, 1)} minutes.`);
  await cleanup();
  if (failed.length) {
    console.error(`${failed.length} run(s) failed or were not verified: ${failed.map((f) => f.id).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch(async (err: unknown) => {
  console.error(`the benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanup();
  process.exit(1);
});
