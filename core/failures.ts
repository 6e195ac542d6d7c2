/**
 * The one place where our error taxonomy meets Temporal's retry machinery. Activities throw
 * CcsyncErrors (or anything else); `toApplicationFailure` decides, per type, whether Temporal
 * retries, how soon, and whether the attempt is logged as an error or as benign.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { AttemptTally } from './attempts';
import { CcsyncError, type ErrorType, isCcsyncError, redact } from './errors';

interface RetryBehaviour {
  retryable: boolean;
  /** Benign failures are expected (202: still processing); Temporal logs them quietly. */
  benign?: boolean;
  /** A floor under the next pause, whatever the error says. */
  minPauseMs?: number;
  /**
   * After this many attempts failed with this very type, the error becomes final (for errors that
   * may be transient or not). Attempts that failed for other reasons do not count.
   */
  giveUpAfterAttempts?: number;
  /** With `giveUpAfterAttempts`: final only once this long has also passed since its first attempt failed. */
  patienceMs?: number;
}

export const RETRY_BEHAVIOUR: Record<ErrorType, RetryBehaviour> = {
  InvalidInput: { retryable: false },
  ConfigError: { retryable: false },
  VendorRejected: { retryable: false },
  VendorUnavailable: { retryable: true },
  VendorStillProcessing: { retryable: true, benign: true, minPauseMs: 5_000 },
  VendorRateLimited: { retryable: true, minPauseMs: 1_000 },
  // An answer that breaks the API's rules five times is the API's doing, not chance.
  MalformedResponse: { retryable: true, giveUpAfterAttempts: 5 },
  // A body cut short is a dropped connection: as transient as a reset, but a body that never parses
  // must end some day. Final only after 10 such attempts spread over at least an hour.
  ResponseCutShort: { retryable: true, giveUpAfterAttempts: 10, patienceMs: 3_600_000 },
  SchemaMismatch: { retryable: false },
  DestinationUnavailable: { retryable: true },
  DestinationRejected: { retryable: false },
};

/** Error types that never retry: for `nonRetryableErrorTypes` in retry policies. */
export const NON_RETRYABLE_TYPES: ErrorType[] = (Object.keys(RETRY_BEHAVIOUR) as ErrorType[]).filter(
  (t) => !RETRY_BEHAVIOUR[t].retryable,
);

/**
 * Converts anything an activity threw into the ApplicationFailure Temporal should see.
 * `attempt` is the activity's attempt number (1-based); `secrets` are scrubbed from messages.
 * `tally` counts the activity's failed attempts per type, this one included (core/attempts.ts);
 * without it every earlier attempt is taken to have failed the same way.
 */
export function toApplicationFailure(err: unknown, attempt: number, secrets: Iterable<string> = [], tally?: AttemptTally, now = Date.now()): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const known: CcsyncError = isCcsyncError(err)
    ? err
    : new CcsyncError('VendorUnavailable', `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  const behaviour = RETRY_BEHAVIOUR[known.type];
  const message = redact(known.message, secrets);
  const own = tally?.[known.type] ?? { count: attempt, firstAt: now };
  const final =
    !behaviour.retryable ||
    (behaviour.giveUpAfterAttempts !== undefined && own.count >= behaviour.giveUpAfterAttempts && now - own.firstAt >= (behaviour.patienceMs ?? 0));
  attempt = behaviour.giveUpAfterAttempts !== undefined ? own.count : attempt;
  const pause = Math.max(known.retryAfterMs ?? 0, behaviour.minPauseMs ?? 0);
  const details = known.details ? [JSON.parse(redact(JSON.stringify(known.details), secrets))] : undefined;
  return ApplicationFailure.create({
    message: final && behaviour.retryable ? `${message} (gave up after ${attempt} attempts)` : message,
    type: known.type,
    nonRetryable: final,
    details,
    nextRetryDelay: !final && pause > 0 ? pause : undefined,
    category: behaviour.benign ? ApplicationFailureCategory.BENIGN : undefined,
  });
}
