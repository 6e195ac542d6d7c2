/** The Google CCAI Platform (formerly UJET) source: the Manager API's calls, chats, agent status history, agents and teams. */
import type { RateLimitRule, SourceDeclaration } from '../../core/source';
import { basicAuthorization } from './auth';
import { ccaipCredentials, ccaipSettings, type CcaipCredentials, type CcaipSettings } from './connection';
import { ccaipErrorBody } from './schemas';
import { CCAIP_STREAMS } from './streams';

/**
 * The per-second budget, as we spend it: requests start evenly spaced, one every
 * `RATE_WINDOW_MS / rateLimitPerSecond` (120 ms at the vendor's 10 per second), so at most 10 start
 * in any 1.2 s and never in a burst. The margin absorbs network and scheduling jitter: a burst of
 * 10 sent at once reaches the vendor spread out (it is served one after another), and the next
 * second's requests then arrive closer to its last ones than they were sent; evenly spaced
 * requests keep their spacing, so the vendor never counts 11 in one second.
 */
export const RATE_WINDOW_MS = 1_200;

/** The rate-limit rule for a tenant: one request per slot, `rateLimitPerSecond` slots per 1.2 s. */
export function ccaipRateLimit(settings: Pick<CcaipSettings, 'baseUrl' | 'rateLimitPerSecond'>): RateLimitRule {
  return { key: `ccaip:${new URL(settings.baseUrl).host}`, limit: 1, perMs: Math.ceil(RATE_WINDOW_MS / settings.rateLimitPerSecond) };
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
