/**
 * Response and record schemas for CCAI Platform's Manager API, from the vendor's data models and
 * the open-source Singer tap for UJET. Unknown fields are kept (`looseObject`): the vendor adds
 * JSON keys at any time and our users want them. Only what the sync relies on is required: each
 * record's integer `id`, and the time a stream is filtered and tailed by (`updated_at` for calls
 * and chats, `started_at` for agent activity logs). Ids that arrive as numeric strings are stored
 * as numbers, so one record has one JSON shape.
 */
import { z } from 'zod';

/** An integer id, as 42 or "42" (stored as 42). */
export const ccaipId = z.preprocess(
  (v) => (typeof v === 'string' && /^\d{1,15}$/.test(v.trim()) ? Number(v) : v),
  z.number({ error: 'expected an integer id' }).int({ error: 'expected an integer id' }),
);

/** An ISO-8601 date-time (the API sends UTC with milliseconds). */
export const timestamp = z
  .string({ error: 'expected an ISO-8601 date-time' })
  .refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO-8601 date-time')
  // The column type zod cannot see (destinations/columns.ts).
  .meta({ column: 'timestamp' });

const optionalTime = timestamp.nullable().optional();
const optionalId = ccaipId.nullable().optional();
/** A nested list whose items are validated by a child stream's own schema. */
const nestedList = z.array(z.unknown(), { error: 'expected a list' }).nullable().optional();
const person = z.looseObject({ id: optionalId }).nullable().optional();

/** A call's or chat's participant: the end user, an agent, a third party, a virtual agent. */
export const participantRecord = z.looseObject({
  id: ccaipId,
  call_id: optionalId,
  chat_id: optionalId,
  type: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  user_id: optionalId,
  end_user_id: optionalId,
  connected_at: optionalTime,
  ended_at: optionalTime,
});

/** One transfer of a call (queue to queue, agent to agent). */
export const transferRecord = z.looseObject({
  id: ccaipId,
  call_id: ccaipId,
  status: z.string().nullable().optional(),
  from_agent: person,
  to_agent: person,
  created_at: optionalTime,
  updated_at: optionalTime,
});

/** A photo or video the end user uploaded in a call or a chat; `parent_type` says which. */
export const mediaRecord = z
  .looseObject({
    id: ccaipId,
    parent_type: z.enum(['call', 'chat']),
    call_id: optionalId,
    chat_id: optionalId,
    created_at: optionalTime,
  })
  .refine((m) => (m.parent_type === 'call' ? m.call_id != null : m.chat_id != null), {
    message: 'expected the parent call_id or chat_id',
    path: ['parent_type'],
  });

/** A call, with its participants, transfers, photos and videos nested. */
export const callRecord = z.looseObject({
  id: ccaipId,
  updated_at: timestamp,
  created_at: optionalTime,
  status: z.string().nullable().optional(),
  participants: nestedList,
  transfers: nestedList,
  photos: nestedList,
  videos: nestedList,
});

/** A chat, with its participants, photos and videos nested. */
export const chatRecord = z.looseObject({
  id: ccaipId,
  updated_at: timestamp,
  created_at: optionalTime,
  status: z.string().nullable().optional(),
  participants: nestedList,
  photos: nestedList,
  videos: nestedList,
});

/** One agent status segment; `ended_at` and `duration` are null while the agent is still in it. */
export const agentActivityLogRecord = z.looseObject({
  id: ccaipId,
  started_at: timestamp,
  ended_at: optionalTime,
  agent_id: optionalId,
  duration: z.number({ error: 'expected a number of seconds' }).nullable().optional(),
  status: z.looseObject({ id: optionalId, name: z.string().nullable().optional() }).nullable().optional(),
});

export const agentRecord = z.looseObject({
  id: ccaipId,
  status_updated_at: optionalTime,
});

/** A team with the agents assigned to it (`assignees`). */
export const teamRecord = z.looseObject({
  id: ccaipId,
  name: z.string().nullable().optional(),
  parent_id: optionalId,
  assignees: z
    .array(z.looseObject({ id: ccaipId }), { error: 'expected a list of agents' })
    .nullable()
    .optional(),
});

/** A node of the team tree, flattened: its own fields, its parent's id (null for a root) and its depth (0 for a root). */
export const teamTreeNodeRecord = z.looseObject({
  id: ccaipId,
  name: z.string().nullable().optional(),
  parent_id: ccaipId.nullable(),
  depth: z.number().int().min(0),
});

export const userStatusRecord = z.looseObject({
  id: ccaipId,
  name: z.string().nullable().optional(),
});

/** Every list endpoint answers a bare JSON array; paging facts travel in headers. */
export const listResponse = z.array(z.unknown(), { error: 'expected a JSON list of records' });

/** The vendor's error body: `{"error": "...", "message": "...", "status": 400}`. */
export const ccaipErrorBody = z.looseObject({
  error: z.union([z.string(), z.looseObject({ message: z.string().optional() })]).optional(),
  message: z.string().optional(),
  status: z.union([z.number(), z.string()]).optional(),
});
