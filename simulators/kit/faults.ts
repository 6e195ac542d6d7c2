/**
 * Fault injection for the vendor simulators. Deterministic on purpose: random faults come from a
 * seeded PRNG (mulberry32), so a test that sets `serverErrorRate: 0.3` sees the same requests fail
 * on every run, and a failure found once can be replayed.
 *
 * Two mechanisms, checked in this order for each request that reached an endpoint:
 *  1. a script of one-shot faults (`failNext`), consumed in order by the next matching requests;
 *  2. rates (`setFaults`), one PRNG draw per request.
 * Requests refused before they reach an endpoint (unknown path, wrong account, the vendor's rate
 * limit) neither consume a scripted fault nor draw from the PRNG, so the script stays aligned with
 * the requests a test actually means.
 *
 * What differs between vendors is a `FaultPolicy`: the statuses a scripted fault may answer with,
 * which endpoint a fault that names none aims at, which endpoints exist, and which ones the random
 * rates apply to. The vendor's error body is the server's business (see `HttpSimulator.faultBody`).
 */

/** mulberry32: tiny, fast, good enough for test data, and identical on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from any text (FNV-1a), so seeds can be readable strings. */
export function seedFromText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The fault PRNG's seed: `faultSeed` as given (a number, or text hashed), else derived from the data seed. */
export function faultSeedOf(faultSeed: number | string | undefined, dataSeed: string): number {
  const seed = faultSeed ?? `faults|${dataSeed}`;
  return typeof seed === 'number' ? seed : seedFromText(seed);
}

/** What a fault does to a request, whatever the vendor. */
export type FaultEffect<S extends number = number> =
  /** Answer `status` (and `Retry-After`), with the vendor's body unless `body` is given. */
  | { status: S; retryAfter?: number; body?: unknown }
  /** Accept the request, send nothing for `ms`, then destroy the socket (a hung upstream). */
  | { kind: 'timeout'; ms: number }
  /** Destroy the socket at once (connection reset). */
  | { kind: 'reset' }
  /** Answer with the endpoint's response cut short, so it is not valid JSON. */
  | { kind: 'malformed' }
  /** Answer normally, but with `field` of the first record replaced (or added) with `value`. */
  | { kind: 'schema-drift'; field: string; value: unknown }
  /** Answer normally, but without the page's first record: the vendor's stated total no longer adds up. */
  | { kind: 'drop-record' };

/** A one-shot fault; `endpoint` says which requests may consume it (see `FaultPolicy`). */
export type ScriptedFault<S extends number = number, T extends string = string> = { endpoint?: T } & FaultEffect<S>;

export interface FaultRates {
  /** Share of requests answered 500 or 503 (alternately) with the vendor's error body. */
  serverErrorRate?: number;
  /** Share of requests answered 429 with `Retry-After: 1`. */
  rateLimitRate?: number;
  /** Share of requests answered 200 with a truncated JSON body. */
  malformedRate?: number;
}

export type FaultKind = 'status' | 'timeout' | 'reset' | 'malformed' | 'schema-drift' | 'drop-record';

/** What the server must do for one request; `origin` says whether the script or a rate caused it. */
export type ResolvedFault = { origin: 'script' | 'rate' } & (
  | { kind: 'status'; status: number; retryAfter?: number; body?: unknown }
  | { kind: 'timeout'; ms: number }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  | { kind: 'schema-drift'; field: string; value: unknown }
  | { kind: 'drop-record' }
);

/** What one vendor's faults may be and aim at. */
export interface FaultPolicy {
  /** Statuses a scripted fault may answer with. */
  statuses: readonly number[];
  /** The endpoint a fault that names none aims at; any endpoint when omitted. `*` always means any. */
  defaultEndpoint?: string;
  /** The endpoints a fault may name (besides `*`); any name when omitted. */
  endpoints?: readonly string[];
  /** The endpoints the random rates apply to; every endpoint when omitted. */
  rateEndpoints?: readonly string[];
}

function checkRate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new RangeError(`${name} must be between 0 and 1 (got ${value})`);
  return v;
}

function resolve(f: ScriptedFault): ResolvedFault {
  if ('status' in f) return { origin: 'script', kind: 'status', status: f.status, retryAfter: f.retryAfter, body: f.body };
  switch (f.kind) {
    case 'timeout':
      return { origin: 'script', kind: 'timeout', ms: f.ms };
    case 'reset':
      return { origin: 'script', kind: 'reset' };
    case 'malformed':
      return { origin: 'script', kind: 'malformed' };
    case 'schema-drift':
      return { origin: 'script', kind: 'schema-drift', field: f.field, value: f.value };
    case 'drop-record':
      return { origin: 'script', kind: 'drop-record' };
  }
}

export class FaultInjector<F extends ScriptedFault = ScriptedFault, T extends string = string> {
  private readonly seed: number;
  private readonly statuses: ReadonlySet<number>;
  private rng: () => number;
  private rates: Required<FaultRates> = { serverErrorRate: 0, rateLimitRate: 0, malformedRate: 0 };
  private script: F[] = [];
  /** Random server errors alternate 500, 503, 500, ... so both statuses are exercised. */
  private serverErrors = 0;

  constructor(
    seed: number,
    private readonly policy: FaultPolicy,
    rates?: FaultRates,
  ) {
    this.seed = seed >>> 0;
    this.statuses = new Set(policy.statuses);
    this.rng = mulberry32(this.seed);
    if (rates) this.setFaults(rates);
  }

  /**
   * Sets the random fault rates and restarts the PRNG from the seed, so the faults that follow
   * depend only on the requests made after this call, not on what an earlier test did.
   */
  setFaults(rates: FaultRates): void {
    const next = {
      serverErrorRate: checkRate('serverErrorRate', rates.serverErrorRate),
      rateLimitRate: checkRate('rateLimitRate', rates.rateLimitRate),
      malformedRate: checkRate('malformedRate', rates.malformedRate),
    };
    if (next.serverErrorRate + next.rateLimitRate + next.malformedRate > 1) throw new RangeError('fault rates add up to more than 1');
    this.rates = next;
    this.rng = mulberry32(this.seed);
    this.serverErrors = 0;
  }

  /** Queues one-shot faults, consumed in order by the next requests they aim at. */
  failNext(...faults: F[]): void {
    faults.forEach((f) => this.check(f));
    this.script.push(...faults);
  }

  /** Removes the rates and any scripted faults not yet consumed. */
  clearFaults(): void {
    this.script = [];
    this.setFaults({});
  }

  /** Scripted faults still waiting for a request. */
  pending(): number {
    return this.script.length;
  }

  /** The fault for the next request to `endpoint`, if any; consumes it. */
  next(endpoint: T): ResolvedFault | undefined {
    const { defaultEndpoint, rateEndpoints } = this.policy;
    const i = this.script.findIndex((f) => {
      const target = f.endpoint ?? defaultEndpoint;
      return target === undefined || target === '*' || target === endpoint;
    });
    if (i >= 0) return resolve(this.script.splice(i, 1)[0]!);
    if (rateEndpoints && !rateEndpoints.includes(endpoint)) return undefined;
    const { serverErrorRate, rateLimitRate, malformedRate } = this.rates;
    if (serverErrorRate + rateLimitRate + malformedRate === 0) return undefined;
    const r = this.rng();
    if (r < serverErrorRate) return { origin: 'rate', kind: 'status', status: this.serverErrors++ % 2 === 0 ? 500 : 503 };
    if (r < serverErrorRate + rateLimitRate) return { origin: 'rate', kind: 'status', status: 429, retryAfter: 1 };
    if (r < serverErrorRate + rateLimitRate + malformedRate) return { origin: 'rate', kind: 'malformed' };
    return undefined;
  }

  private check(f: F): void {
    const { endpoints } = this.policy;
    if (endpoints && f.endpoint !== undefined && f.endpoint !== '*' && !endpoints.includes(f.endpoint)) {
      throw new RangeError(`unknown endpoint ${String(f.endpoint)} (known: ${endpoints.join(', ')}, *)`);
    }
    if ('status' in f) {
      if (!this.statuses.has(f.status)) throw new RangeError(`a scripted fault status must be one of ${[...this.statuses].join(', ')}`);
      if (f.retryAfter !== undefined && !(Number.isInteger(f.retryAfter) && f.retryAfter >= 0))
        throw new RangeError('retryAfter must be a whole number of seconds');
      return;
    }
    if (f.kind === 'timeout' && !(Number.isFinite(f.ms) && f.ms >= 0)) throw new RangeError('a timeout fault needs ms >= 0');
    if (f.kind === 'schema-drift' && !f.field) throw new RangeError('a schema-drift fault needs a field');
  }
}

/**
 * A JSON text cut in half. Every response body is a JSON object or array, and no proper prefix of
 * one is valid JSON, so the client must see a parse error (a dropped connection behind a proxy
 * looks like this: status 200, headers fine, body short).
 */
export function truncateJson(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}

/** Replaces (or adds) `field` on the first record, in a copy of that record (the array slot is swapped). */
export function driftFirstRecord(records: Record<string, unknown>[], field: string, value: unknown): boolean {
  const first = records[0];
  if (!first) return false;
  records[0] = { ...first, [field]: value };
  return true;
}
