/**
 * The benchmark's worker process: the product worker (createCcsyncWorker, the same activities,
 * workflows and destination code as `npm run worker`) with two bench-only differences:
 *  - it syncs with a source registry whose Kore.ai client-side rate limit is lifted (see lib/rate-limit.ts);
 *  - an activity interceptor adds `benchExecMs` (the activity's own wall time inside the worker)
 *    to each page result, so the benchmark can split a page's time into HTTP, database, the
 *    activity's own CPU work, and what Temporal adds around it.
 * Configured by CCSYNC_BENCH_WORKER (JSON, lib/types.ts); stopped by SIGTERM/SIGINT (the SDK drains).
 */
import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createCcsyncWorker, type CcsyncWorkerOptions } from '../workers/worker';
import { MEMORY_PREFIX, MemoryPeak } from './lib/memory';
import { benchSources } from './lib/rate-limit';
import { WORKER_READY, type BenchWorkerConfig } from './lib/types';

class ExecTime implements ActivityInboundCallsInterceptor {
  constructor(private readonly experiments: readonly string[]) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (this.experiments.includes('skip-first-heartbeat')) {
      // Experiment (measurement only, --experiment=skip-first-heartbeat): drop the heartbeat a page
      // activity sends as it starts; the ones every 3 s while it runs still go out.
      const ctx = Context.current();
      const heartbeat = ctx.heartbeat;
      let first = true;
      (ctx as { heartbeat: (details?: unknown) => void }).heartbeat = (details?: unknown) => {
        if (first) first = false;
        else heartbeat(details);
      };
    }
    const started = performance.now();
    const result = await next(input);
    if (result && typeof result === 'object' && 'httpMs' in result) {
      (result as { benchExecMs?: number }).benchExecMs = Math.round((performance.now() - started) * 10) / 10;
    }
    return result;
  }
}

async function main(): Promise<void> {
  // Where the process's memory is at its RSS peak (heap, external, native): printed when it stops.
  const memory = new MemoryPeak();
  const text = process.env.CCSYNC_BENCH_WORKER;
  if (!text) throw new Error('CCSYNC_BENCH_WORKER is not set (this entry is started by bench/run.ts)');
  const config = JSON.parse(text) as BenchWorkerConfig;
  if (config.role === 'workflows') {
    // Experiment `split-workers`: a worker polling only workflow tasks (no activities registered).
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: { codePath: config.bundlePath },
      ...config.tuning,
    });
    console.log(`${WORKER_READY} task queue "${config.temporal.taskQueue}" (bench workflow-only worker, pid ${process.pid})`);
    await worker.run();
    await connection.close();
    return;
  }
  // createCcsyncWorker spreads `tuning` into Worker.create; the interceptor rides along with it
  // (and, for an activity-only worker, the removal of the workflow bundle).
  const tuning: NonNullable<CcsyncWorkerOptions['tuning']> & Pick<WorkerOptions, 'interceptors' | 'workflowBundle'> = {
    ...config.tuning,
    interceptors: { activity: [() => ({ inbound: new ExecTime(config.experiments ?? []) })] },
    ...(config.role === 'activities' ? { workflowBundle: undefined } : {}),
  };
  const w = await createCcsyncWorker({
    temporal: config.temporal,
    connectionsFile: config.connectionsFile,
    destinationUrl: config.destinationUrl,
    env: { ...process.env, ...config.env },
    sources: benchSources(),
    workflowBundle: { codePath: config.bundlePath },
    tuning,
  });
  console.log(`${WORKER_READY} task queue "${config.temporal.taskQueue}" (bench worker, pid ${process.pid})`);
  await w.run();
  process.stdout.write(`${MEMORY_PREFIX}${JSON.stringify(memory.report())}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
