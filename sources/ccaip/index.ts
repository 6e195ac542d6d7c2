/** The Google CCAI Platform (formerly UJET) source: the Manager API's calls, chats, agent status history, agents and teams. */
import type { RateLimitRule, SourceDeclaration } from '../../core/source';
import { basicAuthorization } from './auth';
import { ccaipCredentials, ccaipSettings, type CcaipCredentials, type CcaipSettings } from './connection';
import { ccaipErrorBody } from './schemas';
import { CCAIP_STREAMS } from './streams';

/**
 * The per-second budget, as we spend it: at most `rateLimitPerSecond` requests in any
 * `RATE_WINDOW_MS` (10 in any second at the vendor's 10 per second), paced 100 ms apart. Each
 * request's slot is counted from the moment its answer started to arrive (activities/budget: the
 * vendor counted it no later, and the next grant comes at least 1 ms after the window), so network and
 * scheduling delays (a cold connection, a slow TLS handshake) cannot make the vendor count 11 in a
 * second, and no margin is needed. What it costs: a slot is busy for 1 s plus the request's time to
 * its answer, about 9.5 requests a second at 50 ms, 95% of the vendor's 10.
 * No sub-window to spread them out: with slots counted from answers, "at most 2 in any 202 ms" held
 * each pair of slots for 202 ms plus the answer time, and capped the rate at 2 ÷ (0.202 s + answer
 * time): 81% of the budget in the fleet test (488 of 600 a minute). The vendor allows a second's 10 at once.
 */
export const RATE_WINDOW_MS = 1_000;

/** The rate-limit rule for a tenant: `rateLimitPerSecond` per second. */
export function ccaipRateLimit(settings: Pick<CcaipSettings, 'baseUrl' | 'rateLimitPerSecond'>): RateLimitRule {
  return { key: `ccaip:${new URL(settings.baseUrl).host}`, limit: settings.rateLimitPerSecond, perMs: RATE_WINDOW_MS };
}

/** The vendor's words from an error body `{error, message, status}`. */
export function ccaipErrorMessage(_status: number, body: unknown): string | undefined {
  const parsed = ccaipErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const error = typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error?.message;
  const message = parsed.data.message;
  if (error && message && error !== message) return `${error}: ${message}`;
  return message ?? error ?? undefined;
}

export const ccaip: SourceDeclaration<CcaipSettings, CcaipCredentials> = {
  name: 'ccaip',
  title: 'CCAI Platform',
  settingsSchema: ccaipSettings,
  credentialsSchema: ccaipCredentials,
  streams: CCAIP_STREAMS,
  baseUrl: (s) => s.baseUrl,
  authHeaders(ctx) {
    return Promise.resolve({ authorization: basicAuthorization(ctx.credentials) });
  },
  // The vendor's budget is per tenant: the host names the tenant.
  rateLimit: ccaipRateLimit,
  errorMessage: ccaipErrorMessage,
};
