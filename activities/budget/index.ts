/**
 * Which store holds the vendor budgets (see limiter.ts for why a shared sliding log):
 *   `CCSYNC_LIMITER` when set: `postgres://…` (any number of machines), `sqlite:PATH` (one machine),
 *   `memory` (this process only: one worker per account);
 *   else it follows the destination: PostgreSQL → the same database and schema; SQLite → the file
 *   `ccsync-limits.db` beside it (`:memory:` → memory).
 */
import { dirname, join } from 'node:path';
import { CcsyncError } from '../../core/errors';
import { describeDestinationUrl } from '../../destinations';
import { SharedBudget, type SharedBudgetOptions } from './limiter';
import { PostgresBudgetStore } from './postgres-store';
import { SqliteBudgetStore } from './sqlite-store';
import { MemoryBudgetStore, type BudgetStore } from './store';

export const LIMITER_ENV = 'CCSYNC_LIMITER';
export const LIMITS_FILE = 'ccsync-limits.db';

export {
  SharedBudget,
  onBudgetPause,
  onBudgetWait,
  budgetSummaryForActivity,
  type BudgetWaitEvent,
  type BudgetPauseEvent,
  type RequestBudget,
} from './limiter';
export { MemoryBudgetStore, type BudgetStore } from './store';
export { PostgresBudgetStore } from './postgres-store';
export { SqliteBudgetStore } from './sqlite-store';

/**
 * A limiter URL as it may be printed or recorded (a benchmark's options, a log line): its password
 * left out, as the destination's is; undefined when none is set.
 */
export function describeLimiterUrl(limiterUrl: string | undefined): string | undefined {
  const url = limiterUrl?.trim();
  if (!url) return undefined;
  return url === 'memory' ? url : describeDestinationUrl(url);
}

/** The store a limiter URL (or, without one, a destination URL) names. */
export function openBudgetStore(limiterUrl: string | undefined, destinationUrl: string): BudgetStore {
  const url = limiterUrl?.trim();
  if (url) {
    if (url === 'memory') return new MemoryBudgetStore();
    if (/^postgres(ql)?:\/\//i.test(url)) return new PostgresBudgetStore(url);
    if (/^sqlite:/i.test(url)) {
      const path = url.slice('sqlite:'.length);
      if (!path) throw new CcsyncError('ConfigError', `${LIMITER_ENV}=sqlite: needs a file path, e.g. sqlite:.data/${LIMITS_FILE}`);
      return path === ':memory:' ? new MemoryBudgetStore() : new SqliteBudgetStore(path);
    }
    throw new CcsyncError(
      'ConfigError',
      `${LIMITER_ENV}=${describeDestinationUrl(url)} is not supported: use postgres://user:password@host:port/database[?schema=NAME], sqlite:PATH or memory`,
    );
  }
  const dest = destinationUrl.trim();
  if (/^postgres(ql)?:\/\//i.test(dest)) return new PostgresBudgetStore(dest);
  if (/^sqlite:/i.test(dest)) {
    const path = dest.slice('sqlite:'.length);
    return path === ':memory:' || !path ? new MemoryBudgetStore() : new SqliteBudgetStore(join(dirname(path), LIMITS_FILE));
  }
  return new MemoryBudgetStore();
}

export function budgetFromEnv(env: Record<string, string | undefined>, destinationUrl: string, opts?: SharedBudgetOptions): SharedBudget {
  return new SharedBudget(openBudgetStore(env[LIMITER_ENV], destinationUrl), opts);
}
