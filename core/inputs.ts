/**
 * The JSON objects users type into the Web UI's start form (one object per workflow), validated
 * with zod inside the workflow sandbox. Pure code only: this module is bundled into workflows.
 */
import { z } from 'zod';
import { describeIssues } from './issues';
import { ceilTo, floorTo, formatDuration, parseDuration, parseInstant, toIso } from './time';

// zod 4 compiles fast paths with `new Function`; the workflow sandbox does not need that, and
// jitless keeps validation free of code generation inside the deterministic VM.
z.config({ jitless: true });

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const connectionName = z
  .string({ error: 'must be a connection name (text)' })
  .regex(NAME, 'must be a connection name from the connections file: letters, digits, "-", "_" or ".", at most 64 characters');

export const streamName = z
  .string({ error: 'must be a stream name (text)' })
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a stream name such as "callvolume" (lowercase letters, digits, "_")');

export const instant = z
  .string({ error: 'must be an ISO-8601 date-time such as 2026-10-01T00:00:00Z' })
  .refine((s) => parseInstant(s) !== undefined, 'must be an ISO-8601 date-time with a time zone, such as 2026-10-01T00:00:00Z');

export const duration = z.string({ error: 'must be an ISO-8601 duration such as P1D or PT15M' }).refine((s) => {
  const ms = parseDuration(s);
  return ms !== undefined && ms > 0;
}, 'must be a positive ISO-8601 duration such as P1D, PT6H or PT15M (years and months are not allowed: their length varies)');

/**
 * The order check runs only when both ends are valid instants: a bad `from` is one error, not also
 * '"to" must be later than "from"'. Returns undefined when there is nothing to compare.
 */
function bothValid(a: unknown, b: unknown): true | undefined {
  return typeof a === 'string' && typeof b === 'string' && parseInstant(a) !== undefined && parseInstant(b) !== undefined ? true : undefined;
}

export const backfillInput = z
  .strictObject({
    connection: connectionName,
    streams: z
      .array(streamName, { error: 'must be a list of stream names, e.g. ["callvolume"]' })
      .min(1, 'must name at least one stream, or be left out for every enabled stream')
      .optional(),
    from: instant,
    to: instant.optional(),
    windowSize: duration.optional(),
    maxParallelWindows: z
      .number({ error: 'must be a whole number from 1 to 32' })
      .int('must be a whole number from 1 to 32')
      .min(1, 'must be at least 1')
      .max(32, 'must be at most 32')
      .optional(),
    /** Re-sync windows already recorded as complete (by default they are skipped). */
    force: z.boolean({ error: 'must be true or false' }).optional(),
    /** How long one page may keep failing with transient errors before the window gives up. */
    patience: duration.optional(),
    /** Tuning: windows one run starts before it continues as new (default 250). */
    windowsPerRun: z.number({ error: 'must be a whole number from 1 to 1000' }).int().min(1).max(1000).optional(),
  })
  .refine((v) => bothValid(v.from, v.to) === undefined || parseInstant(v.to!)! > parseInstant(v.from)!, {
    message: '"to" must be later than "from" (the range is [from, to))',
    path: ['to'],
  });
export type BackfillInput = z.infer<typeof backfillInput>;

export const syncWindowInput = z
  .strictObject({
    connection: connectionName,
    stream: streamName,
    start: instant,
    end: instant,
    patience: duration.optional(),
    /**
     * No longer sent and never read: accepted because recorded histories' inputs carry it (the
     * parent's workflow id), and a replayed window must validate its input as it did then.
     */
    requestedBy: z.string().max(200).optional(),
    /** Tuning: pages one run walks before it continues as new (default 500). */
    pagesPerRun: z.number({ error: 'must be a whole number from 1 to 10000' }).int().min(1).max(10_000).optional(),
  })
  .refine((v) => bothValid(v.start, v.end) === undefined || parseInstant(v.end)! > parseInstant(v.start)!, {
    message: '"end" must be later than "start" (the window is [start, end))',
    path: ['end'],
  });
export type SyncWindowInput = z.infer<typeof syncWindowInput>;

/**
 * A window must start and end on its stream's grid (call volume: every 15 minutes): a window
 * starting at 00:07 would be recorded complete from 00:07 while the interval at 00:00 was never
 * fetched, hiding a gap. Returns the problems, naming the grid and the aligned (outward) window.
 */
export function offGridProblems(stream: { name: string; kind: string; window: { alignment: number } }, start: number, end: number): string[] {
  if (stream.kind !== 'windowed') return [];
  const step = stream.window.alignment;
  const problems: string[] = [];
  const grid = `${stream.name}'s grid of ${formatDuration(step)}`;
  if (start % step !== 0) problems.push(`start: ${toIso(start)} is not on ${grid}; use ${toIso(floorTo(start, step))}`);
  if (end % step !== 0) problems.push(`end: ${toIso(end)} is not on ${grid}; use ${toIso(ceilTo(end, step))}`);
  return problems;
}

export const incrementalSyncInput = z.strictObject({
  connection: connectionName,
  streams: z.array(streamName).min(1).optional(),
  patience: duration.optional(),
  maxParallelWindows: z.number().int().min(1).max(32).optional(),
});
export type IncrementalSyncInput = z.infer<typeof incrementalSyncInput>;

export type InputCheck<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates a workflow input and returns every problem in plain words, one per bad field. */
export function checkInput<T>(schema: z.ZodType<T>, raw: unknown): InputCheck<T> {
  if (raw === undefined || raw === null) return { ok: false, problems: ['the input is empty: give one JSON object'] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [`the input must be one JSON object such as {"connection": "kore-demo", ...} (got ${Array.isArray(raw) ? 'a list' : typeof raw})`],
    };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: describeIssues(parsed.error.issues, raw) };
}
