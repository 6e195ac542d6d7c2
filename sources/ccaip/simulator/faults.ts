/**
 * Fault injection for the CCAI Platform simulator, deterministic like the other simulators': random
 * faults come from a seeded PRNG (mulberry32), so a test that sets `serverErrorRate: 0.3` sees the
 * same requests fail on every run.
 *
 * Two mechanisms, checked in this order for each authenticated-or-not request that reached an endpoint:
 *  1. a script of one-shot faults (`failNext`), consumed in order by the next matching requests;
 *  2. rates (`setFaults`), one PRNG draw per request.
 * A scripted fault targets any endpoint unless it names one (`{ endpoint: 'calls', status: 503 }`).
 */

/** Statuses a scripted fault may answer with. */
export type CcaipFaultStatus = 500 | 502 | 503 | 504 | 429 | 400 | 401 | 403 | 404;

export const CCAIP_ENDPOINTS = ['calls', 'chats', 'agent_activity_logs', 'agents', 'teams', 'team_tree', 'user_statuses'] as const;
export type CcaipEndpointName = (typeof CCAIP_ENDPOINTS)[number];

interface FaultTarget {
  /** Default: any endpoint. */
  endpoint?: CcaipEndpointName | '*';
}

export type CcaipFault = FaultTarget &
  (
    /** A status with the vendor's error body unless `body` is given. */
    | { status: CcaipFaultStatus; retryAfter?: number; body?: unknown }
    /** Accept the request, send nothing for `ms`, then destroy the socket. */
    | { kind: 'timeout'; ms: number }
    /** Destroy the socket at once (connection reset). */
    | { kind: 'reset' }
    /** Answer with the real response cut short, so it is not valid JSON. */
    | { kind: 'malformed' }
    /** Answer normally, but with `field` of the first record replaced (or added) with `value`. */
    | { kind: 'schema-drift'; field: string; value: unknown }
  );

export interface CcaipFaultRates {
  /** Share of requests answered 500 or 503 (alternately). */
  serverErrorRate?: number;
  /** Share of requests answered 429 with `Retry-After: 1`. */
  rateLimitRate?: number;
  /** Share of requests answered 200 with a truncated body. */
  malformedRate?: number;
}

export type ResolvedFault = { origin: 'script' | 'rate' } & (
  | { kind: 'status'; status: number; retryAfter?: number; body?: unknown }
  | { kind: 'timeout'; ms: number }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  | { kind: 'schema-drift'; field: string; value: unknown }
);

/** mulberry32: tiny, fast, identical on every platform. */
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

/** A 32-bit seed from any text (FNV-1a). */
export function seedFromText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504, 429, 400, 401, 403, 404]);

function checkRate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new RangeError(`${name} must be between 0 and 1 (got ${value})`);
  return v;
}

function checkFault(f: CcaipFault): void {
  if (f.endpoint !== undefined && f.endpoint !== '*' && !(CCAIP_ENDPOINTS as readonly string[]).includes(f.endpoint)) {
    throw new RangeError(`unknown endpoint ${String(f.endpoint)} (known: ${CCAIP_ENDPOINTS.join(', ')}, *)`);
  }
  if ('status' in f) {
    if (!STATUSES.has(f.status)) throw new RangeError(`a scripted fault status must be one of ${[...STATUSES].join(', ')}`);
    if (f.retryAfter !== undefined && !(Number.isInteger(f.retryAfter) && f.retryAfter >= 0)) throw new RangeError('retryAfter must be a whole number of seconds');
    return;
  }
  if (f.kind === 'timeout' && !(Number.isFinite(f.ms) && f.ms >= 0)) throw new RangeError('a timeout fault needs ms >= 0');
  if (f.kind === 'schema-drift' && !f.field) throw new RangeError('a schema-drift fault needs a field');
}

export class FaultInjector {
  private readonly seed: number;
  private rng: () => number;
  private rates: Required<CcaipFaultRates> = { serverErrorRate: 0, rateLimitRate: 0, malformedRate: 0 };
  private script: CcaipFault[] = [];
  private serverErrors = 0;

  constructor(seed: number, rates?: CcaipFaultRates) {
    this.seed = seed >>> 0;
    this.rng = mulberry32(this.seed);
    if (rates) this.setFaults(rates);
  }

  /** Sets the rates and restarts the PRNG, so what follows depends only on the requests after this call. */
  setFaults(rates: CcaipFaultRates): void {
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

  failNext(...faults: CcaipFault[]): void {
    faults.forEach(checkFault);
    this.script.push(...faults);
  }

  clearFaults(): void {
    this.script = [];
    this.setFaults({});
  }

  pending(): number {
    return this.script.length;
  }

  /** The fault for the next request to `endpoint`, if any; consumes it. */
  next(endpoint: CcaipEndpointName): ResolvedFault | undefined {
    const i = this.script.findIndex((f) => f.endpoint === undefined || f.endpoint === '*' || f.endpoint === endpoint);
    if (i >= 0) {
      const f = this.script.splice(i, 1)[0]!;
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
      }
    }
    const { serverErrorRate, rateLimitRate, malformedRate } = this.rates;
    if (serverErrorRate + rateLimitRate + malformedRate === 0) return undefined;
    const r = this.rng();
    if (r < serverErrorRate) return { origin: 'rate', kind: 'status', status: this.serverErrors++ % 2 === 0 ? 500 : 503 };
    if (r < serverErrorRate + rateLimitRate) return { origin: 'rate', kind: 'status', status: 429, retryAfter: 1 };
    if (r < serverErrorRate + rateLimitRate + malformedRate) return { origin: 'rate', kind: 'malformed' };
    return undefined;
  }
}

/** A JSON text cut in half: no proper prefix of a JSON array or object is valid JSON. */
export function truncateJson(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}
