/**
 * One budget per vendor account across a fleet of workers: three worker processes
 * (workers/main.ts, as `npm run worker` runs them) backfill one Kore.ai account and one CCAI
 * Platform tenant at once, on the real Temporal dev server, into one destination. The simulators
 * log every request they receive; the test counts them in sliding windows:
 *  - never more than 60 Kore.ai requests in any 60 s, never more than 10 CCAI Platform requests in
 *    any 1 s, and no 429 from either (they enforce the vendors' limits);
 *  - the budget is used: at least 90% of the allowed rate over the middle of the run (the first and
 *    last minute left out: workers starting, windows draining), with the product's defaults (pages,
 *    windows, windows in parallel: nothing tuned for the test);
 *  - every worker took part.
 *
 * Its length: CCSYNC_RATE_TEST_MINUTES (default 2: a middle minute, for development; the proof is
 * 7 minutes, middle five: `npm run test:rate`). Workers: CCSYNC_RATE_TEST_WORKERS (default 3; `npm
 * run test:rate` also runs it with 1). Destination: CCSYNC_RATE_TEST_DESTINATION=postgres (default:
 * the shared budget in PostgreSQL, as for workers on several machines) or sqlite (the limiter file
 * beside the SQLite destination, as for `npm start`). Each run's figures are recorded in
 * test/rate/last-run.json (the README's figures come from there: `npm run readme:rate`).
 * Temporal: the dev server test/run.ts starts, or with CCSYNC_TEST_TARGET=cluster the self-hosted
 * cluster (test/cluster/target.ts: four services on PostgreSQL, eager activities off), recorded as
 * the run's `target`; `npm run test:rate` runs three workers and one on the dev server, then three
 * on the cluster.
 * Run: CCSYNC_TEST_SUITES=rate npx tsx test/run.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import { DEMO_KORE, KoreSimulator, demoKoreOptions } from '../../simulators/kore';
import { maxInAnyWindow } from '../../simulators/kit/server';
import pg from 'pg';
import { destinationUrl, POSTGRES_URL, type DestinationKind } from '../helpers/stack';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { WorkerProcess } from '../helpers/worker-process';
import { koreConnection, writeConnectionsFile } from '../helpers/connections-file';
import { perMinute, recordRun, type RateTarget } from './record';

const MINUTES = Number(process.env.CCSYNC_RATE_TEST_MINUTES ?? 2);
const MIDDLE_MIN = Math.max(1, MINUTES - 2);
const DESTINATION = (process.env.CCSYNC_RATE_TEST_DESTINATION ?? 'postgres') as DestinationKind;
const WORKERS = Number(process.env.CCSYNC_RATE_TEST_WORKERS ?? 3);
const TARGET: RateTarget = process.env.CCSYNC_TEST_TARGET === 'cluster' ? 'cluster' : 'dev server';
const SCHEMA = `rate_fleet_${randomBytes(4).toString('hex')}`;
const DAY = 86_400_000;
const MIN = 60_000;
const today = Math.floor(Date.now() / DAY) * DAY;
// Enough work for the whole run at the full rate, with room to spare.
const KORE_DAYS = Math.ceil((MINUTES * 60 * 1.3) / 5) + 5; // 50 queues: 4,800 records a day, 5 pages of 1,000
const CCAIP_DAYS = Math.ceil((MINUTES * 60 * 10 * 1.3) / (13 * 4)) + 2; // ~13 pages of 5 per 6-hour window
const iso = (t: number) => new Date(t).toISOString();
/** A process's CPU time so far (user + system, /proc/<pid>/stat), in seconds; 0 where /proc is not there. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const SECRETS = { FLEET_KORE_CLIENT_ID: DEMO_KORE.clientId, FLEET_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret, FLEET_CCAIP_TOKEN: DEMO_CCAIP.apiToken };

describe(`${WORKERS} worker process(es) on one Kore.ai account and one CCAI Platform tenant (${MINUTES} min, ${DESTINATION}, Temporal ${TARGET})`, () => {
  let temporal: TestTemporal;
  const kore = new KoreSimulator(demoKoreOptions({ queues: 50 }));
  const ccaipFrom = today - CCAIP_DAYS * DAY - DAY;
  const ccaip = new CcaipSimulator(demoCcaipOptions({ dataStart: ccaipFrom }));
  const workers: WorkerProcess[] = [];
  const handles: WorkflowHandle[] = [];

  before(async () => {
    temporal = await testTemporal();
    const koreUrl = await kore.start(0);
    await ccaip.start(0);
    // Product defaults for Kore.ai (pages of 1,000, the API's maximum; 60 a minute). The CCAI Platform
    // simulator renders a whole window for every page it serves, so small pages over 6-hour windows keep
    // it cheap enough to answer 10 a second on a 2-core machine: the subject here is the ceiling.
    const connectionsFile = writeConnectionsFile(
      [
        koreConnection({
          name: 'kore-fleet',
          baseUrl: koreUrl,
          credentials: { clientId: '${FLEET_KORE_CLIENT_ID}', clientSecret: '${FLEET_KORE_CLIENT_SECRET}' },
        }),
        `  - name: ccaip-fleet
    source: ccaip
    settings: { baseUrl: "${ccaip.apiUrl}", pageSize: 5 }
    credentials: { username: ${DEMO_CCAIP.subdomain}, password: "\${FLEET_CCAIP_TOKEN}" }
    streams: [agent_activity_logs]`,
      ],
      { prefix: 'ccsync-fleet-' },
    );
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      CCSYNC_TASK_QUEUE: uniqueTaskQueue('fleet'),
      CCSYNC_CONNECTIONS: connectionsFile,
      CCSYNC_DESTINATION: DESTINATION === 'postgres' ? `${POSTGRES_URL}?schema=${SCHEMA}` : destinationUrl(DESTINATION),
      ...SECRETS,
    };
    for (let i = 0; i < WORKERS; i++) workers.push(new WorkerProcess(env));
    // Each bundles the workflows with webpack as it starts: slow on a busy 2-core machine.
    await Promise.all(workers.map((w) => w.start(240_000)));
    const koreTo = today - DAY;
    handles.push(
      await temporal.client.workflow.start('backfill', {
        taskQueue: env.CCSYNC_TASK_QUEUE,
        workflowId: `fleet-kore-${Date.now()}`,
        // Windows in parallel: the product's default for a rate-bound account (core/parallel-windows.ts).
        args: [{ connection: 'kore-fleet', from: iso(koreTo - KORE_DAYS * DAY), to: iso(koreTo) }],
      }),
      await temporal.client.workflow.start('backfill', {
        taskQueue: env.CCSYNC_TASK_QUEUE,
        workflowId: `fleet-ccaip-${Date.now()}`,
        args: [{ connection: 'ccaip-fleet', from: iso(ccaipFrom + DAY), to: iso(ccaipFrom + DAY + CCAIP_DAYS * DAY), windowSize: 'PT6H' }],
      }),
    );
  });

  after(async () => {
    await Promise.all(handles.map((h) => h.terminate().catch(() => undefined)));
    await Promise.all(workers.map((w) => w.kill()));
    await kore.stop();
    await ccaip.stop();
    await temporal?.close();
    if (DESTINATION === 'postgres') {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await client.end();
    }
  });

  it('never exceeds either limit together, uses at least 90% of both over the middle of the run, and every worker takes part', async () => {
    const loadAtStart = loadavg();
    const firstRequest = async (sim: { requests(): { at: number }[] }) => {
      for (let i = 0; i < 600 && sim.requests().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(sim.requests().length > 0, 'requests started within a minute');
      return sim.requests()[0]!.at;
    };
    const started = Math.min(await firstRequest(kore), await firstRequest(ccaip));
    // What the machine and the workers did meanwhile: the 1-minute load each minute, each worker's CPU.
    const cpuAtStart = workers.map((w) => cpuSeconds(w.pid));
    const loadPerMinute: number[] = [];
    const sampler = setInterval(() => loadPerMinute.push(Math.round(loadavg()[0]! * 10) / 10), MIN);
    await new Promise((r) => setTimeout(r, started + MINUTES * MIN - Date.now()));
    clearInterval(sampler);
    const workerCpuS = workers.map((w, i) => Math.round((cpuSeconds(w.pid) - cpuAtStart[i]!) * 10) / 10);
    const koreLog = kore.requests();
    const ccaipLog = ccaip.requests();
    for (const h of handles) {
      const d = await h.describe();
      assert.equal(d.status.name, 'RUNNING', `${h.workflowId} was still rate-bound at the end (not out of work, not failed)`);
    }

    const midFrom = started + ((MINUTES - MIDDLE_MIN) / 2) * MIN;
    const midTo = midFrom + MIDDLE_MIN * MIN;
    const inMiddle = (log: { at: number; status: number }[]) => log.filter((e) => e.at >= midFrom && e.at < midTo && e.status === 200).length;
    const figures = {
      kore: {
        requests: koreLog.length,
        maxIn60s: maxInAnyWindow(
          koreLog.map((e) => e.at),
          60_000,
        ),
        middle: inMiddle(koreLog),
        allowed: 60 * MIDDLE_MIN,
        perMinute: perMinute(koreLog, started, MINUTES),
      },
      ccaip: {
        requests: ccaipLog.length,
        maxIn1s: maxInAnyWindow(
          ccaipLog.map((e) => e.at),
          1_000,
        ),
        middle: inMiddle(ccaipLog),
        allowed: 10 * 60 * MIDDLE_MIN,
        perMinute: perMinute(ccaipLog, started, MINUTES),
      },
    };
    console.log(`fleet figures: ${JSON.stringify(figures)}`);
    recordRun({
      at: new Date(started).toISOString(),
      target: TARGET,
      workers: WORKERS,
      destination: DESTINATION,
      minutes: MINUTES,
      middleMinutes: MIDDLE_MIN,
      loadAverage: { start: loadAtStart, end: loadavg() },
      loadPerMinute,
      workerCpuS,
      ...figures,
    });

    assert.deepEqual(
      koreLog.filter((e) => e.status !== 200).map((e) => e.status),
      [],
      'Kore.ai: no 429 (nor anything else)',
    );
    assert.deepEqual(
      ccaipLog.filter((e) => e.status !== 200).map((e) => e.status),
      [],
      'CCAI Platform: no 429 (nor anything else)',
    );
    assert.ok(figures.kore.maxIn60s <= 60, `Kore.ai saw ${figures.kore.maxIn60s} requests in one minute`);
    assert.ok(figures.ccaip.maxIn1s <= 10, `CCAI Platform saw ${figures.ccaip.maxIn1s} requests in one second`);
    assert.ok(
      figures.kore.middle >= 0.9 * figures.kore.allowed,
      `Kore.ai: ${figures.kore.middle} of ${figures.kore.allowed} allowed requests in the middle ${MIDDLE_MIN} min`,
    );
    assert.ok(
      figures.ccaip.middle >= 0.9 * figures.ccaip.allowed,
      `CCAI Platform: ${figures.ccaip.middle} of ${figures.ccaip.allowed} allowed requests in the middle ${MIDDLE_MIN} min`,
    );
    for (const [i, w] of workers.entries()) {
      const logs = w.logs();
      assert.ok(logs.includes('kore-fleet') && logs.includes('ccaip-fleet'), `worker ${i + 1} synced pages of both connections`);
    }
  });
});
