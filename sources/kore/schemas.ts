/**
 * Response and record schemas for Kore.ai, from the vendor's samples. Unknown fields are kept
 * (`looseObject`): Kore.ai adds fields without notice and our users want them. Counts may arrive
 * as numbers or numeric strings; we store numbers.
 */
import { z } from 'zod';

/** A count or duration that may arrive as 12 or "12". */
export const koreNumber = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v),
  z.number({ error: 'expected a number' }),
);

const timestamp = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO-8601 timestamp');

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

/** Kore.ai's error body: `{"errors": [{"msg": "...", "code": 401}]}`. */
export const koreErrorBody = z.looseObject({
  errors: z.array(z.looseObject({ msg: z.string().optional(), code: z.unknown().optional() })).optional(),
  message: z.string().optional(),
  error: z.unknown().optional(),
});
