/**
 * A Google CCAI Platform (formerly UJET) connection: where the tenant's Manager API lives, the
 * paths the vendor's docs disagree on, our request budget, and the credentials (HTTP Basic:
 * subdomain + API token, or, on older tenants, company key + company secret).
 */
import { z } from 'zod';

/** The streams whose path may be overridden, with the paths we use by default (the vendor's current docs). */
export const DEFAULT_PATHS = {
  calls: '/calls',
  chats: '/chats',
  agent_activity_logs: '/agent_activity_logs',
  agents: '/agents',
  // The docs say /team and /team/tree; the open-source Singer tap for UJET uses /teams and
  // /teams/tree. Unverified which (or both) a tenant serves: override in `paths` if yours 404s.
  teams: '/team',
  team_tree: '/team/tree',
  user_statuses: '/user_statuses',
} as const;
export type CcaipPathName = keyof typeof DEFAULT_PATHS;

/** The vendor's limit: 10 requests per second per tenant (older docs: 1 per second). */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 10;
/** The API's largest (and default) `per`. */
export const MAX_PER = 100;

const path = z
  .string({ error: 'must be a path such as /teams' })
  .regex(/^\/[A-Za-z0-9_\-/.]*$/, 'must be a path under baseUrl starting with "/", such as /teams (no query string)')
  .transform((p) => p.replace(/\/+$/, '') || '/');

/** `https://acme.uc1.ccaiplatform.com/manager/api/v1`: scheme, host and the API's base path. */
const baseUrl = z
  .url({ error: 'must be a URL such as https://acme.uc1.ccaiplatform.com/manager/api/v1' })
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
  .refine((u) => !new URL(u).search && !new URL(u).hash, 'must not have a query string or fragment')
  .transform((u) => u.replace(/\/+$/, ''));

export const ccaipSettings = z.strictObject({
  /** The Manager API: `https://{subdomain}.{domain}/manager/api/v1` (the demo points it at the simulator). */
  baseUrl,
  /** Per-stream path overrides, relative to baseUrl, for where the vendor's docs disagree (`teams: /teams`). */
  paths: z
    .strictObject(Object.fromEntries(Object.keys(DEFAULT_PATHS).map((k) => [k, path.optional()])) as Record<CcaipPathName, z.ZodOptional<typeof path>>)
    .default({}),
  /**
   * Our ceiling on requests per second for this tenant (the vendor's: 10; older docs say 1). Lower it
   * if other tools share the tenant. 429 is honoured whatever this says.
   */
  rateLimitPerSecond: z
    .number({ error: 'must be a number of requests per second' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(DEFAULT_RATE_LIMIT_PER_SECOND, `must be at most ${DEFAULT_RATE_LIMIT_PER_SECOND} (the vendor's limit per tenant)`)
    .default(DEFAULT_RATE_LIMIT_PER_SECOND),
  /** Records per page (`per`): at most 100, the API's maximum and default. */
  pageSize: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PER, `must be at most ${MAX_PER} (the API's maximum)`)
    .optional(),
});
export type CcaipSettings = z.infer<typeof ccaipSettings>;

/** The path of a stream for these settings: the override, or the default. */
export function pathFor(settings: Pick<CcaipSettings, 'paths'>, name: CcaipPathName): string {
  return settings.paths?.[name] ?? DEFAULT_PATHS[name];
}

const secret = (what: string) => z.string({ error: `must be text (${what})` }).min(1, `must not be empty (${what})`);

export const ccaipCredentials = z
  .strictObject({
    /** The tenant's subdomain (`acme` in acme.uc1.ccaiplatform.com): the Basic user with an API token. */
    username: secret('the subdomain')
      .regex(/^[^:]*$/, 'must not contain ":" (HTTP Basic joins user and password with it)')
      .optional(),
    /** An API token (Settings > Developer Settings). */
    password: secret('the API token').optional(),
    /** Older tenants: the company key and secret, sent as the Basic user and password. */
    companyKey: secret('the company key')
      .regex(/^[^:]*$/, 'must not contain ":" (HTTP Basic joins user and password with it)')
      .optional(),
    companySecret: secret('the company secret').optional(),
  })
  .superRefine((c, ctx) => {
    const token = c.username !== undefined || c.password !== undefined;
    const company = c.companyKey !== undefined || c.companySecret !== undefined;
    if (token && company) {
      ctx.addIssue({ code: 'custom', message: 'give either "username" and "password", or "companyKey" and "companySecret", not both' });
    } else if (token && !(c.username && c.password)) {
      ctx.addIssue({
        code: 'custom',
        message: `"username" (the subdomain) and "password" (an API token) go together (missing: ${c.username ? 'password' : 'username'})`,
      });
    } else if (company && !(c.companyKey && c.companySecret)) {
      ctx.addIssue({ code: 'custom', message: `"companyKey" and "companySecret" go together (missing: ${c.companyKey ? 'companySecret' : 'companyKey'})` });
    } else if (!token && !company) {
      ctx.addIssue({ code: 'custom', message: 'give "username" (the subdomain) and "password" (an API token), or "companyKey" and "companySecret"' });
    }
  });
export type CcaipCredentials = z.infer<typeof ccaipCredentials>;
