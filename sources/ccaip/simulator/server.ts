/**
 * The CCAI Platform simulator: a real HTTP server (node:http) answering like the Manager API of one
 * tenant, on deterministic data that changes with the simulator's clock. Tests start it in-process
 * on port 0; `npm start` runs it on 4030 (see main.ts).
 *
 * Every request goes through, in order:
 *   route (404; 405 for anything but GET) → rate limit, 10 requests per rolling second per tenant
 *   by default (429 with Retry-After) → fault injection → auth (401) → the endpoint (400 for bad
 *   parameters, 200) → response faults (malformed, schema drift) → after-request actions → request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { authenticate } from './auth';
import { CcaipDataset, type CcaipDataOptions } from './data';
import { answer, ccaipError, endpointSpecs, type EndpointSpec, type LinkMode } from './endpoints';
import { type CcaipEndpointName, type CcaipFault, type CcaipFaultRates, FaultInjector, type ResolvedFault, seedFromText, truncateJson } from './faults';

export const DEFAULT_BASE_PATH = '/manager/api/v1';
const SECOND_MS = 1000;

export interface CcaipSimulatorOptions extends CcaipDataOptions {
  /** The API token accepted with the subdomain as Basic user. */
  apiToken?: string;
  /** Older tenants: company key and secret as Basic user and password. */
  companyKey?: string;
  companySecret?: string;
  /** Where the API lives on the server (default /manager/api/v1). */
  basePath?: string;
  /** `full` (default): Link with first/prev/next/last; `no-next`: without rel="next"; `none`: no Link header. */
  linkMode?: LinkMode;
  /** Send the `Total` header (default true). */
  totalHeader?: boolean;
  /** Serve teams at /team and /team/tree (default, the vendor's docs) or /teams and /teams/tree (the Singer tap's). */
  teamPaths?: 'team' | 'teams';
  /** Requests per rolling second per tenant before 429 (default 10, the vendor's limit; 0: no limit). */
  rateLimitPerSecond?: number;
  faultSeed?: number | string;
  faults?: CcaipFaultRates;
}

export interface CcaipRequestLogEntry {
  /** Arrival time on the real clock (ms): rate limits are about real time whatever the data clock says. */
  at: number;
  method: string;
  path: string;
  /** The query parameters, decoded (`updated_at[from]`: ...). No secret travels there. */
  query: Record<string, string>;
  endpoint?: CcaipEndpointName;
  /** 0 when no response was sent (timeout and reset faults). */
  status: number;
  auth?: 'api-token' | 'company-key';
  /** Records in a 200 answer. */
  count?: number;
  fault?: 'status' | 'timeout' | 'reset' | 'malformed' | 'schema-drift';
}

interface AfterAction {
  endpoint: CcaipEndpointName | '*';
  remaining: number;
  run: () => void;
}

class RollingLimiter {
  private readonly admitted: number[] = [];
  constructor(private readonly limit: number) {}
  admit(now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.limit <= 0) return { ok: true };
    while (this.admitted.length && this.admitted[0]! <= now - SECOND_MS) this.admitted.shift();
    if (this.admitted.length >= this.limit) return { ok: false, retryAfterSeconds: 1 };
    this.admitted.push(now);
    return { ok: true };
  }
  reset(): void {
    this.admitted.length = 0;
  }
}

function faultMessage(status: number): string {
  switch (status) {
    case 429:
      return 'Rate limit exceeded';
    case 401:
      return 'Unauthorized';
    case 502:
      return 'Bad gateway';
    case 503:
      return 'Service temporarily unavailable';
    case 504:
      return 'Gateway timeout';
    default:
      return status >= 500 ? 'Something went wrong' : 'Request refused';
  }
}

export class CcaipSimulator {
  readonly data: CcaipDataset;
  private readonly options: CcaipSimulatorOptions;
  private readonly basePath: string;
  private readonly specs: Record<string, EndpointSpec>;
  private readonly faults: FaultInjector;
  private readonly limiter: RollingLimiter;
  private readonly log: CcaipRequestLogEntry[] = [];
  private readonly actions: AfterAction[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private linkMode: LinkMode;
  private totalHeader: boolean;
  private server?: Server;
  private baseUrl?: string;

  constructor(options: CcaipSimulatorOptions) {
    this.options = options;
    this.data = new CcaipDataset(options);
    this.basePath = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
    this.specs = endpointSpecs(options.teamPaths ?? 'team');
    const faultSeed = options.faultSeed ?? `faults|${this.data.seed}`;
    this.faults = new FaultInjector(typeof faultSeed === 'number' ? faultSeed : seedFromText(faultSeed), options.faults);
    const rate = options.rateLimitPerSecond ?? 10;
    if (!Number.isInteger(rate) || rate < 0) throw new RangeError(`rateLimitPerSecond must be a whole number >= 0 (got ${rate})`);
    this.limiter = new RollingLimiter(rate);
    this.linkMode = 'full';
    this.totalHeader = options.totalHeader ?? true;
    this.setLinkMode(options.linkMode ?? 'full');
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('the simulator is already started');
    const server = createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (err) {
        console.error('ccaip simulator: unexpected error', err);
        if (!res.headersSent) this.send(res, 500, ccaipError(500, 'internal simulator error'));
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

  /** The server's origin, e.g. `http://127.0.0.1:4030`. */
  get url(): string {
    if (!this.baseUrl) throw new Error('the simulator is not started');
    return this.baseUrl;
  }

  /** What a connection's `baseUrl` is set to: the origin and the API's base path. */
  get apiUrl(): string {
    return `${this.url}${this.basePath}`;
  }

  // --- behaviour controls ---------------------------------------------------------------------

  setLinkMode(mode: LinkMode): void {
    if (mode !== 'full' && mode !== 'no-next' && mode !== 'none') throw new RangeError(`linkMode must be full, no-next or none (got ${String(mode)})`);
    this.linkMode = mode;
  }

  setTotalHeader(on: boolean): void {
    this.totalHeader = on;
  }

  /**
   * Runs `action` once, right after the `n`-th next successful (200) request to `endpoint` has
   * been answered and before the next request is handled: e.g. update a call between two pages.
   */
  afterRequests(endpoint: CcaipEndpointName | '*', n: number, action: () => void): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a whole number >= 1');
    this.actions.push({ endpoint, remaining: n, run: action });
  }

  /** Actions registered with `afterRequests` that have not run yet. */
  pendingActions(): number {
    return this.actions.length;
  }

  failNext(...faults: CcaipFault[]): void {
    this.faults.failNext(...faults);
  }

  setFaults(rates: CcaipFaultRates): void {
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

  requests(): CcaipRequestLogEntry[] {
    return this.log.map((e) => ({ ...e, query: { ...e.query } }));
  }

  resetLog(): void {
    this.log.length = 0;
  }

  /** The most requests that arrived within any one second (refused ones included): what a client sent. */
  maxRequestsInAnySecond(): number {
    const times = this.log.map((e) => e.at).sort((a, b) => a - b);
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= SECOND_MS) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  // --- request pipeline -------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const entry: CcaipRequestLogEntry = { at, method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    this.log.push(entry);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      this.send(res, status, body, headers);
    };
    req.resume();

    const path = url.pathname.startsWith(`${this.basePath}/`) ? url.pathname.slice(this.basePath.length).replace(/\/+$/, '') : undefined;
    const spec = path === undefined ? undefined : this.specs[path];
    if (!spec) return reply(404, ccaipError(404, `no such API: ${req.method} ${url.pathname}`));
    entry.endpoint = spec.name;
    if (req.method !== 'GET') return reply(405, ccaipError(405, `${req.method} is not allowed here; use GET`), { allow: 'GET' });

    const admitted = this.limiter.admit(at);
    if (!admitted.ok) {
      return reply(429, ccaipError(429, `Rate limit exceeded: ${this.options.rateLimitPerSecond ?? 10} requests per second per tenant`), { 'retry-after': String(admitted.retryAfterSeconds) });
    }

    const fault = this.faults.next(spec.name);
    if (fault) entry.fault = fault.kind;
    if (fault && this.applyConnectionFault(fault, req, reply)) return;

    const auth = authenticate(req.headers, { subdomain: this.data.subdomain, apiToken: this.options.apiToken, companyKey: this.options.companyKey, companySecret: this.options.companySecret });
    if (!auth.ok) return reply(auth.status, ccaipError(auth.status, auth.message), { 'www-authenticate': 'Basic realm="Manager API"' });
    entry.auth = auth.via;

    const result = answer(spec, this.data, url, { linkMode: this.linkMode, totalHeader: this.totalHeader });
    if (result.status === 200) entry.count = result.count;
    if (fault?.kind === 'schema-drift' && result.status === 200 && Array.isArray(result.body) && result.body[0]) {
      (result.body as Record<string, unknown>[])[0] = { ...(result.body[0] as Record<string, unknown>), [fault.field]: fault.value };
    }
    const text = fault?.kind === 'malformed' ? truncateJson(JSON.stringify(result.body)) : JSON.stringify(result.body);
    if (result.status === 200) this.runActions(spec.name);
    entry.status = result.status;
    this.sendText(res, result.status, text, result.headers);
  }

  private runActions(endpoint: CcaipEndpointName): void {
    for (const a of [...this.actions]) {
      if (a.endpoint !== '*' && a.endpoint !== endpoint) continue;
      if (--a.remaining > 0) continue;
      this.actions.splice(this.actions.indexOf(a), 1);
      a.run();
    }
  }

  private applyConnectionFault(fault: ResolvedFault, req: IncomingMessage, reply: (status: number, body: unknown, headers?: Record<string, string>) => void): boolean {
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = {};
        const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
        if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
        reply(fault.status, fault.body ?? ccaipError(fault.status, faultMessage(fault.status)), headers);
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
