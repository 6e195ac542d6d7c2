/**
 * Time arithmetic shared by workflows, activities and the CLI. Pure: no clock, no I/O.
 * Every interval in this product is half-open `[start, end)` and expressed in epoch milliseconds
 * internally, ISO-8601 UTC strings at the edges (workflow inputs, state, logs).
 */

export interface Interval {
  start: number;
  end: number;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const SHORT_DURATION = /^(\d+)\s*(ms|s|m|h|d|w)$/i;
const SHORT_UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

/**
 * Parses `P1D`, `PT15M`, `PT1H30M`, `P1W` or the short forms `15m`, `1h`, `1d`, `90s`.
 * Years and months are refused on purpose: their length varies, and a window size must not.
 * Returns undefined for anything else so callers can word their own error.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  const short = SHORT_DURATION.exec(s);
  if (short) return Number(short[1]) * SHORT_UNITS[short[2]!.toLowerCase()]!;
  const iso = ISO_DURATION.exec(s);
  if (!iso || s === 'P' || /T$/i.test(s)) return undefined;
  const [, w, d, h, m, sec] = iso;
  const ms = Number(w ?? 0) * 7 * DAY + Number(d ?? 0) * DAY + Number(h ?? 0) * HOUR + Number(m ?? 0) * MINUTE + Number(sec ?? 0) * SECOND;
  return Math.round(ms);
}

/** `PT15M`-style text for a duration, for messages and summaries. */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = rest / SECOND;
  let out = 'P' + (days ? `${days}D` : '');
  if (hours || minutes || seconds) out += 'T' + (hours ? `${hours}H` : '') + (minutes ? `${minutes}M` : '') + (seconds ? `${seconds}S` : '');
  return out;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * Strict ISO-8601 date-time with an explicit zone (Z or ±hh:mm); returns epoch ms or undefined.
 * Every field is checked as written: `2026-02-31`, hour 24 or minute 60 are refused, never rolled
 * over into the next month, day or hour (Date.parse would turn 2026-02-31 into 2026-03-03).
 */
export function parseInstant(text: string): number | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Day 0 of the next month is the last day of this one (leap years included).
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

export function ceilTo(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

/** Sorts and merges overlapping or touching intervals. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** The parts of `range` not covered by `covered` (the gaps still to sync). */
export function subtractIntervals(range: Interval, covered: readonly Interval[]): Interval[] {
  const gaps: Interval[] = [];
  let cursor = range.start;
  for (const c of mergeIntervals(covered)) {
    if (c.end <= cursor) continue;
    if (c.start >= range.end) break;
    if (c.start > cursor) gaps.push({ start: cursor, end: Math.min(c.start, range.end) });
    cursor = Math.max(cursor, c.end);
    if (cursor >= range.end) break;
  }
  if (cursor < range.end) gaps.push({ start: cursor, end: range.end });
  return gaps;
}

/**
 * Splits `range` into windows whose boundaries fall on multiples of `size` since the epoch
 * (so 1-day windows start at UTC midnight whoever plans them: a backfill and a schedule agree on
 * window ids). The first and last window may be shorter than `size`.
 */
export function splitIntoWindows(range: Interval, size: number): Interval[] {
  if (size <= 0) throw new RangeError('window size must be positive');
  const out: Interval[] = [];
  let start = range.start;
  while (start < range.end) {
    const end = Math.min(floorTo(start, size) + size, range.end);
    out.push({ start, end });
    start = end;
  }
  return out;
}

export function intervalToIso(i: Interval): { start: string; end: string } {
  return { start: toIso(i.start), end: toIso(i.end) };
}

export function intervalFromIso(i: { start: string; end: string }): Interval {
  return { start: Date.parse(i.start), end: Date.parse(i.end) };
}
