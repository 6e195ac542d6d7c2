/**
 * `incrementalSync`: brings each stream of a connection from its last completed point (minus its
 * lookback) up to the run's nominal time minus its lag, filling any gap on the way. Started by a
 * Temporal Schedule (the nominal time is `TemporalScheduledStartTime`, so a schedule's own
 * backfill of past times produces correct data), or by hand (nominal time = now). Shares
 * `syncWindow` children and the sync state with `backfill`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, patched, workflowInfo } from '@temporalio/workflow';
import { incrementalSyncInput } from '../core/inputs';
import { intervalFromIso, toIso } from '../core/time';
import { notYetHandled, planIncremental, snapshotWindows, sortWindows } from '../core/windows';
import { validInput } from './common';
import { closeRun, MAX_PARALLEL_WINDOWS, newProgress, openRun, type RunCarry, type SyncProgress, WINDOWS_PER_RUN } from './window-runner';

export interface IncrementalProgress extends SyncProgress {
  /** The nominal time this run syncs up to (minus each stream's lag). */
  scheduledAt: string;
  /** Per stream: the range brought up to date and the part re-read as lookback. */
  plan: { stream: string; from: string; to: string; windows: number; lookback?: string; settle?: string; note?: string }[];
}

export type IncrementalCarry = RunCarry<IncrementalProgress>;

export const incrementalProgressQuery = defineQuery<IncrementalProgress>('progress');

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** The schedule's nominal time for this run; now when started by hand. */
function nominalTime(): number {
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  return scheduled ? new Date(scheduled).getTime() : Date.now();
}

export async function incrementalSync(raw: unknown, carry?: IncrementalCarry): Promise<IncrementalProgress> {
  const input = validInput(incrementalSyncInput, raw, 'incrementalSync');
  const scheduledAt = carry ? Date.parse(carry.progress.scheduledAt) : nominalTime();

  const progress: IncrementalProgress = carry?.progress ?? {
    ...newProgress(input.connection, input.streams ?? [], scheduledAt, scheduledAt),
    scheduledAt: toIso(scheduledAt),
    plan: [],
  };
  const { connection: conn, completed: state } = await openRun({
    title: 'incrementalSync',
    input,
    carried: carry !== undefined,
    progress,
    query: incrementalProgressQuery,
    streamsOf: (c) => c.streams.map((s) => s.name),
    labelSingleStream: false,
  });

  const completed = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.map(intervalFromIso)]));
  const outcomes = planIncremental({
    streams: conn.streams,
    completed,
    scheduledAt,
    now: Date.now(),
    start: conn.start ? Date.parse(conn.start) : undefined,
    lagMs: conn.schedule?.lagMs,
    lookbackMs: conn.schedule?.lookbackMs,
    // Patched: runs recorded before it planned no settle re-reads (only streams declaring `settleAfter` have any).
    settle: conn.streams.some((s) => s.window.settleAfter !== undefined) && patched('settle-late-records'),
  });

  const resumeFrom = { ...(carry?.resumeFrom ?? {}) };
  const windowed = outcomes.flatMap((o) => o.windows.map((w) => ({ stream: o.stream, ...w })));
  const todo = notYetHandled(sortWindows([...windowed, ...snapshotWindows(conn.streams, scheduledAt)]), resumeFrom);
  if (!carry) {
    progress.plan = outcomes.map((o) => ({
      stream: o.stream,
      from: toIso(o.from),
      to: toIso(o.to),
      windows: o.windows.length,
      lookback: o.lookback && `${toIso(o.lookback.start)}/${toIso(o.lookback.end)}`,
      settle: o.settle && `${toIso(o.settle.start)}/${toIso(o.settle.end)}`,
      note: o.note,
    }));
    const spans = outcomes.filter((o) => o.to > o.from);
    if (spans.length) {
      progress.from = toIso(Math.min(...spans.map((o) => o.from)));
      progress.to = toIso(Math.max(...spans.map((o) => o.to)));
    }
    progress.windows.total = todo.length;
  }

  return closeRun({
    title: 'incrementalSync',
    againHint: 'The next run fills the gap.',
    runner: {
      connection: input.connection,
      patience: input.patience,
      maxParallel: input.maxParallelWindows ?? conn.parallelWindows ?? MAX_PARALLEL_WINDOWS,
      windowsPerRun: WINDOWS_PER_RUN,
    },
    todo,
    progress,
    resumeFrom,
    raw,
  });
}
