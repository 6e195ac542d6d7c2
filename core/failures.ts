/**
 * The one place where our error taxonomy (core/errors.ts) meets Temporal's failures. Activities
 * throw CcsyncErrors (or anything else); `toApplicationFailure` decides, per type, whether Temporal
 * retries, how soon, and whether the attempt is logged as an error or as benign. Workflows end
 * with failures built by `workflowFailure` (and its two shorthands), so every failure a user sees
 * carries a type of the taxonomy. Workflow-safe: no I/O.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { AttemptTally } from './attempts';
import { CcsyncError, ERROR_TYPES, type ErrorType, isCcsyncError, isErrorType, redact, RETRY_BEHAVIOUR } from './errors';

export { RETRY_BEHAVIOUR } from './errors';

/** Error types an activity raises that never retry: for `nonRetryableErrorTypes` in retry policies. */
export const NON_RETRYABLE_TYPES: ErrorType[] = ERROR_TYPES.filter((t) => !RETRY_BEHAVIOUR[t].retryable && !RETRY_BEHAVIOUR[t].workflowOnly);

/**
 * Converts anything an activity threw into the ApplicationFailure Temporal should see.
 * `attempt` is the activity's attempt number (1-based); `secrets` are scrubbed from messages.
 * `tally` counts the activity's failed attempts per type, this one included (core/attempts.ts);
 * without it every earlier attempt is taken to have failed the same way.
 */
export function toApplicationFailure(
  err: unknown,
  attempt: number,
  secrets: Iterable<string> = [],
  tally?: AttemptTally,
  now = Date.now(),
): ApplicationFailure {
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

/** The type a workflow failure carries: the cause's own when it is one of ours, `Interrupted` when it carried none. */
export function workflowErrorType(type: string | undefined): ErrorType {
  return isErrorType(type) ? type : 'Interrupted';
}

/**
 * Every failure a workflow ends with. Always final (non-retryable): the retrying happened in its
 * activities, per `RETRY_BEHAVIOUR`; a workflow that failed is reported, not retried.
 */
export function workflowFailure(
  type: string | undefined,
  message: string,
  options: { details?: Record<string, unknown>; cause?: Error } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    type: workflowErrorType(type),
    nonRetryable: true,
    message,
    details: options.details === undefined ? undefined : [options.details],
    cause: options.cause,
  });
}

/** A workflow's input is wrong: every problem named, in the message and in the details. */
export function invalidInputFailure(workflow: string, problems: string[]): ApplicationFailure {
  return workflowFailure('InvalidInput', `Invalid ${workflow} input: ${problems.join('; ')}`, { details: { problems } });
}

/** The innermost message and type of a failure chain (child → activity → application failure). */
export function rootCause(err: unknown): { message: string; type?: string } {
  let e = err as { message?: string; cause?: unknown; type?: string } | undefined;
  let best = { message: e?.message ?? String(err), type: e?.type };
  while (e && typeof e === 'object') {
    if (e.message) best = { message: e.message, type: e.type ?? best.type };
    e = e.cause as typeof e;
  }
  return best;
}

/**
 * A failed activity (reading the connection, the state, a page) as the workflow's own failure, so
 * the Web UI's top line says what is wrong instead of "Activity task failed". Input and
 * configuration problems are prefixed with what they are about (`Invalid backfill input: ...`).
 */
export function failureFromCause(err: unknown, prefix: string): ApplicationFailure {
  const cause = rootCause(err);
  const known = cause.type === 'InvalidInput' || cause.type === 'ConfigError';
  // A broken connections file is the operator's file, not the workflow's input: say so.
  const said = cause.type === 'ConfigError' ? 'Connections file problem' : prefix;
  return workflowFailure(cause.type, known ? `${said}: ${cause.message}` : cause.message, { cause: err instanceof Error ? err : undefined });
}
