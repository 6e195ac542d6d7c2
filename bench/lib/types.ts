/** What the benchmark's processes tell each other (as JSON in an environment variable and on stdout). */
import type { MemoryReport } from './memory';

/** Worker options the benchmark varies (createCcsyncWorker's `tuning`). */
export interface WorkerTuning {
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
}

export interface BenchWorkerConfig {
  temporal: { address: string; namespace: string; taskQueue: string };
  connectionsFile: string;
  destinationUrl: string;
  env: Record<string, string>;
  /** The workflow bundle, built once by bench/run.ts. */
  bundlePath: string;
  tuning: WorkerTuning;
  /** Measurement-only variations (bench/worker.ts), e.g. `skip-first-heartbeat`. */
  experiments?: string[];
  /** Default both; `split-workers` runs one process of each. */
  role?: 'both' | 'workflows' | 'activities';
}

export interface PlainLoopConfig {
  connectionsFile: string;
  destinationUrl: string;
  env: Record<string, string>;
  connection: string;
  stream: string;
  /** Windows, epoch ms, half-open, in the order a backfill dispatches them. */
  windows: { start: number; end: number }[];
  /** Windows walked at once (a backfill's maxParallelWindows). */
  parallel: number;
}

/** One page as the plain loop saw it. */
export interface PlainPage {
  totalMs: number;
  httpMs: number;
  writeMs: number;
  records: number;
}

export interface PlainLoopResult {
  wallMs: number;
  /** CPU time of the plain loop's process while it looped (process start-up excluded). */
  cpuMs: number;
  pages: PlainPage[];
  records: number;
  peakRssMb?: number;
  /** Where its memory was at its RSS peak (lib/memory.ts). */
  memory?: MemoryReport;
}

/** Marks the plain loop's result line on its stdout. */
export const RESULT_PREFIX = 'CCSYNC_BENCH_RESULT ';
export const WORKER_READY = 'ccsync worker polling';
