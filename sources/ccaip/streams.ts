/**
 * CCAI Platform streams, as the Manager API serves them (`GET {baseUrl}/{path}`): three windowed
 * streams tailed by time, four snapshot streams read whole, and the arrays nested in calls and
 * chats as child streams written with their parent's page.
 *
 * Windowed streams send `{field}[from]`/`{field}[to]` (ISO-8601 UTC with milliseconds; the API's
 * ranges are inclusive at both ends, so a record exactly on a window boundary is read by both
 * windows: one row) with `sort_column={field}&sort_direction=ASC`, and page with `timeTail`: page 1
 * again with `[from]` moved to the last record's time, never deep page numbers, so a record
 * updated while we page cannot make us miss another (core/pagination.ts explains why).
 */
import { pagePer, singlePage, timeTail } from '../../core/pagination';
import {
  type ChildStreamDeclaration,
  defineChild,
  defineStream,
  type HttpRequestSpec,
  type RequestContext,
  type StreamDeclaration,
  type WindowRules,
} from '../../core/source';
import { DAY, MINUTE, SECOND, toIso } from '../../core/time';
import { type CcaipPathName, type CcaipSettings, MAX_PER, pathFor } from './connection';
import {
  agentActivityLogRecord,
  agentRecord,
  callRecord,
  chatRecord,
  listResponse,
  mediaRecord,
  participantRecord,
  teamRecord,
  teamTreeNodeRecord,
  transferRecord,
  userStatusRecord,
} from './schemas';

type Rec = Record<string, unknown>;

const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (body: unknown): unknown[] => (Array.isArray(body) ? body : []);

const PAGE_SIZE = { default: MAX_PER, max: MAX_PER };

/**
 * Calls, chats and agent activity logs. No window limit is documented; a day keeps each window's
 * walk short. Records are stamped with the time they were written, so a short lag covers commit
 * delays; the lookback re-reads a little more for records written late.
 */
const WINDOWED: WindowRules = {
  maxSize: 31 * DAY,
  defaultSize: DAY,
  alignment: 5 * MINUTE,
  defaultLag: 5 * MINUTE,
  defaultLookback: 15 * MINUTE,
};

/** Snapshot streams are read whole by every incremental run; their "window" only names the run. */
const SNAPSHOT: WindowRules = { maxSize: DAY, defaultSize: DAY, alignment: SECOND, defaultLag: 0, defaultLookback: 0 };

/** The window's records by a time field, sorted by it; the tail (`timeTail`) moves `[from]` and adds `page`/`per`. */
function windowedRequest(pathName: CcaipPathName, field: string) {
  return ({ settings, window }: RequestContext<CcaipSettings>): HttpRequestSpec => ({
    method: 'GET',
    path: pathFor(settings, pathName),
    query: { [`${field}[from]`]: toIso(window.start), [`${field}[to]`]: toIso(window.end), sort_column: field, sort_direction: 'ASC' },
  });
}

function tail(field: string) {
  return timeTail({ records: list, time: (r) => (isObject(r) && typeof r[field] === 'string' ? r[field] : undefined), field });
}

/** First and last record ids of a page: two pages alike mean the endpoint ignores `page`. */
function idFingerprint(body: unknown): string | undefined {
  const records = list(body);
  if (records.length === 0) return undefined;
  const id = (r: unknown) => (isObject(r) ? String(r.id) : '?');
  return `${id(records[0])}..${id(records[records.length - 1])}`;
}

function snapshotRequest(pathName: CcaipPathName, sortById: boolean) {
  return ({ settings }: RequestContext<CcaipSettings>): HttpRequestSpec => ({
    method: 'GET',
    path: pathFor(settings, pathName),
    // A stable order: sorted by a field that changes (an agent's status time), records would move between pages while we read.
    query: sortById ? { sort_column: 'id', sort_direction: 'ASC' } : {},
  });
}

// --- child streams --------------------------------------------------------------------------

type Parent = 'call' | 'chat';

/** A call's or chat's nested list as a child stream keyed by (`{parent}_id`, `id`). */
function nestedChild(parent: Parent, field: string, name: string, description: string, schema: ChildStreamDeclaration['recordSchema']): ChildStreamDeclaration {
  const parentKey = `${parent}_id`;
  return defineChild('ccaip', {
    name,
    description,
    primaryKey: [parentKey, 'id'],
    parentKey,
    recordSchema: schema,
    parentId: (p) => String(p.id),
    parentField: field,
    // The parent's id is authoritative: it is what the children are replaced by.
    extract: (p) => (Array.isArray(p[field]) ? (p[field] as unknown[]) : []).map((c) => (isObject(c) ? { ...c, [parentKey]: p.id } : c)),
  });
}

/**
 * Photos and videos come from calls and from chats into one table each. Their key is
 * (`parent`, `id`) with `parent` = `call:<id>` or `chat:<id>` (a call and a chat may share an id
 * number); each record carries `parent_type` and `call_id` or `chat_id`.
 */
export const mediaParent = (type: Parent, id: unknown) => `${type}:${String(id)}`;

function mediaChild(parent: Parent, field: 'photos' | 'videos'): ChildStreamDeclaration {
  return defineChild('ccaip', {
    name: field,
    description: `${field === 'photos' ? 'Photos' : 'Videos'} end users uploaded in calls and chats`,
    primaryKey: ['parent', 'id'],
    parentKey: 'parent',
    key: (r) => ({ parent: mediaParent(r.parent_type as Parent, r[`${r.parent_type as Parent}_id`]), id: String(r.id) }),
    recordSchema: mediaRecord,
    parentId: (p) => mediaParent(parent, p.id),
    parentField: field,
    // The key is read from them.
    syncFields: ['call_id', 'chat_id'],
    extract: (p) =>
      (Array.isArray(p[field]) ? (p[field] as unknown[]) : []).map((c) => (isObject(c) ? { ...c, parent_type: parent, [`${parent}_id`]: p.id } : c)),
  });
}

export const call_participants = nestedChild(
  'call',
  'participants',
  'call_participants',
  'The end users, agents and third parties of each call',
  participantRecord,
);
export const chat_participants = nestedChild('chat', 'participants', 'chat_participants', 'The end users and agents of each chat', participantRecord);
export const call_transfers = nestedChild('call', 'transfers', 'call_transfers', 'The transfers of each call', transferRecord);
export const call_photos = mediaChild('call', 'photos');
export const call_videos = mediaChild('call', 'videos');
export const chat_photos = mediaChild('chat', 'photos');
export const chat_videos = mediaChild('chat', 'videos');

// --- windowed streams -----------------------------------------------------------------------

/** Calls and chats carry `updated_at`: the version an older read must never overwrite. */
function updatedAtVersion(r: Record<string, unknown>): number | undefined {
  const t = typeof r.updated_at === 'string' ? Date.parse(r.updated_at) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

export const calls: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'calls',
  kind: 'windowed',
  description: 'Every call (inbound, outbound, voicemail), by the time it was last updated',
  primaryKey: ['id'],
  recordSchema: callRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'calls',
  pagination: tail('updated_at'),
  pageSize: PAGE_SIZE,
  window: WINDOWED,
  request: windowedRequest('calls', 'updated_at'),
  children: [call_participants, call_transfers, call_photos, call_videos],
  version: updatedAtVersion,
  syncFields: ['updated_at'],
});

export const chats: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'chats',
  kind: 'windowed',
  description: 'Every chat, by the time it was last updated',
  primaryKey: ['id'],
  recordSchema: chatRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'chats',
  pagination: tail('updated_at'),
  pageSize: PAGE_SIZE,
  window: WINDOWED,
  request: windowedRequest('chats', 'updated_at'),
  children: [chat_participants, chat_photos, chat_videos],
  version: updatedAtVersion,
  syncFields: ['updated_at'],
});

export const agent_activity_logs: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'agent_activity_logs',
  kind: 'windowed',
  description: 'Agent status history: one record per status segment, by the time it started',
  primaryKey: ['id'],
  recordSchema: agentActivityLogRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'agent_activity_logs',
  pagination: tail('started_at'),
  pageSize: PAGE_SIZE,
  // A log still open after a day (an agent who never logged out) stops holding its window: the rest
  // of the window is recorded complete, the log stays stored open until a forced backfill reads it.
  window: { ...WINDOWED, openHold: DAY },
  request: windowedRequest('agent_activity_logs', 'started_at'),
  // A segment the agent is still in has no end yet and will change without its start moving:
  // the window stays incomplete from its start, so the next run reads it again until it closes.
  openSince: (r) => (r.ended_at === null || r.ended_at === undefined ? Date.parse(String(r.started_at)) : undefined),
  // Read as absent, a wrong-typed `ended_at` would keep a closed segment open: fail the page.
  syncFields: ['started_at', 'ended_at'],
});

// --- snapshot streams -----------------------------------------------------------------------

export const agents: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'agents',
  kind: 'snapshot',
  description: 'The agents of the tenant; agents no longer listed are marked deleted',
  primaryKey: ['id'],
  recordSchema: agentRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'agents',
  pagination: pagePer({ fingerprint: idFingerprint }),
  pageSize: PAGE_SIZE,
  window: SNAPSHOT,
  request: snapshotRequest('agents', true),
});

export const teams: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'teams',
  kind: 'snapshot',
  description: 'Teams with their assigned agents (assignees); teams no longer listed are marked deleted',
  primaryKey: ['id'],
  recordSchema: teamRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'teams',
  pagination: pagePer({ fingerprint: idFingerprint }),
  pageSize: PAGE_SIZE,
  window: SNAPSHOT,
  request: snapshotRequest('teams', true),
});

/**
 * The team tree (`[{id, name, ..., children: [...]}]`) flattened in pre-order: one record per node
 * with its own fields (without `children`), `parent_id` from the tree (null for a root) and `depth`
 * (0 for a root).
 */
export function flattenTeamTree(nodes: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (level: unknown[], parentId: unknown, depth: number) => {
    for (const node of level) {
      if (!isObject(node)) {
        out.push(node);
        continue;
      }
      const { children, ...own } = node;
      out.push({ ...own, parent_id: parentId, depth });
      if (Array.isArray(children)) walk(children, node.id ?? null, depth + 1);
    }
  };
  walk(list(nodes), null, 0);
  return out;
}

export const team_tree: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'team_tree',
  kind: 'snapshot',
  description: 'The team hierarchy, one record per team with its parent and depth',
  primaryKey: ['id'],
  recordSchema: teamTreeNodeRecord,
  responseSchema: listResponse,
  records: flattenTeamTree,
  recordsPath: 'team_tree',
  pagination: singlePage(),
  pageSize: PAGE_SIZE,
  window: SNAPSHOT,
  request: snapshotRequest('team_tree', false),
});

export const user_statuses: StreamDeclaration<CcaipSettings> = defineStream('ccaip', {
  name: 'user_statuses',
  kind: 'snapshot',
  description: 'The agent statuses configured for the tenant (Available, Break, ...)',
  primaryKey: ['id'],
  recordSchema: userStatusRecord,
  responseSchema: listResponse,
  records: list,
  recordsPath: 'user_statuses',
  pagination: pagePer({ fingerprint: idFingerprint }),
  pageSize: PAGE_SIZE,
  window: SNAPSHOT,
  request: snapshotRequest('user_statuses', true),
});

export const CCAIP_STREAMS = { calls, chats, agent_activity_logs, agents, teams, team_tree, user_statuses };
