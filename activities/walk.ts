/**
 * One page activity that walks several pages of its window: fetch a page, write it, record the
 * new cursor and the counts so far in the activity's heartbeat details, next page. A retry (on
 * any worker) resumes from the last heartbeat's cursor, so a killed worker redoes at most the page
 * it was on (plus one whose heartbeat had not reached the server yet), and each write is the same
 * idempotent upsert as before. The walk stops at the window's last page, after `maxPages` pages or
 * `maxMs` of walking, or when the activity is cancelled, and returns what it walked: the workflow
 * then updates its totals, its details and its continue-as-new count, as it did after each page.
 *
 * Why: one activity dispatch and one workflow task per page were most of Temporal's cost per page
 * (issue #18); a walk pays them once per `maxPages` pages.
 */
import { countPage, type TotalCheck } from '../core/reconcile';
import { type Cursor, describeCursor } from '../core/pagination';
import type { PageHistory, SyncPageInput, SyncPageResult } from './sync-page';

/** What a walk is allowed: the workflow sets it (`syncWindow`), the activity obeys it. */
export interface WalkLimits {
  maxPages: number;
  maxMs: number;
  /** The window's reconcile state before this walk's first page (each page is counted in, as the workflow did). */
  check: TotalCheck;
}

/** A walk's result: the sums of its pages, the last page's cursor, and the reconcile state after them. */
export interface WalkResult extends SyncPageResult {
  /** Pages walked by this activity execution (over all its attempts). */
  pages: number;
  check: TotalCheck;
}

/** What the heartbeat details carry between attempts: where the walk stands. */
export interface WalkProgress {
  /** The cursor of the next page to walk (null: the first page, again). */
  cursor: Cursor | null;
  /** The next page's number in its window (labels only). */
  page: number;
  /** The window's end as the walk asks for it (narrowed by a 202 on its first page). */
  end: string;
  /** Sums of the pages walked so far. */
  done: WalkResult;
  /** The attempt in which the last page completed: later failures count their attempts from it. */
  attemptAtProgress: number;
  /** For the Web UI: the page being walked and where it starts. */
  current: string;
}

export interface WalkHooks {
  /** Fetch and write one page (the single-page activity's work). */
  page(input: SyncPageInput, attempt: number, seen: PageHistory): Promise<SyncPageResult>;
  /** After each page: log it, count it in metrics. */
  written(result: SyncPageResult, page: number, input: SyncPageInput): void;
  /** Record progress where a retry finds it (heartbeat details), after each page written. */
  progress(p: WalkProgress): void;
  /** True once the activity is cancelled (or its worker shuts down): stop between pages. */
  cancelled(): boolean;
  now(): number;
}

export function emptyWalk(check: TotalCheck): WalkResult {
  return {
    pages: 0,
    records: 0,
    childRecords: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    httpMs: 0,
    writeMs: 0,
    snapshot: false,
    next: null,
    check: structuredClone(check),
  };
}

/** Adds one page to the walk's sums (the same bookkeeping `syncWindow` does per page). */
export function addPage(sum: WalkResult, page: SyncPageResult): void {
  sum.pages++;
  sum.records += page.records;
  sum.childRecords += page.childRecords;
  sum.inserted += page.inserted;
  sum.updated += page.updated;
  sum.unchanged += page.unchanged;
  sum.httpMs += page.httpMs;
  sum.writeMs += page.writeMs;
  sum.snapshot = page.snapshot;
  sum.next = page.next;
  if (page.openFrom && (!sum.openFrom || page.openFrom < sum.openFrom)) sum.openFrom = page.openFrom;
  if (page.readyUntil) sum.readyUntil = page.readyUntil;
  if (page.addedColumns?.length) sum.addedColumns = [...(sum.addedColumns ?? []), ...page.addedColumns];
  for (const [field, rows] of Object.entries(page.misfits ?? {})) sum.misfits = { ...sum.misfits, [field]: (sum.misfits?.[field] ?? 0) + rows };
  countPage(sum.check, page.records, page.statedTotal);
  if (page.statedTotal) sum.statedTotal = page.statedTotal;
}

/** Reads a walk's progress out of heartbeat details written by an earlier attempt of the same activity. */
export function readWalk(details: unknown): WalkProgress | undefined {
  const w = (details as { walk?: unknown } | undefined)?.walk as Partial<WalkProgress> | undefined;
  if (!w || typeof w !== 'object' || typeof w.page !== 'number' || typeof w.end !== 'string' || !w.done || typeof w.done.pages !== 'number') return undefined;
  return w as WalkProgress;
}

/**
 * Walks from `input.cursor` (or from where an earlier attempt's heartbeat left off) until the
 * window's end or a limit. `firstPage` is the page number of `input.cursor` in its window.
 */
export async function walkPages(
  input: SyncPageInput,
  limits: WalkLimits,
  firstPage: number,
  attempt: number,
  seen: PageHistory,
  resumed: WalkProgress | undefined,
  hooks: WalkHooks,
): Promise<WalkResult> {
  const started = hooks.now();
  let progress: WalkProgress = resumed ?? {
    cursor: input.cursor,
    page: firstPage,
    end: input.end,
    done: emptyWalk(limits.check),
    attemptAtProgress: attempt,
    current: `page ${firstPage} · ${describeCursor(input.cursor)}`,
  };
  const sum = progress.done;
  for (;;) {
    // A first attempt walks at least one page; a resumed one may find its limit already reached.
    if (sum.pages > 0 && (sum.next === null || sum.pages >= limits.maxPages || hooks.now() - started >= limits.maxMs || hooks.cancelled())) break;
    const pageInput: SyncPageInput = { ...input, end: progress.end, cursor: progress.cursor };
    // Attempts count from the last page that made it: a walk is as patient with each page as a page activity was.
    const page = await hooks.page(pageInput, attempt - progress.attemptAtProgress + 1, seen);
    addPage(sum, page);
    hooks.written(page, progress.page, pageInput);
    progress = {
      cursor: page.next,
      page: progress.page + 1,
      end: page.readyUntil ?? progress.end,
      done: sum,
      attemptAtProgress: attempt,
      current: page.next ? `page ${progress.page + 1} · ${describeCursor(page.next)}` : 'last page written',
    };
    // Durable before the next page starts: a retry resumes after this page, not before it.
    hooks.progress(progress);
    if (page.next === null) break;
  }
  return sum;
}
