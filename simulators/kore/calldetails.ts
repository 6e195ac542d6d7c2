/**
 * Call details: `POST /agentassist/api/public/analytics/account/{accountId}/v2/calldetails` and
 * `.../v2/interactionDetails` (the vendor documents both with one description; both serve the same
 * conversations here).
 *
 * Query `limit` (default 100) and `offset` (default 0); headers `auth`, `iId` and `accountId`; body
 * `{startDate, endDate, timeZoneOffset, channels?, queues?}` with dates as `yyyy-mm-dd HH:mm:ss`
 * in the zone of `timeZoneOffset` (minutes, sign inverted: New York = 300, India = -330). Answer
 * `{numResults, data: [...]}`, sessions ordered by start then sessionId, times in the same zone.
 *
 * The vendor's documented limit: the range may not exceed seven days → 400 with Kore.ai's error
 * body. Where the doc is silent we chose, and clients must not rely on more than this:
 *  - `endDate` is inclusive (to the second): a session starting at exactly `endDate` is listed;
 *  - `numResults` is the number of records on this page (sometimes sent as a numeric string);
 *  - `limit` may not exceed 1000, and must be a whole number >= 1 (400 otherwise);
 *  - the `accountId` header is required (400) and must name the account of the path (401);
 *  - `channels` / `queues` empty means no filter; a session matches `queues` when it entered one;
 *  - a session is listed once it has ended; bot-only sessions have no queue and no `conversationId`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { koreErrorBody } from './auth';
import type { KoreEndpoint, KoreEndpointRequest, KoreEndpointResponse } from './endpoint';

export const CALL_DETAILS_DEFAULT_LIMIT = 100;
export const CALL_DETAILS_MAX_LIMIT = 1000;
export const CALL_DETAILS_MAX_RANGE_MS = 7 * 24 * 60 * 60 * 1000;
/** The vendor's words from its documentation. */
export const CALL_DETAILS_RANGE_MESSAGE = 'The days range cannot be more than seven days';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Epoch ms of `yyyy-mm-dd HH:mm:ss` read as UTC wall time, or undefined (rejects 2024-02-30 and 24:00:00). */
export function parseKoreDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

const dateTime = (field: string) =>
  z.string({ error: `${field} must be a string` }).refine((s) => parseKoreDateTime(s) !== undefined, {
    error: `${field} must be a date-time in the format yyyy-mm-dd HH:mm:ss, e.g. 2022-08-25 07:20:15`,
  });

const nameList = (field: string) => z.array(z.string({ error: `${field} must be a list of strings` }), { error: `${field} must be a list of strings` });

export const timeZoneOffset = (field: string) =>
  z
    .number({ error: `${field} must be a number of minutes, e.g. -330 or 300` })
    .int({ error: `${field} must be a whole number of minutes` })
    .min(-840, { error: `${field} must be between -840 and 840` })
    .max(840, { error: `${field} must be between -840 and 840` });

export const CallDetailsRequestSchema = z.object(
  {
    startDate: dateTime('startDate'),
    endDate: dateTime('endDate'),
    timeZoneOffset: timeZoneOffset('timeZoneOffset'),
    channels: nameList('channels').optional(),
    queues: nameList('queues').optional(),
  },
  { error: 'the request body must be a JSON object' },
);

export type CallDetailsRequest = z.infer<typeof CallDetailsRequestSchema>;

/** One message per bad field, naming it ("startDate is required"). */
export function describeRequestIssues(error: z.ZodError, body: unknown, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const given = issue.path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined), body);
    if (issue.code === 'invalid_type' && given === undefined && issue.path.length) return `${prefix}${issue.path.join('.')} is required`;
    return issue.message;
  });
}

export const badRequest = (messages: string | string[]): KoreEndpointResponse => ({ status: 400, body: koreErrorBody(messages, 400) });

/** A query parameter as a whole number in `[min, max]`, its default when absent, or an error message. */
export function queryInt(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number | string {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return `${name} must be a whole number`;
  const n = Number(raw);
  if (n < min) return `${name} must be at least ${min}`;
  if (n > max) return `${name} must be at most ${max}`;
  return n;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/**
 * How long a call-details request body's range is (endDate - startDate, ms), when it names one;
 * what the simulator counts to tell whether a client ever asked for more than seven days.
 */
export function callDetailsRangeMs(body: unknown): number | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { startDate, endDate } = body as { startDate?: unknown; endDate?: unknown };
  if (typeof startDate !== 'string' || typeof endDate !== 'string') return undefined;
  const from = parseKoreDateTime(startDate);
  const to = parseKoreDateTime(endDate);
  return from === undefined || to === undefined ? undefined : to - from;
}

function handleCallDetails({ body, query, headers, data, accountId }: KoreEndpointRequest): KoreEndpointResponse {
  const accountHeader = header(headers, 'accountid');
  if (!accountHeader) return badRequest('accountId header is required');
  if (accountHeader !== accountId) return { status: 401, body: koreErrorBody('accountId header does not match the account of this API', 401) };
  const limit = queryInt(query, 'limit', CALL_DETAILS_DEFAULT_LIMIT, 1, CALL_DETAILS_MAX_LIMIT);
  const offset = queryInt(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const queryProblems = [limit, offset].filter((v): v is string => typeof v === 'string');
  if (queryProblems.length) return badRequest(queryProblems);

  const parsed = CallDetailsRequestSchema.safeParse(body);
  if (!parsed.success) return badRequest(describeRequestIssues(parsed.error, body));
  const req = parsed.data;
  const shift = req.timeZoneOffset * 60_000;
  const from = parseKoreDateTime(req.startDate)! + shift;
  const to = parseKoreDateTime(req.endDate)! + shift;
  if (to < from) return badRequest('endDate must not be before startDate');
  if (to - from > CALL_DETAILS_MAX_RANGE_MS) return badRequest(CALL_DETAILS_RANGE_MESSAGE);

  // endDate is inclusive to the second.
  const sessions = data.sessions(from, to + 1000, { channels: req.channels, queues: req.queues });
  const page = sessions.slice(offset as number, (offset as number) + (limit as number)).map((s) => s.wire(req.timeZoneOffset));
  // numResults counts the page; on later pages it comes as text, as Kore.ai's counts sometimes do.
  return { status: 200, body: { numResults: (offset as number) > 0 ? String(page.length) : page.length, data: page } };
}

function records(body: unknown): Record<string, unknown>[] | undefined {
  const list = (body as { data?: unknown } | undefined)?.data;
  return Array.isArray(list) ? (list as Record<string, unknown>[]) : undefined;
}

export const callDetailsEndpoint: KoreEndpoint = { name: 'calldetails', method: 'POST', path: 'v2/calldetails', handle: handleCallDetails, records };
export const interactionDetailsEndpoint: KoreEndpoint = {
  name: 'interactiondetails',
  method: 'POST',
  path: 'v2/interactionDetails',
  handle: handleCallDetails,
  records,
};
