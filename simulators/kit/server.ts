/**
 * The HTTP plumbing every vendor simulator shares, so that each vendor's server reads like the
 * vendor's documentation (routes, auth, limits, error bodies) and nothing else:
 *  - the server's life: `start(port, host)` resolving the base URL, `stop()` that also drops the
 *    connections held open by timeout faults and clears their timers;
 *  - the request log (`requests()`, `resetLog()`, the most requests in any window);
 *  - fault injection: the fault controls, connection-level faults (status, timeout, reset) and
 *    response faults (malformed JSON, schema drift);
 *  - a rolling-window rate limiter, body reading with a size limit, JSON replies.
 *
 * A vendor's simulator extends `HttpSimulator` and writes its request pipeline in `handle`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { driftFirstRecord, type FaultInjector, type FaultKind, type FaultRates, type ResolvedFault, type ScriptedFault, truncateJson } from './faults';

export type ReplyHeaders = Record<string, string>;

/** What every request log entry says; vendors add their own fields. */
export interface RequestLogEntry {
  /** Arrival time on the simulator's clock (ms). */
  at: number;
  method: string;
  path: string;
  /** Status sent; 0 when no response was sent (timeout and reset faults, or still in flight). */
  status: number;
  /** The injected fault that shaped the answer, if any. */
  fault?: FaultKind;
}

/** An endpoint's answer, before response faults. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: ReplyHeaders;
}

/** One request in flight. */
export interface Exchange<E extends RequestLogEntry> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The URL as the client addressed it (with its Host): what an OAuth signature covers. */
  readonly url: URL;
  /** The request's log entry, already in the log: the pipeline fills it in. */
  readonly entry: E;
  /** Sends `body` as JSON and records the status. */
  reply: (status: number, body: unknown, headers?: ReplyHeaders) => void;
}

/** Faults that shape a real answer rather than replace it. */
export type ResponseFault = Extract<ResolvedFault, { kind: 'malformed' | 'schema-drift' | 'drop-record' }>;

/** Said by `injectFault` when the fault has answered (or dropped) the request itself. */
export const FAULT_ANSWERED = 'answered';

export interface HttpSimulatorParts<F extends ScriptedFault, T extends string> {
  /** For the log line of a simulator bug, e.g. `kore` → "kore simulator: unexpected error". */
  name: string;
  faults: FaultInjector<F, T>;
  limiter: RollingWindowLimiter;
}

/**
 * The vendor limit shape all three share: `limit` requests per key in any rolling `windowMs`.
 * Only admitted requests count; 0 disables it.
 */
export class RollingWindowLimiter {
  private readonly admitted = new Map<string, number[]>();

  /** `name` is the option the limit came from, for the error when it is not a whole number >= 0. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    name = 'limit',
  ) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`${name} must be a whole number >= 0 (got ${limit})`);
  }

  /** Admits a request at `now`, or says how many whole seconds until a slot frees (at least 1). */
  admit(key: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.limit <= 0) return { ok: true };
    const times = (this.admitted.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.admitted.set(key, times);
    if (times.length >= this.limit) {
      const freesAt = times[0]! + this.windowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    times.push(now);
    return { ok: true };
  }

  reset(): void {
    this.admitted.clear();
  }
}

/** The most of `times` (ms, any order) that fall within any `windowMs`. */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export class BodyTooLarge extends Error {}

/** The request body as text; rejects with `BodyTooLarge` past `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) reject(new BodyTooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendText(res: ServerResponse, status: number, text: string, headers?: ReplyHeaders): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: ReplyHeaders): void {
  sendText(res, status, JSON.stringify(body), headers);
}

/** The URL as the client addressed it; a Host header that is no host is ignored. */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL(target, `http://${req.headers.host ?? 'localhost'}`);
  } catch {
    return new URL(target, 'http://localhost');
  }
}

/** A copy of a log entry whose arrays and records are copies too. */
function copyEntry<E extends RequestLogEntry>(entry: E): E {
  const copy: Record<string, unknown> = { ...(entry as RequestLogEntry) };
  for (const [key, value] of Object.entries(copy)) {
    if (Array.isArray(value)) copy[key] = [...(value as unknown[])];
    else if (value !== null && typeof value === 'object') copy[key] = { ...value };
  }
  return copy as E;
}

export abstract class HttpSimulator<E extends RequestLogEntry, F extends ScriptedFault, T extends string> {
  protected readonly faults: FaultInjector<F, T>;
  protected readonly limiter: RollingWindowLimiter;
  protected readonly log: E[] = [];
  private readonly name: string;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;
  private baseUrl?: string;

  constructor(parts: HttpSimulatorParts<F, T>) {
    this.name = parts.name;
    this.faults = parts.faults;
    this.limiter = parts.limiter;
  }

  /** The log entry of a request that just arrived (status 0). */
  protected abstract logEntry(req: IncomingMessage, url: URL): E;
  /** The vendor's request pipeline: route, limits, faults, auth, the endpoint. */
  protected abstract handle(exchange: Exchange<E>): void | Promise<void>;
  /** The vendor's error body. */
  protected abstract errorBody(status: number, message: string): unknown;
  /** The body of an injected status fault that brings none. */
  protected abstract faultBody(status: number, exchange: Exchange<E>): unknown;

  // --- life -----------------------------------------------------------------------------------

  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:4010`. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('the simulator is already started');
    const server = createServer((req, res) => {
      new Promise<void>((resolve) => resolve(this.dispatch(req, res))).catch((err: unknown) => {
        // A bug in the simulator, not a vendor behaviour: say so loudly, answer 500.
        console.error(`${this.name} simulator: unexpected error`, err);
        if (!res.headersSent) sendJson(res, 500, this.errorBody(500, 'internal simulator error'));
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

  /** The server's origin, e.g. `http://127.0.0.1:4010`. */
  get url(): string {
    if (!this.baseUrl) throw new Error('the simulator is not started');
    return this.baseUrl;
  }

  // --- fault and limit controls ---------------------------------------------------------------

  /** Queues one-shot faults, consumed in order by the next requests that reach an endpoint. */
  failNext(...faults: F[]): void {
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

  // --- request log ----------------------------------------------------------------------------

  requests(): E[] {
    return this.log.map(copyEntry);
  }

  resetLog(): void {
    this.log.length = 0;
  }

  /** The most logged requests (refused ones included) within any `windowMs`, of those `which` keeps. */
  protected maxRequestsInWindow(windowMs: number, which: (entry: E) => boolean = () => true): number {
    return maxInAnyWindow(
      this.log.filter(which).map((e) => e.at),
      windowMs,
    );
  }

  // --- pipeline steps -------------------------------------------------------------------------

  /** Answers 429 with `Retry-After` and the vendor's `message` when `key` is over the limit; says whether it did. */
  protected rateLimited(exchange: Exchange<E>, key: string, message: string): boolean {
    const admitted = this.limiter.admit(key, exchange.entry.at);
    if (admitted.ok) return false;
    exchange.reply(429, this.errorBody(429, message), { 'retry-after': String(admitted.retryAfterSeconds) });
    return true;
  }

  /**
   * Draws the fault for a request to `endpoint` and logs it. A status, timeout or reset fault is
   * applied here and `FAULT_ANSWERED` returned; a response fault is returned for `respond`.
   */
  protected injectFault(exchange: Exchange<E>, endpoint: T): ResponseFault | typeof FAULT_ANSWERED | undefined {
    const fault = this.faults.next(endpoint);
    if (!fault) return undefined;
    exchange.entry.fault = fault.kind;
    switch (fault.kind) {
      case 'status': {
        const headers: ReplyHeaders = {};
        const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
        if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
        exchange.reply(fault.status, fault.body ?? this.faultBody(fault.status, exchange), headers);
        return FAULT_ANSWERED;
      }
      case 'timeout': {
        // Hold the connection silently, then drop it: the client sees a hang, then a closed socket.
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          exchange.req.socket.destroy();
        }, fault.ms);
        this.timers.add(timer);
        return FAULT_ANSWERED;
      }
      case 'reset':
        exchange.req.socket.resetAndDestroy();
        return FAULT_ANSWERED;
      default:
        return fault;
    }
  }

  /**
   * Sends the endpoint's answer, shaped by a response fault: schema drift changes the first of the
   * `records` of a 200 answer, drop-record leaves the first of them out (headers and stated totals
   * unchanged), malformed cuts the JSON short.
   */
  protected respond(
    exchange: Exchange<E>,
    answer: Answer,
    fault: ResponseFault | undefined,
    records: (body: unknown) => Record<string, unknown>[] | undefined,
  ): void {
    if (fault?.kind === 'schema-drift' && answer.status === 200) {
      const list = records(answer.body);
      if (list) driftFirstRecord(list, fault.field, fault.value);
    }
    if (fault?.kind === 'drop-record' && answer.status === 200) records(answer.body)?.splice(0, 1);
    if (fault?.kind !== 'malformed') return exchange.reply(answer.status, answer.body, answer.headers);
    exchange.entry.status = answer.status;
    sendText(exchange.res, answer.status, truncateJson(JSON.stringify(answer.body)), answer.headers);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const url = requestUrl(req);
    const entry = this.logEntry(req, url);
    this.log.push(entry);
    const reply = (status: number, body: unknown, headers?: ReplyHeaders) => {
      entry.status = status;
      sendJson(res, status, body, headers);
    };
    return this.handle({ req, res, url, entry, reply });
  }
}
