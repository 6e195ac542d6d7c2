/**
 * What `backfill` and `incrementalSync` share: their opening (progress query, reading the
 * connection and the sync state, search attributes), running planned windows as child
 * `syncWindow` workflows, at most N at once (progress bookkeeping, the Web UI's current details,
 * failure and cancellation handling), and their ending (finish, fail, or continue as new).
 * Each workflow keeps only what is its own: its input and its plan.
 */
import {
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  type QueryDefinition,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, ConnectionPlan } from '../activities';
import { rootCause, workflowFailure } from '../core/failures';
import { PRIORITY } from '../core/priority';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { toIso } from '../core/time';
import type { PlannedWindow } from '../core/windows';
import { controlActivityOptions, failWorkflowWith, windowLabel, windowWorkflowId } from './common';
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
  /** Columns the windows added for fields the vendor started sending (`table.column type`). */
  addedColumns?: string[];
  /** Rows whose value did not fit its column (NULL there, kept in `record`), by `table.field`. */
  misfits?: Record<string, number>;
  /** How many times this workflow continued as new. */
  continuedRuns: number;
  /**
   * Windows the vendor had only partly ready (it kept answering "still processing"): each was read
   * and recorded complete up to `until`; the next incremental run reads the rest. Newest last.
   */
  notReady?: { window: string; until: string }[];
  /** Windows whose records were reconciled with the vendor's stated total; `readAgain`: those that agreed only on a second read. */
  reconciled?: { windows: number; readAgain: number };
}

/** What a run carries over when it continues as new. */
export interface RunCarry<P extends SyncProgress> {
  progress: P;
  /** Per stream, everything before this instant was handled by an earlier run. */
  resumeFrom: Record<string, string>;
}

export interface RunnerOptions {
  connection: string;
  patience?: string;
  maxParallel: number;
  windowsPerRun: number;
}

const MAX_FAILURES_SHOWN = 10;
/** Windows one run starts before continuing as new: keeps each run's history well under limits. */
export const WINDOWS_PER_RUN = 250;
/** Windows running at once, unless the input or the connection's budget (`parallelWindows`) says otherwise. */
export const MAX_PARALLEL_WINDOWS = 4;

export interface RunOpening {
  connection: ConnectionPlan;
  /** The streams this run covers (also in `progress.streams`). */
  streams: string[];
  /** Completed intervals per stream, from the sync state. */
  completed: Record<string, { start: string; end: string }[]>;
}

/**
 * The opening both workflows share. The progress query answers from the first moment, even while
 * the connection is being read; a connection that cannot be read fails the workflow with its own
 * words; the first run (not a continuation) labels itself with search attributes.
 */
export async function openRun<P extends SyncProgress>(o: {
  title: 'backfill' | 'incrementalSync';
  input: { connection: string; streams?: string[]; patience?: string };
  carried: boolean;
  progress: P;
  query: QueryDefinition<P>;
  /** The streams of the connection this run covers. */
  streamsOf: (connection: ConnectionPlan) => string[];
  /** Also label the run with its stream when it covers exactly one. */
  labelSingleStream: boolean;
}): Promise<RunOpening> {
  const { input, progress } = o;
  const { describeConnection, readState } = proxyActivities<Activities>(controlActivityOptions(input.patience));
  setHandler(o.query, () => progress);

  const connection = await describeConnection
    .executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read connection ${input.connection}` }, [
      { connection: input.connection, streams: input.streams },
    ])
    .catch((err) => failWorkflowWith(err, `Invalid ${o.title} input`));
  const streams = o.streamsOf(connection);
  progress.streams = streams;

  if (!o.carried) {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: input.connection },
      ...(o.labelSingleStream && streams.length === 1 ? [{ key: SEARCH_ATTRIBUTE_KEYS.CcsyncStream, value: streams[0]! }] : []),
    ]);
  }

  const completed = await readState.executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read sync state of ${streams.join(', ')}` }, [
    { connection: input.connection, streams },
  ]);
  return { connection, streams, completed };
}

/**
 * The ending both workflows share: run the windows, then end as the outcome demands (cancelled,
 * failed naming the first failure, continued as new with the progress carried over, or done).
 */
export async function closeRun<P extends SyncProgress>(o: {
  title: 'backfill' | 'incrementalSync';
  /** What the user can do after a failure, appended to its message. */
  againHint: string;
  runner: RunnerOptions;
  todo: PlannedWindow[];
  progress: P;
  resumeFrom: Record<string, string>;
  /** The workflow's raw input, passed unchanged to the next run. */
  raw: unknown;
  /** Windows run once the planned ones are done, in the last run only (a backfill's snapshot streams). */
  atEnd?: () => PlannedWindow[];
}): Promise<P> {
  const { progress, resumeFrom, title } = o;
  const { mustContinue } = await runWindows(o.runner, o.todo, progress, resumeFrom, title);
  if (!mustContinue && o.atEnd && progress.windows.failed === 0 && !CancellationScope.current().consideredCancelled) {
    await runWindows({ ...o.runner, windowsPerRun: Infinity }, o.atEnd(), progress, {}, title);
  }
  finishOrThrow(progress, title, o.againHint);
  if (mustContinue) {
    progress.continuedRuns++;
    return await continueAsNew<(raw: unknown, carry: RunCarry<P>) => Promise<P>>(o.raw, { progress, resumeFrom });
  }
  progress.phase = 'done';
  showProgress(progress, title);
  return progress;
}

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
      agedOutLine(progress) +
      (progress.failures.length ? `\n\nlast failure: ${progress.failures[progress.failures.length - 1]!.message}` : ''),
  );
}

/** A backfill's parts that aged out of the vendor's age limit, for the Web UI. */
function agedOutLine(progress: SyncProgress & { agedOut?: { stream: string; from: string; to: string }[] }): string {
  if (!progress.agedOut?.length) return '';
  return `\n\naged out before they could be read: ${progress.agedOut.map((a) => `${a.stream} ${a.from} → ${a.to}`).join(', ')}`;
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
      if (totals.addedColumns?.length) progress.addedColumns = [...new Set([...(progress.addedColumns ?? []), ...totals.addedColumns])];
      for (const [field, rows] of Object.entries(totals.misfits ?? {}))
        progress.misfits = { ...progress.misfits, [field]: (progress.misfits?.[field] ?? 0) + rows };
      if (totals.readyUntil) {
        progress.notReady = [...(progress.notReady ?? []), { window: label, until: totals.readyUntil }].slice(-MAX_FAILURES_SHOWN);
      }
      if (totals.totalCheck) {
        progress.reconciled ??= { windows: 0, readAgain: 0 };
        progress.reconciled.windows++;
        if (totals.totalCheck.reads > 1) progress.reconciled.readAgain++;
      }
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
    throw workflowFailure(
      first.type,
      `${progress.windows.failed} window(s) failed; first: ${first.window}: ${first.message.replace(/\.+$/, '')}. ` +
        `${progress.windows.done} window(s) completed and were recorded, ${Math.max(0, notStarted)} not started. ${againHint}`,
      { details: { failures: progress.failures } },
    );
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
        // Fresh data first: an incrementalSync's windows (and their page activities, which inherit it) go
        // before a backfill's, in Temporal's matching and in the shared vendor budget (activities/budget).
        priority: { priorityKey: workflowInfo().workflowType === 'incrementalSync' ? PRIORITY.freshness : PRIORITY.backfill },
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
