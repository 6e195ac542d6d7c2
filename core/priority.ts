/**
 * Temporal priority keys the product uses (lower runs first; Temporal's default is 3). A window of an
 * `incrementalSync` (freshness: today's data) goes before a backfill's windows, in Temporal's matching
 * and in the shared vendor budget (activities/budget), which reads the key the page activity inherits
 * from its window's workflow. Pure: the workflows import it.
 */
export const PRIORITY = {
  /** Windows of `incrementalSync` (a schedule's run or `sync now`). */
  freshness: 1,
  /** Windows of a `backfill`. */
  backfill: 4,
} as const;

/** Temporal's default when nothing is set (a `syncWindow` started by hand). */
export const DEFAULT_PRIORITY_KEY = 3;

/** The word for a priority key, for messages: "waited 12 s for the Kore.ai budget (priority: schedule)". */
export function priorityLabel(priorityKey: number | undefined): string {
  const key = priorityKey || DEFAULT_PRIORITY_KEY;
  if (key <= PRIORITY.freshness) return 'schedule';
  if (key >= PRIORITY.backfill) return 'backfill';
  return 'normal';
}
