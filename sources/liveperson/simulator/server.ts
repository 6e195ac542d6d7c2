/**
 * The LivePerson simulator: a real HTTP server (node:http) answering like the Agent Activity API's
 * interval metrics and LivePerson's domain lookup, on deterministic data. Tests start it
 * in-process on port 0; `npm start` runs it on 4020 (see main.ts).
 *
 * Every request goes through, in order:
 *   route (404; 405 for anything but GET) → account (404) → rate limit, when configured (429) →
 *   fault injection → auth (401; not for the public domain lookup) → the endpoint (400 for bad
 *   queries and the 14-day / 1-day rules, 202 while intervals are processing, 200) → response faults
 *   (malformed, schema drift) → request log.
 * Whether a request broke the 14-day or the 1-day rule is judged from its parameters as soon as it
 * is routed, so `ruleBreakingRequests()` counts what a client *sent*, whatever became of it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LpAuthenticator } from './auth';
import { type IntervalMetricsRecord, type IntervalQuery, intervalMetricsGroundTruth, LivePersonDataset, type LivePersonDataOptions } from './data';
import { FaultInjector, type LpEndpointName, type LpFault, type LpFaultRates, type ResolvedFault, seedFromText, truncateJson } from './faults';
import {
  handleIntervalMetrics,
  lpError,
  type PagingStyle,
  processingStatus,
  requestedIntervals,
  type RuleBroken,
  rulesOf,
} from './interval-metrics';

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

export interface LivePersonRequestLogEntry {
  /** Arrival time on the simulator's clock (ms). */
  at: number;
  method: string;
  path: string;
  /** The query parameters (no secrets travel there: auth is a header). */
  query: Record<string, string>;
  accountId?: string;
  endpoint?: LpEndpointName;
  /** 0 when no response was sent (timeout and reset faults). */
  status: number;
  /** How the request authenticated, when it did. */
  auth?: 'bearer' | 'oauth';
  /** The rules it broke: 14-day (`from` too old) and 1-day (`to` too far after `from`). */
  broken?: RuleBroken[];
  /** First page, a `pageKey` page, or a `refs.next` (offset) page. */
  page?: 'first' | 'pageKey' | 'refs';
  /** Records in a 200 answer (0 for an empty page). */
  count?: number;
  fault?: 'status' | 'timeout' | 'reset' | 'malformed' | 'schema-drift';
}

class RollingMinuteLimiter {
  private readonly admitted = new Map<string, number[]>();
  constructor(private readonly limit: number) {}
  admit(key: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.limit <= 0) return { ok: true };
    const times = (this.admitted.get(key) ?? []).filter((t) => t > now - MINUTE_MS);
    this.admitted.set(key, times);
    if (times.length >= this.limit) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + MINUTE_MS - now) / 1000)) };
    times.push(now);
    return { ok: true };
  }
  reset(): void {
    this.admitted.clear();
  }
}

function faultMessage(status: number): string {
  switch (status) {
    case 400:
      return 'Invalid request';
    case 401:
      return 'Unauthorized';
    case 429:
      return 'Too many requests';
    case 502:
      return 'Bad gateway';
    case 503:
      return 'Service unavailable';
    default:
      return 'Server error';
  }
}

export class LivePersonSimulator {
  readonly data: LivePersonDataset;
  private readonly options: LivePersonSimulatorOptions;
  private readonly auth: LpAuthenticator;
  private readonly faults: FaultInjector;
  private readonly limiter: RollingMinuteLimiter;
  private readonly log: LivePersonRequestLogEntry[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private paging: PagingStyle;
  private emptyPages: number;
  private processingAgeMs: number;
  private server?: Server;
  private baseUrl?: string;

  constructor(options: LivePersonSimulatorOptions) {
    this.options = options;
    this.data = new LivePersonDataset(options);
    this.auth = new LpAuthenticator({ ...options, toleranceS: options.oauthToleranceS, now: this.data.now });
    const faultSeed = options.faultSeed ?? `faults|${this.data.seed}`;
    this.faults = new FaultInjector(typeof faultSeed === 'number' ? faultSeed : seedFromText(faultSeed), options.faults);
    const rate = options.rateLimitPerMinute ?? 0;
    if (!Number.isInteger(rate) || rate < 0) throw new RangeError(`rateLimitPerMinute must be a whole number >= 0 (got ${rate})`);
    this.limiter = new RollingMinuteLimiter(rate);
    this.paging = options.paging ?? 'pageKey';
    this.emptyPages = 0;
    this.processingAgeMs = 0;
    this.setEmptyPages(options.emptyPages ?? 0);
    this.setProcessingAge(options.processingAgeMs ?? 0);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('the simulator is already started');
    const server = createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (err) {
        console.error('liveperson simulator: unexpected error', err);
        if (!res.headersSent) this.send(res, 500, lpError(500, 'internal simulator error'));
      }
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('the simulator is not started');
    return this.baseUrl;
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

  setEmptyPages(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 10) throw new RangeError(`emptyPages must be a whole number from 0 to 10 (got ${n})`);
    this.emptyPages = n;
  }

  /** Intervals count as processing until they have been over for `ms`. */
  setProcessingAge(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`processingAgeMs must be >= 0 (got ${ms})`);
    this.processingAgeMs = ms;
  }

  failNext(...faults: LpFault[]): void {
    this.faults.failNext(...faults);
  }

  setFaults(rates: LpFaultRates): void {
    this.faults.setFaults(rates);
  }

  clearFaults(): void {
    this.faults.clearFaults();
  }

  pendingFaults(): number {
    return this.faults.pending();
  }

  resetRateLimit(): void {
    this.limiter.reset();
  }

  // --- request log ----------------------------------------------------------------------------

  requests(): LivePersonRequestLogEntry[] {
    return this.log.map((e) => ({ ...e, query: { ...e.query }, ...(e.broken ? { broken: [...e.broken] } : {}) }));
  }

  resetLog(): void {
    this.log.length = 0;
  }

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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const at = this.data.now();
    // The URL as the client addressed it: what an OAuth signature covers.
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const entry: LivePersonRequestLogEntry = { at, method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    this.log.push(entry);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      this.send(res, status, body, headers);
    };
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

    const admitted = this.limiter.admit(accountId, at);
    if (!admitted.ok) return reply(429, lpError(429, 'Too many requests'), { 'retry-after': String(admitted.retryAfterSeconds) });

    const fault = this.faults.next(endpoint);
    if (fault) entry.fault = fault.kind;
    if (fault && this.applyConnectionFault(fault, req, url, at, reply)) return;

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
        { paging: this.paging, refsCarryAllParams: this.options.refsCarryAllParams ?? false, emptyPages: this.emptyPages, processingAgeMs: this.processingAgeMs },
      );
      if (result.page) entry.page = result.page;
      if (result.status === 200) entry.count = (result.body as { intervals: unknown[] }).intervals.length;
      answer = result;
    }

    if (fault?.kind === 'schema-drift' && answer.status === 200) {
      const list = (answer.body as { intervals?: Record<string, unknown>[] }).intervals;
      if (list?.[0]) list[0] = { ...list[0], [fault.field]: fault.value };
    }
    if (fault?.kind === 'malformed') {
      entry.status = answer.status;
      this.sendText(res, answer.status, truncateJson(JSON.stringify(answer.body)));
      return;
    }
    reply(answer.status, answer.body);
  }

  private applyConnectionFault(
    fault: ResolvedFault,
    req: IncomingMessage,
    url: URL,
    now: number,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): boolean {
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = {};
        const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
        if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
        let body = fault.body;
        if (body === undefined && fault.status === 202) {
          const q = requestedIntervals(url.searchParams);
          body = { intervals: q ? processingStatus(this.data, q, now, this.processingAgeMs, true) : [] };
        }
        reply(fault.status, body ?? lpError(fault.status, faultMessage(fault.status)), headers);
        return true;
      }
      case 'timeout': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          req.socket.destroy();
        }, fault.ms);
        this.timers.add(timer);
        return true;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      default:
        return false;
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
    this.sendText(res, status, JSON.stringify(body), headers);
  }

  private sendText(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}
