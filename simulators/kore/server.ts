/**
 * The Kore.ai simulator: a real HTTP server (node:http) answering like the vendor's public
 * analytics API on deterministic data. Integration tests start it in-process on port 0; `npm start`
 * runs it on 4010 (see main.ts).
 *
 * Endpoints are separate modules (`KoreEndpoint`, declared in endpoint.ts so they need nothing
 * from here); this file is what they share, applied to every request in this order (the HTTP
 * plumbing under it is the simulator kit's, simulators/kit):
 *   route (404 unknown path, 405 wrong method) → account in the path (404) → the account's rate
 *   limit (429) → fault injection → auth (401/400) → JSON body (400) → the endpoint → response
 *   faults (malformed, schema drift) → request log.
 * Rate limiting comes before faults and auth because the vendor counts requests per account at its
 * edge, whatever becomes of them; faults come before auth because they stand for trouble in front
 * of the application (gateway errors, dropped connections).
 */
import type { IncomingMessage } from 'node:http';
import { faultSeedOf, type FaultRates } from '../kit/faults';
import { BodyTooLarge, type Exchange, FAULT_ANSWERED, HttpSimulator, readBody, type RequestLogEntry, RollingWindowLimiter } from '../kit/server';
import { authenticate, koreErrorBody } from './auth';
import { agentStatusEndpoint } from './agentstatus';
import { callDetailsEndpoint, callDetailsRangeMs, CALL_DETAILS_MAX_RANGE_MS, interactionDetailsEndpoint } from './calldetails';
import { callVolumeEndpoint } from './callvolume';
import type { ConversationFilter } from './conversations-data';
import { agentStatusGroundTruth, type CallVolumeUpdate, conversationsGroundTruth, KoreDataset, type KoreDataOptions } from './data';
import type { KoreEndpoint } from './endpoint';
import { FaultInjector, type KoreFault } from './faults';

/** Every public analytics endpoint lives under `/agentassist/api/public/analytics/account/{accountId}/`. */
export const KORE_ACCOUNT_PATH_PREFIX = '/agentassist/api/public/analytics/account/';
const ROUTE = /^\/agentassist\/api\/public\/analytics\/account\/([^/]+)\/(.+?)\/?$/;
const MAX_BODY_BYTES = 1024 * 1024;
const MINUTE_MS = 60_000;

export interface KoreSimulatorOptions extends KoreDataOptions {
  /** Client id of the Kore.ai app: the `appId` claim a JWT must carry. */
  clientId?: string;
  /** Client secret of the app: the HS256 key JWTs are checked with. */
  clientSecret?: string;
  /** A token accepted as is in the `auth` header. */
  staticToken?: string;
  /** The vendor's account limit: requests per rolling minute (default 60; 0 disables). */
  rateLimitPerMinute?: number;
  /** Seed of the fault PRNG (default: derived from `seed`). */
  faultSeed?: number | string;
  /** Random fault rates from the start (default none). */
  faults?: FaultRates;
  /** Endpoints served (default: every endpoint the simulator implements). */
  endpoints?: readonly KoreEndpoint[];
}

export interface KoreRequestLogEntry extends RequestLogEntry {
  /** From the path, when it had one (even an unknown account). */
  accountId?: string;
  endpoint?: string;
  /** The parsed JSON body, or its text when it was not JSON. */
  body?: unknown;
}

export const DEFAULT_ENDPOINTS: readonly KoreEndpoint[] = [callVolumeEndpoint, callDetailsEndpoint, interactionDetailsEndpoint, agentStatusEndpoint];

/** The endpoints whose range the vendor limits to seven days. */
const SEVEN_DAY_ENDPOINTS: ReadonlySet<string> = new Set([callDetailsEndpoint.name, interactionDetailsEndpoint.name]);

/** What an injected status fault says, in the vendor's words; any other status: "Internal server error". */
const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  202: 'Request accepted; data is still being processed, retry later',
  400: 'Bad request',
  401: 'Unauthorized',
  429: 'Too many requests',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
};

export class KoreSimulator extends HttpSimulator<KoreRequestLogEntry, KoreFault, string> {
  readonly data: KoreDataset;
  private readonly options: KoreSimulatorOptions;
  private readonly endpoints: readonly KoreEndpoint[];

  constructor(options: KoreSimulatorOptions) {
    const limiter = new RollingWindowLimiter(options.rateLimitPerMinute ?? 60, MINUTE_MS, 'rateLimitPerMinute');
    const data = new KoreDataset(options);
    super({ name: 'kore', faults: new FaultInjector(faultSeedOf(options.faultSeed, data.seed), options.faults), limiter });
    this.options = options;
    this.data = data;
    this.endpoints = options.endpoints ?? DEFAULT_ENDPOINTS;
  }

  // --- request log --------------------------------------------------------------------------

  /**
   * The most requests for `accountId` that arrived within any 60 seconds, refused ones included:
   * it measures what a client sent, to check it stays under the vendor's limit.
   */
  maxRequestsInAnyMinute(accountId: string = this.data.accountId): number {
    return this.maxRequestsInWindow(MINUTE_MS, (e) => e.accountId === accountId);
  }

  /**
   * Requests to the call-details endpoints whose body asked for more than seven days, whatever
   * became of them (refused with the vendor's 400, or stopped earlier by the rate limit or a fault):
   * it measures what a client sent. A correct client makes none.
   */
  requestsOverSevenDays(): number {
    return this.log.filter(
      (e) => e.endpoint !== undefined && SEVEN_DAY_ENDPOINTS.has(e.endpoint) && (callDetailsRangeMs(e.body) ?? 0) > CALL_DETAILS_MAX_RANGE_MS,
    ).length;
  }

  // --- data -----------------------------------------------------------------------------------

  reviseCallVolume(intervalStartMs: number, queueId?: string): CallVolumeUpdate[] {
    return this.data.reviseCallVolume(intervalStartMs, queueId);
  }

  callVolumeGroundTruth(fromMs: number, toMs: number): CallVolumeUpdate[] {
    return this.data.callVolume(fromMs, toMs);
  }

  /** What a correct client stores from `v2/calldetails` or `v2/interactionDetails` for `[fromMs, toMs)` (see `conversationsGroundTruth`). */
  conversationsGroundTruth(fromMs: number, toMs: number, filter: ConversationFilter = {}): Record<string, unknown>[] {
    return conversationsGroundTruth(this.data, fromMs, toMs, filter);
  }

  /** What a correct client stores from `agentstatusdetails` for `[fromMs, toMs)`, as of the clock (see `agentStatusGroundTruth`). */
  agentStatusGroundTruth(fromMs: number, toMs: number): Record<string, unknown>[] {
    return agentStatusGroundTruth(this.data, fromMs, toMs);
  }

  // --- request pipeline -------------------------------------------------------------------------

  protected logEntry(req: IncomingMessage, url: URL): KoreRequestLogEntry {
    return { at: this.data.now(), method: req.method ?? 'GET', path: url.pathname, status: 0 };
  }

  protected errorBody(status: number, message: string): unknown {
    return koreErrorBody(message, status);
  }

  protected faultBody(status: number): unknown {
    return koreErrorBody(FAULT_MESSAGES[status] ?? 'Internal server error', status);
  }

  protected async handle(exchange: Exchange<KoreRequestLogEntry>): Promise<void> {
    const { req, url, entry, reply } = exchange;
    let raw: string;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLarge) return reply(413, koreErrorBody('request body is too large', 413), { connection: 'close' });
      throw err;
    }
    let parsed: { ok: true; value: unknown } | { ok: false } = { ok: true, value: undefined };
    if (raw.length > 0) {
      try {
        parsed = { ok: true, value: JSON.parse(raw) };
      } catch {
        parsed = { ok: false };
      }
      entry.body = parsed.ok ? parsed.value : raw.slice(0, 2000);
    }

    const route = ROUTE.exec(url.pathname);
    if (!route) return reply(404, koreErrorBody(`no such API: ${req.method} ${url.pathname}`, 404));
    let accountId: string;
    try {
      accountId = decodeURIComponent(route[1]!);
    } catch {
      return reply(404, koreErrorBody('account not found', 404));
    }
    entry.accountId = accountId;
    const candidates = this.endpoints.filter((e) => e.path === route[2]);
    if (candidates.length === 0) return reply(404, koreErrorBody(`no such API: ${req.method} ${url.pathname}`, 404));
    const endpoint = candidates.find((e) => e.method === req.method);
    if (!endpoint)
      return reply(405, koreErrorBody(`${req.method} is not allowed here; use ${candidates[0]!.method}`, 405), {
        allow: candidates.map((e) => e.method).join(', '),
      });
    entry.endpoint = endpoint.name;
    if (accountId !== this.data.accountId) return reply(404, koreErrorBody('account not found', 404));

    if (this.rateLimited(exchange, accountId, `rate limit exceeded: ${this.limiter.limit} requests per minute per account`)) return;

    const fault = this.injectFault(exchange, endpoint.name);
    if (fault === FAULT_ANSWERED) return;

    const auth = await authenticate(req.headers, {
      iId: this.data.iId,
      clientId: this.options.clientId,
      clientSecret: this.options.clientSecret,
      staticToken: this.options.staticToken,
      now: this.data.now,
    });
    if (!auth.ok) return reply(auth.status, koreErrorBody(auth.message, auth.status));

    if (raw.length > 0 && !/^application\/([\w.+-]+\+)?json\b/i.test(req.headers['content-type'] ?? ''))
      return reply(400, koreErrorBody('Content-Type must be application/json', 400));
    if (!parsed.ok) return reply(400, koreErrorBody('request body is not valid JSON', 400));

    const answer = endpoint.handle({ accountId, body: parsed.value, query: url.searchParams, headers: req.headers, data: this.data });
    this.respond(exchange, answer, fault, (body) => endpoint.records(body));
  }
}
