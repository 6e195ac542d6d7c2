/**
 * Which windows an incremental run syncs, from the sync state. Pure (workflow-safe) so it can be
 * unit-tested without Temporal.
 */
import type { WindowRules } from './source';
import { ceilTo, DAY, floorTo, MINUTE, type Interval, mergeIntervals, splitIntoWindows, subtractIntervals } from './time';

export interface IncrementalStream {
  name: string;
  kind: 'windowed' | 'snapshot';
  window: WindowRules;
}

export interface IncrementalPlanInput {
  streams: IncrementalStream[];
  /** Completed intervals per stream (epoch ms). */
  completed: Record<string, Interval[]>;
  /** The run's nominal time: the schedule's TemporalScheduledStartTime, or now when started by hand. */
  scheduledAt: number;
  /** The real current time (vendor age limits count from the request). */
  now: number;
  /** The connection's `start`: how far back a first run reaches. Default: one day before `scheduledAt`. */
  start?: number;
  /** The connection's schedule overrides; each stream's defaults otherwise. */
  lagMs?: number;
  lookbackMs?: number;
}

export interface StreamPlanOutcome {
  stream: string;
  /** What the run brings up to date: `[from, to)`. Empty when there is nothing to do yet. */
  from: number;
  to: number;
  /** Windows to sync: the gaps, and the lookback re-read before the frontier. */
  windows: Interval[];
  /** The part re-read although already complete (late revisions, open segments). */
  lookback?: Interval;
  /** Why the range was cut, for the Web UI (e.g. the vendor's age limit). */
  note?: string;
}

/**
 * Margin kept inside a vendor's age limit: the request may be retried a while after planning, and
 * a window that slid past the limit would be refused.
 */
export const AGE_LIMIT_MARGIN = 30 * MINUTE;

export function planIncremental(p: IncrementalPlanInput): StreamPlanOutcome[] {
  return p.streams
    .filter((s) => s.kind === 'windowed')
    .map((s) => {
      const align = s.window.alignment;
      const lag = p.lagMs ?? s.window.defaultLag;
      const lookback = p.lookbackMs ?? s.window.defaultLookback;
      const to = floorTo(p.scheduledAt - lag, align);
      let from = floorTo(p.start ?? p.scheduledAt - DAY, align);
      let note: string | undefined;
      if (s.window.maxAge !== undefined) {
        const earliest = ceilTo(p.now - s.window.maxAge + AGE_LIMIT_MARGIN, align);
        if (from < earliest) {
          from = earliest;
          note = `the API serves only recent data: starting at ${new Date(earliest).toISOString()}`;
        }
      }
      if (to <= from) return { stream: s.name, from, to: from, windows: [], note };
      const range = { start: from, end: to };
      const completed = mergeIntervals(p.completed[s.name] ?? []);
      const gaps = subtractIntervals(range, completed);
      // The frontier: where the completed data inside the range ends.
      const frontier = completed.filter((c) => c.start < to && c.end > from).reduce((m, c) => Math.max(m, Math.min(c.end, to)), -Infinity);
      const lookbackRange =
        Number.isFinite(frontier) && lookback > 0 ? { start: Math.max(from, floorTo(frontier - lookback, align)), end: frontier } : undefined;
      const ranges = mergeIntervals(lookbackRange ? [...gaps, lookbackRange] : gaps);
      const windows = ranges.flatMap((r) => splitIntoWindows(r, s.window.defaultSize));
      return { stream: s.name, from, to, windows, lookback: lookbackRange, note };
    });
}
