/**
 * A client-side rate limit per vendor account, as a sliding log: at most `limit` requests start
 * in any window of `perMs`. A sliding log (rather than a token bucket with a burst) is what makes
 * "never more than 60 requests in any minute" hold exactly. It is per process: the worker uses the
 * shared budget of activities/budget (which keeps a log like this one in front as a first guard);
 * this one serves tools that run alone (`ccsync connections check`) and unit tests.
 */
import type { RateLimitRule } from '../../core/source';

export class RateLimiter {
  private readonly logs = new Map<string, { at: number }[]>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves when a request under `rule` may start; requests are admitted in call order. */
  acquire(rule: RateLimitRule): Promise<{ at: number }> {
    const previous = this.queues.get(rule.key) ?? Promise.resolve();
    const turn = previous.then(() => this.waitForSlot(rule));
    // The queue only orders callers; one caller's failure must not block the next.
    this.queues.set(
      rule.key,
      turn.catch(() => undefined),
    );
    return turn;
  }

  /**
   * Runs `request` once the rule allows it (the `RequestBudget` shape the page activity calls). Its
   * slot counts from the answer, not the start: the vendor counted it before we saw the answer.
   */
  async call<T>(rule: RateLimitRule, request: (answered: () => void) => Promise<T>): Promise<T> {
    const entry = await this.acquire(rule);
    entry.at = Number.POSITIVE_INFINITY;
    let answered = false;
    const answer = () => {
      if (!answered) entry.at = this.now();
      answered = true;
    };
    try {
      return await request(answer);
    } finally {
      answer();
    }
  }

  /** Milliseconds the next request under `rule` would have to wait now (0 when free), for every window of the rule. */
  delayFor(rule: RateLimitRule): number {
    const times = this.prune(rule)
      .map((e) => e.at)
      .sort((a, b) => a - b);
    let wait = 0;
    for (const w of [{ limit: rule.limit, perMs: rule.perMs }, ...(rule.also ?? [])]) {
      const inWindow = times.filter((t) => t > this.now() - w.perMs);
      if (inWindow.length >= w.limit) wait = Math.max(wait, Math.min(inWindow[inWindow.length - w.limit]! + w.perMs - this.now(), w.perMs));
    }
    return wait;
  }

  private prune(rule: RateLimitRule): { at: number }[] {
    const horizon = this.now() - Math.max(rule.perMs, ...(rule.also ?? []).map((w) => w.perMs));
    const log = (this.logs.get(rule.key) ?? []).filter((e) => e.at > horizon);
    this.logs.set(rule.key, log);
    return log;
  }

  private async waitForSlot(rule: RateLimitRule): Promise<{ at: number }> {
    for (;;) {
      const wait = this.delayFor(rule);
      if (wait <= 0) break;
      await new Promise((r) => setTimeout(r, wait + 1));
    }
    const entry = { at: this.now() };
    this.prune(rule).push(entry);
    return entry;
  }
}
