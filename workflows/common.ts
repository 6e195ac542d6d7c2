/**
 * Pieces the workflows share: input checking, activity proxies with the product's retry policy,
 * labels for the Web UI. Runs in the workflow sandbox: deterministic, no I/O.
 */
import { ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../core/failures';
import { checkInput } from '../core/inputs';
import { DAY, HOUR, parseDuration, toIso } from '../core/time';
import type { z } from 'zod';

/** How long one page may keep failing with transient errors before its window gives up. */
export const DEFAULT_PATIENCE = '6h';

/** Fails the workflow at once, non-retryably, naming every bad field. */
export function validInput<T>(schema: z.ZodType<T>, raw: unknown, workflow: string): T {
  const checked = checkInput(schema, raw);
  if (checked.ok) return checked.value;
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    nonRetryable: true,
    message: `Invalid ${workflow} input: ${checked.problems.join('; ')}`,
    details: [{ problems: checked.problems }],
  });
}

export function pageActivityOptions(patience: string | undefined): ActivityOptions {
  return {
    startToCloseTimeout: '5 minutes',
    // The page activity heartbeats every few seconds: a worker that dies mid-page is noticed in
    // 20 s (not 5 minutes), and a cancelled window's activity hears about it.
    heartbeatTimeout: '20 seconds',
    scheduleToCloseTimeout: parseDuration(patience ?? DEFAULT_PATIENCE),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  };
}

export function controlActivityOptions(patience: string | undefined): ActivityOptions {
  return {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: parseDuration(patience ?? DEFAULT_PATIENCE),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  };
}

/** `2026-10-01` for midnight, `2026-10-01 09:45` otherwise: what a person scanning the UI wants. */
export function shortTime(ms: number): string {
  const iso = toIso(ms);
  return ms % DAY === 0 ? iso.slice(0, 10) : ms % HOUR === 0 || ms % 60_000 === 0 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso;
}

export function windowLabel(connection: string, stream: string, start: number, end: number): string {
  return `${connection} · ${stream} · ${shortTime(start)} → ${shortTime(end)}`;
}

/** The deterministic child id of a window: `<connection>/<stream>/<windowStart ISO>`. */
export function windowWorkflowId(connection: string, stream: string, start: number): string {
  return `${connection}/${stream}/${toIso(start)}`;
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
 * Rethrows a failed control activity (reading the connection, the state) as the workflow's own
 * failure, so the Web UI's top line says what is wrong instead of "Activity task failed".
 */
export function failWorkflowWith(err: unknown, prefix: string): never {
  const cause = rootCause(err);
  const known = cause.type === 'InvalidInput' || cause.type === 'ConfigError';
  throw ApplicationFailure.create({
    type: cause.type ?? 'Unknown',
    nonRetryable: true,
    // A broken connections file is the operator's file, not the workflow's input: say so.
    message: known ? `${cause.type === 'ConfigError' ? 'Connections file problem' : prefix}: ${cause.message}` : cause.message,
    cause: err instanceof Error ? err : undefined,
  });
}
