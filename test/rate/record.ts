/**
 * The fleet rate-limit test's recorded runs (test/rate/last-run.json): the latest run per number of
 * workers and destination, with its figures and the machine's load, so the README's figures are
 * generated from a run (`npm run readme:rate`), never typed in.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const LAST_RUN = resolve(__dirname, 'last-run.json');

export interface VendorFigures {
  requests: number;
  maxIn60s?: number;
  maxIn1s?: number;
  /** Answered 200 within the middle minutes. */
  middle: number;
  allowed: number;
  /** Requests answered 200 in each minute of the run, from the first request. */
  perMinute: number[];
}

/** Where the run's Temporal server was: `npm run test:rate` runs both (test/run.ts, CCSYNC_TEST_TARGET). */
export type RateTarget = 'dev server' | 'cluster';

/** The target of runs recorded before the cluster variant existed: they all ran on the dev server. */
export const targetOf = (r: Pick<RecordedRun, 'target'>): RateTarget => r.target ?? 'dev server';

export interface RecordedRun {
  at: string;
  /** Absent in runs recorded before the cluster variant: the dev server. */
  target?: RateTarget;
  workers: number;
  destination: string;
  minutes: number;
  middleMinutes: number;
  loadAverage: { start: number[]; end: number[] };
  /** The machine's 1-minute load average at the end of each minute of the run (runs since the cluster variant). */
  loadPerMinute?: number[];
  /** CPU seconds each worker process used over the run (user + system). */
  workerCpuS?: number[];
  kore: VendorFigures;
  ccaip: VendorFigures;
}

/** 200 answers per minute of the run, minute 1 starting at `started`. */
export function perMinute(log: readonly { at: number; status: number }[], started: number, minutes: number): number[] {
  return Array.from(
    { length: minutes },
    (_, m) => log.filter((e) => e.status === 200 && e.at >= started + m * 60_000 && e.at < started + (m + 1) * 60_000).length,
  );
}

export function readRuns(file = LAST_RUN): RecordedRun[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecordedRun[]) : [];
}

/** Keeps the latest run of each (target, workers, destination, minutes). */
export function recordRun(run: RecordedRun, file = LAST_RUN): void {
  const same = (r: RecordedRun) => targetOf(r) === targetOf(run) && r.workers === run.workers && r.destination === run.destination && r.minutes === run.minutes;
  const others = readRuns(file).filter((r) => !same(r));
  const runs = [...others, run].sort(
    (a, b) => targetOf(b).localeCompare(targetOf(a)) || a.minutes - b.minutes || b.workers - a.workers || a.destination.localeCompare(b.destination),
  );
  writeFileSync(file, JSON.stringify(runs, null, 2) + '\n');
}
