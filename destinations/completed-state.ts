/**
 * The state table's `completed` column, whatever the database: the set of completed intervals of a
 * (connection, stream), stored as JSON, merged and sorted.
 */
import { CcsyncError } from '../core/errors';
import { intervalFromIso, intervalToIso, mergeIntervals, type Interval } from '../core/time';

/** Stored form of a completed set: a JSON array of `{start, end}` ISO strings. */
export function encodeIntervals(intervals: readonly Interval[]): string {
  return JSON.stringify(mergeIntervals(intervals).map(intervalToIso));
}

/** Reads a stored completed set (text or already-parsed jsonb), merged and sorted. */
export function decodeIntervals(stored: unknown, where: string): Interval[] {
  const value: unknown = typeof stored === 'string' ? JSON.parse(stored) : stored;
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new CcsyncError('DestinationRejected', `The stored sync state of ${where} is not a list of intervals.`);
  }
  const intervals = value.map((item: unknown) => {
    const i = item as { start?: unknown; end?: unknown };
    const parsed = typeof i?.start === 'string' && typeof i?.end === 'string' ? intervalFromIso({ start: i.start, end: i.end }) : undefined;
    if (!parsed || !Number.isFinite(parsed.start) || !Number.isFinite(parsed.end)) {
      throw new CcsyncError('DestinationRejected', `The stored sync state of ${where} holds an unreadable interval.`);
    }
    return parsed;
  });
  return mergeIntervals(intervals);
}

/**
 * The new stored value of a completed set after adding `interval`, or undefined when the interval
 * was already covered: re-marking covered time then writes nothing, not even `updated_at`.
 * `stored` is undefined when there is no state row yet.
 */
export function mergeCompleted(stored: unknown, interval: Interval, where: string): string | undefined {
  const current = decodeIntervals(stored, where);
  const after = encodeIntervals([...current, interval]);
  return stored !== undefined && after === encodeIntervals(current) ? undefined : after;
}

/** Refuses intervals that cannot be stored as ISO strings (NaN, Infinity) or run backwards. */
export function checkInterval(interval: Interval): void {
  if (!Number.isFinite(interval.start) || !Number.isFinite(interval.end) || interval.end < interval.start) {
    throw new CcsyncError('InvalidInput', `The interval ${JSON.stringify(interval)} is not a valid [start, end) range.`);
  }
}
