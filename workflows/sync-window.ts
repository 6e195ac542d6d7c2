/**
 * `syncWindow`: one stream, one window. Walks the window's pages with page activities (each
 * fetches AND writes its pages, several per activity: activities/walk.ts), then records the
 * window as complete. Started as a child
 * by `backfill` and `incrementalSync`, or by hand from the Web UI.
 */
import {
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { invalidInputFailure, workflowFailure } from '../core/failures';
import { offGridProblems, syncWindowInput } from '../core/inputs';
import { describeCursor, type Cursor } from '../core/pagination';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { countPage, judge, mismatchMessage, newTotalCheck, READS_BEFORE_MISMATCH_FAILS, readAgain, type TotalCheck } from '../core/reconcile';
import { parseInstant } from '../core/time';
import { controlActivityOptions, failWorkflowWith, pageActivityOptions, validInput, windowLabel } from './common';

export interface WindowTotals {
  pages: number;
  records: number;
  /** Child-stream rows written with the pages. */
  childRecords: number;
  /** Earliest instant still open (ISO): the window was recorded complete only up to here. */
  openFrom?: string;
  /** The vendor was still processing the rest (202): the window was read and recorded complete only up to here (ISO). */
  readyUntil?: string;
  /** Snapshot streams: rows marked deleted because this run no longer saw them. */
  deleted?: number;
  inserted: number;
  updated: number;
  unchanged: number;
  httpMs: number;
  writeMs: number;
  /** Columns added for fields the vendor started sending (`table.column type`). */
  addedColumns?: string[];
  /** Rows whose value did not fit its column (NULL there, kept in `record`), by `table.field`. */
  misfits?: Record<string, number>;
  /** The records reconciled with the total the vendor states for the window, where it states one. */
  totalCheck?: TotalCheck;
}

export interface SyncWindowCarry {
  cursor: Cursor;
  totals: WindowTotals;
  snapshot?: boolean;
}

export interface WindowProgress extends WindowTotals {
  window: string;
  phase: 'paging' | 'committing' | 'finishing snapshot' | 'done';
  cursor: string;
}

export const windowProgressQuery = defineQuery<WindowProgress>('progress');

/** Continue as new after this many pages, so a huge window's history stays small. */
const PAGES_PER_RUN = 500;
/**
 * A page activity walks at most this many pages, for at most this long, before it returns to the
 * workflow: the window's totals, its details in the Web UI, its query and continue-as-new stay
 * at most that stale (the activity's heartbeat details show the page being walked meanwhile).
 * One dispatch and one workflow task per 10 s of walking is under 1% of the walk's time.
 */
const PAGES_PER_ACTIVITY = 100;
const WALK_MS = 10_000;

export const emptyTotals = (): WindowTotals => ({ pages: 0, records: 0, childRecords: 0, inserted: 0, updated: 0, unchanged: 0, httpMs: 0, writeMs: 0 });

export async function syncWindow(raw: unknown, carry?: SyncWindowCarry): Promise<WindowTotals> {
  const input = validInput(syncWindowInput, raw, 'syncWindow');
  const start = parseInstant(input.start)!;
  const end = parseInstant(input.end)!;
  const window = { connection: input.connection, stream: input.stream, start: new Date(start).toISOString(), end: new Date(end).toISOString() };
  // Narrowed to what the vendor had ready, if an earlier run of this window was (see `readyUntil`).
  if (carry?.totals.readyUntil) window.end = carry.totals.readyUntil;
  // Identifies this execution's snapshot (if the stream is one) across continue-as-new.
  const snapshotRun = workflowInfo().firstExecutionRunId;
  const { syncPage } = proxyActivities<Activities>(pageActivityOptions(input.patience));
  const { commitWindow, finishSnapshot } = proxyActivities<Activities>(controlActivityOptions(input.patience));

  // A window started by hand (no parent: backfill and incrementalSync plan on the grid) is checked
  // against its stream's grid before any page is read. Patched: older histories replay without it.
  if (!carry && !workflowInfo().parent && patched('refuse-off-grid-window')) {
    const { describeConnection } = proxyActivities<Activities>(controlActivityOptions(input.patience));
    const plan = await describeConnection
      .executeWithOptions({ ...controlActivityOptions(input.patience), summary: `read connection ${input.connection}` }, [
        { connection: input.connection, streams: [input.stream] },
      ])
      .catch((err: unknown) => failWorkflowWith(err, 'Invalid syncWindow input'));
    const problems = offGridProblems(plan.streams[0]!, start, end);
    if (problems.length) {
      throw invalidInputFailure('syncWindow', problems);
    }
  }

  if (!carry) {
    // Set here too (not only by the parent) so a window started by hand is just as searchable.
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: input.connection },
      { key: SEARCH_ATTRIBUTE_KEYS.CcsyncStream, value: input.stream },
      { key: SEARCH_ATTRIBUTE_KEYS.CcsyncWindowStart, value: new Date(start) },
    ]);
  }

  const totals = carry?.totals ?? emptyTotals();
  const check: TotalCheck = totals.totalCheck ?? newTotalCheck();
  let cursor: Cursor | null = carry?.cursor ?? null;
  let snapshot: boolean;
  let phase: WindowProgress['phase'] = 'paging';
  const label = windowLabel(input.connection, input.stream, start, end);
  setHandler(windowProgressQuery, () => ({ ...totals, window: label, phase, cursor: describeCursor(cursor) }));
  const show = () =>
    setCurrentDetails(
      `**${label}**\n\n${phase} · ${totals.pages} pages · ${totals.records} records (${totals.inserted} new, ${totals.updated} changed)` +
        (totals.totalCheck
          ? ` · vendor total ${check.stated ?? '?'} (${check.field ?? ''}), ${check.received} received, read ${check.reads}: ${check.verdict ?? 'counting'}`
          : ''),
    );
  show();

  let pagesThisRun = 0;
  for (;;) {
    const page = totals.pages + 1;
    const runLimit = input.pagesPerRun ?? PAGES_PER_RUN;
    // One activity walks several pages (activities/walk.ts), resuming from its heartbeat on a retry.
    // Patched: histories recorded with one activity per page replay unchanged.
    const walk = patched('walk-pages-in-one-activity')
      ? { maxPages: Math.max(1, Math.min(PAGES_PER_ACTIVITY, runLimit - pagesThisRun)), maxMs: WALK_MS, check: { ...check } }
      : undefined;
    const summary = walk ? `pages ${page}… · ${describeCursor(cursor)}` : `page ${page} · ${describeCursor(cursor)}`;
    const result = await syncPage
      .executeWithOptions({ ...pageActivityOptions(input.patience), summary }, [{ ...window, cursor, snapshotRun, page, ...(walk ? { walk } : {}) }])
      .catch((err: unknown) => {
        if (isCancellation(err)) throw err;
        // The window's own failure says what went wrong, not "Activity task failed".
        return failWorkflowWith(err, 'Invalid syncWindow input');
      });
    const walked = result.pages ?? 1;
    totals.pages += walked;
    totals.records += result.records;
    totals.childRecords += result.childRecords;
    snapshot = result.snapshot;
    if (result.openFrom && (!totals.openFrom || result.openFrom < totals.openFrom)) totals.openFrom = result.openFrom;
    if (result.readyUntil) {
      // The vendor had only this much ready: later pages ask for it alone, and only it is committed.
      totals.readyUntil = result.readyUntil;
      window.end = new Date(Date.parse(result.readyUntil)).toISOString();
    }
    totals.inserted += result.inserted;
    totals.updated += result.updated;
    totals.unchanged += result.unchanged;
    totals.httpMs += result.httpMs;
    totals.writeMs += result.writeMs;
    // Plain bookkeeping (no commands): histories without these fields replay unchanged.
    if (result.addedColumns?.length) totals.addedColumns = [...(totals.addedColumns ?? []), ...result.addedColumns];
    for (const [field, rows] of Object.entries(result.misfits ?? {})) totals.misfits = { ...totals.misfits, [field]: (totals.misfits?.[field] ?? 0) + rows };
    // A walk counted its pages in (core/reconcile.ts countPage, page by page); a single page is counted here.
    if (walk && result.check) Object.assign(check, result.check);
    else countPage(check, result.records, result.statedTotal);
    if (check.stated !== undefined) totals.totalCheck = check;
    show();
    if (!result.next) {
      // Before anything is recorded complete: do the records add up to what the vendor states?
      if (check.stated === undefined || judge(check) === 'agrees') break;
      if (check.reads >= READS_BEFORE_MISMATCH_FAILS || !patched('reconcile-vendor-totals')) {
        throw workflowFailure('TotalMismatch', mismatchMessage(label, check), {
          details: { stated: check.stated, received: check.received, reads: check.reads },
        });
      }
      // The list may have moved while it was walked: read the window once more from its first page.
      readAgain(check);
      cursor = null;
      show();
      continue;
    }
    cursor = result.next;
    pagesThisRun += walked;
    if (pagesThisRun >= runLimit || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof syncWindow>(raw, { cursor, totals, snapshot });
    }
  }

  // Once cancelled, never record the window as complete, even if its last page made it.
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled before the window was committed');
  if (snapshot) {
    phase = 'finishing snapshot';
    show();
    const outcome = await finishSnapshot.executeWithOptions({ ...controlActivityOptions(input.patience), summary: `finish snapshot ${label}` }, [
      { connection: input.connection, stream: input.stream, start: window.start, snapshotRun },
    ]);
    totals.deleted = outcome.deleted;
  } else {
    // Records still open (an agent status not ended yet) keep their part of the window incomplete,
    // so the next incremental run reads it again.
    const windowEnd = Date.parse(window.end);
    const committedEnd = totals.openFrom ? Math.min(windowEnd, Date.parse(totals.openFrom)) : windowEnd;
    if (committedEnd > start) {
      phase = 'committing';
      show();
      const why = committedEnd < windowEnd ? 'later records still open' : 'the vendor is still processing the rest';
      const summary = committedEnd < end ? `commit ${label} up to ${new Date(committedEnd).toISOString()} (${why})` : `commit ${label}`;
      await commitWindow.executeWithOptions({ ...controlActivityOptions(input.patience), summary }, [{ ...window, end: new Date(committedEnd).toISOString() }]);
    }
  }
  phase = 'done';
  show();
  return totals;
}
