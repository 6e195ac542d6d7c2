/**
 * Runs planned windows as child `syncWindow` workflows, at most N at once, for `backfill` and
 * `incrementalSync` alike: progress bookkeeping, the Web UI's current details, failure and
 * cancellation handling, and the decision to continue as new.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  sleep,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { toIso } from '../core/time';
import { rootCause, windowLabel, windowWorkflowId } from './common';
import { syncWindow, type WindowTotals } from './sync-window';

export interface SyncProgress {
  connection: string;
  streams: string[];
  /** The range this run covers (a backfill's `[from, to)`; an incremental run's overall span). */
  from: string;
  to: string;
  phase: 'planning' | 'running' | 'finishing' | 'done' | 'failed' | 'cancelled';
  windows: { total: number; done: number; skipped: number; running: number; failed: number };
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** The most recent window failures, newest last. */
  failures: { window: string; type?: string; message: string }[];
  /** How many times this workflow continued as new. */
  continuedRuns: number;
}

export interface PlannedWindow {
  stream: string;
  start: number;
  end: number;
}

export interface RunnerOptions {
  connection: string;
  patience?: string;
  maxParallel: number;
  windowsPerRun: number;
}

const MAX_FAILURES_SHOWN = 10;

export function newProgress(connection: string, streams: string[], from: number, to: number): SyncProgress {
  return {
    connection,
    streams,
    from: toIso(from),
    to: toIso(to),
    phase: 'planning',
    windows: { total: 0, done: 0, skipped: 0, running: 0, failed: 0 },
    pages: 0,
    records: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    failures: [],
    continuedRuns: 0,
  };
}

export function showProgress(progress: SyncProgress, title: string): void {
  const w = progress.windows;
  setCurrentDetails(
    `**${title}** · ${progress.connection} · ${progress.streams.join(', ')} · ${progress.from} → ${progress.to}\n\n` +
      `${progress.phase} · windows ${w.done + w.skipped}/${w.total} done (${w.skipped} already complete), ${w.running} running, ${w.failed} failed · ` +
      `${progress.records} records (${progress.inserted} new, ${progress.updated} changed)` +
      (progress.failures.length ? `\n\nlast failure: ${progress.failures[progress.failures.length - 1]!.message}` : ''),
  );
}

/** Keeps only windows not handled by an earlier run (per stream, everything before `resumeFrom`). */
export function notYetHandled(todo: PlannedWindow[], resumeFrom: Record<string, string>): PlannedWindow[] {
  return todo.filter((w) => !resumeFrom[w.stream] || w.start >= Date.parse(resumeFrom[w.stream]!));
}

/**
 * Runs `todo` (sorted by start) and returns whether the caller must continue as new. On a window
 * failure no new window starts and running ones finish; the caller then calls `finish`.
 * `resumeFrom` is updated as windows are dispatched.
 */
export async function runWindows(
  opts: RunnerOptions,
  todo: PlannedWindow[],
  progress: SyncProgress,
  resumeFrom: Record<string, string>,
  title: string,
): Promise<{ mustContinue: boolean }> {
  const running = new Set<Promise<void>>();
  let dispatched = 0;
  let mustContinue = false;
  const show = () => showProgress(progress, title);

  const runWindow = async (w: PlannedWindow): Promise<void> => {
    const label = windowLabel(opts.connection, w.stream, w.start, w.end);
    try {
      const totals: WindowTotals = await startWindow(opts, w, label).then((h) => h.result());
      progress.windows.done++;
      progress.pages += totals.pages;
      progress.records += totals.records;
      progress.inserted += totals.inserted;
      progress.updated += totals.updated;
      progress.unchanged += totals.unchanged;
    } catch (err) {
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) return;
      const cause = rootCause(err);
      progress.windows.failed++;
      progress.failures.push({ window: label, type: cause.type, message: cause.message });
      if (progress.failures.length > MAX_FAILURES_SHOWN) progress.failures.shift();
    } finally {
      progress.windows.running--;
      show();
    }
  };

  progress.phase = 'running';
  show();
  for (const w of todo) {
    if (progress.windows.failed > 0 || CancellationScope.current().consideredCancelled) break;
    if (dispatched >= opts.windowsPerRun || workflowInfo().continueAsNewSuggested) {
      mustContinue = true;
      break;
    }
    while (running.size >= opts.maxParallel) await Promise.race(running);
    if (progress.windows.failed > 0 || CancellationScope.current().consideredCancelled) break;
    progress.windows.running++;
    const p: Promise<void> = runWindow(w).finally(() => running.delete(p));
    running.add(p);
    dispatched++;
    resumeFrom[w.stream] = toIso(w.end);
    show();
  }
  progress.phase = 'finishing';
  show();
  // Running windows finish (and commit) even after a failure: their data is good.
  await Promise.all(running);
  return { mustContinue };
}

/** Ends the run the way its outcome demands: cancelled, failed (naming the first failure), or not at all. */
export function finishOrThrow(progress: SyncProgress, title: string, againHint: string): void {
  if (CancellationScope.current().consideredCancelled) {
    progress.phase = 'cancelled';
    showProgress(progress, title);
    throw new CancelledFailure(`${title} cancelled: ${progress.windows.done} windows were completed and recorded; the rest were not`);
  }
  if (progress.windows.failed > 0) {
    progress.phase = 'failed';
    showProgress(progress, title);
    const first = progress.failures[0]!;
    const notStarted = progress.windows.total - progress.windows.done - progress.windows.skipped - progress.windows.failed;
    throw ApplicationFailure.create({
      type: first.type ?? 'WindowFailed',
      nonRetryable: true,
      message:
        `${progress.windows.failed} window(s) failed; first: ${first.window}: ${first.message.replace(/\.+$/, '')}. ` +
        `${progress.windows.done} window(s) completed and were recorded, ${Math.max(0, notStarted)} not started. ${againHint}`,
      details: [{ failures: progress.failures }],
    });
  }
}

/** Starts a window's child, waiting politely if the same window is already running elsewhere. */
async function startWindow(opts: RunnerOptions, w: PlannedWindow, label: string) {
  for (let tries = 0; ; tries++) {
    try {
      return await startChild(syncWindow, {
        workflowId: windowWorkflowId(opts.connection, w.stream, w.start),
        args: [{ connection: opts.connection, stream: w.stream, start: toIso(w.start), end: toIso(w.end), patience: opts.patience }],
        staticSummary: label,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: opts.connection },
          { key: SEARCH_ATTRIBUTE_KEYS.CcsyncStream, value: w.stream },
          { key: SEARCH_ATTRIBUTE_KEYS.CcsyncWindowStart, value: new Date(w.start) },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (err) {
      // Another backfill or the schedule is syncing this very window: let it finish, then redo ours.
      if (err instanceof WorkflowExecutionAlreadyStartedError && tries < 120) {
        await sleep('30 seconds');
        continue;
      }
      throw err;
    }
  }
}
