/**
 * How many windows a run keeps in flight by default. Each window reads its pages one after another
 * (a page's cursor comes from the one before), so a window asks the vendor once per page cycle:
 * the wait for the budget, the request, the write, and the Temporal round trip to the next page
 * activity. To keep a rate-bound account's budget full, enough windows must run that a request is
 * always waiting when a slot frees: at least `requests per second × page cycle`. Pure: the workflows
 * take the figure from `describeConnection`'s result (recorded in history, so replay is unchanged).
 */
import type { RateLimitRule } from './source';

/** The default when the budget does not call for more (and the fewest a rate-bound run gets). */
export const BASE_PARALLEL_WINDOWS = 4;
/** The most a run takes (the inputs' `maxParallelWindows` bound). */
export const MAX_PARALLEL_WINDOWS_ALLOWED = 32;
/**
 * A page cycle without its budget wait, in seconds, as planned for: on a 2-core machine shared with the
 * Temporal server and the database under heavy load (load average above 30), a Kore.ai page of 1,000
 * records took up to about 10 s to fetch, write and hand to the next page activity (eight windows kept
 * only 48 of 60 requests a minute going). Planning for it costs little when pages are quicker: the
 * extra windows wait for the budget (a promise each) and the budget stays full.
 */
export const PAGE_CYCLE_S = 10;

/** The account's sustained rate in requests per second: the tightest of the rule's windows. */
export function requestsPerSecond(rule: Pick<RateLimitRule, 'limit' | 'perMs' | 'also'>): number {
  return Math.min(...[{ limit: rule.limit, perMs: rule.perMs }, ...(rule.also ?? [])].map((w) => (w.limit * 1000) / w.perMs));
}

/** Windows in parallel that keep the budget full: rate × page cycle, at least 4, at most 32. */
export function parallelWindowsFor(rule: Pick<RateLimitRule, 'limit' | 'perMs' | 'also'>): number {
  const needed = Math.ceil(requestsPerSecond(rule) * PAGE_CYCLE_S);
  return Math.max(BASE_PARALLEL_WINDOWS, Math.min(MAX_PARALLEL_WINDOWS_ALLOWED, needed));
}
