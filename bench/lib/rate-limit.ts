/**
 * BENCHMARK ONLY. Kore.ai allows 60 requests per minute per account, and the connection schema caps
 * `rateLimitPerMinute` at 60 so users can never lift it. The benchmark measures orchestration, not
 * the vendor's limit, so its own processes (bench/worker.ts, bench/plain.ts) sync with a registry
 * whose Kore.ai source has a client-side limit out of reach. Nothing outside bench/ calls this, and
 * neither the product's source declaration nor its registry is touched.
 */
import type { SourceRegistry } from '../../core/connections';
import { SOURCES } from '../../sources';

export const BENCH_REQUESTS_PER_MINUTE = 1_000_000_000;

/** The product's sources, with Kore.ai's client-side rate limit lifted. */
export function benchSources(): SourceRegistry {
  const kore = SOURCES.kore;
  return {
    ...SOURCES,
    kore: { ...kore, rateLimit: (settings: Parameters<typeof kore.rateLimit>[0]) => ({ ...kore.rateLimit(settings), limit: BENCH_REQUESTS_PER_MINUTE }) },
  };
}
