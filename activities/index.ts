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
import { syncPage } from './sync-page';

/**
 * Failed attempts per activity execution and error type, for the errors that count their own
 * attempts. Heartbeat details carry the tally to the next attempt (on any worker); this copy covers
 * a last heartbeat that did not reach the server before the failure. Bounded: oldest dropped first.
 */
const tallies = new Map<string, AttemptTally>();
const MAX_TALLIES = 10_000;

function executionKey(): string {
  const info = Context.current().info;
  return `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}/${info.activityId}`;
}

/** This execution's tally so far (from earlier attempts), as the heartbeat details to keep sending. */
export function currentTally(): AttemptTally {
  return mergeTallies(readTally(Context.current().info.heartbeatDetails), tallies.get(executionKey()) ?? {});
}

function mapped<A extends unknown[], R>(rt: Runtime, fn: (attempt: number, ...args: A) => R | Promise<R>) {
  return async (...args: A): Promise<Awaited<R>> => {
    const attempt = Context.current().info.attempt;
    try {
      const result = await fn(attempt, ...args);
      tallies.delete(executionKey());
      return result;
    } catch (err) {
      const type = isCcsyncError(err) ? err.type : 'VendorUnavailable';
      const tally = addFailure(currentTally(), type, Date.now());
      tallies.delete(executionKey());
      tallies.set(executionKey(), tally);
      if (tallies.size > MAX_TALLIES) tallies.delete(tallies.keys().next().value!);
      Context.current().heartbeat({ tally });
      const failure = toApplicationFailure(err, attempt, rt.secrets, tally);
      Context.current().log.warn(`attempt ${attempt} failed: ${failure.message}`, { type: failure.type, nonRetryable: failure.nonRetryable });
      throw failure;
    }
  };
}

/** Heartbeats while `work` runs (waiting on the rate limit, the vendor, the database). */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  // Keep sending the tally of earlier attempts: a heartbeat without it would erase it.
  const details = { tally: currentTally() };
  ctx.heartbeat(details);
  const timer = setInterval(() => ctx.heartbeat(details), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const HEARTBEAT_EVERY_MS = 3_000;

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
    // `page` (the page's number in its window) only labels log lines; fetching goes by the cursor.
    syncPage: mapped(rt, async (attempt, input: Parameters<typeof syncPage>[1] & { page?: number }) => {
      // Since when earlier attempts saw "still processing" (202): a 202 that lasts is narrowed (sources' `stillProcessing`).
      const seen = { stillProcessingSince: currentTally().VendorStillProcessing?.firstAt };
      const page = await withHeartbeat(() => syncPage(rt, input, attempt, seen));
      rt.metrics?.pageWritten(input.connection, input.stream, page);
      // What the vendor budget cost this page, in its result: the order of grants shows in history.
      const budget = budgetSummaryForActivity();
      const result = budget ? { ...page, budget } : page;
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
      // One line per page: what an operator greps for when a number looks wrong.
      Context.current().log.info('page synced', {
        connection: input.connection,
        stream: input.stream,
        window: `${input.start}/${input.end}`,
        page: input.page,
        records: result.records,
        inserted: result.inserted,
        updated: result.updated,
        more: result.next !== null,
        httpMs: result.httpMs,
        writeMs: result.writeMs,
        ...(budget ? { budgetWaitMs: budget.waitedMs, priority: budget.priority } : {}),
      });
      return result;
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { SyncPageInput, SyncPageResult } from './sync-page';
export type { ConnectionPlan, StreamPlan } from './state';
