/**
 * The plain loop: the same pages a backfill syncs, fetched and written by the same code
 * (activities/sync-page.ts `syncPage` = `fetchPage` over the same undici client + `writePage` of
 * the same destination; `commitWindow` after each window), the same number of windows at once,
 * one page after another inside a window, but no Temporal. Run as its own process by bench/run.ts,
 * like the worker, so both pay the same process and event-loop costs. Configured by
 * CCSYNC_BENCH_PLAIN (JSON, lib/types.ts); prints one result line (RESULT_PREFIX + JSON).
 */
import { ConnectionsStore } from '../activities/connections';
import { closeRuntime, createRuntime } from '../activities/runtime';
import { commitWindow } from '../activities/state';
import { syncPage } from '../activities/sync-page';
import type { Cursor } from '../core/pagination';
import { toIso } from '../core/time';
import { openDestination } from '../destinations';
import { MemoryPeak } from './lib/memory';
import { memoryOf } from './lib/proc';
import { benchSources } from './lib/rate-limit';
import { RESULT_PREFIX, type PlainLoopConfig, type PlainLoopResult, type PlainPage } from './lib/types';

/** No window may take longer: a stuck loop must end the benchmark, not hang it. */
const MAX_PAGES_PER_WINDOW = 100_000;

async function main(): Promise<void> {
  const text = process.env.CCSYNC_BENCH_PLAIN;
  if (!text) throw new Error('CCSYNC_BENCH_PLAIN is not set (this entry is started by bench/run.ts)');
  const config = JSON.parse(text) as PlainLoopConfig;
  const memory = new MemoryPeak();
  const connections = new ConnectionsStore(config.connectionsFile, { ...process.env, ...config.env }, benchSources());
  connections.all();
  const rt = createRuntime({ connections, destination: openDestination(config.destinationUrl) });
  const pages: PlainPage[] = [];
  let records = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let cpuMs: number;
  try {
    // What `backfill` does before its windows: read the sync state.
    await rt.destination.completedIntervals(config.connection, config.stream);
    let next = 0;
    const walker = async (): Promise<void> => {
      while (next < config.windows.length) {
        const w = config.windows[next++]!;
        const window = { connection: config.connection, stream: config.stream, start: toIso(w.start), end: toIso(w.end) };
        let cursor: Cursor | null = null;
        for (let n = 0; ; n++) {
          if (n >= MAX_PAGES_PER_WINDOW) throw new Error(`window ${window.start} has more than ${MAX_PAGES_PER_WINDOW} pages`);
          const t = performance.now();
          const page = await syncPage(rt, { ...window, cursor }, 1);
          pages.push({ totalMs: performance.now() - t, httpMs: page.httpMs, writeMs: page.writeMs, records: page.records });
          records += page.records;
          if (!page.next) break;
          cursor = page.next;
        }
        await commitWindow(rt, window);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, config.parallel) }, walker));
    const cpu = process.cpuUsage(cpuStarted);
    cpuMs = (cpu.user + cpu.system) / 1000;
  } finally {
    await closeRuntime(rt);
  }
  const result: PlainLoopResult = {
    wallMs: performance.now() - started,
    cpuMs,
    pages,
    records,
    peakRssMb: memoryOf(process.pid)?.peakMb,
    memory: memory.report(),
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`plain loop failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
