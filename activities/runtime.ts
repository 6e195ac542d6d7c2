/**
 * Everything the activities share inside one worker process: the connections file, the
 * destination, the HTTP agents, the rate limiter and the secrets seen so far (for redaction).
 */
import type { Destination } from '../destinations/destination';
import type { ConnectionsStore } from './connections';
import { VendorHttp } from './http/client';
import type { RequestBudget } from './budget/limiter';
import { RateLimiter } from './http/rate-limit';
import { CcsyncMetrics } from './metrics';

/** Secret values this process has resolved; scrubbed from every message that leaves it. */
export class SecretRegistry implements Iterable<string> {
  private readonly values = new Set<string>();
  addAll(values: Iterable<string>): void {
    for (const v of values) if (v && v.length >= 4) this.values.add(v);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.values.values();
  }
}

export interface Runtime {
  connections: ConnectionsStore;
  destination: Destination;
  http: VendorHttp;
  /** The vendor budgets: shared by every worker process (activities/budget), or this process's own. */
  limiter: RequestBudget & { close?(): Promise<void> };
  secrets: SecretRegistry;
  /** Our Prometheus metrics (a no-op unless the worker exports metrics). Optional: `connections check` and unit tests go without. */
  metrics?: CcsyncMetrics;
}

/** What fetching needs: everything but the destination (`connections check` has none). */
export type FetchRuntime = Omit<Runtime, 'destination'>;

/** Without a `limiter`, the budget is this process's own (tests and tools that run alone). */
export function createRuntime(parts: {
  connections: ConnectionsStore;
  destination: Destination;
  metrics?: CcsyncMetrics;
  secrets?: SecretRegistry;
  limiter?: Runtime['limiter'];
}): Runtime {
  const metrics = parts.metrics ?? new CcsyncMetrics();
  return { ...parts, metrics, http: new VendorHttp(metrics), limiter: parts.limiter ?? new RateLimiter(), secrets: parts.secrets ?? new SecretRegistry() };
}

export async function closeRuntime(rt: Runtime): Promise<void> {
  await rt.http.close();
  await rt.destination.close();
  await rt.limiter.close?.();
}
