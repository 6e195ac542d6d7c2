/**
 * Conversations for the call-details APIs (`v2/calldetails`, `v2/interactionDetails`): a few
 * sessions a day, in the shapes of the vendor's sample. Bot-only sessions have no
 * `conversationId` and say `reason`; sessions that reached a queue have a `conversationId`,
 * `destinations` and say `Reason`.
 *
 * `record()` is the canonical record (what a correct client stores: numbers as numbers);
 * `wire()` is how the API sends it, where some counts arrive as numeric strings ("34").
 * Everything is a pure function of (seed, day, index). A session is listed once it has ended.
 */
import { DAY_MS, floorDay, koreLocalTime } from './agentstatus-data';
import { agentName, type KoreAgent } from './people';
import { between, pick, rngFor, sha256, uuidLike } from '../kit/seeded';

const SECOND = 1000;

export interface ConversationContext {
  seed: string;
  orgId: string;
  iId: string;
  dataStart: number;
  queues: ReadonlyArray<{ queueId: string; queueName: string }>;
  agents: readonly KoreAgent[];
  sessionsPerDay?: readonly [number, number];
  /** Chat sessions of a given length (epoch ms), besides the day's own: listed once they end, under their start. */
  longChats?: readonly { start: number; end: number }[];
}

export interface ConversationFilter {
  /** Only these channels (`voice`, `rtm`, ...); all when empty or absent. */
  channels?: readonly string[];
  /** Only sessions that entered one of these queues; all when empty or absent. */
  queues?: readonly string[];
}

export interface Session {
  sessionId: string;
  channel: string;
  start: number;
  end: number;
  queueIds: string[];
  /** The record as a client asking with `timeZoneOffset` stores it (times are the zone's wall time). */
  record(offsetMinutes?: number): Record<string, unknown>;
  /** The record as the API sends it: the same, with some counts as numeric strings. */
  wire(offsetMinutes?: number): Record<string, unknown>;
}

const DISPOSITIONS = ['Resolved', 'Requires Supervisor Attention', 'Callback Requested', 'Billing Question', 'DROP-OFF'];
const REMARKS = [
  'The customer asked about an invoice; the agent explained the charges.',
  'The customer initiated a conversation with the agent, who responded with greetings.',
  '-',
];
const COUNT_FIELDS = ['interactionDuration', 'holdDuration', 'afterCallWorkDuration', 'firstResponseDuration'] as const;

function phone(rng: () => number): string {
  return `+1${between(rng, 200, 999)}${String(between(rng, 0, 9_999_999)).padStart(7, '0')}`;
}

function sessionOf(ctx: ConversationContext, day: number, index: number): Session {
  const rng = rngFor('session', ctx.seed, day, index);
  const h = sha256('session-id', ctx.seed, day, index);
  const sessionId = h.slice(0, 24);
  const start = day + between(rng, 0, 86_399) * SECOND;
  const bot = rng() < 0.25;
  const userId = `u-${uuidLike(sha256('end-user', ctx.seed, day, index))}`;

  if (bot) {
    const channel = pick(rng, ['rtm', 'agentassist']);
    const end = start + between(rng, 10, 300) * SECOND;
    const channelSpecificUserId = `cs-${uuidLike(sha256('csu', ctx.seed, day, index))}`;
    const record = (off = 0): Record<string, unknown> => ({
      sessionId,
      channel,
      sessionStartTime: koreLocalTime(start, off),
      sessionEndTime: koreLocalTime(end, off),
      botId: ctx.iId,
      userId,
      channelSpecificUserId,
      orgId: ctx.orgId,
      smartStatus: 'CLOSED AT BOT',
      reason: '',
      finalStatus: 'BotResolved',
    });
    return { sessionId, channel, start, end, queueIds: [], record, wire: record };
  }

  const channel = pick(rng, ['voice', 'voice', 'rtm', 'campaign']);
  const queue = pick(rng, ctx.queues);
  const agent = pick(rng, ctx.agents);
  const answered = rng() < 0.85;
  const enter = start + between(rng, 5, 40) * SECOND;
  const assigned = enter + between(rng, 1, 90) * SECOND;
  const accepted = assigned + between(rng, 1, 10) * SECOND;
  const talk = between(rng, 30, 900);
  const hold = channel === 'rtm' ? 0 : rng() < 0.3 ? between(rng, 5, 120) : 0;
  const acw = between(rng, 0, 60);
  const interactionEnd = accepted + talk * SECOND;
  const end = answered ? interactionEnd : assigned;
  const firstResponse = channel === 'rtm' ? between(rng, 2, 30) : undefined;
  const csat = answered && rng() < 0.4 ? between(rng, 1, 5) : undefined;
  const disposition = answered ? pick(rng, DISPOSITIONS.slice(0, 4)) : 'DROP-OFF';
  const remark = pick(rng, REMARKS);
  const caller = phone(rng);
  const callee = phone(rng);
  // Which counts this session sends as numeric strings (the API is not consistent).
  const stringly = rng() < 0.3;
  const conversationId = `c-${uuidLike(sha256('conversation', ctx.seed, day, index))}`;
  const channelSpecificUserId = `cs-${uuidLike(sha256('csu', ctx.seed, day, index))}`;

  const record = (off = 0): Record<string, unknown> => {
    const t = (ms: number) => koreLocalTime(ms, off);
    const respondingAgent: Record<string, unknown> = {
      agentId: agent.userId,
      agentNotes: remark === '-' ? [] : [remark],
      destinationType: 'AgentSegment',
      status: 'Answered',
      ...(firstResponse === undefined ? {} : { firstResponseTime: t(accepted + firstResponse * SECOND), firstResponseDuration: firstResponse }),
      interactionEndTime: t(interactionEnd),
      interactionDuration: talk,
      ...(hold ? { holdDuration: hold } : {}),
      afterCallWorkDuration: acw,
      afterCallWorkEndTime: t(interactionEnd + acw * SECOND),
      ConsultingAgents: [],
      JoinedUsers: [],
      email: agent.email,
      name: agentName(agent),
      acceptedTime: t(accepted),
      assignedAt: t(assigned),
    };
    const metaInfo =
      channel === 'rtm'
        ? { firstName: 'Peter', lastName: 'Miller', phoneNumber: caller, os: 'Mac OS X', device: 'NA', hostDomain: 'https://example.korebots.com' }
        : {
            userId,
            firstName: '',
            lastName: '',
            caller,
            callee,
            countryCode: '1',
            dialedNumber: channel === 'campaign' ? caller : callee,
            endUserNumber: caller,
          };
    return {
      conversationId,
      sessionId,
      channel,
      isVoicemail: 'NO',
      Direction: channel === 'campaign' ? 'Outbound' : 'Inbound',
      finalStatus: answered ? 'CLOSED' : 'USER ABANDONED',
      smartStatus: answered ? 'CLOSED BY AGENT' : 'ABANDONED IN QUEUE',
      Reason: answered ? `${queue.queueName}:${agentName(agent)}` : 'NO AGENTS AVAILABLE',
      botId: ctx.iId,
      dispositions: [disposition],
      dispositionRemarks: [remark],
      metaInfo,
      sessionStartTime: t(start),
      sessionEndTime: t(end),
      ...(channel === 'rtm' ? { channelSpecificUserId } : {}),
      userId,
      destinations: [
        {
          destinationType: 'QueueEntry',
          queueId: queue.queueId,
          queueName: queue.queueName,
          EnterTime: t(enter),
          ...(answered ? { respondingAgent } : {}),
        },
      ],
      ...(csat === undefined ? {} : { csatScore: csat, csatFeedback: csat >= 4 ? 'Quick and helpful' : 'Took too long' }),
    };
  };
  const wire = (off = 0): Record<string, unknown> => {
    const r = record(off);
    if (!stringly) return r;
    if (typeof r.csatScore === 'number') r.csatScore = String(r.csatScore);
    const ra = (r.destinations as Array<{ respondingAgent?: Record<string, unknown> }>)[0]!.respondingAgent;
    if (ra) for (const f of COUNT_FIELDS) if (typeof ra[f] === 'number') ra[f] = String(ra[f]);
    return r;
  };
  return { sessionId, channel, start, end, queueIds: [queue.queueId], record, wire };
}

/** The sessions that started on the UTC day `day`, in start order. */
export function sessionsOfDay(ctx: ConversationContext, day: number): Session[] {
  const weekday = new Date(day).getUTCDay();
  const rng = rngFor('sessions-per-day', ctx.seed, day);
  const [min, max] = ctx.sessionsPerDay ?? (weekday === 0 || weekday === 6 ? [2, 5] : [5, 10]);
  const count = between(rng, min, max);
  const own = Array.from({ length: count }, (_, i) => sessionOf(ctx, day, i));
  const long = (ctx.longChats ?? []).filter((c) => floorDay(c.start) === day).map((c, i) => longChat(ctx, c, i));
  return long.length ? [...own, ...long].sort((a, b) => a.start - b.start) : own;
}

/** A chat (channel rtm) from `start` to `end`, with an agent, as the day's sessions look. */
function longChat(ctx: ConversationContext, c: { start: number; end: number }, index: number): Session {
  const sessionId = sha256('long-chat', ctx.seed, c.start, index).slice(0, 24);
  const queue = ctx.queues[0]!;
  const record = (off = 0): Record<string, unknown> => ({
    sessionId,
    conversationId: `c-${uuidLike(sha256('long-chat-conversation', ctx.seed, c.start, index))}`,
    channel: 'rtm',
    sessionStartTime: koreLocalTime(c.start, off),
    sessionEndTime: koreLocalTime(c.end, off),
    botId: ctx.iId,
    orgId: ctx.orgId,
    queues: [{ queueId: queue.queueId, queueName: queue.queueName }],
    smartStatus: 'CLOSED AT AGENT',
    reason: '',
    finalStatus: 'AgentResolved',
  });
  return { sessionId, channel: 'rtm', start: c.start, end: c.end, queueIds: [queue.queueId], record, wire: record };
}

function matches(s: Session, filter: ConversationFilter): boolean {
  if (filter.channels?.length && !filter.channels.includes(s.channel)) return false;
  if (filter.queues?.length && !s.queueIds.some((q) => filter.queues!.includes(q))) return false;
  return true;
}

/**
 * Sessions that started in `[fromMs, toMs)`, have ended by `now`, and pass the filter, ordered by
 * start then sessionId (the order pages are cut in).
 */
export function sessionsBetween(ctx: ConversationContext, fromMs: number, toMs: number, now: number, filter: ConversationFilter = {}): Session[] {
  const out: Session[] = [];
  for (let day = Math.max(floorDay(fromMs), floorDay(ctx.dataStart)); day < toMs; day += DAY_MS) {
    for (const s of sessionsOfDay(ctx, day)) {
      if (s.start >= fromMs && s.start < toMs && s.start >= ctx.dataStart && s.end <= now && matches(s, filter)) out.push(s);
    }
  }
  return out.sort((a, b) => a.start - b.start || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}
