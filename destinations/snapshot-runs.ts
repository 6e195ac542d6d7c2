/**
 * Snapshot runs, whatever the database: run ids, the key texts a run notes, what a finished run
 * answers, and the one order in which finishing a run deletes, revives and records.
 */
import { CcsyncError } from '../core/errors';
import type { SnapshotOutcome, TableSpec } from './destination';
import { keyText, keyValues } from './shared';

/** Snapshot run ids are ours (the workflow's), never a vendor's: refuse nonsense early. */
export function checkRunId(runId: string): string {
  if (typeof runId !== 'string' || runId.length === 0 || runId.length > 200) {
    throw new CcsyncError('InvalidInput', `The snapshot run id ${JSON.stringify(runId)} must be a non-empty text of at most 200 characters.`);
  }
  return runId;
}

/** The distinct canonical key texts of a snapshot page, in first-seen order. */
export function snapshotKeyTexts(spec: TableSpec, keys: readonly Record<string, string>[]): string[] {
  const given: unknown = keys;
  if (!Array.isArray(given)) throw new CcsyncError('InvalidInput', `The snapshot keys of table ${spec.name} must be a list.`);
  return [...new Set(keys.map((key) => keyText(keyValues(spec, key, 'A snapshot key'))))];
}

/** Refusal for noting keys into a run that was already finished (a reused run id, or a stale retry). */
export function finishedRunError(spec: TableSpec, connection: string, runId: string): CcsyncError {
  return new CcsyncError(
    'InvalidInput',
    `Snapshot run ${JSON.stringify(runId)} of table ${spec.name} for connection ${connection} is already finished: ` + `a new snapshot needs a new run id.`,
  );
}

/** A stored outcome (text or parsed jsonb) back into a SnapshotOutcome. */
export function decodeOutcome(stored: unknown): SnapshotOutcome {
  const value = (typeof stored === 'string' ? JSON.parse(stored) : stored) as Partial<SnapshotOutcome> | null;
  return {
    seen: Number(value?.seen ?? 0),
    deleted: Number(value?.deleted ?? 0),
    revived: Number(value?.revived ?? 0),
    skippedEmpty: value?.skippedEmpty === true,
  };
}

/**
 * What a finish does once it knows how many keys the run saw and whether the table has live rows:
 * a run that saw nothing while rows are live is implausible (a vendor hiccup, a filter gone wrong),
 * so it deletes nothing rather than everything.
 */
export function skipsAsEmpty(seen: number, hasLiveRows: boolean): boolean {
  return seen === 0 && hasLiveRows;
}

/**
 * The steps of finishing a snapshot run, in one transaction, whatever the database: each
 * destination says how to do each step in its SQL, and `finishSnapshotRun` (synchronous, SQLite)
 * or `finishSnapshotRunAsync` (PostgreSQL) walks them in this one order.
 */
export interface SnapshotFinishSteps {
  /** Drops leftovers of runs that never finished and old markers; never this run's own rows. */
  pruneOthers(): void;
  /** This run's outcome if it finished already (a retried activity). */
  previous(): SnapshotOutcome | undefined;
  /** The distinct keys the run saw, and whether the table has live rows for the connection. */
  count(): { seen: number; live: boolean };
  /** Clears `_deleted_at` on rows the run saw; returns how many. */
  revive(): number;
  /** Sets `_deleted_at` on live rows the run did not see; returns how many. */
  markDeleted(): number;
  /** Drops the run's staged keys. */
  dropStaged(): void;
  /** Records the run as finished with its outcome. */
  record(outcome: SnapshotOutcome): void;
}

type Async<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never };

type FinishStep = { step: Exclude<keyof SnapshotFinishSteps, 'record'> } | { step: 'record'; outcome: SnapshotOutcome };

function* finishFlow(): Generator<FinishStep, SnapshotOutcome, unknown> {
  yield { step: 'pruneOthers' };
  const previous = (yield { step: 'previous' }) as SnapshotOutcome | undefined;
  if (previous) {
    // Finished already: change nothing, answer as the first time.
    yield { step: 'dropStaged' };
    return previous;
  }
  const { seen, live } = (yield { step: 'count' }) as { seen: number; live: boolean };
  let outcome: SnapshotOutcome = { seen, deleted: 0, revived: 0, skippedEmpty: true };
  if (!skipsAsEmpty(seen, live)) {
    const revived = (yield { step: 'revive' }) as number;
    const deleted = (yield { step: 'markDeleted' }) as number;
    outcome = { seen, deleted, revived, skippedEmpty: false };
  }
  yield { step: 'dropStaged' };
  yield { step: 'record', outcome };
  return outcome;
}

function run<T>(steps: SnapshotFinishSteps | Async<SnapshotFinishSteps>, s: FinishStep): T {
  return (s.step === 'record' ? steps.record(s.outcome) : steps[s.step]()) as T;
}

export function finishSnapshotRun(steps: SnapshotFinishSteps): SnapshotOutcome {
  const flow = finishFlow();
  for (let r = flow.next(); ; r = flow.next(run<unknown>(steps, r.value))) if (r.done) return r.value;
}

export async function finishSnapshotRunAsync(steps: Async<SnapshotFinishSteps>): Promise<SnapshotOutcome> {
  const flow = finishFlow();
  for (let r = flow.next(); ; r = flow.next(await run<Promise<unknown>>(steps, r.value))) if (r.done) return r.value;
}
