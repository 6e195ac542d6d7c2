/**
 * The shared budget in a SQLite file: every worker process of one machine (`npm start`, several
 * `npm run worker` beside a SQLite destination). Each grant is one `BEGIN IMMEDIATE` transaction (the
 * file's write lock serialises the processes), with the same logic as the PostgreSQL store. Workers
 * on other machines do not see this file: give them a PostgreSQL limiter (`CCSYNC_LIMITER`).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CcsyncError } from '../../core/errors';
import { nextPaceAt, pacingWait, PRIORITY_RECHECK_MS, slidingWait, WAITER_TTL_MS, type BudgetStore, type TakeRequest, type TakeResult } from './store';

export class SqliteBudgetStore implements BudgetStore {
  readonly describe: string;
  /**
   * SQLite cannot announce another process's settle, so a waiter blocked by a request in flight asks
   * again this often: a read of a local file (well under a millisecond), so the slot is reused within
   * 20 ms of its answer (this process's own settles wake its waiters at once).
   */
  readonly inFlightPollMs = 20;
  private readonly db: Database.Database;
  private readonly takeTx: (req: TakeRequest) => TakeResult;
  private readonly pauseTx: (key: string, pauseMs: number, slowMs: number) => void;
  private readonly settleStmt: Database.Statement<[number, number]>;

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.describe = `sqlite:${path}`;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 10_000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS budget_keys (key TEXT PRIMARY KEY, paused_until INTEGER NOT NULL DEFAULT 0, slow_until INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS budget_grants (id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS budget_grants_key_at ON budget_grants (key, at);
        CREATE TABLE IF NOT EXISTS budget_waiters (key TEXT NOT NULL, holder TEXT NOT NULL, priority INTEGER NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (key, holder));
      `);
      // Files made before pacing (store.ts): the key's pacing clock.
      const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(budget_keys)').all();
      if (!columns.some((c) => c.name === 'pace_at')) this.db.exec('ALTER TABLE budget_keys ADD COLUMN pace_at INTEGER NOT NULL DEFAULT 0');
    } catch (err) {
      throw new CcsyncError('ConfigError', `the rate-limit file ${path} cannot be opened: ${(err as Error).message}`, { cause: err });
    }
    const keyRow = this.db.prepare<[string], { paused_until: number; slow_until: number; pace_at: number }>(
      'SELECT paused_until, slow_until, pace_at FROM budget_keys WHERE key = ?',
    );
    const paced = this.db.prepare<[string, number]>(
      'INSERT INTO budget_keys (key, pace_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET pace_at = excluded.pace_at',
    );
    const better = this.db.prepare<[string, string, number, number]>(
      'SELECT 1 FROM budget_waiters WHERE key = ? AND holder <> ? AND priority < ? AND seen > ? LIMIT 1',
    );
    const grants = this.db.prepare<[string, number], { at: number }>('SELECT at FROM budget_grants WHERE key = ? AND at > ? ORDER BY at');
    const wait = this.db.prepare<[string, string, number, number]>(
      'INSERT INTO budget_waiters (key, holder, priority, seen) VALUES (?, ?, ?, ?) ON CONFLICT (key, holder) DO UPDATE SET priority = excluded.priority, seen = excluded.seen',
    );
    const grant = this.db.prepare<[string, number]>('INSERT INTO budget_grants (key, at) VALUES (?, ?)');
    this.settleStmt = this.db.prepare<[number, number]>('UPDATE budget_grants SET at = ? WHERE id = ?');
    const prune = this.db.prepare<[string, number]>('DELETE FROM budget_grants WHERE key = ? AND at <= ?');
    const done = this.db.prepare<[string, string, number]>('DELETE FROM budget_waiters WHERE key = ? AND (holder = ? OR seen < ?)');
    const pause = this.db.prepare<[string, number, number]>(
      'INSERT INTO budget_keys (key, paused_until, slow_until) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until), slow_until = max(slow_until, excluded.slow_until)',
    );
    // The clock is read inside the transaction, after the write lock is held: a grant is never recorded
    // earlier than it was made (it would leave the sliding log early).
    const takeTx = this.db.transaction((req: TakeRequest): TakeResult => {
      const now = this.now();
      const k = keyRow.get(req.key);
      const horizon = Math.max(...req.windows.map((w) => w.perMs));
      const slowed = Boolean(k && k.slow_until > now);
      let ms = k && k.paused_until > now ? k.paused_until - now : 0;
      if (!ms && better.get(req.key, req.holder, req.priorityKey, now - WAITER_TTL_MS)) ms = PRIORITY_RECHECK_MS;
      if (!ms || ms === PRIORITY_RECHECK_MS) {
        const times = grants.all(req.key, now - horizon).map((r) => r.at);
        ms = Math.max(ms, pacingWait(k?.pace_at ?? 0, req.windows, now, slowed), slidingWait(times, req.windows, now, slowed));
      }
      if (ms > 0) {
        wait.run(req.key, req.holder, req.priorityKey, now);
        return { waitMs: ms, at: now };
      }
      const id = Number(grant.run(req.key, now + req.holdMs).lastInsertRowid);
      paced.run(req.key, nextPaceAt(k?.pace_at ?? 0, req.windows, now, slowed));
      prune.run(req.key, now - horizon);
      done.run(req.key, req.holder, now - 60_000);
      return { waitMs: 0, at: now, id };
    });
    const pauseTx = this.db.transaction((key: string, pauseMs: number, slowMs: number) => {
      const now = this.now();
      pause.run(key, now + pauseMs, now + pauseMs + slowMs);
    });
    this.takeTx = (req) => takeTx.immediate(req);
    this.pauseTx = (key, pauseMs, slowMs) => pauseTx.immediate(key, pauseMs, slowMs);
  }

  take(req: TakeRequest): Promise<TakeResult> {
    try {
      return Promise.resolve(this.takeTx(req));
    } catch (err) {
      return Promise.reject(
        new CcsyncError('DestinationUnavailable', `the rate-limit file ${this.describe} is busy or unreadable: ${(err as Error).message}`, { cause: err }),
      );
    }
  }

  settle(_key: string, id: number, answeredAt: number = performance.now()): Promise<void> {
    return new Promise<void>((resolve) => {
      this.settleStmt.run(this.now() - Math.max(0, Math.floor(performance.now() - answeredAt)), id);
      resolve();
    });
  }

  pause(key: string, pauseMs: number, slowMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.pauseTx(key, Math.round(pauseMs), Math.round(slowMs));
      resolve();
    });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.db.open) this.db.close();
      resolve();
    });
  }
}
