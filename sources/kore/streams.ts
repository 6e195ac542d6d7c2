/**
 * Kore.ai streams, as the vendor documents them (Contact Center AI, WFM Integration APIs).
 * Every call is a POST under /agentassist/api/public/analytics/account/{accountId}/.
 */
import { z } from 'zod';
import { offsetLimit, skipLimit } from '../../core/pagination';
import { defineChild, defineStream, type ChildStreamDeclaration, type StreamDeclaration } from '../../core/source';
import { ceilTo, DAY, HOUR, MINUTE, SECOND, toIso } from '../../core/time';
import type { KoreSettings } from './connection';
import {
  agentStatusRecord,
  agentStatusRecords,
  agentStatusResponse,
  callVolumeRecord,
  callVolumeResponse,
  conversationDestination,
  conversationRecord,
  conversationsResponse,
  type AgentStatusPage,
} from './schemas';

export const analyticsPath = (settings: KoreSettings, endpoint: string) =>
  `/agentassist/api/public/analytics/account/${encodeURIComponent(settings.accountId)}/${endpoint}`;

/** Contact volume per queue and 15-minute interval (`callvolume`). Pages by skip/limit until `hasMore` is false. */
export const callvolume: StreamDeclaration<KoreSettings> = defineStream('kore', {
  name: 'callvolume',
  kind: 'windowed',
  description: 'Contact volume per queue and 15-minute interval',
  primaryKey: ['_id'],
  recordSchema: callVolumeRecord,
  // Kore.ai's own revision counter, where it sends one.
  version: (r) => (typeof r.__v === 'number' && Number.isFinite(r.__v) ? r.__v : undefined),
  // A wrong-typed `__v` would store the record without its version (an older read could overwrite a newer one): fail the page.
  syncFields: ['__v'],
  responseSchema: callVolumeResponse,
  records: (body: { CallVolumeUpdate: unknown[] }) => body.CallVolumeUpdate,
  recordsPath: 'CallVolumeUpdate',
  // skip and limit go in the JSON body, after the range.
  pagination: skipLimit({
    hasMore: (body) => (body as { hasMore?: boolean }).hasMore === true,
    // Every record the range matches: the window's records must add up to it (reconciled by syncWindow).
    total: { read: (body) => (body as { totalCount?: unknown }).totalCount, field: 'totalCount' },
    place: 'body',
  }),
  pageSize: { default: 1000, max: 1000 },
  window: {
    // The API states no range limit for call volume; a month keeps each window's page walk short.
    maxSize: 31 * DAY,
    defaultSize: DAY,
    alignment: 15 * MINUTE,
    defaultLag: 10 * MINUTE,
    defaultLookback: HOUR,
  },
  request: ({ settings, window }) => ({
    method: 'POST',
    path: analyticsPath(settings, 'callvolume'),
    headers: { iId: settings.iId },
    body: { orgId: settings.orgId, fromTimeStamp: toIso(window.start), toTimeStamp: toIso(window.end) },
  }),
});

/** `yyyy-mm-dd HH:mm:ss` in UTC, the call-details date format (sent with `timeZoneOffset: 0`). */
export function koreDateTime(ms: number): string {
  return toIso(ms).slice(0, 19).replace('T', ' ');
}

/** `yyyy-mm-dd` in UTC, the agent-status date format. */
export function koreDate(ms: number): string {
  return toIso(ms).slice(0, 10);
}

/**
 * The call-details range for a half-open window `[start, end)`: `startDate` is the first whole
 * second in it, `endDate` the last. Whether the vendor's `endDate` is inclusive is not documented;
 * ending one second early means consecutive windows never ask for the same second twice, and a
 * 7-day window asks for 7 days less a second, never more than the API allows.
 */
export function callDetailsRange(window: { start: number; end: number }): { startDate: string; endDate: string } {
  return { startDate: koreDateTime(ceilTo(window.start, SECOND)), endDate: koreDateTime(ceilTo(window.end, SECOND) - SECOND) };
}

const names = (what: string) =>
  z
    .union(
      [
        z.string().min(1),
        z
          .array(z.string().min(1, 'must not be empty'), { error: `must be a list of ${what}` })
          .min(1, `must name at least one ${what.replace(/s$/, '')} (or be left out)`),
      ],
      {
        error: `must be a list of ${what}`,
      },
    )
    .transform((v) => (typeof v === 'string' ? [v] : v));

const conversationOptions = z.strictObject({
  /** Only these channels, e.g. [voice, rtm]. */
  channels: names('channel names').optional(),
  /** Only conversations that entered one of these queues (queue ids, qu-...). */
  queues: names('queue ids').optional(),
});

const agentStatusOptions = z.strictObject({
  /** Only these agents, by email. */
  agents: names('agent emails').optional(),
});

/**
 * A conversation's `destinations` (the queues and agents it went through) as a child table
 * `kore_<stream>_destinations`, keyed by (`sessionId`, `position`): the vendor's list order, the
 * only identity an entry has (the same queue may appear twice). Replaced with its conversation.
 */
function destinationsChild(parent: 'calldetails' | 'interactiondetails'): ChildStreamDeclaration {
  return defineChild('kore', {
    name: `${parent}_destinations`,
    description: 'The queues and agents each conversation went through, in order',
    primaryKey: ['sessionId', 'position'],
    parentKey: 'sessionId',
    recordSchema: conversationDestination,
    parentId: (p) => String(p.sessionId),
    parentField: 'destinations',
    extract: (p) =>
      (Array.isArray(p.destinations) ? (p.destinations as unknown[]) : []).map((d, position) =>
        d !== null && typeof d === 'object' && !Array.isArray(d) ? { ...d, sessionId: p.sessionId, position } : d,
      ),
  });
}

/**
 * All conversations in a very detailed view (`v2/calldetails` or `v2/interactionDetails`): offset /
 * limit in the query, the range in the body, at most seven days per request. `numResults` is
 * ambiguous (page or total), so paging stops on a short or empty page.
 */
function conversationStream(
  name: 'calldetails' | 'interactiondetails',
  endpoint: string,
  description: string,
): StreamDeclaration<KoreSettings, z.infer<typeof conversationOptions>> {
  return defineStream('kore', {
    name,
    kind: 'windowed',
    description,
    primaryKey: ['sessionId'],
    recordSchema: conversationRecord,
    responseSchema: conversationsResponse,
    children: [destinationsChild(name)],
    records: (body: { data: unknown[] }) => body.data,
    recordsPath: 'data',
    // limit and offset go in the query string, the range in the body.
    pagination: offsetLimit({ place: 'query' }),
    // 100 is the vendor's default; it documents no maximum, so we do not ask for more.
    pageSize: { default: 100, max: 100 },
    window: {
      // "The days' range cannot be more than seven days": the engine refuses larger windows.
      maxSize: 7 * DAY,
      defaultSize: DAY,
      alignment: MINUTE,
      defaultLag: 10 * MINUTE,
      // A conversation is listed once it ends and filed under its start: re-reading two hours picks
      // up conversations up to about that long that were still going on at the previous run...
      defaultLookback: 2 * HOUR,
      // ...and each stretch is read once more when it is a day old, for longer ones (a chat left
      // open for hours): one more read of every instant, not a day re-read on every run.
      settleAfter: DAY,
    },
    optionsSchema: conversationOptions,
    request: ({ settings, window, options: { channels, queues } }) => {
      return {
        method: 'POST',
        path: analyticsPath(settings, endpoint),
        headers: { accountId: settings.accountId, iId: settings.iId },
        body: {
          ...callDetailsRange(window),
          timeZoneOffset: 0,
          ...(channels ? { channels } : {}),
          ...(queues ? { queues } : {}),
        },
      };
    },
  });
}

/** Every conversation, session by session (`v2/calldetails`). */
export const calldetails = conversationStream('calldetails', 'v2/calldetails', 'Call details: every conversation (session), with its queues and agents');

/** The same report through `v2/interactionDetails`. */
export const interactiondetails = conversationStream(
  'interactiondetails',
  'v2/interactionDetails',
  'Interaction details: every conversation (session), with its queues and agents',
);

/**
 * Agent status history (`agentstatusdetails`): one record per self-reported status segment, with
 * the agent's name and email. One day per request (`dateFilter`); `limit` counts agents (at most
 * 50), so the offset advances by agents while the records are segments; pages until `hasMore` is
 * false. The segment still going on (`endTime: "-"`) is stored open and keeps its window incomplete
 * from its start (`openSince`), so every incremental run reads it again until it closes.
 */
export const agentstatus: StreamDeclaration<KoreSettings, z.infer<typeof agentStatusOptions>> = defineStream('kore', {
  name: 'agentstatus',
  kind: 'windowed',
  description: 'Agent status history: one record per status segment (available, busy, away...)',
  primaryKey: ['userId', 'startTime'],
  recordSchema: agentStatusRecord,
  responseSchema: agentStatusResponse,
  records: (body: AgentStatusPage) => agentStatusRecords(body),
  recordsPath: 'data',
  pagination: offsetLimit({
    hasMore: (body) => (body as AgentStatusPage).hasMore,
    count: (body) => (body as AgentStatusPage).data.length,
    place: 'query',
  }),
  pageSize: { default: 50, max: 50 },
  window: {
    // The API filters by whole days: a window is one day, so a request is one day.
    maxSize: DAY,
    defaultSize: DAY,
    alignment: DAY,
    defaultLag: 10 * MINUTE,
    // Open segments are re-read through `openSince` while they stay open (up to `openHold`). The one-day
    // lookback re-reads the last complete day on every run (one request per 50 agents): it covers a
    // backfill that reached into a day not yet over (the segments still to come that day) and late
    // corrections.
    defaultLookback: DAY,
    // A status nobody closed (an agent who never logged out) holds its day for two days at most;
    // the day it finally closes lists it again, closed (the API lists a segment on every day it overlaps).
    openHold: 2 * DAY,
  },
  optionsSchema: agentStatusOptions,
  request: ({ settings, window, options: { agents } }) => {
    return {
      method: 'POST',
      path: analyticsPath(settings, 'agentstatusdetails'),
      headers: { iId: settings.iId },
      body: {
        filter: {
          ...(agents ? { agents } : {}),
          // The days the window touches (one, for the windows the engine plans).
          dateFilter: { startDate: koreDate(window.start), endDate: koreDate(window.end - 1), timeZoneOffSet: 0 },
        },
      },
    };
  },
  openSince: (r) => (r.open === true ? Date.parse(String(r.startTime)) : undefined),
});
