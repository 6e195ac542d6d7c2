/**
 * Failed attempts of one activity, counted per error type. Temporal's attempt number counts every
 * failure alike; some errors need a count of their own (a body cut short by a dropped connection
 * must not give up because 5xx and 429 used the attempts up). The tally travels from one attempt to
 * the next in the activity's heartbeat details, and in the worker's memory as a fallback.
 */
export type AttemptTally = Record<string, { count: number; firstAt: number }>;

/** The tally carried in heartbeat details (`{ tally }`), or an empty one for anything else. */
export function readTally(details: unknown): AttemptTally {
  const t = (details as { tally?: unknown } | undefined)?.tally;
  if (!t || typeof t !== 'object') return {};
  const out: AttemptTally = {};
  for (const [type, v] of Object.entries(t as Record<string, { count?: unknown; firstAt?: unknown }>)) {
    if (typeof v?.count === 'number' && typeof v.firstAt === 'number') out[type] = { count: v.count, firstAt: v.firstAt };
  }
  return out;
}

/** The tally after one more failed attempt of `type` at `now`. */
export function addFailure(tally: AttemptTally, type: string, now: number): AttemptTally {
  const was = tally[type];
  return { ...tally, [type]: { count: (was?.count ?? 0) + 1, firstAt: was?.firstAt ?? now } };
}

/** The larger of two tallies, type by type (heartbeat details and memory may each have missed one). */
export function mergeTallies(a: AttemptTally, b: AttemptTally): AttemptTally {
  const out: AttemptTally = { ...a };
  for (const [type, v] of Object.entries(b)) {
    const w = out[type];
    out[type] = !w || v.count > w.count ? { count: v.count, firstAt: Math.min(v.firstAt, w?.firstAt ?? v.firstAt) } : w;
  }
  return out;
}
