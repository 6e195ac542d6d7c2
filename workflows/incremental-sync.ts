/**
 * `incrementalSync`: brings each stream of a connection from its last completed point (minus its
 * lookback) up to the run's nominal time minus its lag, filling any gap on the way. Started by a
 * Temporal Schedule (the nominal time is `TemporalScheduledStartTime`, so a schedule's own
 * backfill of past times produces correct data), or by hand (nominal time = now). Shares
 * `syncWindow` children and the sync state with `backfill`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { continueAsNew, defineQuery, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { incrementalSyncInput } from '../core/inputs';
import { planIncremental } from '../core/planning';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { intervalFromIso, toIso } from '../core/time';
import { controlActivityOptions, failWorkflowWith, validInput } from './common';
import { finishOrThrow, newProgress, notYetHandled, runWindows, showProgress, type PlannedWindow, type SyncProgress } from './window-runner';

export interface IncrementalProgress extends SyncProgress {
  /** The nominal time this run syncs up to (minus each stream's lag). */
  scheduledAt: string;
  /** Per stream: the range brought up to date and the part re-read as lookback. */
  plan: { stream: string; from: string; to: string; windows: number; lookback?: string; note?: string }[];
}

export interface IncrementalCarry {
  progress: IncrementalProgress;
  resumeFrom: Record<string, string>;
}

export const incrementalProgressQuery = defineQuery<IncrementalProgress>('progress');

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
const WINDOWS_PER_RUN = 250;
/** A snapshot's "window" only names the run; one second keeps ids distinct per nominal time. */
const SNAPSHOT_WINDOW_MS = 1000;

/** The schedule's nominal time for this run; now when started by hand. */
function nominalTime(): number {
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  return scheduled ? new Date(scheduled).getTime() : Date.now();
}

export async function incrementalSync(raw: unknown, carry?: IncrementalCarry): Promise<IncrementalProgress> {
  const input = validInput(incrementalSyncInput, raw, 'incrementalSync');
  const { describeConnection, readState } = proxyActivities<Activities>(controlActivityOptions(input.patience));
  const scheduledAt = carry ? Date.parse(carry.progress.scheduledAt) : nominalTime();

  const progress: IncrementalProgress = carry?.progress ?? {
    ...newProgress(input.connection, input.streams ?? [], scheduledAt, scheduledAt),
    scheduledAt: toIso(scheduledAt),
    plan: [],
  };
  setHandler(incrementalProgressQuery, () => progress);

  const conn = await describeConnection
    .executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read connection ${input.connection}` }, [
      { connection: input.connection, streams: input.streams },
    ])
    .catch((err) => failWorkflowWith(err, 'Invalid incrementalSync input'));
  const streamNames = conn.streams.map((s) => s.name);
  progress.streams = streamNames;
  if (!carry) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: input.connection }]);

  const state = await readState.executeWithOptions(
    { ...controlActivityOptions(input.patience), summary: `read sync state of ${streamNames.join(', ')}` },
    [{ connection: input.connection, streams: streamNames }],
  );
  const completed = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.map(intervalFromIso)]));
  const outcomes = planIncremental({
    streams: conn.streams,
    completed,
    scheduledAt,
    now: Date.now(),
    start: conn.start ? Date.parse(conn.start) : undefined,
    lagMs: conn.schedule?.lagMs,
    lookbackMs: conn.schedule?.lookbackMs,
  });

  const resumeFrom = { ...(carry?.resumeFrom ?? {}) };
  // Snapshot streams are read whole on every run: one window at the run's nominal time.
  const snapshots: PlannedWindow[] = conn.streams
    .filter((s) => s.kind === 'snapshot')
    .map((s) => ({ stream: s.name, start: scheduledAt, end: scheduledAt + SNAPSHOT_WINDOW_MS }));
  const all: PlannedWindow[] = [...outcomes.flatMap((o) => o.windows.map((w) => ({ stream: o.stream, ...w }))), ...snapshots];
  all.sort((a, b) => a.start - b.start || a.stream.localeCompare(b.stream));
  const todo = notYetHandled(all, resumeFrom);
  if (!carry) {
    progress.plan = outcomes.map((o) => ({
      stream: o.stream,
      from: toIso(o.from),
      to: toIso(o.to),
      windows: o.windows.length,
      lookback: o.lookback && `${toIso(o.lookback.start)}/${toIso(o.lookback.end)}`,
      note: o.note,
    }));
    const spans = outcomes.filter((o) => o.to > o.from);
    if (spans.length) {
      progress.from = toIso(Math.min(...spans.map((o) => o.from)));
      progress.to = toIso(Math.max(...spans.map((o) => o.to)));
    }
    progress.windows.total = todo.length;
  }

  const opts = { connection: input.connection, patience: input.patience, maxParallel: input.maxParallelWindows ?? 4, windowsPerRun: WINDOWS_PER_RUN };
  const { mustContinue } = await runWindows(opts, todo, progress, resumeFrom, 'incrementalSync');
  finishOrThrow(progress, 'incrementalSync', 'The next run fills the gap.');
  if (mustContinue) {
    progress.continuedRuns++;
    return await continueAsNew<typeof incrementalSync>(raw, { progress, resumeFrom });
  }
  progress.phase = 'done';
  showProgress(progress, 'incrementalSync');
  return progress;
}
