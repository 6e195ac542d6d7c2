/**
 * The Kore.ai simulator's data: a deterministic contact center. Every value is a pure function of
 * (seed, queue, interval, revision), so a test can compute exactly which records any window must
 * produce (`callVolumeGroundTruth`) without talking to the server, and two simulators with the same
 * seed agree record for record, `_id` included. Conversations (conversations-data.ts) and agent
 * status segments (agentstatus-data.ts) are pure functions of (seed, day, agent) in the same way,
 * with their own ground truth (`conversationsGroundTruth`, `agentStatusGroundTruth`) as of the clock.
 *
 * Nothing is stored except revisions (late data), so windows of any size cost nothing until asked
 * for, and a page is generated straight from its offset.
 */
import { agentStatusRecord, segmentsOverlapping, type SegmentAsOf, type StatusSegment } from './agentstatus-data';
import { type ConversationContext, type ConversationFilter, type Session, sessionsBetween } from './conversations-data';
import { DEFAULT_AGENT_COUNT, type KoreAgent, makeAgents } from './people';
import { rngFor, sha256, uuidLike } from '../kit/seeded';

/** Call volume is reported per queue and 15-minute interval. */
export const CALL_VOLUME_INTERVAL_MS = 15 * 60 * 1000;
export const DEFAULT_DATA_START = '2025-01-01T00:00:00.000Z';
export const DEFAULT_QUEUE_COUNT = 4;

export interface KoreDataOptions {
  accountId: string;
  orgId: string;
  /** The stream (app) id: sent as the `iId` header and echoed in every record. */
  iId: string;
  /** Number of queues (default 4). */
  queues?: number;
  /** Changes every id and count; the same seed always gives the same data. */
  seed?: string | number;
  /** First interval with data (default 2025-01-01T00:00Z); rounded up to a 15-minute boundary. */
  dataStart?: string | number;
  /** The simulator's clock (epoch ms). Only intervals that started before it exist. */
  now?: () => number;
  /** Number of agents (default 5; every fifth works a night shift across midnight UTC). */
  agents?: number;
  /** Conversations a day, as [min, max] (default 5-10 on weekdays, 2-5 at weekends): for tests that need more than a page. */
  sessionsPerDay?: readonly [number, number];
  /**
   * Statuses left open (an agent who never logged out): agent number `agent` (0-based) is in
   * `primaryStatus` (default AVAILABLE) from `start` to `end` (epoch ms or ISO), besides its shifts.
   * Open while the clock is before `end`; listed on every day it overlaps, like any segment.
   */
  /** Chat sessions of a given length (epoch ms or ISO), besides each day's own (e.g. one longer than a client's lookback). */
  longChats?: readonly { start: number | string; end: number | string }[];
  stuckStatuses?: readonly { agent: number; start: number | string; end: number | string; primaryStatus?: string }[];
}

export interface KoreQueue {
  queueId: string;
  queueName: string;
}

/** One record of the Contact Volume API, fields in the order of the vendor's sample. */
export interface CallVolumeUpdate {
  _id: string;
  intervalStartTimeStamp: string;
  orgId: string;
  queueId: string;
  source: 'rtm';
  __v: number;
  intervalEndTimeStamp: string;
  offeredContacts: number;
  answeredContacts: number;
  maxQueueHoldTimeAnswered: number;
  queueHoldTimeAnswered: number;
  acwDuration: number;
  completedContacts: number;
  conversationHandleTime: number;
  conversationTalkTime: number;
  holdDuration: number;
  messageCount: number;
  savedMessageCount: number;
  csatResponses: number;
  csatScore: number;
  abandonedContacts: number;
  maxqueueHoldTimeAbandoned: number;
  queueHoldTimeAbandoned: number;
  iId: string;
  queueName: string;
}

const QUEUE_NAMES = ['Sales', 'Support', 'Billing', 'Retention', 'Technical Support', 'Claims', 'Onboarding', 'Collections'];

function ceilToInterval(ms: number): number {
  return Math.ceil(ms / CALL_VOLUME_INTERVAL_MS) * CALL_VOLUME_INTERVAL_MS;
}

function toMs(value: string | number, name: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid instant: ${String(value)}`);
  return ms;
}

/** Running sums over the contacts of one queue and interval. */
interface Tally {
  offered: number;
  answered: number;
  abandoned: number;
  completed: number;
  queueHoldAnswered: number;
  maxQueueHoldAnswered: number;
  queueHoldAbandoned: number;
  maxQueueHoldAbandoned: number;
  talk: number;
  hold: number;
  acw: number;
  messages: number;
  savedMessages: number;
  csatResponses: number;
  csatTotal: number;
}

function emptyTally(): Tally {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    completed: 0,
    queueHoldAnswered: 0,
    maxQueueHoldAnswered: 0,
    queueHoldAbandoned: 0,
    maxQueueHoldAbandoned: 0,
    talk: 0,
    hold: 0,
    acw: 0,
    messages: 0,
    savedMessages: 0,
    csatResponses: 0,
    csatTotal: 0,
  };
}

/**
 * Adds `n` contacts. Durations are in milliseconds: the vendor's table says seconds, but its sample
 * (34035 for one contact's queue hold, 68043 handle time) only makes sense as milliseconds, and a
 * simulator that matched the table would hide a units bug rather than reveal it.
 */
function addContacts(t: Tally, n: number, rng: () => number, abandonRate: number): void {
  for (let i = 0; i < n; i++) {
    t.offered++;
    if (rng() < abandonRate) {
      const waited = 5_000 + Math.floor(rng() * 175_000);
      t.abandoned++;
      t.queueHoldAbandoned += waited;
      t.maxQueueHoldAbandoned = Math.max(t.maxQueueHoldAbandoned, waited);
      continue;
    }
    const waited = Math.floor(rng() * rng() * 120_000);
    t.answered++;
    t.queueHoldAnswered += waited;
    t.maxQueueHoldAnswered = Math.max(t.maxQueueHoldAnswered, waited);
    t.talk += 30_000 + Math.floor(rng() * 540_000);
    if (rng() < 0.2) t.hold += Math.floor(rng() * 90_000);
    if (rng() < 0.25) {
      // A chat contact: messages exchanged, some of them saved to the transcript.
      const messages = 4 + Math.floor(rng() * 36);
      t.messages += messages;
      t.savedMessages += Math.floor(messages * rng());
    }
    // Some answered contacts are still being worked when the interval closes.
    if (rng() < 0.92) {
      t.completed++;
      t.acw += Math.floor(rng() * rng() * 120_000);
      if (rng() < 0.3) {
        t.csatResponses++;
        t.csatTotal += 1 + Math.floor(rng() * 5);
      }
    }
  }
}

export class KoreDataset {
  readonly accountId: string;
  readonly orgId: string;
  readonly iId: string;
  readonly seed: string;
  /** Epoch ms of the first interval with data. */
  readonly dataStart: number;
  /** Sorted by `queueId`, the API's secondary order. */
  readonly queues: readonly KoreQueue[];
  readonly now: () => number;
  /** The agents of agent status and call details, in the order the agent-status API lists them. */
  readonly agents: readonly KoreAgent[];
  /** `${intervalStartMs}|${queueId}` → number of revisions (the record's `__v`). */
  private readonly revisions = new Map<string, number>();
  private readonly queueProfile = new Map<string, { weight: number; abandonRate: number }>();

  constructor(options: KoreDataOptions) {
    for (const k of ['accountId', 'orgId', 'iId'] as const) {
      if (!options[k]) throw new RangeError(`${k} is required`);
    }
    const queueCount = options.queues ?? DEFAULT_QUEUE_COUNT;
    if (!Number.isInteger(queueCount) || queueCount < 1) throw new RangeError(`queues must be a whole number >= 1 (got ${queueCount})`);
    this.accountId = options.accountId;
    this.orgId = options.orgId;
    this.iId = options.iId;
    this.seed = String(options.seed ?? 'kore');
    this.dataStart = ceilToInterval(toMs(options.dataStart ?? DEFAULT_DATA_START, 'dataStart'));
    this.now = options.now ?? Date.now;
    const queues: KoreQueue[] = [];
    for (let i = 0; i < queueCount; i++) {
      const queueId = `qu-${uuidLike(sha256('queue', this.seed, this.orgId, i))}`;
      const base = QUEUE_NAMES[i % QUEUE_NAMES.length]!;
      const queueName = i < QUEUE_NAMES.length ? base : `${base} ${Math.floor(i / QUEUE_NAMES.length) + 1}`;
      queues.push({ queueId, queueName });
      const rng = rngFor('queue-profile', this.seed, queueId);
      this.queueProfile.set(queueId, { weight: 0.4 + rng() * 1.2, abandonRate: 0.03 + rng() * 0.12 });
    }
    this.queues = queues.sort((a, b) => (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0));
    this.agents = makeAgents(this.seed, this.orgId, options.agents ?? DEFAULT_AGENT_COUNT);
    this.sessionsPerDay = options.sessionsPerDay;
    this.longChats = (options.longChats ?? []).map((c) => ({ start: toMs(c.start, 'longChats.start'), end: toMs(c.end, 'longChats.end') }));
    this.stuck = (options.stuckStatuses ?? []).map((x) => {
      const agent = this.agents[x.agent];
      if (!agent) throw new RangeError(`stuckStatuses: no agent ${x.agent} (there are ${this.agents.length})`);
      const status = x.primaryStatus ?? 'AVAILABLE';
      return {
        userId: agent.userId,
        primaryStatus: status,
        secondaryStatus: status,
        start: toMs(x.start, 'stuckStatuses.start'),
        end: toMs(x.end, 'stuckStatuses.end'),
      };
    });
  }

  private readonly stuck: StatusSegment[];
  private readonly longChats: { start: number; end: number }[];

  private readonly sessionsPerDay?: readonly [number, number];

  private get conversationContext(): ConversationContext {
    return {
      seed: this.seed,
      orgId: this.orgId,
      iId: this.iId,
      dataStart: this.dataStart,
      queues: this.queues,
      agents: this.agents,
      sessionsPerDay: this.sessionsPerDay,
      longChats: this.longChats,
    };
  }

  /** Sessions that started in `[fromMs, toMs)` and have ended by the clock, in API order (start, then sessionId). */
  sessions(fromMs: number, toMs: number, filter: ConversationFilter = {}): Session[] {
    return sessionsBetween(this.conversationContext, fromMs, toMs, this.now(), filter);
  }

  /** Each agent (of `agents`, default all) with its status segments overlapping `[fromMs, toMs)` as of the clock. */
  agentStatus(fromMs: number, toMs: number, agents: readonly KoreAgent[] = this.agents): Array<{ agent: KoreAgent; segments: SegmentAsOf[] }> {
    const now = this.now();
    return agents.map((agent) => {
      const stuck = this.stuck
        .filter((seg) => seg.userId === agent.userId && seg.start <= now && seg.start < toMs && seg.end > fromMs)
        .map((seg) => ({ ...seg, open: seg.end > now }));
      const segments = segmentsOverlapping(this.seed, agent, fromMs, toMs, now, this.dataStart);
      return { agent, segments: stuck.length ? [...segments, ...stuck].sort((a, b) => a.start - b.start) : segments };
    });
  }

  /**
   * The intervals whose start lies in `[fromMs, toMs)`, has data, and has already begun by the
   * clock: `count` of them starting at `first`, every 15 minutes.
   */
  callVolumeIntervals(fromMs: number | undefined, toMs: number): { first: number; count: number } {
    const first = Math.max(ceilToInterval(fromMs ?? this.dataStart), this.dataStart);
    // start < to and start < now, with starts on the 15-minute grid.
    const end = Math.min(ceilToInterval(toMs), ceilToInterval(this.now()));
    return { first, count: Math.max(0, Math.round((end - first) / CALL_VOLUME_INTERVAL_MS)) };
  }

  /** Number of records the API matches for `[fromMs, toMs)` (its `totalCount`). */
  callVolumeCount(fromMs: number | undefined, toMs: number): number {
    return this.callVolumeIntervals(fromMs, toMs).count * this.queues.length;
  }

  /**
   * Records `skip .. skip+limit` of `[fromMs, toMs)` in API order (interval start, then queueId),
   * computed from the offset alone so deep pages in long windows stay cheap.
   */
  callVolumePage(fromMs: number | undefined, toMs: number, skip: number, limit: number): CallVolumeUpdate[] {
    const { first, count } = this.callVolumeIntervals(fromMs, toMs);
    const total = count * this.queues.length;
    const out: CallVolumeUpdate[] = [];
    for (let i = skip; i < Math.min(total, skip + limit); i++) {
      const interval = first + Math.floor(i / this.queues.length) * CALL_VOLUME_INTERVAL_MS;
      out.push(this.callVolumeRecord(interval, this.queues[i % this.queues.length]!));
    }
    return out;
  }

  callVolume(fromMs: number | undefined, toMs: number): CallVolumeUpdate[] {
    return this.callVolumePage(fromMs, toMs, 0, Number.MAX_SAFE_INTEGER);
  }

  /** The record for one interval and queue as it stands now (revisions included). */
  callVolumeRecord(intervalStartMs: number, queue: KoreQueue): CallVolumeUpdate {
    const profile = this.queueProfile.get(queue.queueId)!;
    const revision = this.revisions.get(`${intervalStartMs}|${queue.queueId}`) ?? 0;
    const start = new Date(intervalStartMs);
    // Busy in the (UTC) working day, a trickle at night, quieter at weekends.
    const hour = start.getUTCHours() + start.getUTCMinutes() / 60;
    const daytime = Math.max(0, Math.sin(((hour - 6) / 16) * Math.PI));
    const weekend = start.getUTCDay() === 0 || start.getUTCDay() === 6 ? 0.35 : 1;
    const mean = 0.3 + 12 * daytime * weekend * profile.weight;

    const tally = emptyTally();
    const rng = rngFor('callvolume', this.seed, queue.queueId, intervalStartMs, 0);
    addContacts(tally, Math.floor(mean * (0.5 + rng())), rng, profile.abandonRate);
    // Each revision is late data: a few more contacts on top of what was reported before, so a
    // revised record always differs from the one a client stored earlier.
    for (let r = 1; r <= revision; r++) {
      const late = rngFor('callvolume', this.seed, queue.queueId, intervalStartMs, r);
      addContacts(tally, 1 + Math.floor(late() * 3), late, profile.abandonRate);
    }

    return {
      // The id names the (queue, interval) document and survives revisions, like a MongoDB _id.
      _id: sha256('callvolume-id', this.seed, queue.queueId, intervalStartMs).slice(0, 24),
      intervalStartTimeStamp: start.toISOString(),
      orgId: this.orgId,
      queueId: queue.queueId,
      source: 'rtm',
      __v: revision,
      intervalEndTimeStamp: new Date(intervalStartMs + CALL_VOLUME_INTERVAL_MS).toISOString(),
      offeredContacts: tally.offered,
      answeredContacts: tally.answered,
      maxQueueHoldTimeAnswered: tally.maxQueueHoldAnswered,
      queueHoldTimeAnswered: tally.queueHoldAnswered,
      acwDuration: tally.acw,
      completedContacts: tally.completed,
      conversationHandleTime: tally.talk + tally.hold + tally.acw,
      conversationTalkTime: tally.talk,
      holdDuration: tally.hold,
      messageCount: tally.messages,
      savedMessageCount: tally.savedMessages,
      csatResponses: tally.csatResponses,
      csatScore: tally.csatResponses ? Math.round(tally.csatTotal / tally.csatResponses) : 0,
      abandonedContacts: tally.abandoned,
      maxqueueHoldTimeAbandoned: tally.maxQueueHoldAbandoned,
      queueHoldTimeAbandoned: tally.queueHoldAbandoned,
      iId: this.iId,
      queueName: queue.queueName,
    };
  }

  /**
   * Late data: bumps `__v` and adds contacts to the interval starting at `intervalStartMs`, for one
   * queue or (no queueId) every queue. Returns the revised records. The interval need not have
   * started yet; it will carry the revision once it does.
   */
  reviseCallVolume(intervalStartMs: number, queueId?: string): CallVolumeUpdate[] {
    if (intervalStartMs % CALL_VOLUME_INTERVAL_MS !== 0)
      throw new RangeError(`${new Date(intervalStartMs).toISOString()} is not the start of a 15-minute interval`);
    if (intervalStartMs < this.dataStart) throw new RangeError('there is no data before dataStart to revise');
    const queues = queueId === undefined ? this.queues : this.queues.filter((q) => q.queueId === queueId);
    if (queues.length === 0) throw new RangeError(`unknown queueId ${queueId}`);
    return queues.map((q) => {
      const key = `${intervalStartMs}|${q.queueId}`;
      this.revisions.set(key, (this.revisions.get(key) ?? 0) + 1);
      return this.callVolumeRecord(intervalStartMs, q);
    });
  }
}

/**
 * Exactly the records the Contact Volume API returns for interval starts in `[fromMs, toMs)`, in
 * its order (intervalStart ascending, then queueId). Pass the running simulator's `data` to include
 * revisions made through it; plain options describe an unrevised dataset.
 */
export function callVolumeGroundTruth(source: KoreDataOptions | KoreDataset, fromMs: number, toMs: number): CallVolumeUpdate[] {
  const data = source instanceof KoreDataset ? source : new KoreDataset(source);
  return data.callVolume(fromMs, toMs);
}

/**
 * Exactly the records a correct client stores from `v2/calldetails` (or `v2/interactionDetails`,
 * which serves the same conversations) for sessions that started in `[fromMs, toMs)`: canonical
 * form (counts as numbers, times as UTC wall time, as asked with `timeZoneOffset: 0`), in API order.
 */
export function conversationsGroundTruth(
  source: KoreDataOptions | KoreDataset,
  fromMs: number,
  toMs: number,
  filter: ConversationFilter = {},
): Record<string, unknown>[] {
  const data = source instanceof KoreDataset ? source : new KoreDataset(source);
  return data.sessions(fromMs, toMs, filter).map((s) => s.record(0));
}

/**
 * Exactly the agent-status records a correct client stores for `[fromMs, toMs)` as of the clock:
 * one per segment overlapping the range (a segment across midnight is one record), flattened with
 * its agent, ordered by agent then start. Open segments have `open: true`, `endTime` and `duration` null.
 */
export function agentStatusGroundTruth(source: KoreDataOptions | KoreDataset, fromMs: number, toMs: number): Record<string, unknown>[] {
  const data = source instanceof KoreDataset ? source : new KoreDataset(source);
  return data.agentStatus(fromMs, toMs).flatMap(({ agent, segments }) => segments.map((seg) => agentStatusRecord(agent, seg)));
}
