/**
 * How fresh a stream is: the instant up to which it is complete, and how far that is behind what
 * its schedule could have completed by now. Shared by the worker's freshness gauges,
 * `ccsync status` and (as PromQL) deploy/prometheus/alerts.yml. Pure.
 */
import type { WindowRules } from './source';
import { floorTo, mergeIntervals, parseDuration, type Interval } from './time';

export interface FreshnessFacts {
  /** The connection's schedule interval, when it has a schedule. */
  everyMs?: number;
  /** The schedule's lag, or the stream's default. */
  lagMs: number;
  /** Windows end on multiples of this: data completes in steps of it (agent status: a day). */
  alignmentMs: number;
}

export function freshnessFacts(schedule: { every: string; lag?: string } | undefined, window: WindowRules): FreshnessFacts {
  const lag = schedule?.lag === undefined ? undefined : parseDuration(schedule.lag);
  return {
    everyMs: schedule ? parseDuration(schedule.every) : undefined,
    lagMs: lag ?? window.defaultLag,
    alignmentMs: window.alignment,
  };
}

/** The end of the first completed run of intervals: everything before it is synced. */
export function completeUntil(intervals: readonly Interval[]): number | undefined {
  return mergeIntervals([...intervals])[0]?.end;
}

/** The most an incremental run could have completed by `now`: now minus the lag, down to the alignment. */
export function expectedUntil(now: number, facts: FreshnessFacts): number {
  return floorTo(now - facts.lagMs, facts.alignmentMs);
}

/** How far behind the schedule the stream is (ms, never negative); undefined when nothing is complete yet. */
export function behindMs(intervals: readonly Interval[], now: number, facts: FreshnessFacts): number | undefined {
  const until = completeUntil(intervals);
  if (until === undefined) return undefined;
  return Math.max(0, expectedUntil(now, facts) - until);
}

/** The gaps between completed runs (what a backfill or the next incremental run fills). */
export function gapsOf(intervals: readonly Interval[]): Interval[] {
  const merged = mergeIntervals([...intervals]);
  const gaps: Interval[] = [];
  for (let i = 1; i < merged.length; i++) gaps.push({ start: merged[i - 1]!.end, end: merged[i]!.start });
  return gaps;
}
