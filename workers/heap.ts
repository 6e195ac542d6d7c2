/**
 * The worker's V8 heap growth (issue #18: worker RSS may grow at most 20% from a week to a year of history).
 *
 * After each full garbage collection V8 lets the old generation grow to up to about 4× what survived
 * before it collects again (its dynamic default, tuned for throughput on a machine with memory to
 * spare). A worker parses a 1,000-record page (about 1 MB of JSON and its objects) per request and
 * keeps it across awaits (fetch, transform, write), so pages are promoted and their garbage piles up
 * in the old generation: in the benchmark the V8 heap at the RSS peak went from 102 MB after a week of
 * history to 241 MB after a year (its plateau, reached by 91 days), while native memory (the Rust core,
 * the workflow thread) stayed near 190 MB, so RSS grew 53%. A fixed growing factor of 1.2
 * (`--heap-growing-percent=20`) kept the heap near 100 MB and the RSS growth at +6%
 * (bench/results/recorded-experiment-heap-growing-20.json, the whole benchmark run with it right
 * after the main one on the same quiet machine). It makes full GCs more frequent (no limit is set, so
 * a worker that really needs more heap still gets it), and that costs CPU: the worker used 12 to 37%
 * more CPU than with V8's own growth, and four of the eight Temporal / plain ratios were 0.05 to 0.20
 * worse. So it is an opt-in for memory-bound deployments, not the default: unset (or 0) leaves V8's
 * dynamic default.
 *
 * Set at run time, before the worker (and its workflow thread) starts: V8 reads the flag at each GC,
 * and it is not one of the flags NODE_OPTIONS accepts. CCSYNC_HEAP_GROWING_PERCENT unset or 0 keeps
 * V8's dynamic default; `node --heap-growing-percent=N` on the command line wins over both.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT_ENV = 'CCSYNC_HEAP_GROWING_PERCENT';
/** The value the RSS experiments measured: opt in with CCSYNC_HEAP_GROWING_PERCENT=20. */
export const RECOMMENDED_HEAP_GROWING_PERCENT = 20;

/**
 * The growing percent to set, or undefined to leave V8 alone (0 in the environment, or the flag given
 * to node itself). Throws on a value that is not a whole number from 0 to 1000.
 */
export function heapGrowingPercent(env: Record<string, string | undefined> = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  const raw = env[HEAP_GROWING_PERCENT_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 1000) {
    throw new Error(`${HEAP_GROWING_PERCENT_ENV} must be a whole number from 0 to 1000 (0: V8's own default), not "${raw}"`);
  }
  const n = Number(raw);
  return n === 0 ? undefined : n;
}

/** Applies the worker's heap growth setting to this process; returns what was set (undefined: V8's own). */
export function applyWorkerHeapDefaults(
  env: Record<string, string | undefined> = process.env,
  execArgv: readonly string[] = process.execArgv,
): number | undefined {
  const percent = heapGrowingPercent(env, execArgv);
  if (percent !== undefined) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
