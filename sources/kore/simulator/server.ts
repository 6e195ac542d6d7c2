/**
 * The Kore.ai simulator: a real HTTP server (node:http) answering like the vendor's public
 * analytics API on deterministic data. Integration tests start it in-process on port 0; `npm start`
 * runs it on 4010 (see main.ts).
 *
 * Endpoints are separate modules (`KoreEndpoint`); this file is what they share, applied to every
 * request in this order:
 *   route (404 unknown path, 405 wrong method) → account in the path (404) → the account's rate
 *   limit (429) → fault injection → auth (401/400) → JSON body (400) → the endpoint → response
 *   faults (malformed, schema drift) → request log.
 * Rate limiting comes before faults and auth because the vendor counts requests per account at its
 * edge, whatever becomes of them; faults come before auth because they stand for trouble in front
 * of the application (gateway errors, dropped connections).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { authenticate, koreErrorBody } from './auth';
import { agentStatusEndpoint } from './agentstatus';
import { callDetailsEndpoint, callDetailsRangeMs, CALL_DETAILS_MAX_RANGE_MS, interactionDetailsEndpoint } from './calldetails';
import { callVolumeEndpoint } from './callvolume';
import type { ConversationFilter } from './conversations-data';
import { agentStatusGroundTruth, type CallVolumeUpdate, conversationsGroundTruth, KoreDataset, type KoreDataOptions } from './data';
import { driftFirstRecord, FaultInjector, type FaultRates, type KoreFault, type ResolvedFault, seedFromText, truncateJson } from './faults';

/** Every public analytics endpoint lives under `/agentassist/api/public/analytics/account/{accountId}/`. */
export const KORE_ACCOUNT_PATH_PREFIX = '/agentassist/api/public/analytics/account/';
const ROUTE = /^\/agentassist\/api\/public\/analytics\/account\/([^/]+)\/(.+?)\/?$/;
const MAX_BODY_BYTES = 1024 * 1024;
const MINUTE_MS = 60_000;

export interface KoreEndpointRequest {
  accountId: string;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  data: KoreDataset;
}

export interface KoreEndpointResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One vendor endpoint. Auth, rate limiting, faults and logging are the server's, not the endpoint's. */
export interface KoreEndpoint {
  /** Short name used by the request log and by `failNext({ endpoint })`, e.g. `callvolume`. */
  name: string;
  method: 'GET' | 'POST';
  /** Path after `/account/{accountId}/`, e.g. `callvolume` or `v2/calldetails`. */
  path: string;
  handle(request: KoreEndpointRequest): KoreEndpointResponse;
  /** The records array of a successful response body (the target of schema-drift faults). */
  records(body: unknown): Record<string, unknown>[] | undefined;
}

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

export interface KoreRequestLogEntry {
  /** Arrival time on the simulator's clock (ms). */
  at: number;
  method: string;
  path: string;
  /** From the path, when it had one (even an unknown account). */
  accountId?: string;
  endpoint?: string;
  /** Status sent; 0 when no response was sent (timeout and reset faults, or still in flight). */
  status: number;
  /** The parsed JSON body, or its text when it was not JSON. */
  body?: unknown;
  /** The injected fault that shaped the answer, if any. */
  fault?: 'status' | 'timeout' | 'reset' | 'malformed' | 'schema-drift';
}

export const DEFAULT_ENDPOINTS: readonly KoreEndpoint[] = [callVolumeEndpoint, callDetailsEndpoint, interactionDetailsEndpoint, agentStatusEndpoint];

/** The endpoints whose range the vendor limits to seven days. */
const SEVEN_DAY_ENDPOINTS: ReadonlySet<string> = new Set([callDetailsEndpoint.name, interactionDetailsEndpoint.name]);

/** The vendor's limit: N requests per account in any rolling 60 seconds. Only admitted requests count. */
class RollingMinuteLimiter {
  private readonly admitted = new Map<string, number[]>();

  constructor(private readonly limit: number) {}

  /** Admits a request at `now`, or says how many whole seconds until a slot frees (at least 1). */
  admit(key: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.limit <= 0) return { ok: true };
    const times = (this.admitted.get(key) ?? []).filter((t) => t > now - MINUTE_MS);
    this.admitted.set(key, times);
    if (times.length >= this.limit) {
      const freesAt = times[0]! + MINUTE_MS;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    times.push(now);
    return { ok: true };
  }

  reset(): void {
    this.admitted.clear();
  }
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new BodyTooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function faultMessage(status: number): string {
  switch (status) {
    case 202:
      return 'Request accepted; data is still being processed, retry later';
    case 400:
      return 'Bad request';
    case 401:
      return 'Unauthorized';
    case 429:
      return 'Too many requests';
    case 502:
      return 'Bad gateway';
    case 503:
      return 'Service temporarily unavailable';
    default:
      return 'Internal server error';
  }
}

export class KoreSimulator {
  readonly data: KoreDataset;
  private readonly options: KoreSimulatorOptions;
  private readonly endpoints: readonly KoreEndpoint[];
  private readonly faults: FaultInjector;
  private readonly limiter: RollingMinuteLimiter;
  private readonly log: KoreRequestLogEntry[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;
  private baseUrl?: string;

  constructor(options: KoreSimulatorOptions) {
    const rate = options.rateLimitPerMinute ?? 60;
    if (!Number.isInteger(rate) || rate < 0) throw new RangeError(`rateLimitPerMinute must be a whole number >= 0 (got ${rate})`);
    this.options = options;
    this.data = new KoreDataset(options);
    this.endpoints = options.endpoints ?? DEFAULT_ENDPOINTS;
    const faultSeed = options.faultSeed ?? `faults|${this.data.seed}`;
    this.faults = new FaultInjector(typeof faultSeed === 'number' ? faultSeed : seedFromText(faultSeed), options.faults);
    this.limiter = new RollingMinuteLimiter(rate);
  }

  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:4010`. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('the simulator is already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the simulator, not a vendor behaviour: say so loudly, answer 500.
        console.error('kore simulator: unexpected error', err);
        if (!res.headersSent) this.send(res, 500, koreErrorBody('internal simulator error', 500));
      });
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

  /** Stops listening and drops every connection, including ones held open by timeout faults. */
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

  // --- fault controls -----------------------------------------------------------------------

  /** Queues one-shot faults, consumed in order by the next requests that reach an endpoint. */
  failNext(...faults: KoreFault[]): void {
    this.faults.failNext(...faults);
  }

  setFaults(rates: FaultRates): void {
    this.faults.setFaults(rates);
  }

  clearFaults(): void {
    this.faults.clearFaults();
  }

  /** Scripted faults not yet consumed. */
  pendingFaults(): number {
    return this.faults.pending();
  }

  /** Forgets the requests the rate limit has counted (for tests that share a simulator). */
  resetRateLimit(): void {
    this.limiter.reset();
  }

  // --- request log --------------------------------------------------------------------------

  requests(): KoreRequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  resetLog(): void {
    this.log.length = 0;
  }

  /**
   * The most requests for `accountId` that arrived within any 60 seconds, refused ones included:
   * it measures what a client sent, to check it stays under the vendor's limit.
   */
  maxRequestsInAnyMinute(accountId: string = this.data.accountId): number {
    const times = this.log.filter((e) => e.accountId === accountId).map((e) => e.at).sort((a, b) => a - b);
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= MINUTE_MS) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /**
   * Requests to the call-details endpoints whose body asked for more than seven days, whatever
   * became of them (refused with the vendor's 400, or stopped earlier by the rate limit or a fault):
   * it measures what a client sent. A correct client makes none.
   */
  requestsOverSevenDays(): number {
    return this.log.filter((e) => e.endpoint !== undefined && SEVEN_DAY_ENDPOINTS.has(e.endpoint) && (callDetailsRangeMs(e.body) ?? 0) > CALL_DETAILS_MAX_RANGE_MS).length;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.data.now();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const entry: KoreRequestLogEntry = { at, method: req.method ?? 'GET', path: url.pathname, status: 0 };
    this.log.push(entry);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      this.send(res, status, body, headers);
    };

    let raw: string;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        reply(413, koreErrorBody('request body is too large', 413), { connection: 'close' });
        return;
      }
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
    if (!endpoint) return reply(405, koreErrorBody(`${req.method} is not allowed here; use ${candidates[0]!.method}`, 405), { allow: candidates.map((e) => e.method).join(', ') });
    entry.endpoint = endpoint.name;
    if (accountId !== this.data.accountId) return reply(404, koreErrorBody('account not found', 404));

    const admitted = this.limiter.admit(accountId, at);
    if (!admitted.ok) {
      return reply(429, koreErrorBody(`rate limit exceeded: ${this.options.rateLimitPerMinute ?? 60} requests per minute per account`, 429), {
        'retry-after': String(admitted.retryAfterSeconds),
      });
    }

    const fault = this.faults.next(endpoint.name);
    if (fault) entry.fault = fault.kind;
    if (fault && this.applyConnectionFault(fault, req, reply)) return;

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
    if (fault?.kind === 'schema-drift' && answer.status >= 200 && answer.status < 300) {
      const records = endpoint.records(answer.body);
      if (records) driftFirstRecord(records, fault.field, fault.value);
    }
    if (fault?.kind === 'malformed') {
      entry.status = answer.status;
      this.sendText(res, answer.status, truncateJson(JSON.stringify(answer.body)), answer.headers);
      return;
    }
    reply(answer.status, answer.body, answer.headers);
  }

  /** Applies faults that replace the answer entirely; returns false for those that shape a real answer. */
  private applyConnectionFault(
    fault: ResolvedFault,
    req: IncomingMessage,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): boolean {
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = {};
        const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
        if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
        reply(fault.status, fault.body ?? koreErrorBody(faultMessage(fault.status), fault.status), headers);
        return true;
      }
      case 'timeout': {
        // Hold the connection silently, then drop it: the client sees a hang, then a closed socket.
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
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }
}
