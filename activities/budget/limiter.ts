/**
 * One budget per vendor account across every worker process: the shared limiter every vendor request
 * passes through (`rt.limiter.call(rule, send)` in the page activity).
 *
 * Why a shared sliding log in the database, not Temporal's task-queue rate limits (measured by
 * `bench/limiter-options.ts`, figures in the README's "Rate limits" section):
 *  - Temporal's limits are token buckets per task queue (or per fairness key): they bound a rate, not
 *    "at most 60 in ANY 60 s"; they pace activity *starts* (a retry, a page with two requests, or a
 *    slow page all shift the vendor's view); they need eager activity dispatch off (on by default in
 *    server 1.32) and, on the 1.29 dev server, `matching.useNewMatcher` + `matching.enableFairness`
 *    in dynamic config; a budget per account means a fairness key per account plus an operator call
 *    (`temporal task-queue config set`) whenever the connections file changes; and a 429 cannot slow
 *    the account from inside an activity. They remain useful as priority (see below), not as a limit.
 *  - A sliding log in a shared store is exact ("never more than N in any window"), is keyed by the
 *    account exactly as the source declares (`rateLimit(settings)`), takes its limits from the
 *    connections file on every grant (edits apply at the next request, no restart), can hold several
 *    windows at once (per minute and per hour), and records a 429's pause for every process.
 *
 * The store follows the destination (activities/budget/index.ts): PostgreSQL destination → the same
 * database; SQLite destination → a `ccsync-limits.db` beside it (all workers of one machine);
 * `CCSYNC_LIMITER` overrides it (`postgres://…`, `sqlite:PATH`, `memory`). Every grant is one round
 * trip, and its settling (when the answer came: the slot counts from then) one more. The per-process sliding log stays in front as a first guard, so one process never exceeds the
 * rule even if other processes' clocks or the store misbehave.
 *
 * Priority: waiters are granted in priority order, lowest Temporal priority key first (an
 * `incrementalSync`'s windows carry 1, a backfill's 4; core/priority.ts), within a process by a local
 * queue and across processes by the store's waiter rows. What each grant cost is reported through
 * `onBudgetWait` (for metrics) and in the page activity's result (`budget`), visible in history.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { DEFAULT_PRIORITY_KEY, priorityLabel } from '../../core/priority';
import type { RateLimitRule } from '../../core/source';
import { retryAfterMs } from '../http/status';
import { slidingWait, type BudgetStore, type BudgetWindow } from './store';

export interface BudgetedAnswer {
  status: number;
  headers: Record<string, string | undefined>;
}

/**
 * Called by a request as soon as the vendor's answer starts arriving (its status line and headers):
 * the vendor counted the request by then, so its slot counts from this moment, not from when the
 * body has been read. Calling it is optional (the end of the request settles it anyway) and idempotent.
 */
export type Answered = () => void;

/** What the page activity needs: run a request within the rule's budget. */
export interface RequestBudget {
  call<T extends BudgetedAnswer>(rule: RateLimitRule, request: (answered: Answered) => Promise<T>): Promise<T>;
}

/** One grant: how long it waited, at which priority. Sent to listeners and kept for the activity's result. */
export interface BudgetWaitEvent {
  key: string;
  /** `Kore.ai`, `CCAI Platform`, `LivePerson`. */
  vendor: string;
  priorityKey: number;
  priority: string;
  waitedMs: number;
  /** When the store recorded the grant, by its clock (the database's, for PostgreSQL). */
  grantedAt: number;
}

export interface BudgetPauseEvent {
  key: string;
  vendor: string;
  pauseMs: number;
  slowMs: number;
}

/** Only the event's own fields: a `Grant` carries its store id and locality, which listeners and results never see. */
function waitEventOf(grant: BudgetWaitEvent): BudgetWaitEvent {
  const { key, vendor, priorityKey, priority, waitedMs, grantedAt } = grant;
  return { key, vendor, priorityKey, priority, waitedMs, grantedAt };
}

type Listener<E> = (event: E) => void;
const waitListeners = new Set<Listener<BudgetWaitEvent>>();
const pauseListeners = new Set<Listener<BudgetPauseEvent>>();

/**
 * Called once per granted request with the time it waited for the budget (0 when it did not wait).
 * For metrics ("time spent waiting for the rate limit"): returns a function that unsubscribes.
 */
export function onBudgetWait(listener: Listener<BudgetWaitEvent>): () => void {
  waitListeners.add(listener);
  return () => waitListeners.delete(listener);
}

/** Called when a 429 got through and the whole key was paused. */
export function onBudgetPause(listener: Listener<BudgetPauseEvent>): () => void {
  pauseListeners.add(listener);
  return () => pauseListeners.delete(listener);
}

function emit<E>(listeners: Set<Listener<E>>, event: E): void {
  for (const l of listeners) {
    try {
      l(event);
    } catch {
      // A metrics hook must never fail a request.
    }
  }
}

const VENDORS: Record<string, string> = { kore: 'Kore.ai', ccaip: 'CCAI Platform', liveperson: 'LivePerson' };
export const vendorOf = (key: string): string => VENDORS[key.split(':')[0]!] ?? key.split(':')[0]!;

export function windowsOf(rule: RateLimitRule): BudgetWindow[] {
  return [{ limit: rule.limit, perMs: rule.perMs }, ...(rule.also ?? [])];
}

/** The Temporal priority key of the running activity (inherited from its window's workflow), or the default outside one. */
export function currentPriorityKey(): number {
  try {
    return Context.current().info.priority?.priorityKey || DEFAULT_PRIORITY_KEY;
  } catch {
    return DEFAULT_PRIORITY_KEY;
  }
}

/** Grants made for the running activity, for its result (so the order shows in history). */
const notes = new WeakMap<object, BudgetWaitEvent[]>();

function noteForActivity(event: BudgetWaitEvent): void {
  try {
    const ctx = Context.current();
    const list = notes.get(ctx) ?? [];
    list.push(waitEventOf(event));
    notes.set(ctx, list);
  } catch {
    // Not inside an activity (connections check): nothing to report.
  }
}

/** What the running activity's requests waited, in words and numbers, for its result. */
export function budgetSummaryForActivity(): { vendor: string; priority: string; waitedMs: number; grantedAt: string; note: string } | undefined {
  let list: BudgetWaitEvent[] | undefined;
  try {
    list = notes.get(Context.current());
  } catch {
    return undefined;
  }
  if (!list?.length) return undefined;
  const last = list[list.length - 1]!;
  const waitedMs = list.reduce((n, e) => n + e.waitedMs, 0);
  return {
    vendor: last.vendor,
    priority: last.priority,
    waitedMs,
    grantedAt: new Date(last.grantedAt).toISOString(),
    note: `waited ${(waitedMs / 1000).toFixed(1)} s for the ${last.vendor} budget (priority: ${last.priority})`,
  };
}

/** A granted request: settle it when answered. */
export interface Grant extends BudgetWaitEvent {
  id?: number;
  local: { at: number };
}

interface Waiter {
  rule: RateLimitRule;
  priorityKey: number;
  seq: number;
  since: number;
  resolve: (grant: Grant) => void;
  reject: (err: unknown) => void;
}

export interface SharedBudgetOptions {
  /** Unique per process (default: host, pid and a random part). */
  holder?: string;
  /**
   * The longest a waiter sleeps before asking the store again (new waiters of better priority, edited
   * limits, a slot freed in another process whose store cannot say so).
   */
  maxSleepMs?: number;
  /** How long a granted request holds its slot as "now" until settled (default 2 minutes: longer than a request's timeout). */
  holdMs?: number;
  /** Pause after a 429 without Retry-After (Kore.ai may send none; public scripts pause 60 s). */
  defaultPauseMs?: (key: string) => number;
  now?: () => number;
}

/** Kore.ai: 60 s without Retry-After (the vendor's window); others: 1 s (LivePerson and CCAI Platform's advice). */
const defaultPause = (key: string) => (key.startsWith('kore:') ? 60_000 : 1_000);

export class SharedBudget implements RequestBudget {
  readonly holder: string;
  private readonly queues = new Map<string, Waiter[]>();
  private readonly pumping = new Set<string>();
  /** The first guard: this process's own sliding log per key (in-flight entries count as later than now). */
  private readonly local = new Map<string, { at: number }[]>();
  private seq = 0;
  /** The sleeping pump of each key: called to wake it early (a slot was settled). */
  private readonly wakers = new Map<string, () => void>();
  /** Keys settled while their pump was busy asking the store: it asks again at once instead of sleeping. */
  private readonly woken = new Set<string>();
  /** Round trip to the store, smoothed. */
  private rttMs = 0;
  private readonly maxSleepMs: number;
  private readonly now: () => number;
  private readonly defaultPauseMs: (key: string) => number;
  private readonly holdMs: number;

  constructor(
    readonly store: BudgetStore,
    opts: SharedBudgetOptions = {},
  ) {
    this.holder = opts.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.maxSleepMs = opts.maxSleepMs ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.defaultPauseMs = opts.defaultPauseMs ?? defaultPause;
    this.holdMs = opts.holdMs ?? 120_000;
    // A slot settled in another process (PostgreSQL: NOTIFY) wakes this process's waiters for that key.
    store.watch?.((key) => this.wake(key));
  }

  async call<T extends BudgetedAnswer>(rule: RateLimitRule, request: (answered: Answered) => Promise<T>): Promise<T> {
    const grant = await this.acquire(rule, currentPriorityKey());
    noteForActivity(grant);
    // Settled at the first sign of an answer (the request calls `answered` when its headers arrive),
    // else when the request ends: the slot is held no longer than the vendor could still be counting it.
    let settled: Promise<void> | undefined;
    const answered = () => {
      settled ??= this.settle(grant);
    };
    let answer: T | undefined;
    try {
      answer = await request(answered);
    } finally {
      answered();
      await settled;
    }
    if (answer.status === 429) await this.slowDown(rule, answer.headers['retry-after']);
    return answer;
  }

  /**
   * The request of a grant was answered (or failed): its slot now counts from this moment, by the
   * store's clock. The vendor counted the request before its answer came, so windows counted from
   * answers hold at the vendor however late the request arrived there.
   */
  async settle(grant: Grant): Promise<void> {
    const answeredAt = performance.now();
    grant.local.at = this.now();
    if (grant.id !== undefined) await this.store.settle(grant.key, grant.id, answeredAt).catch(() => undefined);
    // A waiter blocked by this slot can now learn exactly when it frees (answer + window): ask at once.
    this.wake(grant.key);
  }

  private wake(key: string): void {
    this.woken.add(key);
    this.wakers.get(key)?.();
  }

  /**
   * Sleeps `ms`. A pump waiting for a request in flight (`wakeable`) wakes sooner when `wake(key)` is
   * called (or was called since it last asked). A pump waiting a known time (the sliding log's oldest
   * settled slot, the pacing clock, a pause) is not woken: a settle moves an in-flight slot to now,
   * later than every settled one, so it never brings a known wait forward. Waking it anyway cost one
   * store round trip per settle per process (CCAI Platform: ten a second in every worker, each a
   * locked write in PostgreSQL) and delayed the grants queued behind them.
   */
  private sleep(key: string, ms: number, wakeable: boolean): Promise<void> {
    if ((wakeable && this.woken.has(key)) || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeable) this.wakers.set(key, done);
    });
  }

  /** Resolves when a request under `rule` may start, lowest priority key first. Call `settle` when it was answered. */
  acquire(rule: RateLimitRule, priorityKey: number = DEFAULT_PRIORITY_KEY): Promise<Grant> {
    return new Promise<Grant>((resolve, reject) => {
      const queue = this.queues.get(rule.key) ?? [];
      this.queues.set(rule.key, queue);
      queue.push({ rule, priorityKey, seq: this.seq++, since: this.now(), resolve, reject });
      if (!this.pumping.has(rule.key)) void this.pump(rule.key);
    });
  }

  /** A 429 got through: the whole key pauses (for every process), then runs at half rate for two windows. */
  async slowDown(rule: RateLimitRule, retryAfter: string | undefined): Promise<void> {
    const pauseMs = Math.max(1_000, retryAfterMs(retryAfter) ?? this.defaultPauseMs(rule.key));
    const slowMs = 2 * rule.perMs;
    emit(pauseListeners, { key: rule.key, vendor: vendorOf(rule.key), pauseMs, slowMs });
    // The 429 itself is retried by Temporal either way; a store hiccup here must not hide it.
    await this.store.pause(rule.key, pauseMs, slowMs).catch(() => undefined);
  }

  /** One loop per key while anyone waits: grant the best waiter, or sleep until a grant may come. */
  private async pump(key: string): Promise<void> {
    this.pumping.add(key);
    const queue = this.queues.get(key)!;
    try {
      while (queue.length) {
        this.woken.delete(key);
        let best = 0;
        for (let i = 1; i < queue.length; i++) {
          const a = queue[i]!;
          const b = queue[best]!;
          if (a.priorityKey < b.priorityKey || (a.priorityKey === b.priorityKey && a.seq < b.seq)) best = i;
        }
        const w = queue[best]!;
        const windows = windowsOf(w.rule);
        const log = this.localLog(key, windows);
        let wait = slidingWait(
          log.map((e) => e.at).sort((a, b) => a - b),
          windows,
          this.now(),
          false,
        );
        let storeAt = 0;
        let id: number | undefined;
        if (wait === 0) {
          try {
            const asked = performance.now();
            ({ waitMs: wait, at: storeAt, id } = await this.store.take({ key, windows, priorityKey: w.priorityKey, holder: this.holder, holdMs: this.holdMs }));
            this.rttMs = 0.8 * this.rttMs + 0.2 * (performance.now() - asked);
          } catch (err) {
            queue.splice(queue.indexOf(w), 1);
            w.reject(err);
            continue;
          }
        }
        if (wait === 0) {
          const at = this.now();
          const local = { at: at + this.holdMs };
          log.push(local);
          queue.splice(queue.indexOf(w), 1);
          const event: Grant = {
            key,
            vendor: vendorOf(key),
            priorityKey: w.priorityKey,
            priority: priorityLabel(w.priorityKey),
            waitedMs: at - w.since,
            grantedAt: storeAt,
            id,
            local,
          };
          emit(waitListeners, waitEventOf(event));
          w.resolve(event);
          continue;
        }
        // A wait longer than the rule's longest window means a slot held by a request still in flight
        // (it counts as now + holdMs): when it frees depends on its answer, so sleep until a settle wakes
        // us (this process's, or another's the store announces), or the store's poll interval.
        const inFlight = wait > Math.max(...windows.map((x) => x.perMs)) + 1;
        // Else ask again so as to reach the store as the slot frees (half a round trip early): the store's
        // clock decides, so asking early costs one more round trip at worst, never a request too many.
        await this.sleep(
          key,
          inFlight ? Math.min(this.store.inFlightPollMs ?? this.maxSleepMs, this.maxSleepMs) : Math.min(wait - this.rttMs / 2, this.maxSleepMs),
          inFlight,
        );
      }
    } finally {
      this.pumping.delete(key);
    }
  }

  private localLog(key: string, windows: BudgetWindow[]): { at: number }[] {
    const horizon = this.now() - Math.max(...windows.map((w) => w.perMs));
    const log = (this.local.get(key) ?? []).filter((e) => e.at > horizon);
    this.local.set(key, log);
    return log;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
