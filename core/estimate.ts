/**
 * What a backfill will cost before it runs: its windows, the requests they take at least (one
 * per window; more when a window holds more than a page) and how long those take at the vendor
 * account's rate limit. Pure, so the CLI (before it starts anything) and the `backfill` workflow
 * (in its first progress report) give the very same figures from the same plan.
 */
import { formatDuration, toIso } from './time';
import type { PlannedWindow } from './windows';

export interface RateBudget {
  limit: number;
  perMs: number;
}

export interface BackfillEstimate {
  windows: number;
  /** At least one request per window (more when a window has more than a page of records). */
  minRequests: number;
  /** The vendor account's budget, as the worker enforces it. */
  rateLimit: RateBudget;
  /** How long `minRequests` takes at that budget. */
  minDurationMs: number;
  perStream: { stream: string; windows: number; windowSize: string; from: string; to: string }[];
}

export function estimateBackfill(
  todo: readonly PlannedWindow[],
  streams: readonly { name: string; kind: string; window: { defaultSize: number } }[],
  windowSize: string | undefined,
  rateLimit: RateBudget,
): BackfillEstimate {
  const perStream = streams
    .filter((s) => s.kind === 'windowed')
    .map((s) => {
      const mine = todo.filter((w) => w.stream === s.name);
      return mine.length
        ? {
            stream: s.name,
            windows: mine.length,
            windowSize: windowSize ?? formatDuration(s.window.defaultSize),
            from: toIso(mine[0]!.start),
            to: toIso(mine.at(-1)!.end),
          }
        : undefined;
    })
    .filter((x) => x !== undefined);
  return {
    windows: todo.length,
    minRequests: todo.length,
    rateLimit: { limit: rateLimit.limit, perMs: rateLimit.perMs },
    minDurationMs: Math.ceil(todo.length / rateLimit.limit) * rateLimit.perMs,
    perStream,
  };
}

/** `3 h 05 min`, `4 min`, `12 s`: a person's reading of a duration. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The one-line plan the CLI prints and the workflow's progress query carries. */
export function describeEstimate(e: BackfillEstimate, sourceTitle: string): string {
  const rate =
    e.rateLimit.perMs >= 60_000
      ? `${Math.round((e.rateLimit.limit * 60_000) / e.rateLimit.perMs)}/min`
      : `${Math.round((e.rateLimit.limit * 1000) / e.rateLimit.perMs)}/s`;
  const streams = e.perStream.map((p) => `${p.stream}: ${p.windows} × ${p.windowSize} from ${p.from} to ${p.to}`).join('; ');
  return `plan: ${e.windows} window(s) (${streams}); at least ${e.minRequests} request(s), at least ${humanDuration(e.minDurationMs)} at ${sourceTitle}'s limit of ${rate}`;
}
