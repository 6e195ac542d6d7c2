/**
 * Response and record schemas for LivePerson's interval metrics, from the vendor's reference table
 * and samples. Unknown fields are kept (`looseObject`). Ids arrive as numbers or as strings in the
 * same response (`"skillId": 123` next to `"skillId": "456"`): we store them as strings, so one
 * agent is one row and one JSON shape whatever the API sent. Metric values that arrive as numeric
 * strings are stored as numbers.
 */
import { z } from 'zod';

/** A metric or count that may arrive as 12 or "12". */
export const lpNumber = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v),
  z.number({ error: 'expected a number' }),
);

/** An id that may arrive as 123 or "123"; stored as "123". `null` is kept as "absent". */
export const lpId = z
  .union([z.string().min(1, 'expected an id'), z.number().int('expected a whole-number id')], { error: 'expected an id (a number or a string)' })
  .transform((v) => String(v).trim())
  .nullable();

const instant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an RFC 3339 date-time');

/** An interval's timeframe; `fromL` (ms) is part of the key, so it is filled from `from` when missing. */
export const timeframe = z
  .looseObject({
    from: instant.optional(),
    fromL: lpNumber.optional(),
    to: instant.optional(),
    toL: lpNumber.optional(),
  })
  .transform((t) => ({
    ...t,
    fromL: t.fromL ?? (t.from !== undefined ? Date.parse(t.from) : undefined),
    toL: t.toL ?? (t.to !== undefined ? Date.parse(t.to) : undefined),
  }))
  .refine((t) => t.fromL !== undefined && Number.isInteger(t.fromL), { message: 'expected fromL or from (the interval start)', path: ['fromL'] });

export const intervalMetrics = z.looseObject({
  handleTime: lpNumber.optional(),
  handledConversations: lpNumber.optional(),
  repliedConversations: lpNumber.optional(),
  consumerMessages: lpNumber.optional(),
  agentMessages: lpNumber.optional(),
  workTime: lpNumber.optional(),
  arrivals: lpNumber.optional(),
  closedConversations: lpNumber.optional(),
});

/** What we record about the query a row answers (copied from `metadata.query`, see `streams.ts`). */
export const rowQuery = z.looseObject({
  grouping: z.string(),
  intervalDuration: z.number().nullable(),
  handleTimeModel: z.string(),
});

/** One entry of `intervals[]`: one interval x one group. */
export const intervalRecord = z.looseObject({
  timeframe,
  skillId: lpId.optional(),
  skillName: z.string().nullable().optional(),
  agentGroupId: lpId.optional(),
  agentGroupName: z.string().nullable().optional(),
  agentId: lpId.optional(),
  agentName: z.string().nullable().optional(),
  agentLogin: z.string().nullable().optional(),
  conversationId: lpId.optional(),
  metrics: intervalMetrics.optional(),
  _query: rowQuery,
});
export type IntervalRecord = z.infer<typeof intervalRecord>;

const grouping = z.union([z.string(), z.array(z.string())]).transform((g) => (Array.isArray(g) ? g.join(',') : g));

export const intervalMetricsResponse = z.looseObject({
  metadata: z
    .looseObject({
      paging: z
        .looseObject({
          nextPageKey: z.string().nullable().optional(),
          refs: z.looseObject({ next: z.string().nullable().optional() }).nullable().optional(),
        })
        .nullable()
        .optional(),
      query: z
        .looseObject({
          intervalDuration: lpNumber.nullable().optional(),
          grouping: grouping.nullable().optional(),
          handleTimeModel: z.string().nullable().optional(),
        })
        .nullable()
        .optional(),
      count: lpNumber.optional(),
    })
    .nullable()
    .optional(),
  // A page with `count: 0` may leave the list out.
  intervals: z.array(z.unknown()).nullable().optional(),
});
export type IntervalMetricsResponse = z.infer<typeof intervalMetricsResponse>;

/** The 202 body: one entry per requested interval with its processing status. */
export const processingStatusBody = z.looseObject({
  intervals: z.array(
    z.looseObject({
      from: z.string().optional(),
      fromL: lpNumber.optional(),
      to: z.string().optional(),
      toL: lpNumber.optional(),
      status: z.string().optional(),
    }),
  ),
});

/**
 * LivePerson's error bodies differ between services and the Agent Activity API documents none
 * (unverified): we read the usual shapes.
 */
export const livepersonErrorBody = z.looseObject({
  message: z.string().optional(),
  error: z.union([z.string(), z.looseObject({ message: z.string().optional() })]).optional(),
  errors: z.array(z.union([z.string(), z.looseObject({ message: z.string().optional(), msg: z.string().optional() })])).optional(),
  errorMessage: z.string().optional(),
  reason: z.string().optional(),
  details: z.union([z.string(), z.array(z.string())]).optional(),
});
