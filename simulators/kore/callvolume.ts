/**
 * Contact Volume API: `POST /agentassist/api/public/analytics/account/{accountId}/callvolume`.
 *
 * Body `{orgId, fromTimeStamp?, toTimeStamp, skip?, limit?}`; answer
 * `{hasMore, CallVolumeUpdate: [...], totalCount}` with one record per queue and 15-minute interval
 * whose start lies in `[fromTimeStamp, toTimeStamp)`, ordered by interval start then queueId.
 *
 * Where the vendor doc is silent we chose, and clients must not rely on more than this:
 *  - `fromTimeStamp` omitted means "from the first available record" (the doc's initial-sync case);
 *  - timestamps must be ISO-8601 with an explicit zone (`Z` or `±hh:mm`): a zoneless time is
 *    ambiguous, and a simulator that guessed would hide a client bug;
 *  - `skip` defaults to 0, `limit` to 10 and may not exceed 1000 (400 above it);
 *  - `toTimeStamp` equal to `fromTimeStamp` is an empty window, earlier is a 400;
 *  - `totalCount` counts every record matching the filter, not just the page;
 *  - unknown body fields are ignored, as an Express/Mongo backend would.
 */
import { z } from 'zod';
import { parseStrictInstant } from '../kit/instants';
import { koreErrorBody } from './auth';
import type { KoreEndpoint, KoreEndpointResponse } from './endpoint';

export const CALL_VOLUME_DEFAULT_LIMIT = 10;
export const CALL_VOLUME_MAX_LIMIT = 1000;

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms of a strict ISO-8601 instant, or undefined (rejects 2023-02-30, which Date.parse rolls over). */
export function parseKoreTimestamp(text: string): number | undefined {
  return parseStrictInstant(text, ISO_INSTANT);
}

const timestamp = (field: string) =>
  z.string({ error: `${field} must be an ISO-8601 string` }).refine((s) => parseKoreTimestamp(s) !== undefined, {
    error: `${field} must be a valid ISO-8601 date-time with a zone, e.g. 2023-01-07T09:45:00Z`,
  });

const count = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .int({ error: `${field} must be a whole number` })
    .min(0, { error: `${field} must be 0 or more` });

export const CallVolumeRequestSchema = z.object(
  {
    orgId: z.string({ error: 'orgId must be a string' }).min(1, { error: 'orgId must not be empty' }),
    fromTimeStamp: timestamp('fromTimeStamp').optional(),
    toTimeStamp: timestamp('toTimeStamp'),
    skip: count('skip').optional(),
    limit: count('limit')
      .min(1, { error: 'limit must be at least 1' })
      .max(CALL_VOLUME_MAX_LIMIT, { error: `limit must be at most ${CALL_VOLUME_MAX_LIMIT}` })
      .optional(),
  },
  { error: 'the request body must be a JSON object' },
);

export type CallVolumeRequest = z.infer<typeof CallVolumeRequestSchema>;

/** One message per bad field, naming it: "toTimeStamp is required", "limit must be at most 1000". */
function describe(error: z.ZodError, body: unknown): string[] {
  return error.issues.map((issue) => {
    const field = issue.path[0];
    const given = typeof field === 'string' && body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : body;
    if (typeof field === 'string' && issue.code === 'invalid_type' && given === undefined) return `${field} is required`;
    return issue.message;
  });
}

const badRequest = (messages: string | string[]): KoreEndpointResponse => ({ status: 400, body: koreErrorBody(messages, 400) });

export const callVolumeEndpoint: KoreEndpoint = {
  name: 'callvolume',
  method: 'POST',
  path: 'callvolume',
  handle({ body, data }) {
    const parsed = CallVolumeRequestSchema.safeParse(body);
    if (!parsed.success) return badRequest(describe(parsed.error, body));
    const req = parsed.data;
    if (req.orgId !== data.orgId) return badRequest('orgId does not belong to this account');
    const from = req.fromTimeStamp === undefined ? undefined : parseKoreTimestamp(req.fromTimeStamp)!;
    const to = parseKoreTimestamp(req.toTimeStamp)!;
    if (from !== undefined && to < from) return badRequest('toTimeStamp must not be before fromTimeStamp');

    const skip = req.skip ?? 0;
    const limit = req.limit ?? CALL_VOLUME_DEFAULT_LIMIT;
    const totalCount = data.callVolumeCount(from, to);
    const page = data.callVolumePage(from, to, skip, limit);
    return {
      status: 200,
      body: { hasMore: skip + page.length < totalCount, CallVolumeUpdate: page, totalCount },
    };
  },
  records(body) {
    const list = (body as { CallVolumeUpdate?: unknown } | undefined)?.CallVolumeUpdate;
    return Array.isArray(list) ? (list as Record<string, unknown>[]) : undefined;
  },
};
