/**
 * The activities a worker registers. Each is wrapped so that whatever it throws reaches Temporal
 * through the one mapping in core/failures.ts, with secrets scrubbed.
 */
import { Context } from '@temporalio/activity';
import { addFailure, mergeTallies, readTally, type AttemptTally } from '../core/attempts';
import { isCcsyncError } from '../core/errors';
import { toApplicationFailure } from '../core/failures';
import { budgetSummaryForActivity } from './budget/limiter';
import type { Runtime } from './runtime';
import { refreshFreshness } from './freshness';
import { commitWindow, describeConnection, finishSnapshot, readState } from './state';
import { syncPage, type SyncPageInput, type SyncPageResult } from './sync-page';
import { readWalk, walkPages, type WalkLimits, type WalkProgress, type WalkResult } from './walk';

/**
 * Failed attempts per activity execution and error type, for the errors that count their own
 * attempts. Heartbeat details carry the tally to the next attempt (on any worker); this copy covers
 * a last heartbeat that did not reach the server before the failure. Bounded: oldest dropped first.
 */
const tallies = new Map<string, AttemptTally>();
/** A page walk's progress per activity execution: the same fallback for its heartbeat details. */
const walks = new Map<string, WalkProgress>();
/** Executions whose walk wrote a page in this attempt (the attempt's number): older failures were another page's. */
const progressedIn = new Map<string, number>();
const MAX_TALLIES = 10_000;

function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TALLIES) map.delete(map.keys().next().value!);
}

function forget(key: string): void {
  tallies.delete(key);
  walks.delete(key);
  progressedIn.delete(key);
}

function executionKey(): string {
  const info = Context.current().info;
  return `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}/${info.activityId}`;
}

/** This execution's tally so far (from earlier attempts), as the heartbeat details to keep sending. */
export function currentTally(): AttemptTally {
  const key = executionKey();
  const mine = tallies.get(key) ?? {};
  // A page written in this attempt: the tally in the attempt's details was about an earlier page.
  if (progressedIn.get(key) === Context.current().info.attempt) return mine;
  return mergeTallies(readTally(Context.current().info.heartbeatDetails), mine);
}

/** Where this execution's page walk stands: the furthest of its heartbeat details and this worker's memory. */
function currentWalk(): WalkProgress | undefined {
  const fromDetails = readWalk(Context.current().info.heartbeatDetails);
  const mine = walks.get(executionKey());
  if (!fromDetails) return mine;
  if (!mine) return fromDetails;
  return mine.done.pages >= fromDetails.done.pages ? mine : fromDetails;
}

/** The heartbeat details to send now: the tally, and the walk's progress if this is a walk. */
function details(): { tally: AttemptTally; walk?: WalkProgress } {
  const walk = currentWalk();
  return { tally: currentTally(), ...(walk ? { walk } : {}) };
}

function mapped<A extends unknown[], R>(rt: Runtime, fn: (attempt: number, ...args: A) => R | Promise<R>) {
  return async (...args: A): Promise<Awaited<R>> => {
    const attempt = Context.current().info.attempt;
    try {
      const result = await fn(attempt, ...args);
      forget(executionKey());
      return result;
    } catch (err) {
      const type = isCcsyncError(err) ? err.type : 'VendorUnavailable';
      const tally = addFailure(currentTally(), type, Date.now());
      bounded(tallies, executionKey(), tally);
      // The walk's progress goes with the tally: the retry resumes after the last page written.
      const walk = currentWalk();
      Context.current().heartbeat({ tally, ...(walk ? { walk } : {}) });
      const failure = toApplicationFailure(err, attempt, rt.secrets, tally);
      Context.current().log.warn(`attempt ${attempt} failed: ${failure.message}`, { type: failure.type, nonRetryable: failure.nonRetryable });
      throw failure;
    }
  };
}

/** Heartbeats while `work` runs (waiting on the rate limit, the vendor, the database). */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  // Keep sending the tally of earlier attempts (and a walk's progress): a heartbeat without them would erase them.
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const HEARTBEAT_EVERY_MS = 3_000;

/** The page activity's input: one page, or (with `walk`) several pages of the window in one activity. */
export type PageActivityInput = SyncPageInput & {
  /** The first page's number in its window: labels log lines only; fetching goes by the cursor. */
  page?: number;
  /** Walk on after the first page (activities/walk.ts). Absent (histories from before): one page. */
  walk?: WalkLimits;
};

/** One page's result, or a walk's (`pages`, `check`), with what the vendor budget cost it. */
export type PageActivityResult = SyncPageResult & Partial<Pick<WalkResult, 'pages' | 'check'>> & { budget?: ReturnType<typeof budgetSummaryForActivity> };

export function createActivities(rt: Runtime) {
  return {
    describeConnection: mapped(rt, (_a, input: Parameters<typeof describeConnection>[1]) => describeConnection(rt, input)),
    readState: mapped(rt, (_a, input: Parameters<typeof readState>[1]) => readState(rt, input)),
    commitWindow: mapped(rt, async (_a, input: Parameters<typeof commitWindow>[1]) => {
      await commitWindow(rt, input);
      // The freshness gauge moves the moment a window is recorded; a failure here must not fail the commit.
      await refreshFreshness(rt, { connection: input.connection, stream: input.stream }).catch((err: unknown) => {
        Context.current().log.warn(`could not refresh the freshness gauge: ${err instanceof Error ? err.message : String(err)}`);
      });
    }),
    finishSnapshot: mapped(rt, (_a, input: Parameters<typeof finishSnapshot>[1]) => finishSnapshot(rt, input)),
    syncPage: mapped(rt, async (attempt, input: PageActivityInput): Promise<PageActivityResult> => {
      // Since when earlier attempts saw "still processing" (202): a 202 that lasts is narrowed (sources' `stillProcessing`).
      const seen = { stillProcessingSince: currentTally().VendorStillProcessing?.firstAt };
      const { walk, page: firstPage, ...single } = input;
      const written = (page: SyncPageResult, n: number | undefined, at: SyncPageInput) => pageWritten(rt, at, n, page);
      let result: PageActivityResult;
      if (!walk) {
        const page = await withHeartbeat(() => syncPage(rt, single, attempt, seen));
        written(page, firstPage, single);
        result = page;
      } else {
        const ctx = Context.current();
        const key = executionKey();
        result = await withHeartbeat(() =>
          walkPages(single, walk, firstPage ?? 1, attempt, seen, currentWalk(), {
            page: (at, pageAttempt, pageSeen) => syncPage(rt, at, pageAttempt, pageSeen),
            written,
            progress: (p) => {
              if (p.done.pages > (walks.get(key)?.done.pages ?? readWalk(ctx.info.heartbeatDetails)?.done.pages ?? 0)) {
                // A page made it: failures counted so far were that page's.
                tallies.delete(key);
                progressedIn.set(key, ctx.info.attempt);
              }
              bounded(walks, key, structuredClone(p));
              ctx.heartbeat(details());
            },
            cancelled: () => ctx.cancellationSignal.aborted,
            now: () => performance.now(),
          }),
        );
      }
      // What the vendor budget cost this activity, in its result: the order of grants shows in history.
      const budget = budgetSummaryForActivity();
      return budget ? { ...result, budget } : result;
    }),
  };
}

/** One page written: its metrics, the schema drift it announced, and its log line. */
function pageWritten(rt: Runtime, input: SyncPageInput, pageNumber: number | undefined, page: SyncPageResult): void {
  rt.metrics?.pageWritten(input.connection, input.stream, page);
  // Schema drift is announced, never fatal: new columns, and values left NULL in their column.
  if (page.addedColumns) {
    Context.current().log.info(`new columns for fields the vendor started sending: ${page.addedColumns.join(', ')}`, {
      connection: input.connection,
      stream: input.stream,
      addedColumns: page.addedColumns,
    });
  }
  if (page.misfits) {
    Context.current().log.warn(
      `values that do not fit their column were left NULL there (kept in record): ${Object.entries(page.misfits)
        .map(([field, rows]) => `${field} in ${rows} rows`)
        .join(', ')}`,
      { connection: input.connection, stream: input.stream, misfits: page.misfits },
    );
  }
  const budget = budgetSummaryForActivity();
  // One line per page: what an operator greps for when a number looks wrong.
  Context.current().log.info('page synced', {
    connection: input.connection,
    stream: input.stream,
    window: `${input.start}/${input.end}`,
    page: pageNumber,
    records: page.records,
    inserted: page.inserted,
    updated: page.updated,
    more: page.next !== null,
    httpMs: page.httpMs,
    writeMs: page.writeMs,
    ...(budget ? { budgetWaitMs: budget.waitedMs, priority: budget.priority } : {}),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type { SyncPageInput, SyncPageResult } from './sync-page';
export type { ConnectionPlan, StreamPlan } from './state';
