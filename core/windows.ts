/**
 * Window rules and window planning, in one place. A stream declares its rules (`WindowRules`:
 * largest size, alignment, age limit, lag, lookback); this module is the only code that reads them:
 * `planBackfill` and `planIncremental` decide which windows a run syncs, and `windowProblems`
 * is the check every page fetch passes before a request is made. Pure (workflow-safe): no clock,
 * no I/O; the planners return problems instead of throwing, and the caller decides how to fail.
 */
import { CcsyncError } from './errors';
import type { WindowRules } from './source';
import {
  ceilTo,
  DAY,
  floorTo,
  formatDuration,
  type Interval,
  intervalFromIso,
  MINUTE,
  mergeIntervals,
  splitIntoWindows,
  subtractIntervals,
  toIso,
} from './time';

/** What the planners need of a stream: its name, kind and rules (the workflows' `StreamPlan`, or a declaration). */
export interface PlannedStream {
  name: string;
  kind: 'windowed' | 'snapshot';
  window: WindowRules;
}

/**
 * Margin kept inside a vendor's age limit when planning: the request may be retried a while after
 * planning, and a window that slid past the limit would be refused.
 */
export const AGE_LIMIT_MARGIN = 30 * MINUTE;

/**
 * The earliest instant a window may start at `now`, if the API has an age limit.
 * - `plan`: what a run may plan, kept `AGE_LIMIT_MARGIN` inside the limit and on the stream's
 *   alignment, so that a planned window is still fetchable when its page is retried later.
 * - `fetch`: the vendor's own limit, checked when a page is fetched. Deliberately looser than
 *   `plan` (no margin, no alignment): a window planned with the margin must never be refused by
 *   its own page activity, and a window started by hand need not be aligned.
 */
export function earliestStart(rules: WindowRules, now: number, purpose: 'plan' | 'fetch'): number | undefined {
  if (rules.maxAge === undefined) return undefined;
  return purpose === 'plan' ? ceilTo(now - rules.maxAge + AGE_LIMIT_MARGIN, rules.alignment) : now - rules.maxAge;
}

/** The rules one window size breaks: too large, or not a multiple of the stream's interval. */
export function sizeProblems(rules: WindowRules, size: number): ('maxSize' | 'alignment')[] {
  const out: ('maxSize' | 'alignment')[] = [];
  if (size > rules.maxSize) out.push('maxSize');
  if (size % rules.alignment !== 0) out.push('alignment');
  return out;
}

/**
 * The rules a window breaks when its page is fetched at `now`, in plain words for the page's
 * failure; empty when the API would accept it. `what` names the stream ("Kore.ai calldetails").
 * Alignment is not checked here: windows cut short by open records, and windows started by hand
 * from the Web UI, need not be aligned, and the vendors accept them.
 */
export function windowProblems(what: string, rules: WindowRules, window: Interval, now: number): string[] {
  const size = window.end - window.start;
  if (!(size > 0)) return ['the window must end after it starts'];
  const problems: string[] = [];
  if (sizeProblems(rules, size).includes('maxSize')) {
    problems.push(`${what} windows may span at most ${formatDuration(rules.maxSize)}; this one spans ${formatDuration(size)}`);
  }
  const earliest = earliestStart(rules, now, 'fetch');
  if (earliest !== undefined && window.start < earliest) {
    problems.push(
      `${what} serves only the last ${formatDuration(rules.maxAge!)}: the window starts at ${toIso(window.start)}, before the earliest allowed ${toIso(earliest)}`,
    );
  }
  return problems;
}

/** The engine refuses windows the API would refuse, before any request is made (the page activity's check). */
export function checkWindow(source: { title: string }, stream: PlannedStream, window: Interval, now: number): void {
  const problems = windowProblems(`${source.title} ${stream.name}`, stream.window, window, now);
  if (problems.length) throw new CcsyncError('InvalidInput', problems.join('; '));
}

/** A window a run syncs. */
export interface PlannedWindow {
  stream: string;
  start: number;
  end: number;
}

export interface BackfillPlanInput {
  /** The connection's streams (every enabled one, or those the user named). */
  streams: PlannedStream[];
  /** The streams the user named, if any: a snapshot stream named there is a mistake worth saying. */
  requested?: string[];
  /** The window size the user asked for, as typed (`P1D`) and in ms; each stream's default otherwise. */
  windowSize?: { text: string; ms: number };
  /** Re-sync windows already recorded as complete. */
  force?: boolean;
  range: { from: number; to: number };
  /** Completed intervals per stream, from the sync state. */
  completed: Record<string, { start: string; end: string }[]>;
  /** Per stream, everything before this instant was handled by an earlier run. */
  resumeFrom: Record<string, string>;
  now: number;
  /**
   * A continued run (after continue-as-new) of a backfill whose range was accepted when it began:
   * the age limit is no longer a reason to refuse it. Windows that have aged out since are left
   * out and listed in `agedOut`, a window straddling the limit is cut to its allowed part, and the
   * run goes on with the rest.
   */
  continued?: boolean;
  /** The connection's `schedule.lag`, when set: it replaces each stream's default lag. */
  lagMs?: number;
}

export interface BackfillPlan {
  /** Windows to sync, in start order. Empty when there are problems. */
  todo: PlannedWindow[];
  /** Windows of the range already complete. */
  skipped: number;
  /** Every rule the request breaks, worded for the user (`windowSize: ...`, `from: ...`). */
  problems: string[];
  /** Continued runs: the parts of the range, per stream, that aged out before they could be read (merged, start order). */
  agedOut: AgedOut[];
}

/** A part of a backfill's range that aged out before it could be read; `windows`: planned windows wholly inside it. */
export interface AgedOut extends PlannedWindow {
  windows: number;
}

/** Validates a backfill request against each stream's rules and plans the windows to sync. */
export function planBackfill(p: BackfillPlanInput): BackfillPlan {
  const problems: string[] = [];
  const todo: PlannedWindow[] = [];
  const agedOut: PlannedWindow[] = [];
  const sizes: Record<string, number> = {};
  let skipped = 0;
  for (const s of p.streams) {
    if (s.kind !== 'windowed') {
      // Left out quietly when the user named no streams; named, it is a mistake worth saying.
      if (p.requested?.includes(s.name)) {
        problems.push(`streams: "${s.name}" is a snapshot stream (read whole by incrementalSync), it has no history to backfill`);
      }
      continue;
    }
    const size = p.windowSize?.ms ?? s.window.defaultSize;
    sizes[s.name] = size;
    for (const broken of sizeProblems(s.window, size)) {
      problems.push(
        broken === 'maxSize'
          ? `windowSize: ${p.windowSize?.text} is larger than ${s.name} allows (at most ${formatDuration(s.window.maxSize)})`
          : `windowSize: ${p.windowSize?.text} must be a multiple of ${s.name}'s interval, ${formatDuration(s.window.alignment)}`,
      );
    }
    // The same margin as incremental runs: a window must still be young enough when it is fetched.
    const earliest = earliestStart(s.window, p.now, 'plan');
    if (earliest !== undefined && p.range.from < earliest && !p.continued) {
      problems.push(`from: ${s.name} serves only the last ${formatDuration(s.window.maxAge!)}; the earliest possible "from" is ${toIso(earliest)}`);
    }
    if (problems.length) continue;
    const resume = p.resumeFrom[s.name];
    const start = Math.max(floorTo(p.range.from, s.window.alignment), resume ? Date.parse(resume) : -Infinity);
    // Never past what is final at the vendor: a window committed before its data exists would
    // hide that data from every later run. Incremental runs pick up from here.
    const end = Math.min(ceilTo(p.range.to, s.window.alignment), floorTo(p.now - (p.lagMs ?? s.window.defaultLag), s.window.alignment));
    if (start >= end) continue;
    const span = { start, end };
    let gaps = p.force ? [span] : subtractIntervals(span, (p.completed[s.name] ?? []).map(intervalFromIso));
    // A window counts as skipped when no part of it is left to sync.
    skipped += splitIntoWindows(span, size).filter((full) => !gaps.some((g) => g.start < full.end && g.end > full.start)).length;
    if (p.continued && earliest !== undefined) {
      // What is left to read before the limit can no longer be read: say so, keep the rest.
      for (const g of gaps) if (g.start < earliest) agedOut.push({ stream: s.name, start: g.start, end: Math.min(g.end, earliest) });
      gaps = gaps.filter((g) => g.end > earliest).map((g) => ({ start: Math.max(g.start, earliest), end: g.end }));
    }
    for (const w of gaps.flatMap((g) => splitIntoWindows(g, size))) todo.push({ stream: s.name, start: w.start, end: w.end });
  }
  if (problems.length) return { todo: [], skipped: 0, problems, agedOut: [] };
  const merged = [...new Set(agedOut.map((a) => a.stream))].flatMap((name) =>
    mergeIntervals(agedOut.filter((a) => a.stream === name)).map((i) => ({
      stream: name,
      start: i.start,
      end: i.end,
      // Windows wholly lost: a window cut at the limit still runs, from the limit on.
      windows:
        splitIntoWindows(i, sizes[name]!).length - (floorTo(i.end, sizes[name]!) !== i.end && todo.some((w) => w.stream === name && w.start === i.end) ? 1 : 0),
    })),
  );
  return { todo: sortWindows(todo), skipped, problems, agedOut: sortWindows(merged) };
}

export interface IncrementalPlanInput {
  streams: PlannedStream[];
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
  /** Plan the streams' `settleAfter` re-reads (a workflow patch decides; older runs planned none). */
  settle?: boolean;
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
  /** The part read once more because it just became `settleAfter` old (records listed late, under their start). */
  settle?: Interval;
  /** Why the range was cut, for the Web UI (e.g. the vendor's age limit). */
  note?: string;
}

/**
 * Which windows an incremental run syncs, per windowed stream, from the sync state. An incremental
 * run has no user range to refuse: a range reaching past the age limit is cut, with a note.
 */
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
      const earliest = earliestStart(s.window, p.now, 'plan');
      if (earliest !== undefined && from < earliest) {
        from = earliest;
        note = `the API serves only recent data: starting at ${toIso(earliest)}`;
      }
      if (to <= from) return { stream: s.name, from, to: from, windows: [], note };
      const range = { start: from, end: to };
      const completed = mergeIntervals(p.completed[s.name] ?? []);
      const gaps = subtractIntervals(range, completed);
      // The frontier: where the completed data inside the range ends.
      const frontier = completed.filter((c) => c.start < to && c.end > from).reduce((m, c) => Math.max(m, Math.min(c.end, to)), -Infinity);
      const lookbackRange =
        Number.isFinite(frontier) && lookback > 0 ? { start: Math.max(from, floorTo(frontier - lookback, align)), end: frontier } : undefined;
      // What became `settleAfter` old since the previous run (its frontier) is read once more.
      const settleAfter = p.settle ? s.window.settleAfter : undefined;
      const settleStart = Number.isFinite(frontier) && settleAfter ? Math.max(from, floorTo(frontier - settleAfter, align)) : NaN;
      const settleEnd = settleAfter ? Math.min(floorTo(to - settleAfter, align), lookbackRange?.start ?? Infinity) : NaN;
      const settleRange = settleEnd > settleStart ? { start: settleStart, end: settleEnd } : undefined;
      const ranges = mergeIntervals([...gaps, ...(lookbackRange ? [lookbackRange] : []), ...(settleRange ? [settleRange] : [])]);
      const windows = ranges.flatMap((r) => splitIntoWindows(r, s.window.defaultSize));
      return { stream: s.name, from, to, windows, lookback: lookbackRange, settle: settleRange, note };
    });
}

/** A snapshot's "window" only names the run; one second keeps window ids distinct per nominal time. */
export const SNAPSHOT_WINDOW_MS = 1000;

/** Snapshot streams are read whole on every incremental run: one window at the run's nominal time. */
export function snapshotWindows(streams: PlannedStream[], scheduledAt: number): PlannedWindow[] {
  return streams.filter((s) => s.kind === 'snapshot').map((s) => ({ stream: s.name, start: scheduledAt, end: scheduledAt + SNAPSHOT_WINDOW_MS }));
}

/** Keeps only windows not handled by an earlier run (per stream, everything before `resumeFrom`). */
export function notYetHandled(todo: PlannedWindow[], resumeFrom: Record<string, string>): PlannedWindow[] {
  return todo.filter((w) => !resumeFrom[w.stream] || w.start >= Date.parse(resumeFrom[w.stream]!));
}

/** Start order, then stream name: the order windows are dispatched in (and recorded in histories). */
export function sortWindows<W extends PlannedWindow>(windows: W[]): W[] {
  return windows.sort((a, b) => a.start - b.start || a.stream.localeCompare(b.stream));
}
