/**
 * The one place where our error taxonomy meets Temporal's retry machinery. Activities throw
 * CcsyncErrors (or anything else); `toApplicationFailure` decides, per type, whether Temporal
 * retries, how soon, and whether the attempt is logged as an error or as benign.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { CcsyncError, type ErrorType, isCcsyncError, redact } from './errors';

interface RetryBehaviour {
  retryable: boolean;
  /** Benign failures are expected (202: still processing); Temporal logs them quietly. */
  benign?: boolean;
  /** A floor under the next pause, whatever the error says. */
  minPauseMs?: number;
  /** After this many attempts the error becomes final (for errors that may be transient or not). */
  giveUpAfterAttempts?: number;
}

export const RETRY_BEHAVIOUR: Record<ErrorType, RetryBehaviour> = {
  InvalidInput: { retryable: false },
  ConfigError: { retryable: false },
  // Another worker may know the connection; after 10 tries (minutes) it is not a rollout any more.
  ConnectionUnknownHere: { retryable: true, minPauseMs: 2_000, giveUpAfterAttempts: 10 },
  VendorRejected: { retryable: false },
  VendorUnavailable: { retryable: true },
  VendorStillProcessing: { retryable: true, benign: true, minPauseMs: 5_000 },
  VendorRateLimited: { retryable: true, minPauseMs: 1_000 },
  // A truncated body is usually a dropped connection; the same bad body five times is not.
  MalformedResponse: { retryable: true, giveUpAfterAttempts: 5 },
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
 */
export function toApplicationFailure(err: unknown, attempt: number, secrets: Iterable<string> = []): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const known: CcsyncError = isCcsyncError(err)
    ? err
    : new CcsyncError('VendorUnavailable', `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  const behaviour = RETRY_BEHAVIOUR[known.type];
  const message = redact(known.message, secrets);
  const final = !behaviour.retryable || (behaviour.giveUpAfterAttempts !== undefined && attempt >= behaviour.giveUpAfterAttempts);
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
