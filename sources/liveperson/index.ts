/** The LivePerson Conversational Cloud source (Agent Activity API: interval metrics). */
import { z } from 'zod';
import { CcsyncError } from '../../core/errors';
import type { SourceDeclaration } from '../../core/source';
import { livepersonAuthorization } from './auth';
import { livepersonCredentials, livepersonSettings, type LivePersonCredentials, type LivePersonSettings } from './connection';
import { livepersonErrorBody, processingStatusBody } from './schemas';
import { interval_metrics } from './streams';

/** The service name of the Agent Activity API in LivePerson's domain lookup. */
export const AGENT_ACTIVITY_SERVICE = 'agentActivityDomain';
/** How long a looked-up domain is trusted before it is asked again (domains move rarely, e.g. on a data-center migration). */
export const DOMAIN_CACHE_MS = 60 * 60 * 1000;

const lookupAnswer = z.looseObject({
  service: z.string().optional(),
  account: z.union([z.string(), z.number()]).optional(),
  baseURI: z.string().min(1),
});

interface CachedDomain {
  baseUrl?: string;
  pending?: Promise<string>;
  at: number;
}
const domains = new Map<string, CachedDomain>();

/** Forgets looked-up domains (tests). */
export function clearDomainCache(): void {
  domains.clear();
}

export function domainLookupUrl(settings: Pick<LivePersonSettings, 'domainLookupUrl' | 'accountId'>): string {
  return settings.domainLookupUrl.split('{accountId}').join(encodeURIComponent(settings.accountId));
}

/**
 * The API origin from a lookup answer. `baseURI` is a bare host (`va.agentactivity.liveperson.net`);
 * it is reached with the lookup's own scheme (https in production; the simulator's http locally).
 */
export function baseUrlFromLookup(answer: unknown, lookupUrl: string, accountId: string): string {
  const parsed = lookupAnswer.safeParse(answer);
  const where = new URL(lookupUrl).host;
  if (!parsed.success) {
    throw new CcsyncError(
      'VendorRejected',
      `LivePerson's domain lookup at ${where} answered without a baseURI for ${AGENT_ACTIVITY_SERVICE} (account ${accountId}); set settings.baseUrl to the Agent Activity API domain`,
    );
  }
  const { service, baseURI } = parsed.data;
  if (service !== undefined && service !== AGENT_ACTIVITY_SERVICE) {
    throw new CcsyncError('VendorRejected', `LivePerson's domain lookup at ${where} answered for service "${service}", not ${AGENT_ACTIVITY_SERVICE}`);
  }
  const text = /^https?:\/\//i.test(baseURI) ? baseURI : `${new URL(lookupUrl).protocol}//${baseURI}`;
  try {
    return new URL(text).origin;
  } catch {
    throw new CcsyncError(
      'VendorRejected',
      `LivePerson's domain lookup at ${where} gave a baseURI that is not a host name: ${JSON.stringify(baseURI.slice(0, 80))}`,
    );
  }
}

async function discoveredBaseUrl(settings: LivePersonSettings, lookup: (url: string) => Promise<unknown>, now = Date.now()): Promise<string> {
  const url = domainLookupUrl(settings);
  const cached = domains.get(url);
  if (cached?.baseUrl && now - cached.at < DOMAIN_CACHE_MS) return cached.baseUrl;
  // Pages running at once share one lookup.
  if (cached?.pending) return cached.pending;
  const pending = lookup(url).then((answer) => baseUrlFromLookup(answer, url, settings.accountId));
  domains.set(url, { ...cached, pending, at: cached?.at ?? 0 });
  try {
    const baseUrl = await pending;
    domains.set(url, { baseUrl, at: Date.now() });
    return baseUrl;
  } catch (err) {
    // A failed lookup is not remembered; an older answer still serves until a lookup succeeds.
    if (cached?.baseUrl) {
      domains.set(url, { baseUrl: cached.baseUrl, at: cached.at });
      return cached.baseUrl;
    }
    domains.delete(url);
    throw err;
  }
}

function when(ms: number | undefined, iso: string | undefined): string {
  if (iso) return iso;
  return ms === undefined ? '?' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The 202 body in a line for the Web UI: which intervals LivePerson is still processing.
 * `3 of 96 intervals not done yet: 2026-11-20T21:15:00Z In Progress, ...`.
 */
export function describeProcessing(body: unknown): string | undefined {
  const parsed = processingStatusBody.safeParse(body);
  if (!parsed.success) return undefined;
  const all = parsed.data.intervals;
  const waiting = all.filter((i) => (i.status ?? '').toLowerCase() !== 'done');
  if (waiting.length === 0) return `all ${all.length} intervals are marked Done`;
  const shown = waiting.slice(0, 4).map((i) => `${when(i.fromL, i.from)} → ${when(i.toL, i.to)} ${i.status ?? 'not done'}`);
  return `${waiting.length} of ${all.length} intervals not done yet: ${shown.join(', ')}${waiting.length > shown.length ? ', ...' : ''}`;
}

export function livepersonErrorMessage(status: number, body: unknown): string | undefined {
  if (status === 202) return describeProcessing(body);
  const parsed = livepersonErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  const fromErrors = (b.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? e.msg))).filter((m): m is string => Boolean(m));
  const details = typeof b.details === 'string' ? [b.details] : (b.details ?? []);
  const said =
    b.message ??
    (typeof b.error === 'string' ? b.error : b.error?.message) ??
    (fromErrors.length ? fromErrors.join('; ') : undefined) ??
    b.errorMessage ??
    b.reason;
  const all = [said, ...details].filter((m): m is string => Boolean(m));
  return all.length ? all.join('; ') : undefined;
}

/**
 * The pauses LivePerson asks for: 500/503 "retry 3 times with increasing pause of at least 5, 10
 * and 15 seconds" (then we keep backing off, doubling from 15 s up to 5 minutes, within the
 * window's patience); 429 "after at least 1 second"; 202 "retry later" (5 s, growing to a minute).
 */
export function livepersonRetryPause(status: number, attempt: number): number | undefined {
  const n = Math.max(1, attempt);
  if (status === 500 || status === 503) return n <= 3 ? 5_000 * n : Math.min(15_000 * 2 ** (n - 3), 300_000);
  if (status === 429) return 1_000;
  if (status === 202) return Math.min(5_000 * n, 60_000);
  return undefined;
}

export const liveperson: SourceDeclaration<LivePersonSettings, LivePersonCredentials> = {
  name: 'liveperson',
  title: 'LivePerson',
  settingsSchema: livepersonSettings,
  credentialsSchema: livepersonCredentials,
  streams: { interval_metrics },
  baseUrl: (settings, lookup) => settings.baseUrl ?? discoveredBaseUrl(settings, lookup),
  authHeaders(ctx, request, url) {
    return Promise.resolve({ authorization: livepersonAuthorization(ctx.credentials, request.method, url) });
  },
  // API domains are hosts of liveperson.net (va.agentactivity.liveperson.net, ...); absolute
  // refs.next links may name another of them.
  ownDomains: ['liveperson.net'],
  rateLimit: (s) => ({ key: `liveperson:${s.accountId}`, limit: s.rateLimitPerMinute, perMs: 60_000 }),
  errorMessage: livepersonErrorMessage,
  retryPause: livepersonRetryPause,
};
