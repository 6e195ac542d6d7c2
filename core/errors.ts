/**
 * The error taxonomy. Every failure the product raises is a CcsyncError with a stable `type`
 * (like undici's `code`): users and alerts can match on it, and `failures.ts` maps each type to
 * Temporal retry behaviour in one place. Messages are plain words for the person reading the
 * Web UI, and never contain a secret (see `redact`).
 */

export const ERROR_TYPES = [
  /** A workflow input or CLI argument is wrong. Never retried. */
  'InvalidInput',
  /** The connections file is broken, names an unknown connection/stream, or a credential variable is unset. Never retried. */
  'ConfigError',
  /** The vendor refused the request (400/401/403/404/422): retrying cannot help. */
  'VendorRejected',
  /** The vendor is unreachable or failing (5xx, connection refused/reset, timeout). Retried. */
  'VendorUnavailable',
  /** The vendor answered 202: the data is still being processed. Retried quietly (benign). */
  'VendorStillProcessing',
  /** The vendor answered 429. Retried after its Retry-After (at least 1 s). */
  'VendorRateLimited',
  /** The answer breaks the API's own rules (a repeated next-page key, records out of the promised order). Retried a few times, then fatal. */
  'MalformedResponse',
  /**
   * The body is not valid JSON: cut short (status 200, a proxy dropped the connection) or not JSON at
   * all. A network fault: retried with a patience of its own, counting only its own attempts.
   */
  'ResponseCutShort',
  /** A record does not match the stream's schema (a field changed type). Never retried. */
  'SchemaMismatch',
  /** The destination database is unreachable. Retried. */
  'DestinationUnavailable',
  /** The destination refused the write (permissions, constraint). Never retried. */
  'DestinationRejected',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

export interface CcsyncErrorOptions {
  /** Minimum pause before the next attempt, e.g. from Retry-After or the vendor's advice. */
  retryAfterMs?: number;
  /** HTTP status, when the error came from an HTTP answer. */
  status?: number;
  /** Small structured facts for the UI (never a record, never a secret). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class CcsyncError extends Error {
  readonly type: ErrorType;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly details?: Record<string, unknown>;

  constructor(type: ErrorType, message: string, options: CcsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = type;
    this.type = type;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.details = options.details;
  }
}

export function isCcsyncError(err: unknown): err is CcsyncError {
  return err instanceof CcsyncError;
}

/**
 * Removes every occurrence of the given secret values from a text. Applied to every message that
 * can leave an activity, because vendor error bodies sometimes echo the request back.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}
