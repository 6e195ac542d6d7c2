/**
 * The rate-bound benchmark (`npm run bench -- --only=rate`, or `npx tsx bench/rate-bound.ts`): a
 * year of Kore.ai call volume for 50 queues, at the vendor's real 60 requests a minute (the
 * simulator enforces it with 429), with the product's defaults (pages of 1,000, 1-day windows, 4 in
 * parallel), with one worker process and with three on one account (the shared budget,
 * activities/budget). A year takes over half an hour at 60 a minute, so each run is measured for
 * `--minutes` (default 5) and projected:
 *  - requests the year takes (requests per completed window × windows) versus the fewest possible
 *    (records ÷ 1,000, the largest page);
 *  - the wall time that projects to (requests ÷ the measured rate) versus requests ÷ 60 a minute;
 *  - the measured rate as a share of the limit, and the most requests the vendor saw in any 60 s.
 * Writes bench/results/recorded-rate-bound.json; `--table` prints the README table from it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../dev/dev-server';
import { DEMO_KORE, KoreSimulator, demoKoreOptions } from '../simulators/kore';
import { maxInAnyWindow } from '../simulators/kit/server';
import { WorkerProcess } from '../test/helpers/worker-process';
import { koreConnection, writeConnectionsFile } from '../test/helpers/connections-file';
import { recordResults, runBenchMain } from './lib/results';

const RESULTS = resolve(__dirname, 'results/recorded-rate-bound.json');
const DAY = 86_400_000;
const QUEUES = 50;
const RECORDS_PER_DAY = QUEUES * 96;
const MAX_PAGE = 1_000;
const LIMIT_PER_MIN = 60;

interface RateRow {
  workers: number;
  measuredMinutes: number;
  requests: number;
  refused: number;
  maxIn60s: number;
  /** Requests per minute over the measured run after its first minute. */
  perMinute: number;
  windowsDone: number;
  pagesOfDoneWindows: number;
  yearRequests: number;
  fewestRequests: number;
  projectedHours: number;
  idealHours: number;
}

async function measure(address: string, client: Client, workers: number, minutes: number): Promise<RateRow> {
  const kore = new KoreSimulator(demoKoreOptions({ queues: QUEUES }));
  const url = await kore.start(0);
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-rate-bench-'));
  const connections = writeConnectionsFile(
    koreConnection({ name: 'kore-year', baseUrl: url, credentials: { clientId: '${RB_KORE_CLIENT_ID}', clientSecret: '${RB_KORE_CLIENT_SECRET}' } }),
    { dir },
  );
  const taskQueue = `rate-bench-${randomBytes(3).toString('hex')}`;
  const env = {
    TEMPORAL_ADDRESS: address,
    CCSYNC_TASK_QUEUE: taskQueue,
    CCSYNC_CONNECTIONS: connections,
    CCSYNC_DESTINATION: `sqlite:${join(dir, 'ccsync.db')}`,
    RB_KORE_CLIENT_ID: DEMO_KORE.clientId,
    RB_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret,
  };
  const procs = Array.from({ length: workers }, () => new WorkerProcess(env));
  await Promise.all(procs.map((p) => p.start(240_000)));
  const to = Math.floor(Date.now() / DAY) * DAY - DAY;
  const handle = await client.workflow.start('backfill', {
    taskQueue,
    workflowId: `rate-bench-${workers}-${Date.now()}`,
    args: [{ connection: 'kore-year', from: new Date(to - 365 * DAY).toISOString(), to: new Date(to).toISOString() }],
  });
  while (kore.requests().length === 0) await new Promise((r) => setTimeout(r, 200));
  const first = kore.requests()[0]!.at;
  await new Promise((r) => setTimeout(r, first + minutes * 60_000 - Date.now()));
  const progress = await handle.query<{ windows: { done: number }; pages: number }>('progress');
  const log = kore.requests().filter((e) => e.at < first + minutes * 60_000);
  await handle.terminate('benchmark measured');
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  await kore.stop();

  const after1 = log.filter((e) => e.at >= first + 60_000 && e.status === 200).length;
  const perMinute = after1 / (minutes - 1);
  const pagesPerWindow = progress.windows.done ? progress.pages / progress.windows.done : NaN;
  const yearRequests = Math.round(pagesPerWindow * 365);
  return {
    workers,
    measuredMinutes: minutes,
    requests: log.length,
    refused: log.filter((e) => e.status === 429).length,
    maxIn60s: maxInAnyWindow(
      log.map((e) => e.at),
      60_000,
    ),
    perMinute: Math.round(perMinute * 10) / 10,
    windowsDone: progress.windows.done,
    pagesOfDoneWindows: progress.pages,
    yearRequests,
    fewestRequests: Math.ceil((RECORDS_PER_DAY * 365) / MAX_PAGE),
    projectedHours: Math.round((yearRequests / perMinute / 60) * 100) / 100,
    idealHours: Math.round((yearRequests / LIMIT_PER_MIN / 60) * 100) / 100,
  };
}

export function rateBoundTable(file = RESULTS): string {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { at: string; loadAverage: number[]; rows: RateRow[] };
  return [
    `Measured ${r.at.slice(0, 16).replace('T', ' ')} UTC (load average ${r.loadAverage.map((l) => l.toFixed(1)).join(' ')} at start) by \`npm run bench -- --only=rate\` (bench/results/recorded-rate-bound.json).`,
    '',
    '| workers | measured | requests the year takes / fewest possible | projected wall time / requests ÷ 60 a minute | achieved rate (share of 60/min) | most in any 60 s | 429s |',
    '|---|---|---|---|---|---|---|',
    ...r.rows.map(
      (row) =>
        `| ${row.workers} | ${row.measuredMinutes} min, ${row.requests} requests, ${row.windowsDone} days done | ${row.yearRequests} / ${row.fewestRequests} (${((row.yearRequests / row.fewestRequests - 1) * 100).toFixed(1)}% more) | ${row.projectedHours} h / ${row.idealHours} h (×${(row.projectedHours / row.idealHours).toFixed(3)}) | ${row.perMinute}/min (${((row.perMinute / LIMIT_PER_MIN) * 100).toFixed(1)}%) | ${row.maxIn60s} | ${row.refused} |`,
    ),
  ].join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--table')) {
    console.log(rateBoundTable());
    return;
  }
  const minutes = Number(argv.find((a) => a.startsWith('--minutes='))?.split('=')[1] ?? 5);
  const workerCounts = (argv.find((a) => a.startsWith('--workers='))?.split('=')[1] ?? '1,3').split(',').map(Number);
  const loadAverage = loadavg();
  const server = await startDevServer({ headless: true });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const rows: RateRow[] = [];
  try {
    for (const n of workerCounts) {
      console.log(`rate-bound: ${n} worker(s), measuring ${minutes} min...`);
      rows.push(await measure(server.address, client, n, minutes));
      console.log(rows[rows.length - 1]);
    }
  } finally {
    await client.connection.close();
    await server.stop();
  }
  recordResults(RESULTS, { loadAverage, rows });
  console.log(rateBoundTable());
}

runBenchMain(module, main);
