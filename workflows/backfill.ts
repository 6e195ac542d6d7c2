/**
 * `backfill`: sync `[from, to)` for one connection's streams. Plans windows no larger than each
 * stream allows (core/windows.ts), skips what the state says is complete, runs one child
 * `syncWindow` per window (deterministic id `<connection>/<stream>/<windowStart>`, at most
 * `maxParallelWindows` at once), and continues as new before its history grows large, carrying
 * its progress over.
 */
import { defineQuery, patched } from '@temporalio/workflow';
import { type BackfillEstimate, describeEstimate, estimateBackfill } from '../core/estimate';
import { invalidInputFailure } from '../core/failures';
import { backfillInput } from '../core/inputs';
import { parseDuration, parseInstant, toIso } from '../core/time';
import { type BackfillPlanInput, planBackfill, snapshotWindows } from '../core/windows';
import { validInput } from './common';
import { closeRun, MAX_PARALLEL_WINDOWS, newProgress, openRun, type RunCarry, type SyncProgress, WINDOWS_PER_RUN } from './window-runner';

export type BackfillProgress = SyncProgress & {
  /**
   * What the first run planned, as `ccsync backfill start` prints it: windows, requests at least,
   * and how long they take at the account's limit (core/estimate.ts, shared with the CLI).
   * Counts only the windows left to do (complete ones are skipped). Carried over continue-as-new.
   */
  plan?: BackfillEstimate & { summary: string };
  /**
   * Parts of the range that aged out of the vendor's age limit (LivePerson: 14 days) before they
   * could be read, per stream; `windows` counts the planned windows wholly lost. Empty unless a
   * long backfill that began near the limit continued as new after the limit passed its windows.
   */
  agedOut: { stream: string; from: string; to: string; windows: number }[];
};
export type BackfillCarry = RunCarry<BackfillProgress>;

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

export async function backfill(raw: unknown, carry?: BackfillCarry): Promise<BackfillProgress> {
  const input = validInput(backfillInput, raw, 'backfill');

  const from = parseInstant(input.from)!;
  // `to` defaults to now once; later runs keep the first run's end so the target does not move.
  const to = carry ? Date.parse(carry.progress.to) : input.to ? parseInstant(input.to)! : Date.now();
  if (to <= from) {
    throw invalidInputFailure('backfill', [`from: ${input.from} is in the future; nothing to backfill`]);
  }

  const progress: BackfillProgress = carry?.progress ?? { ...newProgress(input.connection, input.streams ?? [], from, to), agedOut: [] };
  // Progress carried from a run started before `agedOut` existed.
  progress.agedOut ??= [];
  const { connection, completed } = await openRun({
    title: 'backfill',
    input,
    carried: carry !== undefined,
    progress,
    query: backfillProgressQuery,
    streamsOf: (c) => c.streams.filter((s) => s.kind === 'windowed' || input.streams?.includes(s.name)).map((s) => s.name),
    labelSingleStream: true,
  });

  const resumeFrom = { ...(carry?.resumeFrom ?? {}) };
  // The connection's own lag, when it sets one: data newer than that is not final at the vendor.
  // Patched: backfills recorded before it planned with the streams' defaults.
  const lagMs = connection.schedule?.lagMs !== undefined && patched('backfill-uses-schedule-lag') ? connection.schedule.lagMs : undefined;
  const planInput: BackfillPlanInput = {
    streams: connection.streams,
    requested: input.streams,
    windowSize: input.windowSize === undefined ? undefined : { text: input.windowSize, ms: parseDuration(input.windowSize)! },
    force: input.force,
    range: { from, to },
    completed,
    resumeFrom,
    now: Date.now(),
    lagMs,
  };
  let plan = planBackfill(planInput);
  // A continued run was accepted when the backfill began: time passing the age limit since is no
  // reason to fail, only to drop what aged out. Patched: older continued runs replay as they ran
  // (the check is reached only when the plain plan is refused, so other runs record no marker).
  if (carry && plan.problems.length && patched('continued-backfill-drops-aged-out-windows')) {
    plan = planBackfill({ ...planInput, continued: true });
    for (const a of plan.agedOut) {
      progress.agedOut.push({ stream: a.stream, from: toIso(a.start), to: toIso(a.end), windows: a.windows });
    }
  }
  const { todo, skipped, problems } = plan;
  if (problems.length) {
    throw invalidInputFailure('backfill', problems);
  }
  // With no streams named, the snapshot streams (agents, teams...) are read once at the end, so the
  // tables a backfill leaves join up. Patched: backfills recorded before it read none.
  const snapshots = input.streams === undefined ? connection.streams.filter((s) => s.kind === 'snapshot') : [];
  const readSnapshots = snapshots.length > 0 && patched('backfill-reads-snapshots');
  if (readSnapshots && !carry) progress.streams = [...progress.streams, ...snapshots.map((s) => s.name)];
  if (!carry) {
    progress.windows.total = todo.length + skipped + (readSnapshots ? snapshots.length : 0);
    progress.windows.skipped = skipped;
    // A query answers from memory: recording the plan here adds no command to the history.
    if (connection.rateLimit) {
      const estimate = estimateBackfill(todo, connection.streams, input.windowSize, connection.rateLimit);
      progress.plan = { ...estimate, summary: describeEstimate(estimate, connection.sourceTitle) };
    }
  }

  return closeRun({
    title: 'backfill',
    againHint: 'Fix the cause and start the backfill again: completed windows are skipped.',
    runner: {
      connection: input.connection,
      patience: input.patience,
      // The connection's figure keeps a rate-bound budget full (core/parallel-windows.ts); results
      // recorded before it existed have none and replay with the old default.
      maxParallel: input.maxParallelWindows ?? connection.parallelWindows ?? MAX_PARALLEL_WINDOWS,
      windowsPerRun: input.windowsPerRun ?? WINDOWS_PER_RUN,
    },
    todo,
    progress,
    resumeFrom,
    raw,
    // Named by the time they run (the workflow's clock, deterministic), like an incremental run's.
    atEnd: readSnapshots ? () => snapshotWindows(snapshots, Math.floor(Date.now() / 1000) * 1000) : undefined,
  });
}
