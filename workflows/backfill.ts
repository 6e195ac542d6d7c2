/**
 * `backfill`: sync `[from, to)` for one connection's streams. Plans windows no larger than each
 * stream allows, skips what the state says is complete, runs one child `syncWindow` per window
 * (deterministic id `<connection>/<stream>/<windowStart>`, at most `maxParallelWindows` at once),
 * and continues as new before its history grows large, carrying its progress over.
 */
import { ApplicationFailure, continueAsNew, defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, StreamPlan } from '../activities';
import { backfillInput, type BackfillInput } from '../core/inputs';
import { AGE_LIMIT_MARGIN } from '../core/planning';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { ceilTo, floorTo, formatDuration, intervalFromIso, parseDuration, parseInstant, splitIntoWindows, subtractIntervals, toIso } from '../core/time';
import { controlActivityOptions, failWorkflowWith, validInput } from './common';
import { finishOrThrow, newProgress, runWindows, showProgress, type PlannedWindow, type SyncProgress } from './window-runner';

export type BackfillProgress = SyncProgress;

export interface BackfillCarry {
  progress: BackfillProgress;
  /** Per stream, everything before this instant was handled by an earlier run. */
  resumeFrom: Record<string, string>;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** Windows one run starts before continuing as new: keeps each run's history well under limits. */
const WINDOWS_PER_RUN = 250;

/** Validates the request against each stream's rules and returns the windows to sync, in start order. */
export function planWindows(
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
      // Left out quietly when the user named no streams; named, it is a mistake worth saying.
      if (input.streams?.includes(s.name)) {
        problems.push(`streams: "${s.name}" is a snapshot stream (read whole by incrementalSync), it has no history to backfill`);
      }
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
      // The same margin as incremental runs: a window must still be young enough when it is fetched.
      const earliest = ceilTo(now - s.window.maxAge + AGE_LIMIT_MARGIN, s.window.alignment);
      if (range.from < earliest) {
        problems.push(`from: ${s.name} serves only the last ${formatDuration(s.window.maxAge)}; the earliest possible "from" is ${toIso(earliest)}`);
      }
    }
    if (problems.length) continue;
    const start = Math.max(floorTo(range.from, s.window.alignment), resumeFrom[s.name] ? Date.parse(resumeFrom[s.name]!) : -Infinity);
    // Never past what is final at the vendor: a window committed before its data exists would
    // hide that data from every later run. Incremental runs pick up from here.
    const end = Math.min(ceilTo(range.to, s.window.alignment), floorTo(now - s.window.defaultLag, s.window.alignment));
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

  const from = parseInstant(input.from)!;
  // `to` defaults to now once; later runs keep the first run's end so the target does not move.
  const to = carry ? Date.parse(carry.progress.to) : input.to ? parseInstant(input.to)! : Date.now();
  if (to <= from) {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `Invalid backfill input: from: ${input.from} is in the future; nothing to backfill` });
  }

  // The query answers from the first moment, even while the connection is being read.
  const progress: BackfillProgress = carry?.progress ?? newProgress(input.connection, input.streams ?? [], from, to);
  setHandler(backfillProgressQuery, () => progress);

  const plan = await describeConnection
    .executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read connection ${input.connection}` }, [
      { connection: input.connection, streams: input.streams },
    ])
    .catch((err) => failWorkflowWith(err, 'Invalid backfill input'));
  const streamNames = plan.streams.filter((s) => s.kind === 'windowed' || input.streams?.includes(s.name)).map((s) => s.name);
  progress.streams = streamNames;

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

  const opts = { connection: input.connection, patience: input.patience, maxParallel: input.maxParallelWindows ?? 4, windowsPerRun: input.windowsPerRun ?? WINDOWS_PER_RUN };
  const { mustContinue } = await runWindows(opts, todo, progress, resumeFrom, 'backfill');
  finishOrThrow(progress, 'backfill', 'Fix the cause and start the backfill again: completed windows are skipped.');
  if (mustContinue) {
    progress.continuedRuns++;
    return await continueAsNew<typeof backfill>(raw, { progress, resumeFrom });
  }
  progress.phase = 'done';
  showProgress(progress, 'backfill');
  return progress;
}
