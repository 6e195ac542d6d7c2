/**
 * Agent Status Details: `POST /agentassist/api/public/analytics/account/{accountId}/agentstatusdetails`.
 *
 * Query `limit` (default 50, at most 50: it counts agents, 400 above) and `offset`; body
 * `{filter: {agents?, dateFilter: {startDate, endDate, timeZoneOffSet}}}` with dates as `yyyy-mm-dd`
 * (the vendor's sample sends a single `date` instead; both are accepted) and the offset spelled
 * `timeZoneOffSet` as documented. Answer `{hasMore, limit, offset, data: [agent...]}`: each agent
 * with its `status[]` of segments overlapping the days asked for (left out when it has none, as in
 * the sample), `startTime`/`endTime` as wall time in the requested zone and `duration` as `HH:MM:SS`.
 * The segment still going on has `endTime: "-"` and `duration: "-"`.
 *
 * Where the doc is silent we chose, and clients must not rely on more than this:
 *  - a segment is listed for every day it overlaps; one carried over from an earlier day shows its
 *    times as ISO-8601 UTC with milliseconds (`2023-03-10T21:37:42.000Z`) rather than wall time, so
 *    the same segment reaches a client in two spellings;
 *  - `limit` and `offset` are echoed as sent (query strings, so text), or as numbers when defaulted;
 *  - `agents` (emails, a list or one string) filters agents case-insensitively; unknown emails match none;
 *  - `endDate` before `startDate` is a 400; no other limit on the number of days.
 */
import { z } from 'zod';
import { agentOnWire, DAY_MS, formatKoreDuration, koreLocalTime } from './agentstatus-data';
import { badRequest, describeRequestIssues, queryInt, timeZoneOffset } from './calldetails';
import type { KoreEndpoint, KoreEndpointResponse } from './endpoint';

export const AGENT_STATUS_MAX_LIMIT = 50;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of midnight UTC of `yyyy-mm-dd`, or undefined. */
export function parseKoreDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms : undefined;
}

const date = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .refine((s) => parseKoreDate(s) !== undefined, { error: `${field} must be a date in the format yyyy-mm-dd, e.g. 2022-08-25` });

export const AgentStatusRequestSchema = z.object(
  {
    filter: z.object(
      {
        agents: z.union([z.string(), z.array(z.string())], { error: 'filter.agents must be an email or a list of emails' }).optional(),
        dateFilter: z
          .object(
            {
              date: date('filter.dateFilter.date').optional(),
              startDate: date('filter.dateFilter.startDate').optional(),
              endDate: date('filter.dateFilter.endDate').optional(),
              timeZoneOffSet: timeZoneOffset('filter.dateFilter.timeZoneOffSet'),
            },
            { error: 'filter.dateFilter must be an object' },
          )
          .refine((d) => d.date !== undefined || (d.startDate !== undefined && d.endDate !== undefined), {
            error: 'filter.dateFilter needs startDate and endDate (or date)',
          }),
      },
      { error: 'filter must be an object' },
    ),
  },
  { error: 'the request body must be a JSON object' },
);

function handle({ body, query, data }: Parameters<KoreEndpoint['handle']>[0]): KoreEndpointResponse {
  const limit = queryInt(query, 'limit', AGENT_STATUS_MAX_LIMIT, 1, AGENT_STATUS_MAX_LIMIT);
  const offset = queryInt(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const queryProblems = [limit, offset].filter((v): v is string => typeof v === 'string');
  if (queryProblems.length) return badRequest(queryProblems);

  const parsed = AgentStatusRequestSchema.safeParse(body);
  if (!parsed.success) {
    const problems = describeRequestIssues(parsed.error, body);
    const df = (body as { filter?: { dateFilter?: Record<string, unknown> } } | undefined)?.filter?.dateFilter;
    if (df && 'timeZoneOffset' in df && !('timeZoneOffSet' in df)) problems.push('(the field is spelled timeZoneOffSet here)');
    return badRequest(problems);
  }
  const { filter } = parsed.data;
  const df = filter.dateFilter;
  const shift = df.timeZoneOffSet * 60_000;
  const first = parseKoreDate(df.startDate ?? df.date!)!;
  const last = parseKoreDate(df.endDate ?? df.date!)!;
  if (last < first) return badRequest('filter.dateFilter.endDate must not be before startDate');
  const from = first + shift;
  const to = last + DAY_MS + shift;

  const wanted = filter.agents === undefined ? undefined : (Array.isArray(filter.agents) ? filter.agents : [filter.agents]).map((e) => e.trim().toLowerCase());
  const agents = wanted ? data.agents.filter((a) => wanted.includes(a.email.toLowerCase())) : data.agents;
  const l = limit as number;
  const o = offset as number;
  const page = data.agentStatus(from, to, agents.slice(o, o + l)).map(({ agent, segments }) => {
    const wire = agentOnWire(agent);
    if (segments.length === 0) return wire;
    return {
      ...wire,
      status: segments.map((seg) => {
        // Carried over from an earlier day: the other spelling of the same instant.
        const t = (ms: number) => (seg.start < from ? new Date(ms).toISOString() : koreLocalTime(ms, df.timeZoneOffSet));
        return {
          primaryStatus: seg.primaryStatus,
          secondaryStatus: seg.secondaryStatus,
          startTime: t(seg.start),
          endTime: seg.open ? '-' : t(seg.end),
          duration: seg.open ? '-' : formatKoreDuration(seg.end - seg.start),
        };
      }),
    };
  });
  return {
    status: 200,
    body: {
      hasMore: o + page.length < agents.length,
      limit: query.get('limit') ?? l,
      offset: query.get('offset') ?? o,
      data: page,
    },
  };
}

export const agentStatusEndpoint: KoreEndpoint = {
  name: 'agentstatus',
  method: 'POST',
  path: 'agentstatusdetails',
  handle,
  // Schema-drift faults change the first status segment (the records a client stores).
  records(body) {
    const agents = (body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(agents)) return undefined;
    const withStatus = (agents as unknown[]).find((a) => Array.isArray((a as { status?: unknown }).status) && (a as { status: unknown[] }).status.length > 0);
    return withStatus ? (withStatus as { status: Record<string, unknown>[] }).status : undefined;
  },
};
