/**
 * LivePerson streams, as the vendor documents them (Agent Activity API, interval metrics).
 * `GET https://{domain}/api/account/{accountId}/interval-metrics`.
 */
import { cursorPaging } from '../../core/pagination';
import { defineStream, type HttpRequestSpec, type RequestContext, type StreamDeclaration, type WindowRules } from '../../core/source';
import { DAY, HOUR, MINUTE, parseDuration, type Interval } from '../../core/time';
import { GROUPINGS, type LivePersonSettings } from './connection';
import { intervalMetricsResponse, intervalRecord, type IntervalMetricsResponse, processingStatusBody } from './schemas';

/** The `source` parameter: who is asking (the API allows at most 20 characters). */
export const REQUEST_SOURCE = 'ccsync';

export const intervalMetricsPath = (settings: Pick<LivePersonSettings, 'accountId'>) =>
  `/api/account/${encodeURIComponent(settings.accountId)}/interval-metrics`;

/** RFC 3339 in UTC, without milliseconds when they are zero: `2026-11-20T00:00:00Z`. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Groupings in one canonical order, so `agent,skill` and `skill,agent` are the same query and the same key. */
export function canonicalGrouping(grouping: readonly string[] | string): string {
  const list = (typeof grouping === 'string' ? grouping.split(',') : [...grouping]).map((g) => g.trim()).filter(Boolean);
  const rank = (g: string) => {
    const i = (GROUPINGS as readonly string[]).indexOf(g);
    return i < 0 ? GROUPINGS.length : i;
  };
  return [...new Set(list)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(',');
}

/** Every query parameter but paging (the pagination adds `pageSize` and `pageKey`, or follows `refs.next`). */
export function intervalQuery(settings: LivePersonSettings, window: Interval): Record<string, string | number | boolean | undefined> {
  return {
    v: 1,
    source: REQUEST_SOURCE,
    // Windows are half-open [start, end): intervals that *started* in it.
    from: rfc3339(window.start),
    to: rfc3339(window.end),
    handleTimeModel: settings.handleTimeModel,
    metrics: settings.metrics.join(','),
    grouping: canonicalGrouping(settings.grouping),
    intervalDuration: settings.intervalDuration,
    agentId: settings.agentId,
    skillId: settings.skillId,
    agentGroupId: settings.agentGroupId,
    conversationId: settings.conversationId,
    includeBotSkills: settings.includeBotSkills,
  };
}

/**
 * Query names that stand for the same thing in a `refs.next` link: it may carry `fromL`/`toL` and
 * `limit` for ours. The vendor's sample links leave out `grouping` and `metrics` (they carry `v`,
 * `source`, `limit`, `offset`, `handleTimeModel`, `fromL`, `toL`); whether real links do is
 * unverified, so each of our parameters the link lacks is added again (`followLink`), never
 * overriding what it carries and never sending both `from` and `fromL`.
 */
const LINK_EQUIVALENTS: Record<string, string[]> = {
  from: ['from', 'fromL'],
  to: ['to', 'toL'],
  pageSize: ['pageSize', 'limit'],
};

function queryFacts(body: IntervalMetricsResponse) {
  const q = body.metadata?.query ?? undefined;
  return {
    grouping: q?.grouping ? canonicalGrouping(q.grouping) : undefined,
    intervalDuration: typeof q?.intervalDuration === 'number' ? q.intervalDuration : undefined,
    handleTimeModel: q?.handleTimeModel ?? undefined,
  };
}

/** When `metadata.query` leaves the grouping out: the groups whose ids the record carries. */
function groupingFromIds(r: Record<string, unknown>): string {
  const present = (f: string) => r[f] !== undefined && r[f] !== null;
  return [present('skillId') && 'skill', present('agentGroupId') && 'agentGroup', present('agentId') && 'agent', present('conversationId') && 'conversation']
    .filter(Boolean)
    .join(',');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The records of a page, each with `_query`: the grouping, interval length and handle-time model
 * it answers, which are part of its key. They come from `metadata.query` (the API echoes the
 * request there); when it is missing, the interval length comes from the record's own timeframe
 * and the grouping from the ids it carries.
 */
export function intervalRecords(body: IntervalMetricsResponse): unknown[] {
  const facts = queryFacts(body);
  return (body.intervals ?? []).map((r) => {
    if (!isObject(r)) return r;
    const tf = isObject(r.timeframe) ? r.timeframe : {};
    const at = (ms: unknown, iso: unknown) => (ms !== undefined && ms !== null ? Number(ms) : typeof iso === 'string' ? Date.parse(iso) : NaN);
    const span = at(tf.toL, tf.to) - at(tf.fromL, tf.from);
    const minutes = Number.isFinite(span) && span > 0 ? Math.round(span / MINUTE) : null;
    return {
      ...r,
      _query: {
        grouping: facts.grouping ?? groupingFromIds(r),
        intervalDuration: facts.intervalDuration ?? minutes,
        handleTimeModel: facts.handleTimeModel ?? '',
      },
    };
  });
}

export const INTERVAL_METRICS_KEY = [
  'grouping',
  'fromL',
  'skillId',
  'agentGroupId',
  'agentId',
  'conversationId',
  'intervalDuration',
  'handleTimeModel',
] as const;

/** The row key of a parsed record: absent parts are '' so every column has a value. */
export function intervalKey(r: Record<string, unknown>): Record<string, string> {
  const q = (r._query ?? {}) as { grouping?: string; intervalDuration?: number | null; handleTimeModel?: string };
  const tf = (r.timeframe ?? {}) as { fromL?: number };
  const ids = r as Record<string, string | number | boolean | null | undefined>;
  const id = (v: string | number | boolean | null | undefined) => (v === undefined || v === null ? '' : String(v));
  return {
    grouping: q.grouping ?? '',
    fromL: id(tf.fromL),
    skillId: id(ids.skillId),
    agentGroupId: id(ids.agentGroupId),
    agentId: id(ids.agentId),
    conversationId: id(ids.conversationId),
    intervalDuration: id(q.intervalDuration),
    handleTimeModel: q.handleTimeModel ?? '',
  };
}

/**
 * How long after an interval ends LivePerson has it `Done`: undocumented (unverified); the
 * simulator's demo account takes 5 minutes. A connection's `schedule.lag` overrides it.
 */
export const PROCESSING_DELAY = 30 * MINUTE;

/**
 * The window rules for a connection's `intervalDuration`. The API returns the intervals that
 * *start* in `[from, to)`, so a window on a multiple of the interval length asks only for whole
 * intervals, and one ending at least the processing delay ago asks only for intervals that have
 * ended and been processed: the window grid is the interval grid. 1-day windows (the API's
 * largest) start at UTC midnight, which every length divides.
 */
export function intervalWindowRules(intervalDuration: number): WindowRules {
  const interval = intervalDuration * MINUTE;
  return {
    // `to` may be at most one day after `from`.
    maxSize: DAY,
    defaultSize: DAY,
    alignment: interval,
    // `from` may be at most 14 days before the request.
    maxAge: 14 * DAY,
    // Windows end on the interval grid, so their newest interval has ended by `to`; the lag is what
    // LivePerson then needs to have it Done.
    defaultLag: PROCESSING_DELAY,
    // Re-read the last hour (at least the last interval): interval metrics of recent intervals can
    // still be revised as conversations close (unverified how long; widen it with the schedule's lookback).
    defaultLookback: Math.max(HOUR, interval),
  };
}

function when(ms: number | undefined, iso: string | undefined): number {
  // The doc's 202 sample repeats one `fromL` for two intervals: the RFC 3339 text is the safer reading.
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(t) ? t : ms === undefined ? NaN : Number(ms);
}

/**
 * From a 202 body (every requested interval with its status): where the leading run of intervals
 * marked `Done` ends, i.e. the start of the first interval not done. Undefined when the first is
 * not done, or when the body does not say.
 */
export function doneUntil(body: unknown, window: Interval): number | undefined {
  const parsed = processingStatusBody.safeParse(body);
  if (!parsed.success || parsed.data.intervals.length === 0) return undefined;
  const intervals = parsed.data.intervals
    .map((i) => ({ from: when(i.fromL, i.from), to: when(i.toL, i.to), done: (i.status ?? '').trim().toLowerCase() === 'done' }))
    .filter((i) => Number.isFinite(i.from))
    .sort((a, b) => a.from - b.from);
  const firstNotDone = intervals.find((i) => !i.done);
  if (!firstNotDone) return undefined;
  if (firstNotDone.from <= window.start) return undefined;
  return Math.min(firstNotDone.from, window.end);
}

/**
 * Interval metrics: one record per interval x group (`interval_metrics`). Pages by
 * `metadata.paging.nextPageKey`, or by `metadata.paging.refs.next` when that is what comes back,
 * through empty pages, until neither is present.
 */
export const interval_metrics: StreamDeclaration<LivePersonSettings> = defineStream('liveperson', {
  name: 'interval_metrics',
  kind: 'windowed',
  description: 'Agent Activity interval metrics (handle time, conversations, messages, work time) per interval and group',
  primaryKey: INTERVAL_METRICS_KEY,
  key: intervalKey,
  recordSchema: intervalRecord,
  responseSchema: intervalMetricsResponse,
  records: intervalRecords,
  recordsPath: 'intervals',
  pagination: cursorPaging({
    nextKey: (body) => (body as IntervalMetricsResponse).metadata?.paging?.nextPageKey ?? undefined,
    nextUrl: (body) => (body as IntervalMetricsResponse).metadata?.paging?.refs?.next ?? undefined,
    pageSizeParam: 'pageSize',
    pageKeyParam: 'pageKey',
    linkEquivalents: LINK_EQUIVALENTS,
  }),
  pageSize: { default: 500, max: 500 },
  // The API's default interval (15 minutes); each connection's own comes from `windowFor`.
  window: intervalWindowRules(15),
  windowFor: (settings) => intervalWindowRules(settings.intervalDuration),
  // "Retry later, or change the requested time frame to include only intervals with status Done."
  stillProcessing: {
    patienceMs: (settings) => parseDuration(settings.processingPatience)!,
    readyUntil: doneUntil,
  },
  request: ({ settings, window }: RequestContext<LivePersonSettings>): HttpRequestSpec => ({
    method: 'GET',
    path: intervalMetricsPath(settings),
    query: intervalQuery(settings, window),
  }),
});
