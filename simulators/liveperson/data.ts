/**
 * The LivePerson simulator's data: a deterministic messaging contact center. Every conversation of
 * every 15-minute base interval is a pure function of (seed, interval start, index), so any query —
 * any grouping, interval length, handle-time model, filter — is an aggregation a test can compute
 * exactly (`intervalMetricsGroundTruth`) without the server, and two simulators with the same seed
 * agree record for record.
 *
 * Ids are emitted as numbers or as strings, varying with the entity and the interval, as the
 * vendor's samples do (`"skillId": 123` next to `"skillId": "456"`).
 */
import { rngFor, sha256, uuidLike } from '../kit/seeded';

export const BASE_INTERVAL_MS = 15 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** An interval's activity, summed over the conversations one record groups. */
type ActivitySum = Omit<Activity, 'conversationId' | 'skillId' | 'agentId' | 'agentGroupId'>;

/**
 * Every metric the simulated API serves, in the order it lists them: how a record's value is
 * computed from its activity, whether the API serves it only when the grouping includes skill, and
 * whether a bot-only group fills it (the others are 0, with includeBotSkills=true).
 */
const METRIC_MODEL = {
  handleTime: { value: (sum: ActivitySum, q: IntervalQuery) => (q.handleTimeModel === 'EHT' ? sum.eht : sum.ift) },
  handledConversations: { value: (sum: ActivitySum) => sum.handled },
  repliedConversations: { value: (sum: ActivitySum) => sum.replied },
  consumerMessages: { value: (sum: ActivitySum) => sum.consumerMessages, bot: true },
  agentMessages: { value: (sum: ActivitySum) => sum.agentMessages },
  workTime: { value: (sum: ActivitySum) => sum.workTime },
  arrivals: { value: (sum: ActivitySum) => sum.arrivals, skillLevel: true, bot: true },
  closedConversations: { value: (sum: ActivitySum) => sum.closed, skillLevel: true, bot: true },
} satisfies Record<string, { value: (sum: ActivitySum, q: IntervalQuery) => number; skillLevel?: true; bot?: true }>;

export type LpMetric = keyof typeof METRIC_MODEL;
export const LP_METRICS = Object.keys(METRIC_MODEL) as readonly LpMetric[];
const flagged = (flag: 'skillLevel' | 'bot'): LpMetric[] => LP_METRICS.filter((m) => (METRIC_MODEL[m] as { skillLevel?: true; bot?: true })[flag]);
/** Metrics the API serves only when the grouping includes skill. */
export const SKILL_LEVEL_METRICS: readonly LpMetric[] = flagged('skillLevel');
/** The metrics a bot-only group fills (the others are 0), with includeBotSkills=true. */
export const BOT_METRICS: readonly LpMetric[] = flagged('bot');

export const LP_GROUPINGS = ['skill', 'agentGroup', 'agent', 'conversation'] as const;
export type LpGrouping = (typeof LP_GROUPINGS)[number];
export const LP_DURATIONS = [15, 30, 60, 1440] as const;
export type LpDuration = (typeof LP_DURATIONS)[number];

export interface LivePersonDataOptions {
  accountId: string;
  /** Changes every id, name and count; the same seed always gives the same data. */
  seed?: string | number;
  /** Human skills (default 3); one bot skill comes on top. */
  skills?: number;
  /** Agent groups (default 2). */
  agentGroups?: number;
  /** Agents (default 6), spread over the groups, each serving one or two skills. */
  agents?: number;
  /** Mean conversations per 15 minutes at the busiest hour (default 6). */
  busiest?: number;
  /** The simulator's clock (epoch ms). */
  now?: () => number;
}

export interface LpSkill {
  id: number;
  name: string;
  bot: boolean;
}
export interface LpAgentGroup {
  id: number;
  name: string;
}
export interface LpAgent {
  id: number;
  name: string;
  login: string;
  groupId: number;
  skills: number[];
}

/** One conversation's activity within one 15-minute base interval. */
export interface Activity {
  conversationId: string;
  skillId: number;
  /** Undefined for a conversation only a bot handled. */
  agentId?: number;
  agentGroupId?: number;
  ift: number;
  eht: number;
  handled: number;
  replied: number;
  consumerMessages: number;
  agentMessages: number;
  workTime: number;
  arrivals: number;
  closed: number;
}

/** The query parts that decide which records exist and what they hold. */
export interface IntervalQuery {
  fromMs: number;
  toMs: number;
  intervalDuration: LpDuration;
  grouping: readonly LpGrouping[];
  metrics: readonly LpMetric[];
  handleTimeModel: 'IFT' | 'EHT';
  includeBotSkills?: boolean;
  filters?: { agentId?: string; skillId?: string; agentGroupId?: string; conversationId?: string };
}

export interface Timeframe {
  from: string;
  fromL: number;
  to: string;
  toL: number;
}

/** A record as the API sends it: ids as numbers or strings, only the grouping's fields, only the requested metrics. */
export interface IntervalMetricsRecord {
  timeframe: Timeframe;
  skillId?: number | string;
  skillName?: string;
  agentGroupId?: number | string;
  agentGroupName?: string;
  agentId?: number | string;
  agentName?: string;
  agentLogin?: string;
  conversationId?: string;
  metrics: Partial<Record<LpMetric, number>>;
}

const SKILL_NAMES = ['Tech Support', 'Sales', 'Billing', 'Retention', 'Onboarding', 'Claims'];
const GROUP_NAMES = ['Tier 1', 'Tier 2', 'Specialists', 'Night Shift'];
const FIRST = ['John', 'Jane', 'Ava', 'Noah', 'Mia', 'Liam', 'Zoe', 'Omar', 'Ines', 'Kai'];
const LAST = ['Doe', 'Smith', 'Garcia', 'Chen', 'Okafor', 'Novak', 'Silva', 'Berg'];

/** RFC 3339, UTC, no milliseconds: the vendor's format. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be a whole number >= ${min} (got ${value})`);
  return v;
}

export class LivePersonDataset {
  readonly accountId: string;
  readonly seed: string;
  readonly skills: readonly LpSkill[];
  readonly agentGroups: readonly LpAgentGroup[];
  readonly agents: readonly LpAgent[];
  readonly now: () => number;
  private readonly busiest: number;
  private readonly activityCache = new Map<number, Activity[]>();

  constructor(options: LivePersonDataOptions) {
    if (!options.accountId) throw new RangeError('accountId is required');
    this.accountId = options.accountId;
    this.seed = String(options.seed ?? 'liveperson');
    this.now = options.now ?? Date.now;
    const skillCount = count('skills', options.skills, 3, 1);
    const groupCount = count('agentGroups', options.agentGroups, 2, 1);
    const agentCount = count('agents', options.agents, 6, 1);
    this.busiest = options.busiest ?? 6;
    if (!(this.busiest >= 0)) throw new RangeError('busiest must be >= 0');

    const id = (kind: string, i: number | string) => 1_000_000 + (parseInt(sha256(kind, this.seed, i).slice(0, 8), 16) % 900_000_000);
    const skills: LpSkill[] = [];
    for (let i = 0; i < skillCount; i++)
      skills.push({
        id: id('skill', i),
        name: SKILL_NAMES[i % SKILL_NAMES.length]! + (i >= SKILL_NAMES.length ? ` ${Math.floor(i / SKILL_NAMES.length) + 1}` : ''),
        bot: false,
      });
    skills.push({ id: id('skill', 'bot'), name: 'Virtual Assistant', bot: true });
    const groups: LpAgentGroup[] = [];
    for (let i = 0; i < groupCount; i++)
      groups.push({
        id: id('group', i),
        name: GROUP_NAMES[i % GROUP_NAMES.length]! + (i >= GROUP_NAMES.length ? ` ${Math.floor(i / GROUP_NAMES.length) + 1}` : ''),
      });
    const agents: LpAgent[] = [];
    const human = skills.filter((s) => !s.bot);
    for (let i = 0; i < agentCount; i++) {
      const rng = rngFor('agent', this.seed, i);
      const first = FIRST[Math.floor(rng() * FIRST.length)]!;
      const last = LAST[Math.floor(rng() * LAST.length)]!;
      const primary = human[i % human.length]!.id;
      const second = human[Math.floor(rng() * human.length)]!.id;
      agents.push({
        id: id('agent', i),
        name: `${first} ${last}`,
        login: `${first}.${last}${i}@brand.example`.toLowerCase(),
        groupId: groups[i % groups.length]!.id,
        skills: [...new Set([primary, second])],
      });
    }
    const byId = <T extends { id: number }>(a: T, b: T) => a.id - b.id;
    this.skills = skills.sort(byId);
    this.agentGroups = groups.sort(byId);
    this.agents = agents.sort(byId);
  }

  /**
   * The conversations active in the 15-minute base interval starting at `start`: busy in the UTC
   * working day, a trickle at night, quieter at weekends; a fifth handled by the bot alone.
   */
  activities(start: number): Activity[] {
    const cached = this.activityCache.get(start);
    if (cached) return cached;
    const d = new Date(start);
    const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
    const daytime = Math.max(0, Math.sin(((hour - 6) / 16) * Math.PI));
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.4 : 1;
    const rng = rngFor('interval', this.seed, start);
    const n = Math.floor((0.4 + this.busiest * daytime * weekend) * (0.5 + rng()));
    const bot = this.skills.find((s) => s.bot)!;
    const out: Activity[] = [];
    for (let i = 0; i < n; i++) {
      const r = rngFor('conversation', this.seed, start, i);
      const conversationId = uuidLike(sha256('conversation', this.seed, start, i));
      const arrivals = r() < 0.7 ? 1 : 0;
      const closed = r() < 0.6 ? 1 : 0;
      const consumerMessages = 1 + Math.floor(r() * 12);
      if (r() < 0.2) {
        out.push({
          conversationId,
          skillId: bot.id,
          ift: 0,
          eht: 0,
          handled: 0,
          replied: 0,
          consumerMessages,
          agentMessages: 0,
          workTime: 0,
          arrivals,
          closed,
        });
        continue;
      }
      const agent = this.agents[Math.floor(r() * this.agents.length)]!;
      const skillId = agent.skills[Math.floor(r() * agent.skills.length)]!;
      const ift = 30 + Math.floor(r() * 870);
      out.push({
        conversationId,
        skillId,
        agentId: agent.id,
        agentGroupId: agent.groupId,
        ift,
        eht: Math.floor(ift * (0.5 + r() * 0.4)),
        handled: 1,
        replied: r() < 0.85 ? 1 : 0,
        consumerMessages,
        agentMessages: 1 + Math.floor(r() * 15),
        workTime: ift + Math.floor(r() * 120),
        arrivals,
        closed,
      });
    }
    if (this.activityCache.size > 20_000) this.activityCache.clear();
    this.activityCache.set(start, out);
    return out;
  }

  /** Interval starts of a query: multiples of the duration since the epoch, within [from, to). */
  intervalStarts(q: Pick<IntervalQuery, 'fromMs' | 'toMs' | 'intervalDuration'>): number[] {
    const step = q.intervalDuration * 60_000;
    const out: number[] = [];
    for (let s = Math.ceil(q.fromMs / step) * step; s < q.toMs; s += step) out.push(s);
    return out;
  }

  /** Every record of a query, in the API's order: interval start, then skill, agent group, agent, conversation. */
  records(q: IntervalQuery): IntervalMetricsRecord[] {
    const step = q.intervalDuration * 60_000;
    const dims = new Set(q.grouping);
    const f = q.filters ?? {};
    const out: IntervalMetricsRecord[] = [];
    for (const start of this.intervalStarts(q)) {
      const groups = new Map<string, { a: Activity; sum: Omit<Activity, 'conversationId' | 'skillId' | 'agentId' | 'agentGroupId'>; bot: boolean }>();
      for (let t = start; t < start + step; t += BASE_INTERVAL_MS) {
        for (const a of this.activities(t)) {
          if (f.skillId !== undefined && String(a.skillId) !== f.skillId) continue;
          if (f.agentId !== undefined && String(a.agentId) !== f.agentId) continue;
          if (f.agentGroupId !== undefined && String(a.agentGroupId) !== f.agentGroupId) continue;
          if (f.conversationId !== undefined && a.conversationId !== f.conversationId) continue;
          const bot = a.agentId === undefined;
          // Bot activity is reported at the skill level only, and only when asked for.
          if (bot && !(q.includeBotSkills && dims.has('skill'))) continue;
          const key = [
            dims.has('skill') ? a.skillId : '',
            dims.has('agentGroup') && !bot ? a.agentGroupId : '',
            dims.has('agent') && !bot ? a.agentId : '',
            dims.has('conversation') ? a.conversationId : '',
            bot ? 'bot' : 'human',
          ].join('|');
          const g = groups.get(key);
          if (!g) {
            groups.set(key, {
              a,
              bot,
              sum: {
                ift: a.ift,
                eht: a.eht,
                handled: a.handled,
                replied: a.replied,
                consumerMessages: a.consumerMessages,
                agentMessages: a.agentMessages,
                workTime: a.workTime,
                arrivals: a.arrivals,
                closed: a.closed,
              },
            });
          } else {
            for (const k of Object.keys(g.sum) as (keyof typeof g.sum)[]) g.sum[k] += a[k];
          }
        }
      }
      const records = [...groups.values()].map((g) => this.record(start, step, dims, g.a, g.sum, g.bot, q));
      records.sort(compareRecords);
      out.push(...records);
    }
    return out;
  }

  private record(start: number, step: number, dims: Set<LpGrouping>, a: Activity, sum: ActivitySum, bot: boolean, q: IntervalQuery): IntervalMetricsRecord {
    const rec: IntervalMetricsRecord = {
      timeframe: { from: rfc3339(start), fromL: start, to: rfc3339(start + step), toL: start + step },
      metrics: {},
    };
    if (dims.has('skill')) {
      rec.skillId = this.emitId(a.skillId, start);
      rec.skillName = this.skills.find((s) => s.id === a.skillId)!.name;
    }
    if (dims.has('agentGroup') && !bot) {
      rec.agentGroupId = this.emitId(a.agentGroupId!, start);
      rec.agentGroupName = this.agentGroups.find((g) => g.id === a.agentGroupId)!.name;
    }
    if (dims.has('agent') && !bot) {
      const agent = this.agents.find((x) => x.id === a.agentId)!;
      rec.agentId = this.emitId(agent.id, start);
      rec.agentName = agent.name;
      rec.agentLogin = agent.login;
    }
    if (dims.has('conversation')) rec.conversationId = a.conversationId;
    for (const m of LP_METRICS) {
      if (!q.metrics.includes(m)) continue;
      rec.metrics[m] = bot && !BOT_METRICS.includes(m) ? 0 : METRIC_MODEL[m].value(sum, q);
    }
    return rec;
  }

  /** 123 or "123": a third of (entity, interval) pairs arrive as strings, like the vendor's samples. */
  private emitId(id: number, start: number): number | string {
    return parseInt(sha256('id-form', this.seed, id, start).slice(0, 4), 16) % 3 === 0 ? String(id) : id;
  }
}

function compareRecords(a: IntervalMetricsRecord, b: IntervalMetricsRecord): number {
  const n = (v: number | string | undefined) => (v === undefined ? -1 : Number(v));
  return (
    n(a.skillId) - n(b.skillId) ||
    n(a.agentGroupId) - n(b.agentGroupId) ||
    n(a.agentId) - n(b.agentId) ||
    (a.conversationId ?? '').localeCompare(b.conversationId ?? '')
  );
}

/**
 * Exactly the records the interval-metrics API returns for a query (every page, in order), as the
 * API sends them: ids as numbers or strings. Pass the running simulator's `data`, or options.
 */
export function intervalMetricsGroundTruth(source: LivePersonDataOptions | LivePersonDataset, query: IntervalQuery): IntervalMetricsRecord[] {
  const data = source instanceof LivePersonDataset ? source : new LivePersonDataset(source);
  return data.records(query);
}
