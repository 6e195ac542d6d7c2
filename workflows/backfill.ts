/**
 * `backfill`: sync `[from, to)` for one connection's streams. Plans windows no larger than each
 * stream allows, skips what the state says is complete, runs one child `syncWindow` per window
 * (deterministic id `<connection>/<stream>/<windowStart>`, at most `maxParallelWindows` at once),
 * and continues as new before its history grows large, carrying its progress over.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  defineQuery,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, StreamPlan } from '../activities';
import { backfillInput, type BackfillInput } from '../core/inputs';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { ceilTo, floorTo, formatDuration, intervalFromIso, parseDuration, parseInstant, splitIntoWindows, subtractIntervals, toIso } from '../core/time';
import { controlActivityOptions, failWorkflowWith, rootCause, validInput, windowLabel, windowWorkflowId } from './common';
import { syncWindow, type WindowTotals } from './sync-window';

export interface BackfillProgress {
  connection: string;
  streams: string[];
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
  /** How many times this backfill continued as new. */
  continuedRuns: number;
}

export interface BackfillCarry {
  progress: BackfillProgress;
  /** Per stream, everything before this instant was handled by an earlier run. */
  resumeFrom: Record<string, string>;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** Windows one run starts before continuing as new: keeps each run's history well under limits. */
const WINDOWS_PER_RUN = 250;
const MAX_FAILURES_SHOWN = 10;

interface PlannedWindow {
  stream: string;
  start: number;
  end: number;
}

/** Validates the request against each stream's rules and returns the windows to sync, in start order. */
function planWindows(
  input: BackfillInput,
  streams: StreamPlan[],
  range: { from: number; to: number },
  completed: Record<string, { start: string; end: string }[]>,
  resumeFrom: Record<string, string>,
  now: number,
): { todo: PlannedWindow[]; skipped: number } {
  const problems: string[] = [];
  const todo: PlannedWindow[] = [];
  let skipped = 0;
  const requestedSize = input.windowSize === undefined ? undefined : parseDuration(input.windowSize)!;
  for (const s of streams) {
    if (s.kind !== 'windowed') {
      problems.push(`streams: "${s.name}" is a snapshot stream (read whole by incrementalSync), it has no history to backfill`);
      continue;
    }
    const size = requestedSize ?? s.window.defaultSize;
    if (size > s.window.maxSize) {
      problems.push(`windowSize: ${input.windowSize} is larger than ${s.name} allows (at most ${formatDuration(s.window.maxSize)})`);
    }
    if (size % s.window.alignment !== 0) {
      problems.push(`windowSize: ${input.windowSize} must be a multiple of ${s.name}'s interval, ${formatDuration(s.window.alignment)}`);
    }
    if (s.window.maxAge !== undefined) {
      const earliest = ceilTo(now - s.window.maxAge, s.window.alignment);
      if (range.from < earliest) {
        problems.push(`from: ${s.name} serves only the last ${formatDuration(s.window.maxAge)}; the earliest possible "from" is ${toIso(earliest)}`);
      }
    }
    if (problems.length) continue;
    const start = Math.max(floorTo(range.from, s.window.alignment), resumeFrom[s.name] ? Date.parse(resumeFrom[s.name]!) : -Infinity);
    const end = ceilTo(range.to, s.window.alignment);
    if (start >= end) continue;
    const span = { start, end };
    const gaps = input.force ? [span] : subtractIntervals(span, (completed[s.name] ?? []).map(intervalFromIso));
    const windows = gaps.flatMap((g) => splitIntoWindows(g, size));
    // A window counts as skipped when no part of it is left to sync.
    skipped += splitIntoWindows(span, size).filter((full) => !gaps.some((g) => g.start < full.end && g.end > full.start)).length;
    for (const w of windows) todo.push({ stream: s.name, start: w.start, end: w.end });
  }
  if (problems.length) {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `Invalid backfill input: ${problems.join('; ')}`, details: [{ problems }] });
  }
  todo.sort((a, b) => a.start - b.start || a.stream.localeCompare(b.stream));
  return { todo, skipped };
}

export async function backfill(raw: unknown, carry?: BackfillCarry): Promise<BackfillProgress> {
  const input = validInput(backfillInput, raw, 'backfill');
  const { describeConnection, readState } = proxyActivities<Activities>(controlActivityOptions(input.patience));
  const maxParallel = input.maxParallelWindows ?? 4;

  const from = parseInstant(input.from)!;
  // `to` defaults to now once; later runs keep the first run's end so the target does not move.
  const to = carry ? Date.parse(carry.progress.to) : input.to ? parseInstant(input.to)! : Date.now();
  if (to <= from) {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `Invalid backfill input: from: ${input.from} is in the future; nothing to backfill` });
  }

  // The query answers from the first moment, even while the connection is being read.
  const progress: BackfillProgress = carry?.progress ?? {
    connection: input.connection,
    streams: input.streams ?? [],
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
  setHandler(backfillProgressQuery, () => progress);

  const plan = await describeConnection
    .executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read connection ${input.connection}` }, [
      { connection: input.connection, streams: input.streams },
    ])
    .catch((err) => failWorkflowWith(err, 'Invalid backfill input'));
  const streamNames = plan.streams.map((s) => s.name);
  progress.streams = streamNames;

  const show = () => {
    const w = progress.windows;
    setCurrentDetails(
      `**${progress.connection}** · ${progress.streams.join(', ')} · ${progress.from} → ${progress.to}\n\n` +
        `${progress.phase} · windows ${w.done + w.skipped}/${w.total} done (${w.skipped} already complete), ${w.running} running, ${w.failed} failed · ` +
        `${progress.records} records (${progress.inserted} new, ${progress.updated} changed)` +
        (progress.failures.length ? `\n\nlast failure: ${progress.failures[progress.failures.length - 1]!.message}` : ''),
    );
  };

  if (!carry) {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: input.connection },
      ...(streamNames.length === 1 ? [{ key: SEARCH_ATTRIBUTE_KEYS.CcsyncStream, value: streamNames[0]! }] : []),
    ]);
  }

  const completed = await readState.executeWithOptions(
    { ...controlActivityOptions(input.patience), summary: `read sync state of ${streamNames.join(', ')}` },
    [{ connection: input.connection, streams: streamNames }],
  );
  const resumeFrom = { ...(carry?.resumeFrom ?? {}) };
  const { todo, skipped } = planWindows(input, plan.streams, { from, to }, completed, resumeFrom, Date.now());
  if (!carry) {
    progress.windows.total = todo.length + skipped;
    progress.windows.skipped = skipped;
  }
  progress.phase = 'running';
  show();

  const running = new Set<Promise<void>>();
  let dispatched = 0;
  let mustContinue = false;

  const runWindow = async (w: PlannedWindow): Promise<void> => {
    const label = windowLabel(input.connection, w.stream, w.start, w.end);
    try {
      const totals: WindowTotals = await startWindow(input, w, label).then((h) => h.result());
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

  for (const w of todo) {
    if (progress.windows.failed > 0 || CancellationScope.current().consideredCancelled) break;
    if (dispatched >= (input.windowsPerRun ?? WINDOWS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      mustContinue = true;
      break;
    }
    while (running.size >= maxParallel) await Promise.race(running);
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

  if (CancellationScope.current().consideredCancelled) {
    progress.phase = 'cancelled';
    show();
    throw new CancelledFailure(`backfill cancelled: ${progress.windows.done} windows were completed and recorded; the rest were not`);
  }
  if (progress.windows.failed > 0) {
    progress.phase = 'failed';
    show();
    const first = progress.failures[0]!;
    const notStarted = progress.windows.total - progress.windows.done - progress.windows.skipped - progress.windows.failed;
    throw ApplicationFailure.create({
      type: first.type ?? 'WindowFailed',
      nonRetryable: true,
      message:
        `${progress.windows.failed} window(s) failed; first: ${first.window}: ${first.message}. ` +
        `${progress.windows.done} window(s) completed and were recorded, ${notStarted} not started. ` +
        `Fix the cause and start the backfill again: completed windows are skipped.`,
      details: [{ failures: progress.failures }],
    });
  }
  if (mustContinue) {
    progress.continuedRuns++;
    return await continueAsNew<typeof backfill>(raw, { progress, resumeFrom });
  }
  progress.phase = 'done';
  show();
  return progress;
}

/** Starts a window's child, waiting politely if the same window is already running elsewhere. */
async function startWindow(input: BackfillInput, w: PlannedWindow, label: string) {
  for (let tries = 0; ; tries++) {
    try {
      return await startChild(syncWindow, {
        workflowId: windowWorkflowId(input.connection, w.stream, w.start),
        args: [{ connection: input.connection, stream: w.stream, start: toIso(w.start), end: toIso(w.end), patience: input.patience, requestedBy: workflowInfo().workflowId }],
        staticSummary: label,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: input.connection },
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
