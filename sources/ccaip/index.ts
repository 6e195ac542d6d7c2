/** The Google CCAI Platform (formerly UJET) source: the Manager API's calls, chats, agent status history, agents and teams. */
import type { RateLimitRule, SourceDeclaration } from '../../core/source';
import { basicAuthorization } from './auth';
import { ccaipCredentials, ccaipSettings, type CcaipCredentials, type CcaipSettings } from './connection';
import { ccaipErrorBody } from './schemas';
import { CCAIP_STREAMS } from './streams';

/**
 * The per-second budget, as we spend it: at most `rateLimitPerSecond` requests in any
 * `RATE_WINDOW_MS` (10 in any 1.01 s at the vendor's 10 per second), and at most 2 in any fifth of
 * that (202 ms), so they go out nearly evenly spaced, never in a burst of 10. Each request's slot is
 * counted from the moment its answer came (activities/budget: the vendor counted it no later), so
 * network and scheduling delays (a cold connection, a slow TLS handshake) cannot make the vendor
 * count 11 in a second; the 10 ms are for clock granularity. What it costs: a slot is busy for one
 * second plus the request's own time, about 9.5 requests a second at 50 ms per request, 95% of the
 * vendor's 10 (one every 120 ms from the request's start gave 83%, short of the 90% a rate-bound
 * sync must reach).
 */
export const RATE_WINDOW_MS = 1_010;

/** The rate-limit rule for a tenant: `rateLimitPerSecond` per 1.01 s, at most 2 per 202 ms. */
export function ccaipRateLimit(settings: Pick<CcaipSettings, 'baseUrl' | 'rateLimitPerSecond'>): RateLimitRule {
  const rule: RateLimitRule = { key: `ccaip:${new URL(settings.baseUrl).host}`, limit: settings.rateLimitPerSecond, perMs: RATE_WINDOW_MS };
  return settings.rateLimitPerSecond > 2 ? { ...rule, also: [{ limit: 2, perMs: Math.ceil((2 * RATE_WINDOW_MS) / settings.rateLimitPerSecond) }] } : rule;
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
