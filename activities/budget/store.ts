/**
 * Where a vendor account's budget lives. Every worker process that syncs the account takes its
 * grants from the same store, so together they never exceed the account's limit. One call per grant:
 * `take` either records a grant (returns 0) or says how long to wait (returns ms), atomically.
 *
 * The rule is passed with every call (it comes from the connections file, re-read when it changes),
 * so a budget edited in the file applies at the next grant, in every process, without a restart.
 * Implementations: PostgreSQL (one row lock per account key, any number of machines), SQLite
 * (BEGIN IMMEDIATE on one file: the processes of one machine), memory (one process).
 */

export interface BudgetWindow {
  limit: number;
  perMs: number;
}

export interface TakeRequest {
  key: string;
  /** Every window the grant must fit in (per minute; per hour for Kore.ai's possible quota). */
  windows: readonly BudgetWindow[];
  /** Temporal priority key: lower goes first. A waiter with a lower key in another process holds back this one. */
  priorityKey: number;
  /** This process (unique per process). */
  holder: string;
  /**
   * How long the grant counts as "now" while its request is in flight (the request timeout): until
   * `settle` moves it to the moment the answer came, it holds its slot.
   */
  holdMs: number;
}

export interface TakeResult {
  waitMs: number;
  at: number;
  /** The grant, for `settle` (when waitMs is 0). */
  id?: number;
}

export interface BudgetStore {
  /** `sqlite:/path`, `postgres://host/db?schema=`, `memory`: for logs and the README (no password). */
  readonly describe: string;
  /** `waitMs` 0: a grant was recorded at `at` (the store's clock); else the ms to wait before asking again. */
  take(req: TakeRequest): Promise<TakeResult>;
  /**
   * The granted request was answered: from now on it counts from this moment, by the store's clock.
   * The vendor counted it no later than its answer arrived, so a window counted from the answer holds
   * at the vendor whatever the network's delays (a cold connection, a slow TLS handshake).
   * `answeredAt` (`performance.now()` in this process when the answer came; default: now) lets a store
   * reached over the network count the slot from the answer rather than from when its settle arrived:
   * a settle queued behind other queries would otherwise keep the slot busy for as long as it queued.
   */
  settle(key: string, id: number, answeredAt?: number): Promise<void>;
  /**
   * A 429 got through (another client on the account, or a vendor counting differently): nobody gets a
   * grant for `pauseMs`, then the key runs at half its limit for `slowMs` before it recovers.
   */
  pause(key: string, pauseMs: number, slowMs: number): Promise<void>;
  /**
   * Tells `listener` (with the key) when any process settled a grant, so waiters blocked by a request
   * in flight ask again at once instead of polling (PostgreSQL: LISTEN/NOTIFY). Stores that cannot
   * announce it leave it out and set `inFlightPollMs`.
   */
  watch?(listener: (key: string) => void): void;
  /** How often a waiter blocked by another process's request in flight asks again (default: the limiter's maxSleepMs). */
  readonly inFlightPollMs?: number;
  close(): Promise<void>;
}

/** How long a waiter's claim of priority holds without being renewed (a crashed process stops blocking others). */
export const WAITER_TTL_MS = 3_000;
/** How soon a waiter held back by a more urgent one in another process asks again. */
export const PRIORITY_RECHECK_MS = 200;

/** The limit in force while a key recovers from a 429: half, at least one. */
export function slowedLimit(limit: number): number {
  return Math.max(1, Math.floor(limit / 2));
}

/**
 * The wait a sliding log imposes: `times` (ascending) are the grants still inside the largest window.
 * A request may start when fewer than `limit` grants lie in the last `perMs`; returns 0 or the ms until then.
 */
export function slidingWait(times: readonly number[], windows: readonly BudgetWindow[], now: number, slowed: boolean): number {
  let wait = 0;
  for (const w of windows) {
    const limit = slowed ? slowedLimit(w.limit) : w.limit;
    const inWindow = times.filter((t) => t > now - w.perMs);
    if (inWindow.length >= limit) wait = Math.max(wait, inWindow[inWindow.length - limit]! + w.perMs - now + 1);
  }
  return wait;
}

/**
 * Pacing: grants of a key follow a schedule one share of the window apart (`perMs ÷ limit` of the
 * rule's first window, the vendor's rate: Kore.ai about 1 s, CCAI Platform 100 ms; a longer quota
 * such as Kore.ai's hourly one is left to its log), as a virtual clock `paceAt` (GCRA): a grant may go
 * once `paceAt − PACE_SLACK × spacing` is reached (5 spacings: Kore.ai 5 s, CCAI Platform 0.5 s), and moves `paceAt` to `max(paceAt, now) + spacing`.
 * Why: the sliding log alone lets a whole window's requests go in a burst and then none, a pattern
 * that repeats window after window, so a five-minute stretch could see anywhere between four and
 * five windows' worth. The slack lets a grant that came late (a store round trip, a busy event loop)
 * be made up at once instead of shifting every later one. Pacing is not what keeps the limit (the
 * log does, counted from answers): it is counted from grants and holds no slot.
 */
export const PACE_SLACK = 5;

export function paceSpacing(windows: readonly BudgetWindow[], slowed: boolean): number {
  const w = windows[0]!;
  return Math.floor(w.perMs / (slowed ? slowedLimit(w.limit) : w.limit));
}

/** The wait pacing imposes now (0 when a grant may go). */
export function pacingWait(paceAt: number, windows: readonly BudgetWindow[], now: number, slowed: boolean): number {
  return Math.max(0, paceAt - PACE_SLACK * paceSpacing(windows, slowed) - now);
}

/** `paceAt` after a grant at `now`. */
export function nextPaceAt(paceAt: number, windows: readonly BudgetWindow[], now: number, slowed: boolean): number {
  return Math.max(paceAt, now) + paceSpacing(windows, slowed);
}

interface KeyState {
  paceAt: number;
  grants: { id: number; at: number }[];
  pausedUntil: number;
  slowUntil: number;
  waiters: Map<string, { priorityKey: number; seen: number }>;
}

/** One process only (`CCSYNC_LIMITER=memory`, unit tests): the same logic, in a Map. */
export class MemoryBudgetStore implements BudgetStore {
  readonly describe = 'memory (this process only)';
  private readonly keys = new Map<string, KeyState>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) this.keys.set(key, (s = { paceAt: 0, grants: [], pausedUntil: 0, slowUntil: 0, waiters: new Map() }));
    return s;
  }

  take(req: TakeRequest): Promise<TakeResult> {
    return promised(() => {
      const now = this.now();
      const s = this.state(req.key);
      const horizon = Math.max(...req.windows.map((w) => w.perMs));
      s.grants = s.grants.filter((g) => g.at > now - horizon);
      let wait = s.pausedUntil > now ? s.pausedUntil - now : 0;
      if (!wait) {
        for (const [holder, w] of s.waiters) {
          if (holder !== req.holder && w.priorityKey < req.priorityKey && w.seen > now - WAITER_TTL_MS) wait = PRIORITY_RECHECK_MS;
        }
      }
      if (!wait)
        wait = Math.max(
          pacingWait(s.paceAt, req.windows, now, s.slowUntil > now),
          slidingWait(
            s.grants.map((g) => g.at).sort((a, b) => a - b),
            req.windows,
            now,
            s.slowUntil > now,
          ),
        );
      if (wait > 0) {
        s.waiters.set(req.holder, { priorityKey: req.priorityKey, seen: now });
        return { waitMs: wait, at: now };
      }
      const id = this.nextId++;
      s.grants.push({ id, at: now + req.holdMs });
      s.paceAt = nextPaceAt(s.paceAt, req.windows, now, s.slowUntil > now);
      s.waiters.delete(req.holder);
      return { waitMs: 0, at: now, id };
    });
  }

  settle(key: string, id: number, answeredAt: number = performance.now()): Promise<void> {
    return promised(() => {
      const g = this.state(key).grants.find((x) => x.id === id);
      if (g) g.at = this.now() - Math.max(0, Math.floor(performance.now() - answeredAt));
    });
  }

  pause(key: string, pauseMs: number, slowMs: number): Promise<void> {
    return promised(() => {
      const now = this.now();
      const s = this.state(key);
      s.pausedUntil = Math.max(s.pausedUntil, now + pauseMs);
      s.slowUntil = Math.max(s.slowUntil, now + pauseMs + slowMs);
    });
  }

  async close(): Promise<void> {}
}

/** What `f` returns as a promise, and what it throws as a rejection, as an `async` method would. */
function promised<T>(f: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(f()));
}
