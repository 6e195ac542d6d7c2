/**
 * Agent status history: each agent's self-reported status segments (AVAILABLE, BUSY, AWAY...).
 *
 * An agent works one shift on most days: day-shift agents between 06:00 and 18:00 UTC, the night
 * shift agent from the evening into the next morning, so its late segments belong to two days.
 * A shift is a run of segments, mostly back to back, sometimes with a short gap (logged out for a
 * minute, as in the vendor's sample). Everything is a pure function of (seed, agent, day).
 *
 * The clock decides what exists: a segment that has not started yet does not exist, and one that
 * started but has not ended is open (the vendor shows `endTime: "-"` and `duration: "-"`). Moving
 * the clock forward closes it, with the end it always had.
 */
import type { KoreAgent } from './people';
import { between, pick, rngFor } from '../kit/seeded';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;

export interface StatusSegment {
  userId: string;
  primaryStatus: string;
  secondaryStatus: string;
  /** Epoch ms, whole seconds. */
  start: number;
  end: number;
}

export interface SegmentAsOf extends StatusSegment {
  /** Started, not ended by the clock: reported with endTime and duration "-". */
  open: boolean;
}

const STATUSES: ReadonlyArray<{ primary: string; secondary: string; min: number; max: number; weight: number }> = [
  { primary: 'AVAILABLE', secondary: 'AVAILABLE', min: 5, max: 80, weight: 5 },
  { primary: 'BUSY', secondary: 'BUSY', min: 3, max: 40, weight: 3 },
  { primary: 'BUSY', secondary: 'NBK', min: 5, max: 25, weight: 1 },
  { primary: 'AWAY', secondary: 'Lunch', min: 20, max: 45, weight: 1 },
  { primary: 'AWAY', secondary: 'Break', min: 5, max: 15, weight: 1 },
];
const WEIGHTED = STATUSES.flatMap((s) => Array.from({ length: s.weight }, () => s));

export const floorDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** The segments of the shift that starts on the UTC day `dayStart` (none on a day off). */
export function shiftSegments(seed: string, agent: KoreAgent, dayStart: number): StatusSegment[] {
  const rng = rngFor('shift', seed, agent.userId, dayStart);
  const weekday = new Date(dayStart).getUTCDay();
  const works = rng() < (weekday === 0 || weekday === 6 ? 0.4 : 0.9);
  if (!works) return [];
  const firstHour = agent.nightShift ? 19 : 6;
  const start = dayStart + firstHour * HOUR + between(rng, 0, 3 * 3600 - 1) * SECOND;
  const shiftEnd = start + between(rng, 4 * 60, 7 * 60) * MINUTE + between(rng, 0, 59) * SECOND;
  const out: StatusSegment[] = [];
  let t = start;
  while (t < shiftEnd) {
    const s = pick(rng, WEIGHTED);
    const end = Math.min(shiftEnd, t + between(rng, s.min * 60, s.max * 60) * SECOND);
    out.push({ userId: agent.userId, primaryStatus: s.primary, secondaryStatus: s.secondary, start: t, end });
    t = end + (rng() < 0.15 ? between(rng, 10, 120) * SECOND : 0);
  }
  return out;
}

/**
 * The agent's segments overlapping `[fromMs, toMs)` that have started by `now`, in start order;
 * none before `dataStart`.
 */
export function segmentsOverlapping(seed: string, agent: KoreAgent, fromMs: number, toMs: number, now: number, dataStart: number): SegmentAsOf[] {
  const out: SegmentAsOf[] = [];
  // A shift lasts under 8 hours and starts before 22:00, so only the previous day's can reach in.
  for (let day = Math.max(floorDay(fromMs) - DAY_MS, floorDay(dataStart)); day < toMs; day += DAY_MS) {
    for (const seg of shiftSegments(seed, agent, day)) {
      if (seg.start < dataStart || seg.start > now) continue;
      if (seg.start < toMs && seg.end > fromMs) out.push({ ...seg, open: seg.end > now });
    }
  }
  return out;
}

/** `HH:MM:SS`, hours not wrapped at 24 (the vendor's sample shows "32:17:04"). */
export function formatKoreDuration(ms: number): string {
  const total = Math.round(ms / SECOND);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** `2023-03-10T21:37:42`: local wall time for a Kore.ai `timeZoneOffset` (minutes, sign inverted: New York = 300). */
export function koreLocalTime(ms: number, offsetMinutes = 0): string {
  return new Date(ms - offsetMinutes * MINUTE).toISOString().slice(0, 19);
}

/** An agent as the API lists it (the simulator's own fields left out). */
export function agentOnWire(agent: KoreAgent): Record<string, unknown> {
  return {
    userId: agent.userId,
    firstName: agent.firstName,
    lastName: agent.lastName,
    email: agent.email,
    ...(agent.customId === undefined ? {} : { customId: agent.customId }),
  };
}

/**
 * One segment as a correct client stores it: the agent's fields beside the segment's, times as
 * ISO-8601 UTC, the duration in seconds, and an open segment with `endTime` and `duration` null.
 */
export function agentStatusRecord(agent: KoreAgent, seg: SegmentAsOf): Record<string, unknown> {
  return {
    ...agentOnWire(agent),
    primaryStatus: seg.primaryStatus,
    secondaryStatus: seg.secondaryStatus,
    startTime: new Date(seg.start).toISOString(),
    endTime: seg.open ? null : new Date(seg.end).toISOString(),
    duration: seg.open ? null : Math.round((seg.end - seg.start) / SECOND),
    open: seg.open,
  };
}
