/**
 * `backfill`: sync `[from, to)` for one connection's streams. Plans windows no larger than each
 * stream allows (core/windows.ts), skips what the state says is complete, runs one child
 * `syncWindow` per window (deterministic id `<connection>/<stream>/<windowStart>`, at most
 * `maxParallelWindows` at once), and continues as new before its history grows large, carrying
 * its progress over.
 */
import { defineQuery, patched } from '@temporalio/workflow';
import { invalidInputFailure } from '../core/failures';
import { backfillInput } from '../core/inputs';
import { parseDuration, parseInstant } from '../core/time';
import { planBackfill, snapshotWindows } from '../core/windows';
import { validInput } from './common';
import { closeRun, MAX_PARALLEL_WINDOWS, newProgress, openRun, type RunCarry, type SyncProgress, WINDOWS_PER_RUN } from './window-runner';

export type BackfillProgress = SyncProgress;
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

  const progress: BackfillProgress = carry?.progress ?? newProgress(input.connection, input.streams ?? [], from, to);
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
  const { todo, skipped, problems } = planBackfill({
    streams: connection.streams,
    requested: input.streams,
    windowSize: input.windowSize === undefined ? undefined : { text: input.windowSize, ms: parseDuration(input.windowSize)! },
    force: input.force,
    range: { from, to },
    completed,
    resumeFrom,
    now: Date.now(),
    lagMs,
  });
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
  }

  return closeRun({
    title: 'backfill',
    againHint: 'Fix the cause and start the backfill again: completed windows are skipped.',
    runner: {
      connection: input.connection,
      patience: input.patience,
      maxParallel: input.maxParallelWindows ?? MAX_PARALLEL_WINDOWS,
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
