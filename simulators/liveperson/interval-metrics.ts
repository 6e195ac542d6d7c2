/**
 * Interval metrics: `GET /api/account/{accountId}/interval-metrics`, as the vendor documents it.
 *
 * Query: `v` (1), `source` (<= 20 characters), `from`/`to` (RFC 3339) or `fromL`/`toL` (ms) — one
 * pair —, `handleTimeModel` (IFT|EHT), `metrics` (comma list), `grouping` (default skill),
 * `intervalDuration` (15|30|60|1440, default 15), `pageSize` (default 100, at most 500) and
 * `pageKey`, or `limit`/`offset` (what `refs.next` links carry), the filters `agentId`, `skillId`,
 * `agentGroupId`, `conversationId`, and `includeBotSkills`.
 *
 * The rules, each answered 400 with the vendor's words:
 *  - `from` at least request time - 14 days (the 14-day rule);
 *  - `to` at most `from` + 1 day (the 1-day rule);
 * and then 202 with every requested interval's status while any of them is younger than the
 * processing age (or not over yet).
 *
 * Where the doc is silent or contradicts itself, we chose:
 *  - intervals are those that *start* in `[from, to)`, starts on multiples of the duration since the
 *    epoch (UTC); `to <= from` is a 400;
 *  - `arrivals` and `closedConversations` need "skill" in the grouping (400 otherwise);
 *  - id fields appear exactly for the grouping's dimensions (the reference table), not as in the
 *    agent sample, which also shows the skill;
 *  - a `pageKey` is bound to its query: sent with other parameters it is a 400;
 *  - `refs.next` links are path-only like the doc's samples, or absolute on an origin of choice
 *    (`refsOrigin`: LivePerson's real links are absolute URLs on its API domain);
 *  - `refs.next` links are shaped like the doc's samples: `v`, `source`, `limit`, `offset`,
 *    `handleTimeModel`, `fromL`, `toL` only, so a client that follows them verbatim loses its
 *    grouping and metrics (option `refsCarryAllParams` gives complete links);
 *  - with `emptyPages: n`, pageKey paging puts n empty pages (`count: 0`, with a next key) after every
 *    page of data, and refs paging ends with one empty page (offset = total) — both legal per the doc.
 */
import { createHash } from 'node:crypto';
import { parseStrictInstant } from '../kit/instants';
import {
  DAY_MS,
  type IntervalMetricsRecord,
  type IntervalQuery,
  LP_DURATIONS,
  LP_GROUPINGS,
  LP_METRICS,
  type LivePersonDataset,
  type LpDuration,
  type LpGrouping,
  type LpMetric,
  rfc3339,
  SKILL_LEVEL_METRICS,
} from './data';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
export const MAX_AGE_MS = 14 * DAY_MS;
export const MAX_SPAN_MS = DAY_MS;

export type PagingStyle = 'pageKey' | 'refs';
export type RuleBroken = '14-day' | '1-day';

export interface IntervalMetricsOptions {
  paging: PagingStyle;
  refsCarryAllParams: boolean;
  /** refs links as absolute URLs on this origin (LivePerson's are absolute); path-only when absent. */
  refsOrigin?: string;
  /** A broken endpoint: refs paging ignores `offset` (every page is the first, with the same next link). */
  refsIgnoreOffset?: boolean;
  emptyPages: number;
  processingAgeMs: number;
}

export interface IntervalMetricsAnswer {
  status: number;
  body: unknown;
  /** The rules this request broke (counted whatever else happened to it). */
  broken: RuleBroken[];
  page?: 'first' | 'pageKey' | 'refs';
}

export interface LpErrorBody {
  code: number;
  message: string;
}

export const lpError = (code: number, message: string): LpErrorBody => ({ code, message });

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms of an RFC 3339 date-time (seconds required, offset `Z` or `±hh:mm`); undefined otherwise. */
export function parseRfc3339(text: string): number | undefined {
  return parseStrictInstant(text, RFC3339);
}

class BadRequest extends Error {}

function list<T extends string>(raw: string, allowed: readonly T[], name: string): T[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new BadRequest(`${name} must not be empty`);
  for (const i of items)
    if (!(allowed as readonly string[]).includes(i)) throw new BadRequest(`${name}: unsupported value "${i}" (supported: ${allowed.join(', ')})`);
  return [...new Set(items)] as T[];
}

function whole(raw: string | null, name: string, min: number, max: number): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) throw new BadRequest(`${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new BadRequest(`${name} must be between ${min} and ${max}`);
  return n;
}

interface ParsedQuery {
  q: IntervalQuery;
  /** What the request named its timeframe with, echoed in metadata. */
  timeframe: { from: string; to: string; fromL: number; toL: number };
  groupingText: string;
  filters: Record<string, string | number>;
  source: string;
  pageSize: number;
  offset?: number;
  pageKey?: string;
}

/** The parameters that define a query's result set; a pageKey is bound to their hash. */
function queryHash(q: IntervalQuery): string {
  const f = q.filters ?? {};
  return createHash('sha256')
    .update(
      JSON.stringify([
        q.fromMs,
        q.toMs,
        q.intervalDuration,
        [...q.grouping].sort(),
        [...q.metrics].sort(),
        q.handleTimeModel,
        Boolean(q.includeBotSkills),
        f.agentId,
        f.skillId,
        f.agentGroupId,
        f.conversationId,
      ]),
    )
    .digest('hex')
    .slice(0, 12);
}

interface PageKey {
  q: string;
  /** Position in the page sequence (data and empty pages). */
  p: number;
  /** Page size the sequence was cut with. */
  s: number;
}

function encodeKey(k: PageKey): string {
  return Buffer.from(JSON.stringify(k)).toString('base64url');
}

function decodeKey(text: string): PageKey | undefined {
  try {
    const k = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageKey;
    return typeof k.q === 'string' && Number.isInteger(k.p) && k.p >= 0 && Number.isInteger(k.s) && k.s > 0 ? k : undefined;
  } catch {
    return undefined;
  }
}

/** Times first (they decide the rules, which are counted even when something else is wrong too). */
function parseTimes(params: URLSearchParams): { fromMs: number; toMs: number; timeframe: ParsedQuery['timeframe'] } {
  const has = (k: string) => params.get(k) !== null;
  const rfcPair = has('from') || has('to');
  const msPair = has('fromL') || has('toL');
  if (rfcPair && msPair) throw new BadRequest('Only one pair must be included: either from & to, or fromL & toL');
  if (rfcPair) {
    if (!has('from') || !has('to')) throw new BadRequest('from and to must be given together');
    const fromMs = parseRfc3339(params.get('from')!);
    const toMs = parseRfc3339(params.get('to')!);
    if (fromMs === undefined) throw new BadRequest('from must be an RFC 3339 date-time, e.g. 2023-05-01T00:00:00Z');
    if (toMs === undefined) throw new BadRequest('to must be an RFC 3339 date-time, e.g. 2023-05-02T00:00:00Z');
    return { fromMs, toMs, timeframe: { from: rfc3339(fromMs), to: rfc3339(toMs), fromL: fromMs, toL: toMs } };
  }
  if (msPair) {
    if (!has('fromL') || !has('toL')) throw new BadRequest('fromL and toL must be given together');
    const fromMs = whole(params.get('fromL'), 'fromL', 0, Number.MAX_SAFE_INTEGER)!;
    const toMs = whole(params.get('toL'), 'toL', 0, Number.MAX_SAFE_INTEGER)!;
    return { fromMs, toMs, timeframe: { from: rfc3339(fromMs), to: rfc3339(toMs), fromL: fromMs, toL: toMs } };
  }
  throw new BadRequest('from and to (or fromL and toL) are required');
}

function rulesBroken(fromMs: number, toMs: number, now: number): RuleBroken[] {
  const broken: RuleBroken[] = [];
  if (fromMs < now - MAX_AGE_MS || toMs < now - MAX_AGE_MS) broken.push('14-day');
  if (toMs - fromMs > MAX_SPAN_MS) broken.push('1-day');
  return broken;
}

function parseRest(params: URLSearchParams, times: ReturnType<typeof parseTimes>): ParsedQuery {
  const v = params.get('v');
  if (v !== null && v !== '1') throw new BadRequest(`unsupported API version v=${v} (supported: 1)`);
  const source = params.get('source');
  if (!source) throw new BadRequest('source is required');
  if (source.length > 20) throw new BadRequest('source must not exceed 20 characters');
  const model = params.get('handleTimeModel');
  if (model === null) throw new BadRequest('handleTimeModel is required (IFT or EHT)');
  if (model !== 'IFT' && model !== 'EHT') throw new BadRequest(`handleTimeModel: unsupported value "${model}" (supported: IFT, EHT)`);
  const metricsRaw = params.get('metrics');
  if (metricsRaw === null) throw new BadRequest('metrics is required');
  const metrics = list<LpMetric>(metricsRaw, LP_METRICS, 'metrics');
  const grouping = params.get('grouping') === null ? (['skill'] as LpGrouping[]) : list<LpGrouping>(params.get('grouping')!, LP_GROUPINGS, 'grouping');
  const skillOnly = metrics.filter((m) => SKILL_LEVEL_METRICS.includes(m));
  if (skillOnly.length && !grouping.includes('skill')) throw new BadRequest(`metrics ${skillOnly.join(', ')} are supported only when grouping includes skill`);
  const durationRaw = params.get('intervalDuration');
  const intervalDuration = (durationRaw === null ? 15 : Number(durationRaw)) as LpDuration;
  if (!LP_DURATIONS.includes(intervalDuration))
    throw new BadRequest(`intervalDuration: unsupported value "${durationRaw}" (supported: ${LP_DURATIONS.join(', ')})`);
  const limit = whole(params.get('limit'), 'limit', 1, MAX_PAGE_SIZE);
  const pageSize = limit ?? whole(params.get('pageSize'), 'pageSize', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const offset = whole(params.get('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER);
  const filters: Record<string, string | number> = {};
  const f: NonNullable<IntervalQuery['filters']> = {};
  for (const k of ['agentId', 'skillId', 'agentGroupId'] as const) {
    const raw = params.get(k);
    if (raw === null) continue;
    if (!/^\d+$/.test(raw)) throw new BadRequest(`${k} must be numeric`);
    f[k] = raw;
    filters[k] = Number(raw);
  }
  const conversationId = params.get('conversationId');
  if (conversationId !== null) {
    if (!conversationId) throw new BadRequest('conversationId must not be empty');
    f.conversationId = conversationId;
    filters.conversationId = conversationId;
  }
  const bots = params.get('includeBotSkills');
  if (bots !== null && bots !== 'true' && bots !== 'false') throw new BadRequest('includeBotSkills must be true or false');
  if (times.toMs <= times.fromMs) throw new BadRequest('to must be later than from');
  return {
    q: { fromMs: times.fromMs, toMs: times.toMs, intervalDuration, grouping, metrics, handleTimeModel: model, includeBotSkills: bots === 'true', filters: f },
    timeframe: times.timeframe,
    groupingText: grouping.join(','),
    filters,
    source,
    pageSize,
    offset,
    pageKey: params.get('pageKey') ?? undefined,
  };
}

/** The per-interval status list of a 202 (every requested interval, Done or In Progress). */
export function processingStatus(
  data: LivePersonDataset,
  q: Pick<IntervalQuery, 'fromMs' | 'toMs' | 'intervalDuration'>,
  now: number,
  processingAgeMs: number,
  allInProgress = false,
) {
  const step = q.intervalDuration * 60_000;
  return data.intervalStarts(q).map((s) => ({
    from: rfc3339(s),
    fromL: s,
    to: rfc3339(s + step),
    toL: s + step,
    status: allInProgress || s + step > now - processingAgeMs ? 'In Progress' : 'Done',
  }));
}

/** The rules a query breaks, from its parameters alone (for counting; none when its times do not parse). */
export function rulesOf(params: URLSearchParams, now: number): RuleBroken[] {
  try {
    const t = parseTimes(params);
    return rulesBroken(t.fromMs, t.toMs, now);
  } catch {
    return [];
  }
}

/** Parses just enough of a request to describe its intervals (for a scripted 202 without a body). */
export function requestedIntervals(params: URLSearchParams): Pick<IntervalQuery, 'fromMs' | 'toMs' | 'intervalDuration'> | undefined {
  try {
    const t = parseTimes(params);
    const d = Number(params.get('intervalDuration') ?? 15) as LpDuration;
    return LP_DURATIONS.includes(d) ? { fromMs: t.fromMs, toMs: t.toMs, intervalDuration: d } : undefined;
  } catch {
    return undefined;
  }
}

export function handleIntervalMetrics(
  req: { accountId: string; url: URL; data: LivePersonDataset; now: number },
  opts: IntervalMetricsOptions,
): IntervalMetricsAnswer {
  const params = req.url.searchParams;
  let parsed: ParsedQuery;
  let broken: RuleBroken[] = [];
  try {
    const times = parseTimes(params);
    broken = rulesBroken(times.fromMs, times.toMs, req.now);
    if (broken.includes('14-day')) {
      throw new BadRequest(`'from' must be within the past two weeks: the earliest allowed is ${rfc3339(req.now - MAX_AGE_MS)} (request time - 14 days)`);
    }
    if (broken.includes('1-day'))
      throw new BadRequest(`'to' must be at most 1 day after 'from' (the latest allowed is ${rfc3339(times.fromMs + MAX_SPAN_MS)})`);
    parsed = parseRest(params, times);
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: lpError(400, err.message), broken };
    throw err;
  }
  const { q } = parsed;

  let page: IntervalMetricsAnswer['page'] = 'first';
  let position = 0;
  let size = parsed.pageSize;
  const hash = queryHash(q);
  if (parsed.pageKey !== undefined) {
    const key = decodeKey(parsed.pageKey);
    if (!key) return { status: 400, body: lpError(400, 'pageKey is invalid'), broken };
    if (key.q !== hash) return { status: 400, body: lpError(400, 'pageKey does not belong to this query (send the same parameters with it)'), broken };
    page = 'pageKey';
    position = key.p;
    size = key.s;
  } else if (parsed.offset !== undefined) {
    page = 'refs';
  }

  const statuses = processingStatus(req.data, q, req.now, opts.processingAgeMs);
  if (statuses.some((s) => s.status !== 'Done')) return { status: 202, body: { intervals: statuses }, broken, page };

  const all = req.data.records(q);
  const metadata: Record<string, unknown> = {
    v: 1,
    timeframe: parsed.timeframe,
    query: { intervalDuration: q.intervalDuration, grouping: parsed.groupingText, handleTimeModel: q.handleTimeModel },
    filters: parsed.filters,
  };
  let intervals: IntervalMetricsRecord[];
  if (opts.paging === 'pageKey' && page !== 'refs') {
    // The sequence: data page, `emptyPages` empty pages, data page, ..., ending with the empties.
    const dataPages = Math.max(1, Math.ceil(all.length / size));
    const stride = opts.emptyPages + 1;
    const total = dataPages * stride;
    if (position >= total) return { status: 400, body: lpError(400, 'pageKey is past the last page'), broken, page };
    intervals = position % stride === 0 ? all.slice((position / stride) * size, (position / stride + 1) * size) : [];
    metadata.paging = {
      pageSize: size,
      ...(parsed.pageKey !== undefined ? { pageKey: parsed.pageKey } : {}),
      ...(position + 1 < total ? { nextPageKey: encodeKey({ q: hash, p: position + 1, s: size }) } : {}),
    };
  } else {
    const offset = opts.refsIgnoreOffset ? 0 : (parsed.offset ?? 0);
    intervals = all.slice(offset, offset + size);
    const end = offset + intervals.length;
    // With empty pages on, the walk ends with one empty page: the last data page still links on.
    const more = end < all.length || (opts.emptyPages > 0 && intervals.length > 0 && end === all.length);
    metadata.paging = {
      limit: size,
      offset,
      refs: {
        first: refLink(req.accountId, parsed, size, 0, opts),
        current: refLink(req.accountId, parsed, size, offset, opts),
        ...(more ? { next: refLink(req.accountId, parsed, size, end, opts) } : {}),
      },
    };
  }
  metadata.count = intervals.length;
  return { status: 200, body: { metadata, intervals }, broken, page };
}

/** A refs link like the doc's samples (path only; `fromL`/`toL`, `limit`/`offset`). */
function refLink(accountId: string, p: ParsedQuery, limit: number, offset: number, opts: IntervalMetricsOptions): string {
  const q = new URLSearchParams({ v: '1', source: p.source, limit: String(limit), offset: String(offset), handleTimeModel: p.q.handleTimeModel });
  q.set('fromL', String(p.q.fromMs));
  q.set('toL', String(p.q.toMs));
  if (opts.refsCarryAllParams) {
    q.set('metrics', p.q.metrics.join(','));
    q.set('grouping', p.groupingText);
    q.set('intervalDuration', String(p.q.intervalDuration));
    for (const [k, v] of Object.entries(p.filters)) q.set(k, String(v));
    if (p.q.includeBotSkills) q.set('includeBotSkills', 'true');
  }
  return `${opts.refsOrigin ?? ''}/api/account/${encodeURIComponent(accountId)}/interval-metrics?${q.toString().replace(/%2C/g, ',')}`;
}
