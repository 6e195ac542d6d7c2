/**
 * A client-side rate limit per vendor account, as a sliding log: at most `limit` requests start
 * in any window of `perMs`. A sliding log (rather than a token bucket with a burst) is what makes
 * "never more than 60 requests in any minute" hold exactly. It is per process: the worker uses the
 * shared budget of activities/budget (which keeps a log like this one in front as a first guard);
 * this one serves tools that run alone (`ccsync connections check`) and unit tests.
 */
import type { RateLimitRule } from '../../core/source';

export class RateLimiter {
  private readonly logs = new Map<string, number[]>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves when a request under `rule` may start; requests are admitted in call order. */
  acquire(rule: RateLimitRule): Promise<void> {
    const previous = this.queues.get(rule.key) ?? Promise.resolve();
    const turn = previous.then(() => this.waitForSlot(rule));
    // The queue only orders callers; one caller's failure must not block the next.
    this.queues.set(rule.key, turn.catch(() => undefined));
    return turn;
  }

  /** Runs `request` once the rule allows it (the `RequestBudget` shape the page activity calls). */
  async call<T>(rule: RateLimitRule, request: () => Promise<T>): Promise<T> {
    await this.acquire(rule);
    return request();
  }

  /** Milliseconds the next request under `rule` would have to wait now (0 when free). */
  delayFor(rule: RateLimitRule): number {
    const log = this.prune(rule);
    if (log.length < rule.limit) return 0;
    return log[log.length - rule.limit]! + rule.perMs - this.now();
  }

  private prune(rule: RateLimitRule): number[] {
    let log = this.logs.get(rule.key);
    if (!log) this.logs.set(rule.key, (log = []));
    const horizon = this.now() - rule.perMs;
    while (log.length && log[0]! <= horizon) log.shift();
    return log;
  }

  private async waitForSlot(rule: RateLimitRule): Promise<void> {
    for (;;) {
      const wait = this.delayFor(rule);
      if (wait <= 0) break;
      await new Promise((r) => setTimeout(r, wait + 1));
    }
    this.prune(rule).push(this.now());
  }
}
