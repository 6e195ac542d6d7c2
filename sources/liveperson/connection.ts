/**
 * A LivePerson connection: the non-secret settings (the account, where its Agent Activity API
 * lives, and the interval-metrics query the user wants) and the credentials (an API key for
 * OAuth 1.0a request signing, or a bearer token).
 */
import { z } from 'zod';
import { parseDuration } from '../../core/time';

/** LivePerson's domain lookup (CSDS) for the Agent Activity API; `{accountId}` is replaced. */
export const DEFAULT_DOMAIN_LOOKUP_URL = 'https://api.liveperson.net/api/account/{accountId}/service/agentActivityDomain/baseURI.json?version=1.0';

export const METRICS = [
  'handleTime',
  'handledConversations',
  'repliedConversations',
  'consumerMessages',
  'agentMessages',
  'workTime',
  // Only with "skill" in the grouping (the request table: "If skillId grouping is provided").
  'arrivals',
  'closedConversations',
] as const;
export type Metric = (typeof METRICS)[number];
export const SKILL_ONLY_METRICS: readonly Metric[] = ['arrivals', 'closedConversations'];

export const GROUPINGS = ['skill', 'agentGroup', 'agent', 'conversation'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export const INTERVAL_DURATIONS = [15, 30, 60, 1440] as const;
export type IntervalDuration = (typeof INTERVAL_DURATIONS)[number];

/** The metrics a connection gets when it names none: the vendor's general ones, without the two it says are "under review". */
export const DEFAULT_METRICS: Metric[] = ['handleTime', 'handledConversations', 'repliedConversations', 'workTime'];

/** A YAML list, or the API's own comma-separated form (`handleTime,workTime`). */
function listOf<T extends string>(values: readonly T[], what: string) {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z
      .array(z.enum(values as unknown as [T, ...T[]], { error: `must be one of ${values.join(', ')}` }), { error: `must be a list of ${what}` })
      .min(1, `must name at least one of ${values.join(', ')}`)
      .refine((list) => new Set(list).size === list.length, 'names a value twice'),
  );
}

/** A numeric id written as 42 or "42" in YAML; kept as text. */
const numericId = (what: string) =>
  z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, `must be a numeric ${what} id`)], { error: `must be a numeric ${what} id` })
    .transform((v) => String(v));

/** `https://host[:port]` and nothing after it: the API's paths are fixed (`/api/account/...`). */
const origin = z
  .url({ error: 'must be a URL such as https://va.agentactivity.liveperson.net' })
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
  .refine((u) => {
    const p = new URL(u);
    return (p.pathname === '/' || p.pathname === '') && !p.search && !p.hash;
  }, 'must be the API domain only, such as https://va.agentactivity.liveperson.net (no path: the API paths are fixed)')
  .transform((u) => new URL(u).origin);

export const livepersonSettings = z
  .strictObject({
    /** Your account (site) id. */
    accountId: z
      .union([z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be your LivePerson account (site) id, e.g. "17434331"'), z.number().int().nonnegative()], {
        error: 'is required: your LivePerson account (site) id, e.g. "17434331"',
      })
      .transform((v) => String(v)),
    /** The Agent Activity API domain. Left out: discovered through `domainLookupUrl` and cached. */
    baseUrl: origin.optional(),
    /** LivePerson's domain lookup for the `agentActivityDomain` service; `{accountId}` is replaced. */
    domainLookupUrl: z
      .url({ error: "must be a URL (LivePerson's domain lookup, with {accountId} where the account goes)" })
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
      .default(DEFAULT_DOMAIN_LOOKUP_URL),
    metrics: listOf(METRICS, 'metrics').default(DEFAULT_METRICS),
    /** Aggregation level; the API's default is skill. */
    grouping: listOf(GROUPINGS, 'groupings').default(['skill']),
    /** Minutes per interval. */
    intervalDuration: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(1440)], { error: 'must be 15, 30, 60 or 1440 (minutes)' }).default(15),
    handleTimeModel: z.enum(['IFT', 'EHT'], { error: 'must be IFT (in-focus time) or EHT (engaged handle time)' }).default('IFT'),
    /** Optional filters, as the API takes them. */
    agentId: numericId('agent').optional(),
    skillId: numericId('skill').optional(),
    agentGroupId: numericId('agent group').optional(),
    conversationId: z.string().min(1).optional(),
    /** Include intervals without human agent activity (bot skills): only skill-level metrics are filled for them. */
    includeBotSkills: z.boolean({ error: 'must be true or false' }).default(false),
    /**
     * How long a 202 ("some intervals are still processing") may last before the window is narrowed
     * to the intervals the answer marks `Done` (the documented alternative to retrying). The rest
     * is left to the next incremental run.
     */
    processingPatience: z
      .string({ error: 'must be a duration such as PT15M' })
      .refine((d) => (parseDuration(d) ?? 0) > 0, 'must be a duration such as PT15M')
      .default('PT15M'),
    /** Records per page (the API's default is 100, its maximum 500). */
    pageSize: z.number().int().min(1).max(500, "must be at most 500 (the API's maximum)").optional(),
    /**
     * Our own ceiling on requests per minute per account. LivePerson publishes no number for this
     * API (unverified); 429 is honoured whatever this says.
     */
    rateLimitPerMinute: z.number().int().min(1).max(6000).default(120),
  })
  .superRefine((s, ctx) => {
    const skillOnly = s.metrics.filter((m) => SKILL_ONLY_METRICS.includes(m));
    if (skillOnly.length && !s.grouping.includes('skill')) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics'],
        message: `${skillOnly.join(' and ')} need "skill" in grouping (the API serves them only for skill grouping)`,
      });
    }
  });
export type LivePersonSettings = z.infer<typeof livepersonSettings>;

const secret = (what: string) => z.string({ error: `must be text (${what})` }).min(1, `must not be empty (${what})`);

export const livepersonCredentials = z
  .strictObject({
    /** A bearer token (from LivePerson's login service). */
    bearerToken: secret('a bearer token').optional(),
    /** An API key with the "Agent Activity" permission, for OAuth 1.0a signing: app key, secret, access token, access token secret. */
    consumerKey: secret("the API key's app key").optional(),
    consumerSecret: secret("the API key's secret").optional(),
    token: secret("the API key's access token").optional(),
    tokenSecret: secret("the API key's access token secret").optional(),
  })
  .superRefine((c, ctx) => {
    const oauth = [c.consumerKey, c.consumerSecret, c.token, c.tokenSecret];
    const some = oauth.some((v) => v !== undefined);
    const all = oauth.every((v) => v !== undefined);
    if (c.bearerToken !== undefined && some) {
      ctx.addIssue({ code: 'custom', message: 'give either "bearerToken" or the four OAuth 1.0a fields, not both' });
    } else if (c.bearerToken === undefined && !all) {
      const missing = (['consumerKey', 'consumerSecret', 'token', 'tokenSecret'] as const).filter((k) => c[k] === undefined);
      ctx.addIssue({
        code: 'custom',
        message: some
          ? `OAuth 1.0a needs all four of consumerKey, consumerSecret, token and tokenSecret (missing: ${missing.join(', ')})`
          : 'give either "bearerToken", or "consumerKey", "consumerSecret", "token" and "tokenSecret" (an API key, for OAuth 1.0a signing)',
      });
    }
  });
export type LivePersonCredentials = z.infer<typeof livepersonCredentials>;
