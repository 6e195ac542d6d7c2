/**
 * How to hold a vendor account to its budget across worker processes: the options measured.
 *
 *  1. Temporal's task-queue rate limit (`temporal task-queue config set --queue-rps-limit 1`, the
 *     60-per-minute of Kore.ai) and its per-fairness-key limit (`--fairness-key-rps-limit-default 1`,
 *     one key per account), on a dev server with eager activities off and the new matcher + fairness
 *     on in dynamic config; three workers; a backlog of trivial activities. We record when each
 *     activity starts (what would be the vendor request) and count the most in any 60 s and in any 1 s.
 *  2. The shared sliding log (activities/budget) in PostgreSQL and in a SQLite file: three limiters,
 *     each with its own connection, ten waiters each, on CCAI Platform's rule (10 per 1.01 s, at most 2
 *     per 202 ms) for 30 s; we count grants by
 *     the store's clock and time each grant's round trip.
 *
 * Run: npx tsx bench/limiter-options.ts [--seconds=75]   (about 2½ minutes; mostly idle waiting)
 * Writes bench/results/recorded-limiter-options.json; `--table` prints the README table from it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { SharedBudget } from '../activities/budget/limiter';
import { PostgresBudgetStore } from '../activities/budget/postgres-store';
import { SqliteBudgetStore } from '../activities/budget/sqlite-store';
import type { BudgetStore, TakeRequest, TakeResult } from '../activities/budget/store';
import { startDevServer } from '../dev/dev-server';
import { resolveTemporalCli } from '../dev/temporal-cli';
import { maxInAnyWindow } from '../simulators/kit/server';
import { recordResults, runBenchMain } from './lib/results';

const RESULTS = resolve(__dirname, 'results/recorded-limiter-options.json');
const POSTGRES_URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface TemporalRow {
  option: string;
  seconds: number;
  starts: number;
  maxIn60s: number;
  maxIn1s: number;
  perMinute: number;
  /** Per fairness key, when keyed. */
  perKey?: Record<string, { starts: number; maxIn60s: number }>;
}

interface StoreRow {
  option: string;
  seconds: number;
  grants: number;
  limitPerSecond: number;
  maxIn1s: number;
  share: number;
  roundTripP50Ms: number;
  roundTripP95Ms: number;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100 : 0;
}

async function measureTemporal(seconds: number): Promise<TemporalRow[]> {
  const server = await startDevServer({
    headless: true,
    extraArgs: [
      '--dynamic-config-value',
      'system.enableActivityEagerExecution=false',
      '--dynamic-config-value',
      'matching.useNewMatcher=true',
      '--dynamic-config-value',
      'matching.enableFairness=true',
    ],
  });
  const cli = (await resolveTemporalCli()).path;
  const queues = { plain: `rl-queue-${randomBytes(3).toString('hex')}`, keyed: `rl-keyed-${randomBytes(3).toString('hex')}` };
  const config = (queue: string, flag: string) =>
    execFileSync(cli, ['task-queue', 'config', 'set', '--address', server.address, '--task-queue', queue, '--task-queue-type', 'activity', flag, '1'], {
      stdio: 'pipe',
    });
  config(queues.plain, '--queue-rps-limit');
  config(queues.keyed, '--fairness-key-rps-limit-default');
  const starts: Record<string, { at: number; key: string }[]> = { plain: [], keyed: [] };
  const workers: Worker[] = [];
  const connections: NativeConnection[] = [];
  for (const [name, queue] of Object.entries(queues)) {
    for (let i = 0; i < 3; i++) {
      const connection = await NativeConnection.connect({ address: server.address });
      connections.push(connection);
      workers.push(
        await Worker.create({
          connection,
          taskQueue: queue,
          workflowsPath: require.resolve('./lib/limiter-options-workflow'),
          activities: {
            request(key: string) {
              starts[name]!.push({ at: Date.now(), key });
              return Promise.resolve();
            },
          },
          maxConcurrentActivityTaskExecutions: 50,
        }),
      );
    }
  }
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const running = workers.map((w) => w.run());
  // A backlog well beyond what the limit lets through in the run: the limit is what paces it.
  const n = seconds * 3;
  const plain = await client.workflow.start('limiterBacklog', { taskQueue: queues.plain, workflowId: 'plain', args: [n, ['acct-a']] });
  const keyed = await client.workflow.start('limiterBacklog', { taskQueue: queues.keyed, workflowId: 'keyed', args: [n, ['acct-a', 'acct-b']] });
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await Promise.all([plain.terminate(), keyed.terminate()]);
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await Promise.all(connections.map((c) => c.close()));
  await client.connection.close();
  await server.stop();

  const row = (option: string, list: { at: number; key: string }[]): TemporalRow => {
    const times = list.map((s) => s.at);
    const perKey: TemporalRow['perKey'] = {};
    for (const key of new Set(list.map((s) => s.key))) {
      const mine = list.filter((s) => s.key === key).map((s) => s.at);
      perKey[key] = { starts: mine.length, maxIn60s: maxInAnyWindow(mine, 60_000) };
    }
    return {
      option,
      seconds: Math.round((Date.now() - t0) / 1000),
      starts: list.length,
      maxIn60s: maxInAnyWindow(times, 60_000),
      maxIn1s: maxInAnyWindow(times, 1_000),
      perMinute: Math.round((list.length / seconds) * 60 * 10) / 10,
      perKey: Object.keys(perKey).length > 1 ? perKey : undefined,
    };
  };
  return [
    row('Temporal task-queue limit, 1 rps (= 60/min), 3 workers', starts.plain!),
    row('Temporal fairness-key limit, 1 rps per key, 2 keys, 3 workers', starts.keyed!),
  ];
}

class Timed implements BudgetStore {
  readonly rtt: number[] = [];
  constructor(private readonly inner: BudgetStore) {}
  get describe() {
    return this.inner.describe;
  }
  async take(req: TakeRequest): Promise<TakeResult> {
    const t = performance.now();
    const r = await this.inner.take(req);
    this.rtt.push(performance.now() - t);
    return r;
  }
  settle(key: string, id: number) {
    return this.inner.settle(key, id);
  }
  pause(key: string, pauseMs: number, slowMs: number) {
    return this.inner.pause(key, pauseMs, slowMs);
  }
  close() {
    return this.inner.close();
  }
}

async function measureStore(option: string, open: () => BudgetStore, seconds: number): Promise<StoreRow> {
  const stores = [0, 1, 2].map(() => new Timed(open()));
  const limiters = stores.map((s, i) => new SharedBudget(s, { holder: `bench-${i}` }));
  const rule = { key: `bench:${randomBytes(3).toString('hex')}`, limit: 10, perMs: 1_010, also: [{ limit: 2, perMs: 202 }] };
  const grants: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    limiters.flatMap((l) =>
      Array.from({ length: 10 }, async () => {
        // Each grant is settled at once (a request answered in no time), as the page activity settles on the answer.
        while (Date.now() < until) {
          const g = await l.acquire(rule);
          await l.settle(g);
          grants.push(g.grantedAt);
        }
      }),
    ),
  );
  await Promise.all(limiters.map((l) => l.close()));
  const rtt = stores.flatMap((s) => s.rtt);
  return {
    option,
    seconds,
    grants: grants.length,
    limitPerSecond: 10,
    maxIn1s: maxInAnyWindow(grants, 1_000),
    share: Math.round((grants.length / (seconds * 10)) * 1000) / 1000,
    roundTripP50Ms: pct(rtt, 50),
    roundTripP95Ms: pct(rtt, 95),
  };
}

export function limiterOptionsTable(file = RESULTS): string {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { at: string; temporal: TemporalRow[]; stores: StoreRow[] };
  const lines = [
    `Measured ${r.at.slice(0, 16).replace('T', ' ')} UTC by \`npx tsx bench/limiter-options.ts\` (bench/results/recorded-limiter-options.json).`,
    '',
    '| option | run | requests started | most in any 60 s | most in any 1 s | per key (most in any 60 s) |',
    '|---|---|---|---|---|---|',
    ...r.temporal.map(
      (t) =>
        `| ${t.option} | ${t.seconds} s | ${t.starts} | ${t.maxIn60s} | ${t.maxIn1s} | ${
          t.perKey
            ? Object.entries(t.perKey)
                .map(([k, v]) => `${k}: ${v.maxIn60s}`)
                .join(', ')
            : '–'
        } |`,
    ),
    '',
    '| shared sliding log | run | limit | grants | most in any 1 s | share of the limit used | grant round trip p50 / p95 |',
    '|---|---|---|---|---|---|---|',
    ...r.stores.map(
      (s) =>
        `| ${s.option} | ${s.seconds} s | ${s.limitPerSecond}/s | ${s.grants} | ${s.maxIn1s} | ${(s.share * 100).toFixed(1)}% | ${s.roundTripP50Ms} / ${s.roundTripP95Ms} ms |`,
    ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--table')) {
    console.log(limiterOptionsTable());
    return;
  }
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? 75);
  const schema = `bench_limits_${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-limits-'));
  const stores = [
    await measureStore('PostgreSQL (3 limiters, own connections)', () => new PostgresBudgetStore(`${POSTGRES_URL}?schema=${schema}`), 30),
    await measureStore('SQLite file (3 limiters, own connections)', () => new SqliteBudgetStore(join(dir, 'limits.db')), 30),
  ];
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  console.log(stores);
  const temporal = await measureTemporal(seconds);
  console.log(temporal);
  recordResults(RESULTS, { temporal, stores });
  console.log(limiterOptionsTable());
}

runBenchMain(module, main);
