/**
 * The LivePerson simulator: a real HTTP server (node:http) answering like the Agent Activity API's
 * interval metrics and LivePerson's domain lookup, on deterministic data. Tests start it
 * in-process on port 0; `npm start` runs it on 4020 (see main.ts).
 *
 * Every request goes through, in order (the HTTP plumbing under it is the simulator kit's):
 *   route (404; 405 for anything but GET) → account (404) → rate limit, when configured (429) →
 *   fault injection → auth (401; not for the public domain lookup) → the endpoint (400 for bad
 *   queries and the 14-day / 1-day rules, 202 while intervals are processing, 200) → response faults
 *   (malformed, schema drift) → request log.
 * Whether a request broke the 14-day or the 1-day rule is judged from its parameters as soon as it
 * is routed, so `ruleBreakingRequests()` counts what a client *sent*, whatever became of it.
 */
import type { IncomingMessage } from 'node:http';
import { faultSeedOf } from '../kit/faults';
import { type Exchange, FAULT_ANSWERED, HttpSimulator, type RequestLogEntry, RollingWindowLimiter } from '../kit/server';
import { LpAuthenticator } from './auth';
import { type IntervalMetricsRecord, type IntervalQuery, intervalMetricsGroundTruth, LivePersonDataset, type LivePersonDataOptions } from './data';
import { FaultInjector, type LpEndpointName, type LpFault, type LpFaultRates } from './faults';
import { handleIntervalMetrics, lpError, type PagingStyle, processingStatus, requestedIntervals, type RuleBroken, rulesOf } from './interval-metrics';

const METRICS_ROUTE = /^\/api\/account\/([^/]+)\/interval-metrics\/?$/;
const LOOKUP_ROUTE = /^\/api\/account\/([^/]+)\/service\/([^/]+)\/baseURI\.json$/;
const MINUTE_MS = 60_000;

export interface LivePersonSimulatorOptions extends LivePersonDataOptions {
  /** A bearer token accepted as is. */
  bearerToken?: string;
  /** The API key (OAuth 1.0a): app key, secret, access token, access token secret. */
  consumerKey?: string;
  consumerSecret?: string;
  token?: string;
  tokenSecret?: string;
  /** Allowed clock difference for OAuth timestamps, seconds (default 300). */
  oauthToleranceS?: number;
  /** How next pages are given: `metadata.paging.nextPageKey` (default) or `metadata.paging.refs.next`. */
  paging?: PagingStyle;
  /** refs.next links with every query parameter (default false: shaped like the vendor's samples). */
  refsCarryAllParams?: boolean;
  /** refs links as absolute URLs on this origin (default: path only, like the doc's samples). */
  refsOrigin?: string;
  /** A broken endpoint for tests: refs paging ignores `offset`, so the next link repeats. */
  refsIgnoreOffset?: boolean;
  /** Empty pages (`count: 0`, with a next) after each page of data (pageKey) / at the end (refs). Default 0. */
  emptyPages?: number;
  /** An interval is "In Progress" (202) until it has been over this long (ms, default 0: as soon as it ends). */
  processingAgeMs?: number;
  /** Requests per rolling minute per account before 429 (default 0: no limit; LivePerson documents none). */
  rateLimitPerMinute?: number;
  faultSeed?: number | string;
  faults?: LpFaultRates;
  /** What the domain lookup answers as `baseURI` (default: the host the lookup request was sent to). */
  advertisedBaseURI?: string;
}

export interface LivePersonRequestLogEntry extends RequestLogEntry {
  /** The query parameters (no secrets travel there: auth is a header). */
  query: Record<string, string>;
  accountId?: string;
  endpoint?: LpEndpointName;
  /** How the request authenticated, when it did. */
  auth?: 'bearer' | 'oauth';
  /** The rules it broke: 14-day (`from` too old) and 1-day (`to` too far after `from`). */
  broken?: RuleBroken[];
  /** First page, a `pageKey` page, or a `refs.next` (offset) page. */
  page?: 'first' | 'pageKey' | 'refs';
  /** Records in a 200 answer (0 for an empty page). */
  count?: number;
}

/** What an injected status fault says, in the vendor's words; any other status: "Server error". */
const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  429: 'Too many requests',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

export class LivePersonSimulator extends HttpSimulator<LivePersonRequestLogEntry, LpFault, LpEndpointName> {
  readonly data: LivePersonDataset;
  private readonly options: LivePersonSimulatorOptions;
  private readonly auth: LpAuthenticator;
  private paging: PagingStyle;
  private emptyPages: number;
  private processingAgeMs: number;
  private refsOrigin?: string;
  private refsIgnoreOffset = false;

  constructor(options: LivePersonSimulatorOptions) {
    const data = new LivePersonDataset(options);
    const faults = new FaultInjector(faultSeedOf(options.faultSeed, data.seed), options.faults);
    super({ name: 'liveperson', faults, limiter: new RollingWindowLimiter(options.rateLimitPerMinute ?? 0, MINUTE_MS, 'rateLimitPerMinute') });
    this.options = options;
    this.data = data;
    this.auth = new LpAuthenticator({ ...options, toleranceS: options.oauthToleranceS, now: this.data.now });
    this.paging = options.paging ?? 'pageKey';
    this.emptyPages = 0;
    this.processingAgeMs = 0;
    this.setEmptyPages(options.emptyPages ?? 0);
    this.setProcessingAge(options.processingAgeMs ?? 0);
    this.setRefs({ origin: options.refsOrigin, ignoreOffset: options.refsIgnoreOffset });
  }

  /** The domain lookup URL template for this simulator (what a connection's `domainLookupUrl` is set to). */
  get domainLookupUrl(): string {
    return `${this.url}/api/account/{accountId}/service/agentActivityDomain/baseURI.json?version=1.0`;
  }

  // --- behaviour controls ---------------------------------------------------------------------

  setPaging(style: PagingStyle): void {
    if (style !== 'pageKey' && style !== 'refs') throw new RangeError(`paging must be pageKey or refs (got ${String(style)})`);
    this.paging = style;
  }

  /** refs links as absolute URLs on `origin` (undefined: path only); `ignoreOffset` breaks offset paging on purpose. */
  setRefs(o: { origin?: string; ignoreOffset?: boolean }): void {
    this.refsOrigin = o.origin;
    this.refsIgnoreOffset = o.ignoreOffset ?? false;
  }

  setEmptyPages(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 10) throw new RangeError(`emptyPages must be a whole number from 0 to 10 (got ${n})`);
    this.emptyPages = n;
  }

  /** Intervals count as processing until they have been over for `ms`. */
  setProcessingAge(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`processingAgeMs must be >= 0 (got ${ms})`);
    this.processingAgeMs = ms;
  }

  // --- request log ----------------------------------------------------------------------------

  /**
   * Requests that broke the 14-day rule (`from` older than request time - 14 days) or the 1-day
   * rule (`to` more than a day after `from`), since the log was last reset. A client that plans its
   * windows right sends none.
   */
  ruleBreakingRequests(): { total: number; fourteenDay: number; oneDay: number } {
    const broken = this.log.filter((e) => e.broken && e.broken.length > 0);
    return {
      total: broken.length,
      fourteenDay: broken.filter((e) => e.broken!.includes('14-day')).length,
      oneDay: broken.filter((e) => e.broken!.includes('1-day')).length,
    };
  }

  // --- data -------------------------------------------------------------------------------------

  /** Exactly the records the API returns for `query` (all pages, in order). */
  groundTruth(query: IntervalQuery): IntervalMetricsRecord[] {
    return intervalMetricsGroundTruth(this.data, query);
  }

  // --- request pipeline -------------------------------------------------------------------------

  protected logEntry(req: IncomingMessage, url: URL): LivePersonRequestLogEntry {
    return { at: this.data.now(), method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
  }

  protected errorBody(status: number, message: string): unknown {
    return lpError(status, message);
  }

  /** Like the vendor, a 202 lists the request's intervals as "In Progress"; other statuses get an error body. */
  protected faultBody(status: number, { url, entry }: Exchange<LivePersonRequestLogEntry>): unknown {
    if (status !== 202) return lpError(status, FAULT_MESSAGES[status] ?? 'Server error');
    const q = requestedIntervals(url.searchParams);
    return { intervals: q ? processingStatus(this.data, q, entry.at, this.processingAgeMs, true) : [] };
  }

  protected handle(exchange: Exchange<LivePersonRequestLogEntry>): void {
    const { req, url, entry, reply } = exchange;
    const at = entry.at;
    // A GET has no body; drain whatever came so the connection stays usable.
    req.resume();

    const metrics = METRICS_ROUTE.exec(url.pathname);
    const lookup = metrics ? null : LOOKUP_ROUTE.exec(url.pathname);
    if (!metrics && !lookup) return reply(404, lpError(404, `no such API: ${req.method} ${url.pathname}`));
    const endpoint: LpEndpointName = metrics ? 'interval-metrics' : 'domain-lookup';
    entry.endpoint = endpoint;
    let accountId: string;
    try {
      accountId = decodeURIComponent((metrics ?? lookup)![1]!);
    } catch {
      return reply(404, lpError(404, 'account not found'));
    }
    entry.accountId = accountId;
    if (endpoint === 'interval-metrics') {
      const broken = rulesOf(url.searchParams, at);
      if (broken.length) entry.broken = broken;
    }
    if (req.method !== 'GET') return reply(405, lpError(405, `${req.method} is not allowed here; use GET`), { allow: 'GET' });
    if (accountId !== this.data.accountId) return reply(404, lpError(404, `account ${accountId} not found`));

    if (this.rateLimited(exchange, accountId, 'Too many requests')) return;

    const fault = this.injectFault(exchange, endpoint);
    if (fault === FAULT_ANSWERED) return;

    let answer: { status: number; body: unknown };
    if (lookup) {
      const service = decodeURIComponent(lookup[2]!);
      if (service !== 'agentActivityDomain') return reply(404, lpError(404, `service ${service} is not available in this simulator`));
      answer = { status: 200, body: { service, account: accountId, baseURI: this.options.advertisedBaseURI ?? url.host } };
    } else {
      const auth = this.auth.check(req.method ?? 'GET', url, req.headers);
      if (!auth.ok) return reply(auth.status, lpError(auth.status, auth.message));
      entry.auth = auth.via;
      const result = handleIntervalMetrics(
        { accountId, url, data: this.data, now: at },
        {
          paging: this.paging,
          refsCarryAllParams: this.options.refsCarryAllParams ?? false,
          refsOrigin: this.refsOrigin,
          refsIgnoreOffset: this.refsIgnoreOffset,
          emptyPages: this.emptyPages,
          processingAgeMs: this.processingAgeMs,
        },
      );
      if (result.page) entry.page = result.page;
      if (result.status === 200) entry.count = (result.body as { intervals: unknown[] }).intervals.length;
      answer = result;
    }
    this.respond(exchange, answer, fault, (body) => (body as { intervals?: Record<string, unknown>[] }).intervals);
  }
}
