/**
 * BENCHMARK ONLY. Kore.ai allows 60 requests per minute per account, and the connection schema caps
 * `rateLimitPerMinute` at 60 so users can never lift it. The benchmark measures orchestration, not
 * the vendor's limit, so its own processes (bench/worker.ts, bench/plain.ts) replace the registered
 * Kore.ai source by a copy whose client-side limit is out of reach. Nothing outside bench/ calls this,
 * and the product's source declaration is not touched (the registry entry is replaced in this process).
 */
import { SOURCES } from '../../sources';

export const BENCH_REQUESTS_PER_MINUTE = 1_000_000_000;

export function liftKoreRateLimitForThisProcess(): void {
  const kore = SOURCES.kore;
  if (!kore) throw new Error('the kore source is not registered');
  SOURCES.kore = { ...kore, rateLimit: (settings) => ({ ...kore.rateLimit(settings), limit: BENCH_REQUESTS_PER_MINUTE }) };
}
