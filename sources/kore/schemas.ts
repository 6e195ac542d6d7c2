/**
 * Response and record schemas for Kore.ai, from the vendor's samples. Unknown fields are kept
 * (`looseObject`): Kore.ai adds fields without notice and our users want them. Counts may arrive
 * as numbers or numeric strings; we store numbers.
 */
import { z } from 'zod';

/** A count or duration that may arrive as 12 or "12". */
export const koreNumber = z.preprocess((v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v), z.number({ error: 'expected a number' }));

/** `meta({ column })` tells the destination the column type zod cannot see (destinations/columns.ts). */
const timestamp = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO-8601 timestamp')
  .meta({ column: 'timestamp' });

/** One `CallVolumeUpdate`: contact volume for one queue and one 15-minute interval. */
export const callVolumeRecord = z.looseObject({
  _id: z.string().min(1),
  intervalStartTimeStamp: timestamp,
  intervalEndTimeStamp: timestamp.optional(),
  orgId: z.string().optional(),
  queueId: z.string().optional(),
  queueName: z.string().optional(),
  source: z.string().optional(),
  iId: z.string().optional(),
  __v: koreNumber.optional(),
  offeredContacts: koreNumber.optional(),
  answeredContacts: koreNumber.optional(),
  maxQueueHoldTimeAnswered: koreNumber.optional(),
  queueHoldTimeAnswered: koreNumber.optional(),
  acwDuration: koreNumber.optional(),
  completedContacts: koreNumber.optional(),
  conversationHandleTime: koreNumber.optional(),
  conversationTalkTime: koreNumber.optional(),
  holdDuration: koreNumber.optional(),
  messageCount: koreNumber.optional(),
  savedMessageCount: koreNumber.optional(),
  csatResponses: koreNumber.optional(),
  csatScore: koreNumber.optional(),
  abandonedContacts: koreNumber.optional(),
  maxqueueHoldTimeAbandoned: koreNumber.optional(),
  queueHoldTimeAbandoned: koreNumber.optional(),
});

export const callVolumeResponse = z.looseObject({
  hasMore: z.boolean(),
  CallVolumeUpdate: z.array(z.unknown()),
  totalCount: koreNumber.optional(),
});

/** A flag that may arrive as true or "true". */
export const koreBoolean = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' }));

const text = z.string({ error: 'expected text' });
/** Documented but not always sent; null taken as absent. */
const optionalText = text.nullable().optional();
/** A date-time as the vendor writes it (zoneless `2024-09-27T13:50:51` is UTC: we ask with offset 0); any text is accepted, as before. */
const optionalTime = text.meta({ column: 'timestamp' }).nullable().optional();
const optionalCount = koreNumber.nullable().optional();
const texts = z.array(text, { error: 'expected a list of text' }).nullable().optional();
const list = z.array(z.unknown(), { error: 'expected a list' }).nullable().optional();

// --- call details and interaction details (`v2/calldetails`, `v2/interactionDetails`) ---------------

/** `QueueEntry.respondingAgent`: the agent who answered, with the durations in seconds. */
export const respondingAgent = z.looseObject({
  agentId: optionalText,
  name: optionalText,
  email: optionalText,
  destinationType: optionalText,
  status: optionalText,
  agentNotes: texts,
  assignedAt: optionalText,
  acceptedTime: optionalText,
  firstResponseTime: optionalText,
  firstResponseDuration: optionalCount,
  interactionEndTime: optionalText,
  interactionDuration: optionalCount,
  holdDuration: optionalCount,
  afterCallWorkDuration: optionalCount,
  afterCallWorkEndTime: optionalText,
  ConsultingAgents: list,
  JoinedUsers: list,
});

/** One queue or agent a conversation was transferred to (`QueueEntry` or `AgentSegment`). */
export const conversationDestination = z.looseObject({
  destinationType: optionalText,
  queueId: optionalText,
  queueName: optionalText,
  EnterTime: optionalTime,
  respondingAgent: respondingAgent.nullable().optional(),
});

/**
 * One conversation (session). Shapes differ: bot-only sessions have no `conversationId` and no
 * `destinations`; the vendor writes `reason` on some records and `Reason` on others (both kept as
 * sent). Only `sessionId`, the key, is required.
 */
export const conversationRecord = z.looseObject({
  sessionId: text.min(1, { error: 'expected a non-empty session id' }),
  conversationId: optionalText,
  channel: optionalText,
  finalStatus: optionalText,
  smartStatus: optionalText,
  reason: optionalText,
  Reason: optionalText,
  appId: optionalText,
  botId: optionalText,
  orgId: optionalText,
  userId: optionalText,
  sessionStartTime: optionalTime,
  sessionEndTime: optionalTime,
  dispositions: texts,
  dispositionRemarks: texts,
  metaInfo: z.record(z.string(), z.unknown(), { error: 'expected an object' }).nullable().optional(),
  destinations: z.array(conversationDestination, { error: 'expected a list' }).nullable().optional(),
  csatScore: optionalCount,
  csatFeedback: optionalText,
});

/** `numResults` may be the page's count or the total (unverified): it is read, never trusted for paging. */
export const conversationsResponse = z.looseObject({
  numResults: koreNumber.optional(),
  data: z.array(z.unknown(), { error: 'expected a list of conversations' }),
});

// --- agent status (`agentstatusdetails`) -------------------------------------------------------------

const KORE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch ms of an agent-status time: `2023-03-10T21:37:42` as in the vendor's sample, which has no
 * zone and is read as UTC (we always ask with `timeZoneOffSet: 0`), or the same with `Z`, an offset
 * or fractions. Undefined for anything else (and for 2023-02-30 or 24:00:00).
 */
export function koreInstant(value: string): number | undefined {
  const m = KORE_TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const frac = m[7] ? Number(`0${m[7]}`) : 0;
  const zone = m[8] && m[8].toUpperCase() !== 'Z' ? m[8] : undefined;
  let offsetMin = 0;
  if (zone) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(frac * 1000) - offsetMin * 60_000;
}

/** Seconds in a Kore.ai status duration, `HH:MM:SS` with hours past 24 allowed ("32:17:04"); undefined otherwise. */
export function parseKoreDuration(value: string): number | undefined {
  const m = /^(\d+):([0-5]\d):([0-5]\d)$/.exec(value);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** What the vendor writes in `endTime` and `duration` of the segment still going on. */
export const OPEN_MARK = '-';

const TIME_HINT = 'a date-time such as "2023-03-10T21:37:42"';
const segmentStart = z
  .string({ error: `expected ${TIME_HINT}` })
  .refine((v) => koreInstant(v) !== undefined, { error: `expected ${TIME_HINT}` })
  .transform((v) => new Date(koreInstant(v)!).toISOString());
const segmentEnd = z
  .string({ error: `expected ${TIME_HINT}, or "-" while open` })
  .refine((v) => v === OPEN_MARK || koreInstant(v) !== undefined, { error: `expected ${TIME_HINT}, or "-" while open` })
  .transform((v) => (v === OPEN_MARK ? null : new Date(koreInstant(v)!).toISOString()));
const segmentDuration = z
  .string({ error: 'expected a duration such as "00:01:10" (HH:MM:SS), or "-" while open' })
  .refine((v) => v === OPEN_MARK || parseKoreDuration(v) !== undefined, { error: 'expected a duration such as "00:01:10" (HH:MM:SS), or "-" while open' })
  .transform((v) => (v === OPEN_MARK ? null : parseKoreDuration(v)!));

/**
 * One status segment, normalised: times as ISO-8601 UTC (so one segment is one key however the
 * vendor spelled it), `duration` in seconds, and the open segment (`endTime: "-"`) with `endTime`
 * and `duration` null and `open: true`. A closed segment sent with duration "-" gets its length
 * from its times.
 */
export const agentStatusSegment = z
  .looseObject({
    primaryStatus: optionalText,
    secondaryStatus: optionalText,
    startTime: segmentStart,
    endTime: segmentEnd,
    duration: segmentDuration,
  })
  .transform((s) => {
    const open = s.endTime === null;
    const duration = open ? null : (s.duration ?? Math.round((Date.parse(s.endTime!) - Date.parse(s.startTime)) / 1000));
    return { ...s, duration, open };
  });

/** One agent of a page, with its segments (agents without any have no `status`, as in the sample). */
export const agentStatusAgent = z.looseObject({
  userId: text.min(1, { error: 'expected a non-empty user id' }),
  firstName: optionalText,
  lastName: optionalText,
  email: optionalText,
  status: z.array(agentStatusSegment, { error: 'expected a list of status segments' }).nullable().optional(),
});

/** The page: `limit` counts agents; counts may arrive as text. Segments are checked (and normalised) here. */
export const agentStatusResponse = z.looseObject({
  hasMore: koreBoolean,
  limit: koreNumber.optional(),
  offset: koreNumber.optional(),
  data: z.array(agentStatusAgent, { error: 'expected a list of agents' }),
});

export type AgentStatusPage = z.infer<typeof agentStatusResponse>;

/** Flattens a checked page into one record per segment, each carrying its agent's fields (name, email...). */
export function agentStatusRecords(page: AgentStatusPage): Record<string, unknown>[] {
  return page.data.flatMap((agent) => {
    const { status, ...who } = agent;
    return (status ?? []).map((segment) => ({ ...who, ...segment }));
  });
}

/** A flattened segment, as stored (already normalised by the page's schema). */
export const agentStatusRecord = z.looseObject({
  userId: text.min(1),
  startTime: text,
  endTime: text.meta({ column: 'timestamp' }).nullable(),
  duration: z.number().nullable(),
  open: z.boolean(),
});

/** Kore.ai's error body: `{"errors": [{"msg": "...", "code": 401}]}`. */
export const koreErrorBody = z.looseObject({
  errors: z.array(z.looseObject({ msg: z.string().optional(), code: z.unknown().optional() })).optional(),
  message: z.string().optional(),
  error: z.unknown().optional(),
});
