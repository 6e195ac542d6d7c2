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
  /**
   * The worker that took the task does not know the connection, while another worker on the task
   * queue may (their connections files differ: a config rollout). Retried, so another worker takes it.
   */
  'ConnectionUnknownHere',
  /** The vendor refused the request (400/401/403/404/422): retrying cannot help. */
  'VendorRejected',
  /** The vendor is unreachable or failing (5xx, connection refused/reset, timeout). Retried. */
  'VendorUnavailable',
  /** The vendor answered 202: the data is still being processed. Retried quietly (benign). */
  'VendorStillProcessing',
  /** The vendor answered 429. Retried after its Retry-After (at least 1 s). */
  'VendorRateLimited',
  /** The body is not the JSON we were promised (truncated, HTML error page). Retried a few times, then fatal. */
  'MalformedResponse',
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
