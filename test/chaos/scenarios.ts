/**
 * Durability scenarios: real backfills on the real Temporal dev server while things break — the
 * worker SIGKILLed, the Temporal server restarted, PostgreSQL cut off, the vendor failing in every
 * way it can. Each returns what the README's durability table reports, and each checks the final
 * table against the simulator's ground truth: nothing lost, nothing duplicated.
 *
 * `short` sizes run inside `npm test` (test/integration/durability.test.ts); `full` sizes in
 * `npm run test:chaos` (test/chaos/chaos.test.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { openDestination, type Destination, type StoredRow } from '../../destinations';
import { callVolumeGroundTruth, DEMO_KORE, demoKoreOptions, FaultInjector, KoreSimulator, mulberry32, type KoreFault } from '../../simulators/kore';
import { findFreePort, startDevServer, type DevServer } from '../../dev/dev-server';
import { resolveTemporalCli } from '../../dev/temporal-cli';
import { destinationUrl, POSTGRES_URL } from '../helpers/stack';
import { TcpProxy } from '../helpers/tcp-proxy';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';
import { testTemporal, uniqueTaskQueue } from '../helpers/temporal';
import { WorkerProcess } from '../helpers/worker-process';
import { readAll } from '../helpers/destination-access';
import { queryRows } from '../helpers/sql';
import { koreConnection, writeConnectionsFile } from '../helpers/connections-file';

export type Size = 'short' | 'full';

/** Every figure is computed from the run: nothing here is a constant. */
export interface ScenarioReport {
  scenario: string;
  runs: number;
  /** Faults the scenario caused (kills, restarts, outages, vendor faults, bad inputs). */
  faults: number;
  /**
   * Faults proven to have hit a live run: page activity attempts that failed because of them, read
   * from the exported history (or, for a server restart, a run seen mid-flight before each stop).
   */
  met: number;
  recordsChecked: number;
  /** Records of the ground truth missing or different in the table. */
  lost: number;
  /** Committed inserts, from the database's own ledger (retries and re-reads included). */
  inserted: number;
  /** Committed writes beyond the ground truth's new and changed records: double processing. */
  extraWrites: number;
  seconds: number;
}

export const CONNECTION = 'kore-chaos';
const TABLE = { name: 'kore_callvolume', keyColumns: ['_id'] };
const DAY = 86_400_000;
/**
 * Fixed past ranges, one per scenario: the simulator has data for them whatever today is, and two
 * scenarios never share a window id (a window still running elsewhere would make the next wait).
 */
const FROM = {
  workerKills: Date.parse('2026-09-01T00:00:00Z'),
  serverRestart: Date.parse('2026-08-01T00:00:00Z'),
  postgresOutage: Date.parse('2026-07-01T00:00:00Z'),
  vendorFaults: Date.parse('2026-06-01T00:00:00Z'),
  schemaDrift: Date.parse('2026-05-01T00:00:00Z'),
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The simulator's fault seed in every scenario: the same seed, the same faults, the same verdict. */
export const CHAOS_FAULT_SEED = 7;
/** The seed of the worker-kill moments, per size. */
export const KILL_SEED: Record<Size, number> = { full: 11, short: 7 };

/** Secrets of the chaos connections: they must never appear in a history, a log line or an error. */
export const CHAOS_SECRETS = [DEMO_KORE.clientSecret];

export interface ChaosStack {
  client: Client;
  address: string;
  taskQueue: string;
  kore: KoreSimulator;
  /** The worker's way to the simulator (and optionally to PostgreSQL). */
  koreProxy: TcpProxy;
  connectionsFile: string;
  destinationUrl: string;
  destination: Destination;
  /** The database's own ledger of committed writes to the chaos table. */
  ledger: WriteLedger;
  workerEnv: Record<string, string>;
  close(): Promise<void>;
}

function chaosConnection(koreUrl: string): string {
  return koreConnection({
    name: CONNECTION,
    baseUrl: koreUrl,
    settings: { pageSize: 100 },
    credentials: { clientId: '${CHAOS_KORE_CLIENT_ID}', clientSecret: '${CHAOS_KORE_CLIENT_SECRET}' },
    extra: '    requestTimeout: PT3S',
  });
}

/** A simulator behind a proxy, a connections file and a destination; the worker is the caller's to run. */
export async function chaosStack(
  opts: {
    address?: string;
    destination?: 'sqlite' | 'postgres';
    /** Where the worker writes (e.g. PostgreSQL through a proxy that will go down). */
    destinationUrl?: string;
    /** Where the test reads what was written (default: the same). */
    readUrl?: string;
    latencyMs?: number;
  } = {},
): Promise<ChaosStack> {
  const temporal = opts.address ? undefined : await testTemporal();
  const address = opts.address ?? temporal!.address;
  const connection = temporal ? temporal.connection : await Connection.connect({ address });
  const client = temporal ? temporal.client : new Client({ connection });
  // Fault seed 7 draws 5xx and 429 from the first requests (the PRNG is deterministic).
  const kore = new KoreSimulator(demoKoreOptions({ faultSeed: CHAOS_FAULT_SEED }));
  const koreUrl = new URL(await kore.start(0));
  const koreProxy = new TcpProxy({ host: '127.0.0.1', port: Number(koreUrl.port) }, { latencyMs: opts.latencyMs ?? 0 });
  const proxyPort = await koreProxy.start();
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-chaos-'));
  const connectionsFile = writeConnectionsFile(chaosConnection(`http://127.0.0.1:${proxyPort}`), { dir });
  const url = opts.destinationUrl ?? destinationUrl(opts.destination ?? 'sqlite');
  const taskQueue = uniqueTaskQueue('chaos');
  const workerEnv = {
    TEMPORAL_ADDRESS: address,
    CCSYNC_TASK_QUEUE: taskQueue,
    CCSYNC_CONNECTIONS: connectionsFile,
    CCSYNC_DESTINATION: url,
    CHAOS_KORE_CLIENT_ID: DEMO_KORE.clientId,
    CHAOS_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret,
  };
  const destination = openDestination(opts.readUrl ?? url);
  const ledger = await installWriteLedger(opts.readUrl ?? url, destination, [TABLE]);
  return {
    client,
    address,
    taskQueue,
    kore,
    koreProxy,
    connectionsFile,
    destinationUrl: url,
    destination,
    ledger,
    workerEnv,
    async close() {
      await ledger.close();
      await destination.close();
      await koreProxy.stop();
      await kore.stop();
      if (temporal) await temporal.close();
      else await connection.close();
    },
  };
}

/**
 * Compares the table with the simulator's ground truth for `[from, to)` (lost records) and the
 * database's ledger with the ground truth's count of new records: the vendor changes nothing during
 * a scenario, so every committed insert beyond one per record, and every rewrite, is double processing.
 */
export async function verify(stack: ChaosStack, from: number, to: number): Promise<{ checked: number; lost: number; inserted: number; extraWrites: number }> {
  const truth = callVolumeGroundTruth(stack.kore.data, from, to);
  const rows = (await readAll(stack.destination, TABLE, CONNECTION)).filter((r) => {
    const t = Date.parse((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp);
    return t >= from && t < to;
  });
  const stored = new Map<string, unknown[]>();
  for (const r of rows) stored.set(r.key._id!, [...(stored.get(r.key._id!) ?? []), r.record]);
  let lost = 0;
  for (const t of truth) {
    const found = stored.get(t._id);
    if (!found || JSON.stringify(sortKeys(found[0])) !== JSON.stringify(sortKeys(t))) lost++;
  }
  const strays = [...stored.keys()].filter((id) => !truth.some((t) => t._id === id)).length;
  const writes = await stack.ledger.counts(TABLE.name, CONNECTION);
  const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
  assert.ok(
    state.some((i) => i.start <= from && i.end >= to),
    `the sync state covers the whole range: ${JSON.stringify(state)}`,
  );
  return { checked: truth.length, lost, inserted: writes.inserted, extraWrites: Math.max(0, writes.inserted - truth.length) + writes.updated + strays };
}

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

function startBackfill(stack: ChaosStack, from: number, days: number, extra: Record<string, unknown> = {}): Promise<WorkflowHandle> {
  return stack.client.workflow.start('backfill', {
    taskQueue: stack.taskQueue,
    workflowId: `chaos-backfill-${Date.now().toString(36)}`,
    args: [
      {
        connection: CONNECTION,
        from: new Date(from).toISOString(),
        to: new Date(from + days * DAY).toISOString(),
        windowSize: 'P1D',
        maxParallelWindows: 3,
        ...extra,
      },
    ],
  });
}

/** Ends whatever a failed scenario left running on its task queue, so it cannot hold window ids. */
async function terminateLeftovers(stack: ChaosStack): Promise<void> {
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await stack.client.workflow
      .getHandle(w.workflowId, w.runId)
      .terminate('chaos scenario ended')
      .catch(() => undefined);
  }
}

/**
 * Polls a condition until it holds. The bound is generous (5 min) because it only matters when the
 * condition never comes: on a starved CPU a worker restart and its first page can take minutes.
 * A probe that throws (the server restarting under it) counts as "not yet", its error kept for the message.
 */
async function waitFor(what: string, probe: () => Promise<boolean>, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  let lastError = '';
  for (;;) {
    const ok = await probe().catch((err: unknown) => {
      lastError = err instanceof Error ? err.message : String(err);
      return false;
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? ` (last probe error: ${lastError})` : ''}`);
    await sleep(200);
  }
}

/** 1. The worker process is SIGKILLed at random moments and restarted, several times in one backfill. */
export async function workerKills(size: Size): Promise<ScenarioReport> {
  const started = Date.now();
  const kills = size === 'full' ? 6 : 2;
  const days = size === 'full' ? 10 : 4;
  const stack = await chaosStack({ latencyMs: 300 });
  const worker = new WorkerProcess(stack.workerEnv);
  try {
    await worker.start(180_000);
    const handle = await startBackfill(stack, FROM.workerKills, days);
    const rng = mulberry32(KILL_SEED[size]);
    let done = false;
    const result = handle.result().finally(() => (done = true));
    // Awaited below; a failure before that (a restart that timed out) must surface as itself, not
    // as this promise's rejection once the leftovers are terminated.
    result.catch(() => undefined);
    let killed = 0;
    let missed = 0;
    const attemptsAtKill: LiveAttempt[][] = [];
    while (killed < kills && !done) {
      // Kill while pages are in flight: after the (re)started worker has synced a page, at a random
      // moment of the next ones. A kill before it polls at all would prove nothing. Counted, not
      // searched in the kept output: that is trimmed, and an offset into it goes stale.
      const mark = worker.pagesSynced;
      const deadline = Date.now() + 120_000;
      while (!done && Date.now() < deadline && worker.pagesSynced === mark) await sleep(100);
      await sleep(100 + rng() * 400);
      // The kill meets a live run only if a page attempt is running on this worker at that moment:
      // found in the server's own view (pending activities), proven retried in the history after.
      let live: LiveAttempt[] = [];
      const liveDeadline = Date.now() + 120_000;
      while (!done && Date.now() < liveDeadline && (live = await liveAttemptsOn(stack, worker.pid)).length === 0) await sleep(100);
      if (done) break;
      await worker.kill('SIGKILL');
      await sleep(100 + rng() * 1000);
      // The look above takes a while (one describe per running window): an attempt seen then can
      // finish before the SIGKILL lands. Only work the server still holds open once the worker is
      // dead was met by the kill; a kill that met none is not counted and another one follows.
      const held = await stillPending(stack, live);
      if (held.length > 0) {
        killed++;
        attemptsAtKill.push(held);
      } else missed++;
      // A restart bundles the workflows again: on a loaded 2-core machine that can take a minute.
      await worker.start(180_000);
    }
    assert.equal(killed, kills, `the backfill outlived ${kills} kills that met open work (it finished after ${killed}; ${missed} more met none)`);
    await result;
    const v = await verify(stack, FROM.workerKills, FROM.workerKills + days * DAY);
    assert.ok(!CHAOS_SECRETS.some((s) => worker.logs().includes(s)), 'no secret in the worker logs');
    // Each kill met a live run: a page attempt running on the killed worker at that moment ran
    // again afterwards (a later attempt of the same activity in the exported history).
    const histories = await exportHistories(stack);
    const met = attemptsAtKill.filter((live) => live.some((a) => retriedAfter(histories, a))).length;
    assert.equal(
      met,
      killed,
      `every kill met a live page attempt that was then retried (${met} of ${killed}; attempts at each kill: ${JSON.stringify(attemptsAtKill)})`,
    );
    const timedOut = retriedPages(histories).filter((p) => p.lastType === 'timeout').length;
    assert.ok(timedOut >= 1, 'a page attempt that died with a killed worker timed out (heartbeat) in the exported history');
    return { scenario: 'worker SIGKILL and restart', runs: 1, faults: killed, met, recordsChecked: v.checked, ...v, seconds: (Date.now() - started) / 1000 };
  } finally {
    await terminateLeftovers(stack);
    await worker.stop();
    await stack.close();
  }
}

/** 2. The Temporal dev server itself stops and restarts mid-backfill, from its SQLite file. */
export async function serverRestart(size: Size): Promise<ScenarioReport> {
  const started = Date.now();
  const restarts = size === 'full' ? 2 : 1;
  const days = size === 'full' ? 6 : 3;
  const cli = await resolveTemporalCli();
  const dbFilename = join(mkdtempSync(join(tmpdir(), 'ccsync-chaos-server-')), 'temporal.db');
  const port = await findFreePort();
  let server: DevServer = await startDevServer({ cliPath: cli.path, port, headless: true, dbFilename });
  const stack = await chaosStack({ address: server.address, latencyMs: 400 });
  const worker = new WorkerProcess(stack.workerEnv);
  try {
    await worker.start(180_000);
    const handle = await startBackfill(stack, FROM.serverRestart, days, { maxParallelWindows: 2 });
    const firstRun = (await handle.describe()).runId;
    let met = 0;
    for (let i = 0; i < restarts; i++) {
      // Stop the server only once the run is mid-flight: pages written since the last restart, windows still to go.
      const landed = (await stack.ledger.counts(TABLE.name, CONNECTION)).inserted;
      await waitFor('the backfill to be mid-flight', async () => {
        const p = await handle.query<{ windows: { total: number; done: number; skipped: number } }>('progress');
        const inserted = (await stack.ledger.counts(TABLE.name, CONNECTION)).inserted;
        return inserted > landed && p.windows.done + p.windows.skipped < p.windows.total;
      }).catch((err: Error) => {
        throw new Error(`${err.message}; the worker said:\n${worker.tail()}`);
      });
      await server.stop();
      met++;
      await sleep(2000);
      server = await startDevServer({ cliPath: cli.path, port, headless: true, dbFilename });
    }
    await handle.result();
    // The very run that was cut off finished: nothing was started over.
    const after = await handle.describe();
    assert.equal(after.runId, firstRun, 'the same run went on after the restarts');
    assert.equal(after.status.name, 'COMPLETED');
    const v = await verify(stack, FROM.serverRestart, FROM.serverRestart + days * DAY);
    return {
      scenario: 'Temporal server restart (persisted)',
      runs: 1,
      faults: restarts,
      met,
      recordsChecked: v.checked,
      ...v,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await terminateLeftovers(stack);
    await worker.stop();
    await stack.close();
    await server.stop();
  }
}

/** 3. PostgreSQL refuses connections for a while mid-window (through a proxy that goes down), then comes back. */
export async function postgresOutage(size: Size): Promise<ScenarioReport> {
  const started = Date.now();
  const outages = size === 'full' ? 2 : 1;
  const days = size === 'full' ? 6 : 3;
  const pg = new URL(POSTGRES_URL);
  const pgProxy = new TcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const proxyPort = await pgProxy.start();
  const direct = destinationUrl('postgres');
  const viaProxy = new URL(direct);
  viaProxy.host = `127.0.0.1:${proxyPort}`;
  const stack = await chaosStack({ destinationUrl: viaProxy.toString(), readUrl: direct, latencyMs: 300 });
  const worker = new WorkerProcess(stack.workerEnv);
  try {
    await worker.start(180_000);
    const handle = await startBackfill(stack, FROM.postgresOutage, days, { maxParallelWindows: 2 });
    let outagesMet = 0;
    for (let i = 0; i < outages; i++) {
      await waitFor('pages to land', async () => (await readAll(stack.destination, TABLE, CONNECTION)).length > i * 300).catch((err: Error) => {
        throw new Error(`${err.message}; the worker said:\n${worker.tail()}`);
      });
      await pgProxy.goDown();
      // The outage meets a live run when, while it lasts, the server shows a page attempt whose
      // last failure is the destination's (the attempt wrote into the cut connection).
      const outageEnds = Date.now() + (size === 'full' ? 8000 : 5000);
      let hit = false;
      while (Date.now() < outageEnds) {
        hit ||= (await pendingPageFailures(stack)).includes('DestinationUnavailable');
        await sleep(250);
      }
      await pgProxy.comeBack();
      if (hit) outagesMet++;
    }
    await handle.result();
    const v = await verify(stack, FROM.postgresOutage, FROM.postgresOutage + days * DAY);
    // An outage met a live run when a page's write failed on it and the page was retried.
    const failed = retriedPages(await exportHistories(stack)).filter((p) => p.lastType === 'DestinationUnavailable');
    assert.equal(outagesMet, outages, `a page write failed on the destination during each outage (${outagesMet} of ${outages})`);
    assert.ok(failed.length >= 1, `a page that failed on the destination was retried (${failed.length} in the exported history)`);
    return {
      scenario: 'PostgreSQL unreachable mid-window',
      runs: 1,
      faults: outages,
      met: outagesMet,
      recordsChecked: v.checked,
      ...v,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await terminateLeftovers(stack);
    await worker.stop();
    await stack.close();
    await pgProxy.stop();
  }
}

/** The vendor-fault scenario's random rates and one-shot script. */
const VENDOR_FAULT_RATES = { serverErrorRate: 0.15, rateLimitRate: 0.05, malformedRate: 0.05 };
const VENDOR_SCRIPT: KoreFault[] = [{ kind: 'timeout', ms: 5000 }, { status: 202 }, { kind: 'reset' }, { status: 503 }, { kind: 'malformed' }];
/** The error types a vendor fault fails a page attempt with (a timeout and a reset are VendorUnavailable). */
const VENDOR_FAULT_TYPES = ['VendorUnavailable', 'VendorRateLimited', 'VendorStillProcessing', 'MalformedResponse', 'ResponseCutShort'];

/**
 * The number of faults the vendor-fault scenario must meet, from the seed alone: the script, then
 * one PRNG draw per request until `pages` requests drew no fault (a fault costs one request).
 */
export function predictedVendorFaults(seed: number, pages: number): number {
  const injector = new FaultInjector(seed, VENDOR_FAULT_RATES);
  let faults = VENDOR_SCRIPT.length;
  for (let ok = 0; ok < pages;) {
    if (injector.next('callvolume')) faults++;
    else ok++;
  }
  return faults;
}

/** 4. The vendor fails in every way: 5xx, 429, 202, timeouts, resets, truncated bodies. */
export async function vendorFaults(size: Size): Promise<ScenarioReport> {
  const started = Date.now();
  const days = size === 'full' ? 8 : 3;
  const stack = await chaosStack();
  const worker = new WorkerProcess(stack.workerEnv);
  try {
    await worker.start(180_000);
    stack.kore.setFaults(VENDOR_FAULT_RATES);
    stack.kore.failNext(...VENDOR_SCRIPT);
    const handle = await startBackfill(stack, FROM.vendorFaults, days);
    const result = (await handle.result()) as { pages: number };
    const log = stack.kore.requests();
    const faults = log.filter((r) => r.fault !== undefined).length;
    stack.kore.clearFaults();
    // Determinism: the seed alone decides the faults. Whatever order the parallel windows asked
    // in, the PRNG's draws are the same sequence, so the count is the seed's, given how many
    // requests drew no fault. Those are the pages, plus any answer the worker gave up on because a
    // starved CPU made it late (a client timeout on a clean answer is one more draw): counted from
    // the simulator's log, not assumed, so load cannot change the verdict. A vendor rate-limit
    // answer (429 without a fault) never reached the draw.
    const cleanDraws = log.filter((r) => (r as { endpoint?: string }).endpoint === 'callvolume' && r.fault === undefined && r.status !== 429).length;
    assert.ok(cleanDraws >= result.pages, `every page was a clean answer (${cleanDraws} clean requests, ${result.pages} pages)`);
    assert.equal(
      faults,
      predictedVendorFaults(CHAOS_FAULT_SEED, cleanDraws),
      `the faults are the seed's, not luck (${cleanDraws} clean requests, ${result.pages} pages)`,
    );
    const v = await verify(stack, FROM.vendorFaults, FROM.vendorFaults + days * DAY);
    // Each fault failed exactly one page attempt; the exported histories must show every one.
    const retried = retriedPages(await exportHistories(stack));
    const met = retried.filter((p) => VENDOR_FAULT_TYPES.includes(p.lastType)).reduce((n, p) => n + p.failedAttempts, 0);
    assert.ok(met >= faults, `every vendor fault failed a page attempt seen in history (${met} of ${faults}): ${retried.map((p) => p.lastType).join(', ')}`);
    return {
      scenario: 'vendor 5xx, 429, 202, timeouts, resets, truncated bodies',
      runs: 1,
      faults,
      met,
      recordsChecked: v.checked,
      ...v,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await terminateLeftovers(stack);
    await worker.stop();
    await stack.close();
  }
}

/** Every history of a task queue, exported with the real CLI exactly as a user would. */
export async function exportHistories(stack: ChaosStack): Promise<{ workflowId: string; runId: string; json: string }[]> {
  const cli = await resolveTemporalCli();
  const out: { workflowId: string; runId: string; json: string }[] = [];
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
    const json = await new Promise<string>((resolve, reject) =>
      execFile(
        cli.path,
        ['workflow', 'show', '--address', stack.address, '--workflow-id', w.workflowId, '--run-id', w.runId, '--output', 'json'],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    out.push({ workflowId: w.workflowId, runId: w.runId, json });
  }
  return out;
}

/** A page activity attempt running on a worker, as the server describes its window. */
export interface LiveAttempt {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

type PendingActivity = NonNullable<Awaited<ReturnType<WorkflowHandle['describe']>>['raw']['pendingActivities']>[number];

/**
 * The page activities the server shows pending in the running windows, with their window's ids.
 * Empty when a window closes between the list and its describe: the caller looks again.
 */
async function pendingPageActivities(stack: ChaosStack): Promise<{ workflowId: string; runId: string; activity: PendingActivity }[]> {
  const out: { workflowId: string; runId: string; activity: PendingActivity }[] = [];
  try {
    for await (const w of stack.client.workflow.list({
      query: `TaskQueue = '${stack.taskQueue}' AND WorkflowType = 'syncWindow' AND ExecutionStatus = 'Running'`,
    })) {
      const d = await stack.client.workflow.getHandle(w.workflowId, w.runId).describe();
      for (const activity of d.raw.pendingActivities ?? []) {
        if (activity.activityType?.name === 'syncPage') out.push({ workflowId: w.workflowId, runId: w.runId, activity });
      }
    }
  } catch {
    return [];
  }
  return out;
}

/** Page attempts the server sees running on the worker with this pid (its identity is `ccsync <pid>@<host> ...`). */
async function liveAttemptsOn(stack: ChaosStack, pid: number | undefined): Promise<LiveAttempt[]> {
  if (pid === undefined) return [];
  return (await pendingPageActivities(stack))
    .filter(
      ({ activity: a }) => (String(a.state) === 'PENDING_ACTIVITY_STATE_STARTED' || Number(a.state) === 2) && (a.lastWorkerIdentity ?? '').includes(`${pid}@`),
    )
    .map(({ workflowId, runId, activity: a }) => ({ workflowId, runId, activityId: String(a.activityId), attempt: Number(a.attempt ?? 1) }));
}

/** Of these attempts, those whose activity the server still shows pending (not completed), whatever its attempt now. */
async function stillPending(stack: ChaosStack, attempts: LiveAttempt[]): Promise<LiveAttempt[]> {
  const pending = await pendingPageActivities(stack);
  return attempts.filter((a) =>
    pending.some(
      (p) =>
        p.workflowId === a.workflowId && p.runId === a.runId && String(p.activity.activityId) === a.activityId && Number(p.activity.attempt ?? 1) >= a.attempt,
    ),
  );
}

/** The failure types of the page attempts the server shows failed and waiting for their retry. */
async function pendingPageFailures(stack: ChaosStack): Promise<string[]> {
  return (await pendingPageActivities(stack)).flatMap(({ activity: a }) =>
    a.lastFailure?.applicationFailureInfo?.type ? [a.lastFailure.applicationFailureInfo.type] : [],
  );
}

/** Whether the history shows the activity started again after the given attempt (the attempt died). */
export function retriedAfter(histories: { workflowId: string; runId: string; json: string }[], a: LiveAttempt): boolean {
  const h = histories.find((x) => x.workflowId === a.workflowId && x.runId === a.runId);
  if (!h) return false;
  const events = (JSON.parse(h.json) as { events?: Record<string, any>[] }).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === a.activityId);
  if (!scheduled) return false;
  return events.some(
    (e) =>
      String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId) &&
      Number(e.activityTaskStartedEventAttributes.attempt ?? 1) > a.attempt,
  );
}

/** One page activity that took more than one attempt, as its exported history tells it. */
export interface RetriedPage {
  workflowId: string;
  /** Attempts that failed before the one that finished. */
  failedAttempts: number;
  /** The last failed attempt's error type (`VendorUnavailable`...), or `timeout` for a worker that vanished. */
  lastType: string;
  lastMessage: string;
}

/**
 * Reads the page activities that were retried out of histories exported with the CLI: Temporal
 * writes a retried activity's ActivityTaskStarted with its attempt number and the last failure.
 */
export function retriedPages(histories: { workflowId: string; json: string }[]): RetriedPage[] {
  const out: RetriedPage[] = [];
  for (const h of histories) {
    const events = (JSON.parse(h.json) as { events?: Record<string, any>[] }).events ?? [];
    const pageScheduled = new Set(
      events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncPage').map((e) => String(e.eventId)),
    );
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      if (!started || !pageScheduled.has(String(started.scheduledEventId))) continue;
      const attempt = Number(started.attempt ?? 1);
      if (attempt <= 1) continue;
      const last = started.lastFailure ?? {};
      const lastType = last.applicationFailureInfo?.type ?? (last.timeoutFailureInfo ? 'timeout' : 'other');
      out.push({ workflowId: h.workflowId, failedAttempts: attempt - 1, lastType, lastMessage: String(last.message ?? '') });
    }
  }
  return out;
}

const columns = ['scenario', 'runs', 'faults injected', 'faults met', 'records checked', 'lost', 'inserts', 'extra writes', 'seconds'] as const;

export function formatReport(reports: ScenarioReport[]): string {
  const lines = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
  for (const r of reports) {
    lines.push(
      `| ${r.scenario} | ${r.runs} | ${r.faults} | ${r.met} | ${r.recordsChecked} | ${r.lost} | ${r.inserted} | ${r.extraWrites} | ${r.seconds.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

/** Inputs exactly as people type them into the Web UI's input box, and what the failure must say. */
export const BAD_INPUTS: { workflow: string; input: unknown; says: RegExp }[] = [
  { workflow: 'backfill', input: {}, says: /connection: is required.*from: is required/ },
  { workflow: 'backfill', input: { connection: CONNECTION }, says: /from: is required/ },
  { workflow: 'backfill', input: { connection: 42, from: '2026-09-01T00:00:00Z' }, says: /connection: must be a connection name \(text\)/ },
  { workflow: 'backfill', input: { connection: '', from: '2026-09-01T00:00:00Z' }, says: /connection: must be a connection name/ },
  {
    workflow: 'backfill',
    input: { connection: 'no-such-connection', from: '2026-09-01T00:00:00Z' },
    says: /there is no connection named "no-such-connection"/,
  },
  {
    workflow: 'backfill',
    input: { connection: "kore'; DROP TABLE kore_callvolume;--", from: '2026-09-01T00:00:00Z' },
    says: /connection: must be a connection name/,
  },
  { workflow: 'backfill', input: { connection: '<script>alert(1)</script>', from: '2026-09-01T00:00:00Z' }, says: /connection: must be a connection name/ },
  { workflow: 'backfill', input: { connection: '../../etc/passwd', from: '2026-09-01T00:00:00Z' }, says: /connection: must be a connection name/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: 'yesterday' }, says: /from: must be an ISO-8601 date-time.*"yesterday"/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01' }, says: /from: must be an ISO-8601 date-time with a time zone/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01T00:00:00' }, says: /from: must be an ISO-8601 date-time with a time zone/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: 1788220800000 }, says: /from: must be an ISO-8601 date-time/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-08T00:00:00Z', to: '2026-09-01T00:00:00Z' }, says: /"to" must be later than "from"/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', to: '2026-09-01T00:00:00Z' }, says: /"to" must be later than "from"/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', to: 'tomorrow' }, says: /to: must be an ISO-8601 date-time/ },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2099-01-01T00:00:00Z' }, says: /is in the future; nothing to backfill/ },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', streams: 'callvolume' },
    says: /streams: must be a list of stream names/,
  },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', streams: [] }, says: /streams: must name at least one stream/ },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', streams: ['callvolumes'] },
    says: /"callvolumes" is not a Kore\.ai stream/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', streams: ['CallVolume'] },
    says: /streams\[0\]: must be a stream name/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', streams: ['callvolume; DROP TABLE x'] },
    says: /streams\[0\]: must be a stream name/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', to: '2026-09-02T00:00:00Z', windowSize: 'P40D' },
    says: /windowSize: P40D is larger than callvolume allows \(at most P31D\)/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', windowSize: 'P1M' },
    says: /windowSize: must be a positive ISO-8601 duration.*years and months are not allowed/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', to: '2026-09-02T00:00:00Z', windowSize: 'PT7M' },
    says: /windowSize: PT7M must be a multiple of callvolume's interval, PT15M/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', windowSize: 'fast' },
    says: /windowSize: must be a positive ISO-8601 duration/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', maxParallelWindows: 0 },
    says: /maxParallelWindows: must be at least 1/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', maxParallelWindows: 1000 },
    says: /maxParallelWindows: must be at most 32/,
  },
  {
    workflow: 'backfill',
    input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', maxParallelWindows: '4' },
    says: /maxParallelWindows: must be a whole number from 1 to 32/,
  },
  { workflow: 'backfill', input: { connection: CONNECTION, from: '2026-09-01T00:00:00Z', force: 'yes' }, says: /force: must be true or false/ },
  { workflow: 'backfill', input: { connection: CONNECTION, form: '2026-09-01T00:00:00Z' }, says: /unknown field "form"/ },
  { workflow: 'backfill', input: [CONNECTION], says: /must be one JSON object/ },
  { workflow: 'backfill', input: 'kore-chaos 2026-09-01', says: /must be one JSON object/ },
  { workflow: 'backfill', input: null, says: /the input is empty/ },
  {
    workflow: 'syncWindow',
    input: { connection: CONNECTION, stream: 'callvolume', start: '2026-08-01T00:00:00Z', end: '2026-10-01T00:00:00Z' },
    says: /windows may span at most P31D/,
  },
  {
    workflow: 'syncWindow',
    input: { connection: CONNECTION, stream: 'callvolume', start: '2026-09-02T00:00:00Z', end: '2026-09-01T00:00:00Z' },
    says: /"end" must be later than "start"/,
  },
  {
    workflow: 'syncWindow',
    input: { connection: CONNECTION, stream: 'agents', start: '2026-09-01T00:00:00Z', end: '2026-09-02T00:00:00Z' },
    says: /has no stream "agents"|"agents" is not a Kore\.ai stream/,
  },
  { workflow: 'incrementalSync', input: { connection: 'nope' }, says: /there is no connection named "nope"/ },
  { workflow: 'incrementalSync', input: { connection: CONNECTION, streams: ['x'] }, says: /"x" is not a Kore\.ai stream/ },
  { workflow: 'incrementalSync', input: { connection: CONNECTION, every: '15m' }, says: /unknown field "every"/ },
];

/** 5a. Bad workflow inputs fail at once, in plain words, and nothing is written or fetched. */
export async function badInputs(stack: ChaosStack): Promise<ScenarioReport> {
  const started = Date.now();
  const before = await readAll(stack.destination, TABLE, CONNECTION);
  const writesBefore = await stack.ledger.counts(TABLE.name, CONNECTION);
  stack.kore.resetLog();
  const { WorkflowFailedError } = await import('@temporalio/client');
  let met = 0;
  for (const [i, c] of BAD_INPUTS.entries()) {
    const t0 = Date.now();
    const handle = await stack.client.workflow.start(c.workflow, {
      taskQueue: stack.taskQueue,
      workflowId: `bad-input-${i}-${Date.now().toString(36)}`,
      args: [c.input],
    });
    const err = await handle.result().then(
      () => assert.fail(`${c.workflow} ${JSON.stringify(c.input)} was accepted`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `${JSON.stringify(c.input)}: ${String(err)}`);
    const message = (err.cause as Error).message;
    assert.match(message, c.says, `${c.workflow} ${JSON.stringify(c.input)}`);
    assert.ok(Date.now() - t0 < 15_000, `failed at once: ${message}`);
    met++;
  }
  assert.equal(stack.kore.requests().length, 0, 'not one request reached the vendor');
  const unchanged = await untouched(stack, before, writesBefore);
  return { scenario: 'bad workflow inputs', runs: BAD_INPUTS.length, faults: BAD_INPUTS.length, met, ...unchanged, seconds: (Date.now() - started) / 1000 };
}

/** What a scenario that must write nothing did to the table: rows lost or changed, and any committed write. */
async function untouched(
  stack: ChaosStack,
  before: StoredRow[],
  writesBefore: { inserted: number; updated: number; deleted: number },
): Promise<{ recordsChecked: number; lost: number; inserted: number; extraWrites: number }> {
  const after = new Map((await readAll(stack.destination, TABLE, CONNECTION)).map((r) => [r.key._id, JSON.stringify(r)]));
  const lost = before.filter((r) => after.get(r.key._id) !== JSON.stringify(r)).length;
  const w = await stack.ledger.counts(TABLE.name, CONNECTION);
  const inserted = w.inserted - writesBefore.inserted;
  return { recordsChecked: before.length, lost, inserted, extraWrites: inserted + (w.updated - writesBefore.updated) + (w.deleted - writesBefore.deleted) };
}

/** Broken connections files, and the plain words the worker must refuse them with. */
export const BROKEN_FILES: { text: string; says: RegExp[] }[] = [
  {
    text: 'connections:\n  - name: kore-x\n    source: kore\n    settings: { baseUrl: https://k.example, orgId: o, iId: i }\n    credentials: { token: t }\n',
    says: [/connection "kore-x" \(connections\[0\]\): settings\.accountId: is required/],
  },
  { text: 'connections: [ {name: a', says: [/YAML syntax/] },
  { text: 'connections:\n  - name: z\n    source: zendesk\n', says: [/connection "z" \(connections\[0\]\): source: must be one of kore, liveperson, ccaip/] },
  { text: 'connectoins: []\n', says: [/unknown field "connectoins"/] },
  {
    text: 'connections:\n  - name: k\n    source: kore\n    settings: { baseUrl: not-a-url, accountId: a, orgId: o, iId: i }\n    credentials: { token: t }\n    schedule: { every: sometimes }\n',
    says: [/settings\.baseUrl: must be a URL/, /schedule\.every: must be a positive ISO-8601 duration/],
  },
];

/** 5b. A worker given a broken connections file refuses to start, naming the file, the connection and the field; the data stays. */
export async function brokenConnectionFiles(stack: ChaosStack): Promise<ScenarioReport> {
  const started = Date.now();
  const before = await readAll(stack.destination, TABLE, CONNECTION);
  const writesBefore = await stack.ledger.counts(TABLE.name, CONNECTION);
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-broken-'));
  let met = 0;
  for (const [i, b] of BROKEN_FILES.entries()) {
    const file = join(dir, `connections-${i}.yaml`);
    writeFileSync(file, b.text);
    const worker = new WorkerProcess({ ...stack.workerEnv, CCSYNC_CONNECTIONS: file, CCSYNC_TASK_QUEUE: `${stack.taskQueue}-broken` });
    const err = await worker.start(30_000).then(
      () => assert.fail(`a worker started with broken file ${i}`),
      (e: Error) => e,
    );
    assert.match(err.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'the message names the file');
    for (const says of b.says) assert.match(err.message, says);
    for (const s of CHAOS_SECRETS) assert.ok(!err.message.includes(s));
    met++;
  }
  const unchanged = await untouched(stack, before, writesBefore);
  return {
    scenario: 'broken connections files',
    runs: BROKEN_FILES.length,
    faults: BROKEN_FILES.length,
    met,
    ...unchanged,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * 4b. Schema drift: a field the vendor adds is kept; a declared field whose type changes (text in
 * the numeric `offeredContacts`) does not fail the sync: the record is kept whole (the text in
 * `record`), the typed column is NULL for that row only, and the run reports the field and the
 * number of rows (`misfits`). Every other record equals the vendor's, each inserted once.
 */
export async function schemaDrift(stack: ChaosStack): Promise<ScenarioReport> {
  const started = Date.now();
  const day = FROM.schemaDrift;
  const second = day + 3 * DAY;
  const writesBefore = await stack.ledger.counts(TABLE.name, CONNECTION);
  const rowsOf = async (from: number) =>
    (await readAll(stack.destination, TABLE, CONNECTION)).filter((r) => {
      const t = Date.parse((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp);
      return t >= from && t < from + DAY;
    });
  /** Records not equal to the vendor's once the field the scenario drifted is set aside (`drifted`: its value as sent). */
  const lostOf = (rows: StoredRow[], from: number, field: string, drifted: unknown) => {
    let lost = 0;
    const truth = callVolumeGroundTruth(stack.kore.data, from, from + DAY);
    for (const t of truth) {
      const row = rows.find((r) => r.key._id === t._id);
      const record = (row?.record ?? {}) as Record<string, unknown>;
      const expected = record[field] === drifted ? { ...t, [field]: drifted } : t;
      if (!row || JSON.stringify(sortKeys(record)) !== JSON.stringify(sortKeys(expected))) lost++;
    }
    return { truth: truth.length, lost };
  };

  stack.kore.resetLog();
  stack.kore.failNext({ kind: 'schema-drift', field: 'brandNewMetric', value: 7 });
  await (await startBackfill(stack, day, 1)).result();
  const rows = await rowsOf(day);
  const kept = rows.filter((r) => (r.record as Record<string, unknown>).brandNewMetric === 7);
  assert.equal(kept.length, 1, 'the new field is kept on the record that carried it');
  // Every record equals the vendor's, the drifted one apart from the field it gained.
  const first = lostOf(rows, day, 'brandNewMetric', 7);
  // The drifted page met the run when the record carrying the new field came back from it.
  let met = stack.kore.requests().some((r) => r.fault === 'schema-drift') && kept.length === 1 ? 1 : 0;

  stack.kore.resetLog();
  stack.kore.failNext({ kind: 'schema-drift', field: 'offeredContacts', value: 'many' });
  const result = (await (await startBackfill(stack, second, 1)).result()) as { windows: { done: number; failed: number }; misfits?: Record<string, number> };
  assert.deepEqual([result.windows.done, result.windows.failed], [1, 0], 'the sync with a changed type completed');
  assert.deepEqual(result.misfits, { 'kore_callvolume.offeredContacts': 1 }, 'the run reports the field and how many rows');
  const secondRows = await rowsOf(second);
  const many = secondRows.filter((r) => (r.record as Record<string, unknown>).offeredContacts === 'many');
  assert.equal(many.length, 1, 'the wrong-typed value is in record');
  const nulls = await queryRows(
    stack.destinationUrl,
    {
      sqlite: `SELECT _id FROM kore_callvolume WHERE _connection = ? AND offered_contacts IS NULL AND record LIKE '%"offeredContacts"%'`,
      postgres: `SELECT _id FROM kore_callvolume WHERE _connection = $1 AND offered_contacts IS NULL AND record ? 'offeredContacts'`,
    },
    [CONNECTION],
  );
  assert.deepEqual(
    nulls.map((r) => r._id),
    [many[0]!.key._id],
    'offered_contacts is NULL for that row only',
  );
  const secondCheck = lostOf(secondRows, second, 'offeredContacts', 'many');
  // The changed type met the run when the drifted page was served and the run reported it as a misfit.
  if (stack.kore.requests().some((r) => r.fault === 'schema-drift') && result.misfits?.['kore_callvolume.offeredContacts'] === 1) met++;

  const after = await stack.ledger.counts(TABLE.name, CONNECTION);
  const checked = first.truth + secondCheck.truth;
  const inserted = after.inserted - writesBefore.inserted;
  return {
    scenario: 'schema drift: new field kept, changed type stored as NULL and reported',
    runs: 2,
    faults: 2,
    met,
    recordsChecked: checked,
    lost: first.lost + secondCheck.lost,
    inserted,
    extraWrites: Math.max(0, inserted - checked) + (after.updated - writesBefore.updated),
    seconds: (Date.now() - started) / 1000,
  };
}
