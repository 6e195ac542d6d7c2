/**
 * The error taxonomy. Every failure the product raises is a CcsyncError with a stable `type`
 * (like undici's `code`): users and alerts can match on it. `RETRY_BEHAVIOUR` declares each type
 * with its Temporal retry behaviour, and `failures.ts` applies it, in one place. Messages are plain
 * words for the person reading the Web UI, and never contain a secret (see `redact`).
 */

/** How Temporal treats a type: the one place that says whether it retries. Applied by `failures.ts`. */
export interface ErrorBehaviour {
  retryable: boolean;
  /** Benign failures are expected (202: still processing); Temporal logs them quietly. */
  benign?: boolean;
  /** A floor under the next pause, whatever the error says. */
  minPauseMs?: number;
  /** After this many attempts the error becomes final (for errors that may be transient or not). */
  giveUpAfterAttempts?: number;
  /** With `giveUpAfterAttempts`: final only once this long has also passed since its first attempt failed. */
  patienceMs?: number;
  /** Raised only by workflows, never by an activity: activity retry policies need not list it. */
  workflowOnly?: boolean;
}

/** Every error type, with its retry behaviour: the taxonomy's one declaration per type. */
const TAXONOMY = {
  /** A workflow input or CLI argument is wrong, or a window breaks the stream's rules. Never retried. */
  InvalidInput: { retryable: false },
  /** The connections file is broken, names an unknown connection/stream, or a credential variable is unset. Never retried. */
  ConfigError: { retryable: false },
  /**
   * The worker that took the task does not know the connection, while another worker on the task
   * queue may (their connections files differ: a config rollout). Retried, so another worker takes
   * it; after 10 tries (minutes) it is not a rollout any more.
   */
  ConnectionUnknownHere: { retryable: true, minPauseMs: 2_000, giveUpAfterAttempts: 10 },
  /** The vendor refused the request (400/401/403/404/422): retrying cannot help. */
  VendorRejected: { retryable: false },
  /** The vendor is unreachable or failing (5xx, connection refused/reset, timeout). Retried. */
  VendorUnavailable: { retryable: true },
  /** The vendor answered 202: the data is still being processed. Retried quietly (benign), at least 5 s apart. */
  VendorStillProcessing: { retryable: true, benign: true, minPauseMs: 5_000 },
  /** The vendor answered 429. Retried after its Retry-After (at least 1 s). */
  VendorRateLimited: { retryable: true, minPauseMs: 1_000 },
  /** The answer breaks the API's own rules (a repeated next-page key, records out of the promised order). Five times is the API's doing, not chance: then final. */
  MalformedResponse: { retryable: true, giveUpAfterAttempts: 5 },
  /**
   * The body is not valid JSON: cut short (status 200, a proxy dropped the connection) or not JSON at
   * all. A network fault: retried with a patience of its own, counting only its own attempts; final
   * only after 10 such attempts spread over at least an hour.
   */
  ResponseCutShort: { retryable: true, giveUpAfterAttempts: 10, patienceMs: 3_600_000 },
  /** A record does not match the stream's schema (a field changed type). Never retried. */
  SchemaMismatch: { retryable: false },
  /**
   * A window's records do not add up to the total the vendor states for it (Kore.ai `totalCount`,
   * CCAI Platform `Total`). The window reads itself once more (the workflow's own retry); still
   * disagreeing, it fails naming both numbers and is not recorded complete. Raised by `syncWindow` only.
   */
  TotalMismatch: { retryable: false, workflowOnly: true },
  /** The destination database is unreachable. Retried. */
  DestinationUnavailable: { retryable: true },
  /** The destination refused the write (permissions, constraint). Never retried. */
  DestinationRejected: { retryable: false },
  /**
   * A window or activity was stopped by Temporal instead of failing with one of the types above:
   * it timed out (e.g. no worker picked it up within `patience`), or was terminated or cancelled
   * by hand. Only workflows report it, as the type of a failure whose cause carried none.
   */
  Interrupted: { retryable: false, workflowOnly: true },
} as const satisfies Record<string, ErrorBehaviour>;

export type ErrorType = keyof typeof TAXONOMY;

export const RETRY_BEHAVIOUR: Readonly<Record<ErrorType, ErrorBehaviour>> = TAXONOMY;

export const ERROR_TYPES = Object.keys(RETRY_BEHAVIOUR) as ErrorType[];

export function isErrorType(type: unknown): type is ErrorType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(RETRY_BEHAVIOUR, type);
}

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
