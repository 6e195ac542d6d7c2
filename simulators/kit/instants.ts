/**
 * Strict parsing of a vendor's ISO-8601 / RFC 3339 instants. Each vendor keeps its own format (which
 * offsets and fractions it accepts); what they share is the check that the text names a real
 * instant: Date.parse rolls 2023-02-30 over to March, and the simulators must refuse it like the
 * vendors do.
 */

/**
 * Epoch ms of `text` when it matches `format` and is a real date and time; undefined otherwise.
 * `format`'s groups are, in order: year, month, day, hour, minute, second (optional), fraction
 * digits (optional, without the dot). Digits past milliseconds are dropped, not rounded.
 */
export function parseStrictInstant(text: string, format: RegExp): number | undefined {
  const m = format.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined;
  // Date.parse takes at most millisecond precision reliably.
  const ms = Date.parse(frac && frac.length > 3 ? text.replace(`.${frac}`, `.${frac.slice(0, 3)}`) : text);
  return Number.isFinite(ms) ? ms : undefined;
}
