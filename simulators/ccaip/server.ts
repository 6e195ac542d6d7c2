/**
 * The CCAI Platform simulator: a real HTTP server (node:http) answering like the Manager API of one
 * tenant, on deterministic data that changes with the simulator's clock. Tests start it in-process
 * on port 0; `npm start` runs it on 4030 (see main.ts).
 *
 * Every request goes through, in order (the HTTP plumbing under it is the simulator kit's):
 *   route (404; 405 for anything but GET) → rate limit, 10 requests per rolling second per tenant
 *   by default (429 with Retry-After) → fault injection → auth (401) → the endpoint (400 for bad
 *   parameters, 200) → response faults (malformed, schema drift) → after-request actions → request log.
 */
import type { IncomingMessage } from 'node:http';
import { faultSeedOf } from '../kit/faults';
import { type Exchange, FAULT_ANSWERED, HttpSimulator, type RequestLogEntry, RollingWindowLimiter } from '../kit/server';
import { authenticate } from './auth';
import { CcaipDataset, type CcaipDataOptions } from './data';
import { answer, ccaipError, endpointSpecs, type EndpointSpec, type LinkMode } from './endpoints';
import { type CcaipEndpointName, type CcaipFault, type CcaipFaultRates, FaultInjector } from './faults';

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
  /** The order of a list asked for without `sort_column`: by id (default) or different on every request (`unstable`). */
  unsortedOrder?: 'id' | 'unstable';
  /** Requests per rolling second per tenant before 429 (default 10, the vendor's limit; 0: no limit). */
  rateLimitPerSecond?: number;
  faultSeed?: number | string;
  faults?: CcaipFaultRates;
}

export interface CcaipRequestLogEntry extends RequestLogEntry {
  /** Arrival time on the real clock (ms): rate limits are about real time whatever the data clock says. */
  at: number;
  /** The query parameters, decoded (`updated_at[from]`: ...). No secret travels there. */
  query: Record<string, string>;
  endpoint?: CcaipEndpointName;
  auth?: 'api-token' | 'company-key';
  /** Records in a 200 answer. */
  count?: number;
}

interface AfterAction {
  endpoint: CcaipEndpointName | '*';
  remaining: number;
  run: () => void;
}

/** What an injected status fault says, in the vendor's words; others: "Something went wrong" (5xx) or "Request refused". */
const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  429: 'Rate limit exceeded',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

export class CcaipSimulator extends HttpSimulator<CcaipRequestLogEntry, CcaipFault, CcaipEndpointName> {
  readonly data: CcaipDataset;
  private readonly options: CcaipSimulatorOptions;
  private readonly basePath: string;
  private readonly specs: Record<string, EndpointSpec>;
  private readonly actions: AfterAction[] = [];
  private linkMode: LinkMode;
  private unsortedOrder: 'id' | 'unstable';
  private unsortedRequests = 0;
  private totalHeader: boolean;

  constructor(options: CcaipSimulatorOptions) {
    const data = new CcaipDataset(options);
    const faults = new FaultInjector(faultSeedOf(options.faultSeed, data.seed), options.faults);
    super({ name: 'ccaip', faults, limiter: new RollingWindowLimiter(options.rateLimitPerSecond ?? 10, SECOND_MS, 'rateLimitPerSecond') });
    this.options = options;
    this.data = data;
    this.basePath = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
    this.specs = endpointSpecs(options.teamPaths ?? 'team');
    this.linkMode = 'full';
    this.totalHeader = options.totalHeader ?? true;
    this.setLinkMode(options.linkMode ?? 'full');
    this.unsortedOrder = options.unsortedOrder ?? 'id';
  }

  /** What a connection's `baseUrl` is set to: the origin and the API's base path. */
  get apiUrl(): string {
    return `${this.url}${this.basePath}`;
  }

  // --- behaviour controls ---------------------------------------------------------------------

  /** How a list asked for without `sort_column` is ordered: by id, or differently on every request. */
  setUnsortedOrder(order: 'id' | 'unstable'): void {
    if (order !== 'id' && order !== 'unstable') throw new RangeError(`unsortedOrder must be id or unstable (got ${String(order)})`);
    this.unsortedOrder = order;
  }

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

  // --- request log ----------------------------------------------------------------------------

  /** The most requests that arrived within any one second (refused ones included): what a client sent. */
  maxRequestsInAnySecond(): number {
    return this.maxRequestsInWindow(SECOND_MS);
  }

  // --- request pipeline -------------------------------------------------------------------------

  protected logEntry(req: IncomingMessage, url: URL): CcaipRequestLogEntry {
    return { at: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
  }

  protected errorBody(status: number, message: string): unknown {
    return ccaipError(status, message);
  }

  protected faultBody(status: number): unknown {
    return ccaipError(status, FAULT_MESSAGES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused'));
  }

  protected handle(exchange: Exchange<CcaipRequestLogEntry>): void {
    const { req, url, entry, reply } = exchange;
    req.resume(); // a GET has no body: drain whatever came so the connection stays usable

    const path = url.pathname.startsWith(`${this.basePath}/`) ? url.pathname.slice(this.basePath.length).replace(/\/+$/, '') : undefined;
    const spec = path === undefined ? undefined : this.specs[path];
    if (!spec) return reply(404, ccaipError(404, `no such API: ${req.method} ${url.pathname}`));
    entry.endpoint = spec.name;
    if (req.method !== 'GET') return reply(405, ccaipError(405, `${req.method} is not allowed here; use GET`), { allow: 'GET' });

    if (this.rateLimited(exchange, this.data.subdomain, `Rate limit exceeded: ${this.limiter.limit} requests per second per tenant`)) return;

    const fault = this.injectFault(exchange, spec.name);
    if (fault === FAULT_ANSWERED) return;

    const auth = authenticate(req.headers, {
      subdomain: this.data.subdomain,
      apiToken: this.options.apiToken,
      companyKey: this.options.companyKey,
      companySecret: this.options.companySecret,
    });
    if (!auth.ok) return reply(auth.status, ccaipError(auth.status, auth.message), { 'www-authenticate': 'Basic realm="Manager API"' });
    entry.auth = auth.via;

    const result = answer(spec, this.data, url, {
      linkMode: this.linkMode,
      totalHeader: this.totalHeader,
      unstableOrder: this.unsortedOrder === 'unstable' ? ++this.unsortedRequests : undefined,
    });
    if (result.status === 200) entry.count = result.count;
    this.respond(exchange, result, fault, (body) => (Array.isArray(body) ? (body as Record<string, unknown>[]) : undefined));
    if (result.status === 200) this.runActions(spec.name);
  }

  private runActions(endpoint: CcaipEndpointName): void {
    for (const a of [...this.actions]) {
      if (a.endpoint !== '*' && a.endpoint !== endpoint) continue;
      if (--a.remaining > 0) continue;
      this.actions.splice(this.actions.indexOf(a), 1);
      a.run();
    }
  }
}
