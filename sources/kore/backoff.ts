/**
 * Kore.ai's 429 without `Retry-After`. The vendor documents no pause; public scripts that load
 * this data wait 60 s on a 429 (shared/api-docs/README.md), which is also one window of the
 * account's per-minute limit. So: 60 s, doubling per attempt, capped at 15 minutes, with up to
 * 20 % jitter added (never taken off: no pause is shorter than the minimum), so parallel windows
 * that hit the limit together do not come back together. A `Retry-After` the vendor does send is
 * honoured as given. Either way every retry also waits for the account's budget (the shared rate
 * limiter in front of each request), so no retry is ever faster than the account's limit.
 */
export const KORE_429_MIN_PAUSE_MS = 60_000;
export const KORE_429_MAX_PAUSE_MS = 15 * 60_000;
export const KORE_429_JITTER = 0.2;

export function kore429Pause(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 10));
  const base = Math.min(KORE_429_MAX_PAUSE_MS, KORE_429_MIN_PAUSE_MS * 2 ** exponent);
  return Math.round(base * (1 + KORE_429_JITTER * random()));
}

/** The source's `retryPause`: only a 429 that came without `Retry-After` asks for a pause of its own. */
export function koreRetryPause(status: number, attempt: number, answer?: { retryAfterMs?: number }): number | undefined {
  if (status !== 429 || answer?.retryAfterMs !== undefined) return undefined;
  return kore429Pause(attempt);
}
