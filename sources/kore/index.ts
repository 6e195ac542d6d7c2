/** The Kore.ai Contact Center AI source. */
import { koreRetryPause } from './backoff';
import type { SourceDeclaration } from '../../core/source';
import { koreAuthToken } from './auth';
import { koreCredentials, koreSettings, type KoreCredentials, type KoreSettings } from './connection';
import { koreErrorBody } from './schemas';
import { agentstatus, calldetails, callvolume, interactiondetails } from './streams';

export const kore: SourceDeclaration<KoreSettings, KoreCredentials> = {
  name: 'kore',
  title: 'Kore.ai',
  settingsSchema: koreSettings,
  credentialsSchema: koreCredentials,
  streams: { callvolume, calldetails, interactiondetails, agentstatus },
  baseUrl: (s) => s.baseUrl,
  async authHeaders(ctx) {
    return { auth: await koreAuthToken(ctx.connection, ctx.credentials), iId: ctx.settings.iId };
  },
  // One budget per account, shared by every stream and connection on it. Kore.ai counts requests
  // as they arrive; a second of margin keeps network jitter from bunching 61 arrivals into its minute.
  retryPause: koreRetryPause,
  rateLimit: (s) => ({
    key: `kore:${new URL(s.baseUrl).host}:${s.accountId}`,
    limit: s.rateLimitPerMinute,
    perMs: 61_000,
    ...(s.rateLimitPerHour ? { also: [{ limit: s.rateLimitPerHour, perMs: 3_601_000 }] } : {}),
  }),
  errorMessage(_status, body) {
    const parsed = koreErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const msgs = (parsed.data.errors ?? []).map((e) => e.msg).filter((m): m is string => Boolean(m));
    if (msgs.length) return msgs.join('; ');
    return parsed.data.message ?? (typeof parsed.data.error === 'string' ? parsed.data.error : undefined);
  },
};
