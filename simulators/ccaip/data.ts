/**
 * The CCAI Platform simulator's data: a small deterministic contact center that lives in time.
 *
 * Every call, chat and agent status segment is planned from (seed, hour slot, index): when it is
 * created and what happens to it afterwards (queued, answered or abandoned, transferred, photos and
 * videos uploaded, ended, a customer-satisfaction survey an hour or two later that adds a virtual
 * agent participant). A record as the API serves it is its plan replayed up to the simulator's
 * clock, so records change after creation exactly as the clock moves, and `updated_at` is the time
 * of the last event applied. Tests can also update records by hand (`updateCall`), remove and
 * restore agents and teams, and ask for the ground truth (`calls({...})`, `agents()`, ...) of any
 * query, computed without the server.
 *
 * Two simulators with the same seed, data start and clock agree record for record.
 */
import { between, rngFor } from '../kit/seeded';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const CALL_ID_BASE = 1_000_000;
export const CHAT_ID_BASE = 5_000_000;
export const ACTIVITY_LOG_ID_BASE = 30_000_000;
export const AGENT_ID_BASE = 900;
export const TEAM_ID_BASE = 7000;
/** Planned events of a call or chat end at most this long after it was created (the survey comes last). */
export const MAX_LIFECYCLE_MS = 3 * HOUR_MS;

type Rec = Record<string, unknown>;

export interface CcaipDataOptions {
  /** The tenant (`acme` in acme.uc1.ccaiplatform.com). */
  subdomain: string;
  /** Changes every id, name and time; the same seed always gives the same data. */
  seed?: string | number;
  /** Agents (default 6). */
  agents?: number;
  /** Mean calls per hour at the busiest time of day (default 4). */
  callsPerHour?: number;
  /** Mean chats per hour at the busiest time of day (default 3). */
  chatsPerHour?: number;
  /** First instant with data (default: 7 days before the clock's day, at UTC midnight). */
  dataStart?: string | number;
  /** The simulator's clock (epoch ms). Only what happened before it exists. */
  now?: () => number;
  /**
   * Activity logs left open (an agent who never logged out): agent number `agent` (0-based) in the
   * first user status (Available) from `start` to `end` (epoch ms), besides its usual segments;
   * `ended_at` is null while the clock is before `end`.
   */
  stuckLogs?: readonly { agent: number; start: number; end: number }[];
}

export interface UserStatus {
  id: number;
  name: string;
  color: string;
  wfm_id: number;
}

const STATUS_PLAN: readonly (UserStatus & { weight: number; minutes: [number, number] })[] = [
  { id: 1, name: 'Available', color: '#2ecc71', wfm_id: 101, weight: 0.42, minutes: [10, 60] },
  { id: 2, name: 'Break', color: '#f1c40f', wfm_id: 102, weight: 0.14, minutes: [5, 15] },
  { id: 3, name: 'Lunch', color: '#e67e22', wfm_id: 103, weight: 0.08, minutes: [30, 45] },
  { id: 4, name: 'Meeting', color: '#3498db', wfm_id: 104, weight: 0.1, minutes: [15, 45] },
  { id: 5, name: 'Training', color: '#9b59b6', wfm_id: 105, weight: 0.08, minutes: [20, 60] },
  { id: 6, name: 'Offline', color: '#7f8c8d', wfm_id: 106, weight: 0.18, minutes: [20, 90] },
];

/** The team hierarchy every tenant of the simulator has (ids in pre-order from 7001). */
const TEAM_SHAPE = [
  { name: 'Support', children: [{ name: 'Tier 1', children: [{ name: 'Billing' }, { name: 'Technical' }] }, { name: 'Tier 2' }] },
  { name: 'Sales', children: [{ name: 'Inbound' }, { name: 'Outbound' }] },
];

const FIRST = ['Ava', 'Noah', 'Mia', 'Liam', 'Zoe', 'Omar', 'Ines', 'Kai', 'Lena', 'Ravi', 'Sofia', 'Jonas'];
const LAST = ['Garcia', 'Chen', 'Okafor', 'Novak', 'Silva', 'Berg', 'Tanaka', 'Haddad', 'Moreau', 'Kowalski'];
const MENUS = [
  { id: 301, name: 'Billing', path: 'Support/Billing' },
  { id: 302, name: 'Technical', path: 'Support/Technical' },
  { id: 303, name: 'Orders', path: 'Sales/Orders' },
  { id: 304, name: 'New customers', path: 'Sales/New customers' },
];

interface SimAgent {
  id: number;
  index: number;
  first_name: string;
  last_name: string;
  name: string;
  email: string;
  agent_number: string;
  avatar_url: string;
  created_at: string;
  /** Leaf teams the agent is assigned to. */
  teamIds: number[];
}

interface SimTeam {
  id: number;
  name: string;
  parentId: number | null;
  position: number;
  childIds: number[];
}

interface Segment {
  id: number;
  agentIndex: number;
  status: UserStatus;
  start: number;
  end: number;
}

/** One thing that happens to a call or chat at `at`. */
interface SimEvent {
  at: number;
  /** Planned events happen as the clock reaches them; manual updates are applied whatever the clock says. */
  manual: boolean;
  apply(r: Rec): void;
}

interface Conversation {
  kind: 'call' | 'chat';
  id: number;
  created: number;
  events: SimEvent[];
}

/** A manual change to a call or chat. */
export interface ConversationChange {
  /** Fields set on the record (shallow). */
  set?: Record<string, unknown>;
  /** A participant to add (id, type, status and times are filled in when missing). */
  addParticipant?: Record<string, unknown>;
  /** The id of a participant to remove. */
  removeParticipant?: number;
}

export interface TimeQuery {
  /** The field filtered and sorted by. */
  field?: string;
  /** Inclusive bounds, epoch ms (the API's `[from]` and `[to]`). */
  from?: number;
  to?: number;
  /** Sort (default: the filtered field, ascending, then id). */
  sortColumn?: string;
  sortDirection?: 'ASC' | 'DESC';
}

export const iso = (ms: number) => new Date(ms).toISOString();

function toMs(value: string | number, name: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid instant: ${String(value)}`);
  return ms;
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${name} must be between ${min} and ${max} (got ${value})`);
  return v;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Busy in the UTC working day, a trickle at night. */
function dayProfile(ms: number): number {
  const d = new Date(ms);
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  return 0.25 + Math.max(0, Math.sin(((hour - 6) / 16) * Math.PI));
}

/** Compares two records by a field (ISO times compare as instants, numbers as numbers), then by id. */
export function compareBy(field: string, direction: 'ASC' | 'DESC' = 'ASC') {
  const value = (r: Rec) => {
    const v = r[field];
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      const t = Date.parse(v);
      return Number.isFinite(t) && /^\d{4}-/.test(v) ? t : v;
    }
    // Booleans read the same either way; objects compare by their JSON, not as "[object Object]".
    return v === null || v === undefined ? -Infinity : JSON.stringify(v);
  };
  const sign = direction === 'DESC' ? -1 : 1;
  return (a: Rec, b: Rec) => {
    const va = value(a);
    const vb = value(b);
    const c = va < vb ? -1 : va > vb ? 1 : 0;
    return sign * c || sign * (Number(a.id) - Number(b.id));
  };
}

export class CcaipDataset {
  readonly subdomain: string;
  readonly seed: string;
  readonly dataStart: number;
  readonly now: () => number;
  readonly statuses: readonly UserStatus[] = STATUS_PLAN.map(({ id, name, color, wfm_id }) => ({ id, name, color, wfm_id }));
  private readonly agentList: SimAgent[];
  private readonly teamList: SimTeam[];
  private readonly callsPerHour: number;
  private readonly chatsPerHour: number;
  private readonly removedAgents = new Set<number>();
  private readonly removedTeams = new Set<number>();
  private readonly segments: Segment[][];
  private readonly stuck: Segment[];
  private readonly slots = new Map<string, Conversation[]>();
  /** Conversations with manual changes, by `kind:id`: always candidates, whatever a filter says. */
  private readonly touched = new Map<string, Conversation>();

  constructor(options: CcaipDataOptions) {
    if (!options.subdomain) throw new RangeError('subdomain is required');
    this.subdomain = options.subdomain;
    this.seed = String(options.seed ?? 'ccaip');
    this.now = options.now ?? Date.now;
    const agentCount = count('agents', options.agents, 6, 1, 60);
    this.callsPerHour = count('callsPerHour', options.callsPerHour, 4, 0, 60);
    this.chatsPerHour = count('chatsPerHour', options.chatsPerHour, 3, 0, 60);
    this.dataStart = options.dataStart === undefined ? Math.floor(this.now() / DAY_MS) * DAY_MS - 7 * DAY_MS : toMs(options.dataStart, 'dataStart');

    this.teamList = [];
    let nextTeam = TEAM_ID_BASE + 1;
    const addTeams = (shape: readonly { name: string; children?: readonly unknown[] }[], parentId: number | null) => {
      shape.forEach((node, i) => {
        const team: SimTeam = { id: nextTeam++, name: node.name, parentId, position: i + 1, childIds: [] };
        this.teamList.push(team);
        if (parentId !== null) this.teamList.find((t) => t.id === parentId)!.childIds.push(team.id);
        addTeams((node.children ?? []) as { name: string; children?: unknown[] }[], team.id);
      });
    };
    addTeams(TEAM_SHAPE, null);
    const leaves = this.teamList.filter((t) => t.childIds.length === 0);

    this.agentList = [];
    for (let i = 0; i < agentCount; i++) {
      const rng = rngFor('agent', this.seed, i);
      const first = FIRST[Math.floor(rng() * FIRST.length)]!;
      const last = LAST[Math.floor(rng() * LAST.length)]!;
      const id = AGENT_ID_BASE + 1 + i;
      const teams = [leaves[i % leaves.length]!.id];
      if (rng() < 0.4) teams.push(leaves[Math.floor(rng() * leaves.length)]!.id);
      this.agentList.push({
        id,
        index: i,
        first_name: first,
        last_name: last,
        name: `${first} ${last}`,
        email: `${first}.${last}.${i}@${this.subdomain}.example`.toLowerCase(),
        agent_number: String(1000 + i),
        avatar_url: `https://${this.subdomain}.example/avatars/${id}.png`,
        created_at: iso(this.dataStart - (30 + i) * DAY_MS),
        teamIds: [...new Set(teams)].sort((a, b) => a - b),
      });
    }
    this.segments = this.agentList.map(() => []);
    this.stuck = (options.stuckLogs ?? []).map((x, i) => {
      if (!this.agentList[x.agent]) throw new RangeError(`stuckLogs: no agent ${x.agent}`);
      const { id, name, color, wfm_id } = STATUS_PLAN[0]!;
      // Ids below every planned segment's, so they never collide.
      return { id: ACTIVITY_LOG_ID_BASE - 1 - i, agentIndex: x.agent, status: { id, name, color, wfm_id }, start: x.start, end: x.end };
    });
  }

  // --- agents, teams, statuses ------------------------------------------------------------------

  /** Every agent id, removed ones included. */
  get agentIds(): number[] {
    return this.agentList.map((a) => a.id);
  }

  /** Every team id, removed ones included. */
  get teamIds(): number[] {
    return this.teamList.map((t) => t.id);
  }

  removeAgent(id: number): void {
    this.agentById(id);
    this.removedAgents.add(id);
  }

  restoreAgent(id: number): void {
    this.agentById(id);
    this.removedAgents.delete(id);
  }

  /** Removes a team and, with it, every team under it. */
  removeTeam(id: number): void {
    this.teamById(id);
    this.removedTeams.add(id);
  }

  restoreTeam(id: number): void {
    this.teamById(id);
    this.removedTeams.delete(id);
  }

  private agentById(id: number): SimAgent {
    const a = this.agentList.find((x) => x.id === id);
    if (!a) throw new RangeError(`no agent ${id} (agents: ${this.agentIds.join(', ')})`);
    return a;
  }

  private teamById(id: number): SimTeam {
    const t = this.teamList.find((x) => x.id === id);
    if (!t) throw new RangeError(`no team ${id} (teams: ${this.teamIds.join(', ')})`);
    return t;
  }

  private teamVisible(t: SimTeam): boolean {
    for (let cur: SimTeam | undefined = t; cur; cur = cur.parentId === null ? undefined : this.teamById(cur.parentId)) {
      if (this.removedTeams.has(cur.id)) return false;
    }
    return true;
  }

  private agentSummary(a: SimAgent): Rec {
    return { id: a.id, name: a.name, first_name: a.first_name, last_name: a.last_name, agent_number: a.agent_number, avatar_url: a.avatar_url };
  }

  private visibleAgents(): SimAgent[] {
    return this.agentList.filter((a) => !this.removedAgents.has(a.id));
  }

  /** The agents as `/agents` lists them at `at` (default: now), by id. */
  agents(at = this.now()): Rec[] {
    return this.visibleAgents().map((a) => {
      const seg = this.segmentAt(a.index, at);
      return {
        id: a.id,
        agent_number: a.agent_number,
        first_name: a.first_name,
        last_name: a.last_name,
        name: a.name,
        email: a.email,
        avatar_url: a.avatar_url,
        status: seg?.status.name ?? null,
        status_updated_at: seg ? iso(seg.start) : null,
        teams: a.teamIds
          .map((id) => this.teamById(id))
          .filter((t) => this.teamVisible(t))
          .map((t) => ({ id: t.id, name: t.name })),
        created_at: a.created_at,
      };
    });
  }

  private teamFields(t: SimTeam): Rec {
    const assignees = this.visibleAgents().filter((a) => a.teamIds.includes(t.id));
    return { id: t.id, name: t.name, parent_id: t.parentId, position: t.position, agents_count: assignees.length, deleted: false, _assignees: assignees };
  }

  /** The teams as `/team` lists them, with their assignees, by id. */
  teams(): Rec[] {
    return this.teamList
      .filter((t) => this.teamVisible(t))
      .map((t) => {
        const { _assignees, ...fields } = this.teamFields(t);
        return { ...fields, assignees: (_assignees as SimAgent[]).map((a) => this.agentSummary(a)) };
      });
  }

  /** The team tree as `/team/tree` answers it: the root teams, each with its `children`. */
  teamTree(): Rec[] {
    const node = (t: SimTeam): Rec => {
      const { _assignees, ...fields } = this.teamFields(t);
      return {
        ...fields,
        children: t.childIds
          .map((id) => this.teamById(id))
          .filter((c) => this.teamVisible(c))
          .map(node),
      };
    };
    return this.teamList.filter((t) => t.parentId === null && this.teamVisible(t)).map(node);
  }

  userStatuses(): Rec[] {
    return this.statuses.map((s) => ({ ...s }));
  }

  // --- agent status segments --------------------------------------------------------------------

  /** The segments of one agent that started at or before `t` (planned lazily, cached). */
  private segmentsUntil(agentIndex: number, t: number): Segment[] {
    const list = this.segments[agentIndex]!;
    while (list.length === 0 || list[list.length - 1]!.start <= t) {
      const j = list.length;
      const rng = rngFor('segment', this.seed, agentIndex, j);
      const prev = list[j - 1];
      // The first segment starts a little before the data start, so boundaries never line up across agents.
      const start = prev ? prev.end : this.dataStart - between(rng, 0, 40 * MINUTE_MS);
      let plan = STATUS_PLAN[0]!;
      for (let tries = 0; tries < 4; tries++) {
        let r = rng();
        plan = STATUS_PLAN.find((p) => (r -= p.weight) < 0) ?? STATUS_PLAN[0]!;
        if (plan.id !== prev?.status.id) break;
      }
      const minutes = between(rng, plan.minutes[0], plan.minutes[1]);
      const end = start + minutes * MINUTE_MS + between(rng, 0, 59_999);
      const { id, name, color, wfm_id } = plan;
      list.push({ id: ACTIVITY_LOG_ID_BASE + j * 64 + agentIndex, agentIndex, status: { id, name, color, wfm_id }, start, end });
    }
    return list.filter((s) => s.start <= t);
  }

  private segmentAt(agentIndex: number, t: number): Segment | undefined {
    const list = this.segmentsUntil(agentIndex, t);
    return list[list.length - 1];
  }

  private activityLog(s: Segment, at: number): Rec {
    const agent = this.agentList[s.agentIndex]!;
    const closed = s.end <= at;
    return {
      id: s.id,
      agent_id: agent.id,
      activity: 'status_change',
      status: { ...s.status },
      started_at: iso(s.start),
      ended_at: closed ? iso(s.end) : null,
      duration: closed ? Math.round((s.end - s.start) / 1000) : null,
      whodunnit: this.agentSummary(agent),
      call_id: null,
      chat_id: null,
    };
  }

  /** Agent activity logs (status segments) whose `started_at` is within `[from, to]`, as of now. */
  activityLogs(q: Omit<TimeQuery, 'field'> = {}): Rec[] {
    const at = this.now();
    const out: Rec[] = [];
    for (const a of this.agentList) {
      for (const s of [...this.segmentsUntil(a.index, at), ...this.stuck.filter((x) => x.agentIndex === a.index && x.start <= at)]) {
        if (s.start < this.dataStart - HOUR_MS) continue;
        if (q.from !== undefined && s.start < q.from) continue;
        if (q.to !== undefined && s.start > q.to) continue;
        out.push(this.activityLog(s, at));
      }
    }
    return out.sort(compareBy(q.sortColumn ?? 'started_at', q.sortDirection));
  }

  // --- calls and chats --------------------------------------------------------------------------

  private slotStart(slot: number): number {
    return this.dataStart + slot * HOUR_MS;
  }

  private conversationsOfSlot(kind: 'call' | 'chat', slot: number): Conversation[] {
    const key = `${kind}:${slot}`;
    let list = this.slots.get(key);
    if (list) return list;
    const start = this.slotStart(slot);
    const rng = rngFor(kind, this.seed, slot);
    const mean = (kind === 'call' ? this.callsPerHour : this.chatsPerHour) * dayProfile(start);
    const n = Math.min(99, Math.floor(mean * (0.4 + rng() * 1.2)));
    const offsets = Array.from({ length: n }, () => Math.floor(rng() * HOUR_MS)).sort((a, b) => a - b);
    list = offsets.map((offset, i) => {
      const id = (kind === 'call' ? CALL_ID_BASE : CHAT_ID_BASE) + slot * 100 + i;
      const created = start + offset;
      const events = kind === 'call' ? this.callEvents(id, created) : this.chatEvents(id, created);
      return { kind, id, created, events };
    });
    this.slots.set(key, list);
    return list;
  }

  private endUser(id: number): Rec {
    return { id: 200_000 + (id % 97_000), identifier: null, out_contact_id: null };
  }

  private participant(parent: 'call' | 'chat', parentId: number, n: number, fields: Rec): Rec {
    return {
      id: parentId * 100 + n,
      [`${parent}_id`]: parentId,
      type: 'agent',
      status: 'connected',
      user_id: null,
      end_user_id: null,
      connected_at: null,
      ended_at: null,
      ...fields,
    };
  }

  private static endParticipants(r: Rec, at: number): void {
    for (const p of r.participants as Rec[]) {
      if (p.ended_at === null) {
        p.ended_at = iso(at);
        p.status = 'finished';
        if (p.connected_at) p.call_duration = Math.round((at - Date.parse(p.connected_at as string)) / 1000);
      }
    }
  }

  /** A call's plan: created, IVR, queue, answered (or abandoned), maybe transferred, media, ended, maybe surveyed. */
  private callEvents(id: number, created: number): SimEvent[] {
    const rng = rngFor('call-plan', this.seed, id);
    const agents = this.agentList;
    const endUser = this.endUser(id);
    const menu = MENUS[Math.floor(rng() * MENUS.length)]!;
    const callType = rng() < 0.8 ? 'IVR' : 'Mobile';
    const queued = created + between(rng, 10_000, 60_000);
    const abandoned = rng() < 0.15;
    const answered = queued + between(rng, 5_000, 300_000);
    const agent1 = agents[Math.floor(rng() * agents.length)]!;
    const talk = between(rng, 60_000, 1_200_000);
    const ended = answered + talk;
    const hold = rng() < 0.3 ? between(rng, 5, 120) : 0;
    const transferAt = rng() < 0.25 ? answered + between(rng, 20_000, Math.floor(talk / 2)) : undefined;
    const agent2 = agents[(agent1.index + 1 + Math.floor(rng() * Math.max(1, agents.length - 1))) % agents.length]!;
    const photoAt = rng() < 0.12 ? answered + between(rng, 1_000, talk - 1_000) : undefined;
    const videoAt = rng() < 0.06 ? answered + between(rng, 1_000, talk - 1_000) : undefined;
    const surveyAt = rng() < 0.3 ? ended + between(rng, 20 * MINUTE_MS, 120 * MINUTE_MS) : undefined;
    const rating = between(rng, 1, 5);
    const joinDelay = between(rng, 3_000, 40_000);
    const sub = this.subdomain;

    const ev: SimEvent[] = [];
    const at = (t: number, apply: (r: Rec) => void) => ev.push({ at: t, manual: false, apply });
    at(created, (r) =>
      Object.assign(r, {
        id,
        call_type: callType,
        status: 'selecting',
        lang: 'en',
        created_at: iso(created),
        queued_at: null,
        assigned_at: null,
        connected_at: null,
        ended_at: null,
        wait_duration: null,
        call_duration: null,
        hold_duration: null,
        answer_type: null,
        fail_reason: null,
        rating: null,
        has_feedback: false,
        end_user: endUser,
        agent_info: null,
        menu_path: null,
        selected_menu: null,
        recording_url: null,
        participants: [this.participant('call', id, 1, { type: 'end_user', end_user_id: endUser.id, connected_at: iso(created) })],
        transfers: [],
        photos: [],
        videos: [],
      }),
    );
    at(queued, (r) =>
      Object.assign(r, {
        status: 'queued',
        queued_at: iso(queued),
        menu_path: { name: menu.name, materialized_path: menu.path, items_count: 1 },
        selected_menu: { id: menu.id, name: menu.name, menu_type: 'ivr_menu', hidden: false, deleted: false },
      }),
    );
    if (abandoned) {
      at(answered, (r) => {
        Object.assign(r, {
          status: 'failed',
          fail_reason: 'end_user_abandoned',
          ended_at: iso(answered),
          wait_duration: Math.round((answered - queued) / 1000),
          call_duration: Math.round((answered - created) / 1000),
        });
        CcaipDataset.endParticipants(r, answered);
      });
      return ev;
    }
    at(answered, (r) => {
      Object.assign(r, {
        status: 'connected',
        assigned_at: iso(answered - 2_500),
        connected_at: iso(answered),
        answer_type: 'ivr_queue',
        wait_duration: Math.round((answered - queued) / 1000),
        agent_info: this.agentSummary(agent1),
      });
      (r.participants as Rec[]).push(this.participant('call', id, 2, { user_id: agent1.id, connected_at: iso(answered) }));
    });
    if (transferAt !== undefined) {
      at(transferAt, (r) => {
        (r.transfers as Rec[]).push({
          id: id * 100 + 51,
          call_id: id,
          status: 'connecting',
          created_at: iso(transferAt),
          updated_at: iso(transferAt),
          from_agent: this.agentSummary(agent1),
          to_agent: this.agentSummary(agent2),
          from_menu_path: { name: menu.name, materialized_path: menu.path, items_count: 1 },
          wait_duration: null,
        });
      });
      const joined = transferAt + joinDelay;
      at(joined, (r) => {
        const t = (r.transfers as Rec[]).find((x) => x.id === id * 100 + 51);
        if (t) Object.assign(t, { status: 'connected', updated_at: iso(joined), wait_duration: Math.round(joinDelay / 1000) });
        const first = (r.participants as Rec[]).find((p) => p.id === id * 100 + 2);
        if (first && first.ended_at === null)
          Object.assign(first, { status: 'transferred', ended_at: iso(joined), call_duration: Math.round((joined - answered) / 1000) });
        (r.participants as Rec[]).push(this.participant('call', id, 3, { user_id: agent2.id, connected_at: iso(joined) }));
        r.agent_info = this.agentSummary(agent2);
      });
    }
    if (photoAt !== undefined) {
      at(photoAt, (r) =>
        (r.photos as Rec[]).push({
          id: id * 100 + 81,
          call_id: id,
          url: `https://${sub}.example/media/photos/${id * 100 + 81}.jpg`,
          content_type: 'image/jpeg',
          created_at: iso(photoAt),
        }),
      );
    }
    if (videoAt !== undefined) {
      at(videoAt, (r) =>
        (r.videos as Rec[]).push({
          id: id * 100 + 91,
          call_id: id,
          url: `https://${sub}.example/media/videos/${id * 100 + 91}.mp4`,
          content_type: 'video/mp4',
          created_at: iso(videoAt),
        }),
      );
    }
    at(Math.max(ended, (transferAt ?? 0) + joinDelay + 1_000), (r) => {
      const end = Math.max(ended, (transferAt ?? 0) + joinDelay + 1_000);
      Object.assign(r, {
        status: 'finished',
        ended_at: iso(end),
        call_duration: Math.round((end - created) / 1000),
        hold_duration: hold,
        recording_url: `https://${sub}.example/recordings/${id}.mp3`,
      });
      CcaipDataset.endParticipants(r, end);
    });
    if (surveyAt !== undefined) {
      at(surveyAt, (r) => {
        Object.assign(r, { rating, has_feedback: true });
        (r.participants as Rec[]).push(
          this.participant('call', id, 9, {
            type: 'virtual_agent',
            status: 'finished',
            connected_at: iso(surveyAt - 60_000),
            ended_at: iso(surveyAt),
            call_duration: 60,
          }),
        );
      });
    }
    return ev.sort((a, b) => a.at - b.at);
  }

  /** A chat's plan: created and queued, answered (or abandoned), media, ended, maybe rated. */
  private chatEvents(id: number, created: number): SimEvent[] {
    const rng = rngFor('chat-plan', this.seed, id);
    const agents = this.agentList;
    const endUser = this.endUser(id);
    const menu = MENUS[Math.floor(rng() * MENUS.length)]!;
    const chatType = rng() < 0.6 ? 'web' : 'mobile';
    const abandoned = rng() < 0.1;
    const answered = created + between(rng, 10_000, 240_000);
    const agent = agents[Math.floor(rng() * agents.length)]!;
    const duration = between(rng, 120_000, 1_500_000);
    const ended = answered + duration;
    const photoAt = rng() < 0.15 ? answered + between(rng, 1_000, duration - 1_000) : undefined;
    const videoAt = rng() < 0.05 ? answered + between(rng, 1_000, duration - 1_000) : undefined;
    const ratedAt = rng() < 0.2 ? ended + between(rng, 10 * MINUTE_MS, 90 * MINUTE_MS) : undefined;
    const rating = between(rng, 1, 5);
    const sub = this.subdomain;

    const ev: SimEvent[] = [];
    const at = (t: number, apply: (r: Rec) => void) => ev.push({ at: t, manual: false, apply });
    at(created, (r) =>
      Object.assign(r, {
        id,
        chat_type: chatType,
        status: 'queued',
        lang: 'en',
        created_at: iso(created),
        queued_at: iso(created),
        assigned_at: null,
        ended_at: null,
        wait_duration: null,
        chat_duration: null,
        fail_reason: null,
        rating: null,
        has_feedback: false,
        end_user: endUser,
        agent_info: null,
        menu_path: { name: menu.name, materialized_path: menu.path, items_count: 1 },
        participants: [this.participant('chat', id, 1, { type: 'end_user', end_user_id: endUser.id, connected_at: iso(created) })],
        transfers: [],
        photos: [],
        videos: [],
      }),
    );
    if (abandoned) {
      at(answered, (r) => {
        Object.assign(r, {
          status: 'failed',
          fail_reason: 'end_user_abandoned',
          ended_at: iso(answered),
          wait_duration: Math.round((answered - created) / 1000),
        });
        CcaipDataset.endParticipants(r, answered);
      });
      return ev;
    }
    at(answered, (r) => {
      Object.assign(r, {
        status: 'assigned',
        assigned_at: iso(answered),
        wait_duration: Math.round((answered - created) / 1000),
        agent_info: this.agentSummary(agent),
      });
      (r.participants as Rec[]).push(this.participant('chat', id, 2, { user_id: agent.id, connected_at: iso(answered) }));
    });
    if (photoAt !== undefined) {
      at(photoAt, (r) =>
        (r.photos as Rec[]).push({
          id: id * 100 + 81,
          chat_id: id,
          url: `https://${sub}.example/media/photos/${id * 100 + 81}.jpg`,
          content_type: 'image/jpeg',
          created_at: iso(photoAt),
        }),
      );
    }
    if (videoAt !== undefined) {
      at(videoAt, (r) =>
        (r.videos as Rec[]).push({
          id: id * 100 + 91,
          chat_id: id,
          url: `https://${sub}.example/media/videos/${id * 100 + 91}.mp4`,
          content_type: 'video/mp4',
          created_at: iso(videoAt),
        }),
      );
    }
    at(ended, (r) => {
      Object.assign(r, { status: 'finished', ended_at: iso(ended), chat_duration: Math.round((ended - answered) / 1000) });
      CcaipDataset.endParticipants(r, ended);
    });
    if (ratedAt !== undefined) at(ratedAt, (r) => Object.assign(r, { rating, has_feedback: true }));
    return ev.sort((a, b) => a.at - b.at);
  }

  /** A conversation as the API serves it at `at`; undefined before it was created. */
  private render(c: Conversation, at: number): Rec | undefined {
    if (c.created > at) return undefined;
    const r: Rec = {};
    let updated = c.created;
    for (const e of c.events) {
      if (!e.manual && e.at > at) continue;
      e.apply(r);
      updated = Math.max(updated, e.at);
    }
    r.updated_at = iso(updated);
    return r;
  }

  private slotRange(from: number, to: number): number[] {
    const first = Math.max(0, Math.floor((from - this.dataStart) / HOUR_MS));
    const last = Math.floor((to - this.dataStart) / HOUR_MS);
    const out: number[] = [];
    for (let s = first; s <= last; s++) out.push(s);
    return out;
  }

  /** Every conversation that may match `q` (a superset; `render` decides). */
  private candidates(kind: 'call' | 'chat', q: TimeQuery, at: number): Conversation[] {
    const field = q.field ?? 'updated_at';
    const to = Math.min(q.to ?? at, at);
    // A record is updated at most MAX_LIFECYCLE_MS after its creation, unless changed by hand.
    const from = q.from === undefined ? this.dataStart : field === 'created_at' ? q.from : q.from - MAX_LIFECYCLE_MS;
    const seen = new Map<number, Conversation>();
    for (const slot of this.slotRange(from, to)) for (const c of this.conversationsOfSlot(kind, slot)) seen.set(c.id, c);
    for (const c of this.touched.values()) if (c.kind === kind) seen.set(c.id, c);
    return [...seen.values()];
  }

  private query(kind: 'call' | 'chat', q: TimeQuery): Rec[] {
    const at = this.now();
    const field = q.field ?? 'updated_at';
    const out: Rec[] = [];
    for (const c of this.candidates(kind, q, at)) {
      const r = this.render(c, at);
      if (!r) continue;
      const t = Date.parse(String(r[field]));
      if (q.from !== undefined && !(t >= q.from)) continue;
      if (q.to !== undefined && !(t <= q.to)) continue;
      out.push(r);
    }
    return out.sort(compareBy(q.sortColumn ?? field, q.sortDirection));
  }

  /** Calls whose `field` (default `updated_at`) is within `[from, to]` (inclusive, like the API), as of now. */
  calls(q: TimeQuery = {}): Rec[] {
    return this.query('call', q);
  }

  /** Chats whose `field` (default `updated_at`) is within `[from, to]`, as of now. */
  chats(q: TimeQuery = {}): Rec[] {
    return this.query('chat', q);
  }

  private find(kind: 'call' | 'chat', id: number): Conversation {
    const touched = this.touched.get(`${kind}:${id}`);
    if (touched) return touched;
    const base = kind === 'call' ? CALL_ID_BASE : CHAT_ID_BASE;
    const slot = Math.floor((id - base) / 100);
    const c = slot >= 0 ? this.conversationsOfSlot(kind, slot).find((x) => x.id === id) : undefined;
    if (!c) throw new RangeError(`no ${kind} ${id}`);
    return c;
  }

  call(id: number): Rec | undefined {
    return this.render(this.find('call', id), this.now());
  }

  chat(id: number): Rec | undefined {
    return this.render(this.find('chat', id), this.now());
  }

  /**
   * Changes calls by hand, as an agent or an integration would: each gets `updated_at` = `at`
   * (default: the clock, or 1 ms after the record's last update if that is later). One `at` for
   * several records makes them share an `updated_at` (a bulk update). Returns the new records.
   */
  updateCalls(ids: readonly number[], change: ConversationChange, at?: number): Rec[] {
    return this.update('call', ids, change, at);
  }

  updateCall(id: number, change: ConversationChange, at?: number): Rec {
    return this.update('call', [id], change, at)[0]!;
  }

  updateChat(id: number, change: ConversationChange, at?: number): Rec {
    return this.update('chat', [id], change, at)[0]!;
  }

  private update(kind: 'call' | 'chat', ids: readonly number[], change: ConversationChange, at?: number): Rec[] {
    const now = this.now();
    const convs = ids.map((id) => this.find(kind, id));
    for (const c of convs) if (c.created > now) throw new RangeError(`${kind} ${c.id} does not exist yet at ${iso(now)}`);
    const latest = Math.max(...convs.map((c) => Date.parse(String(this.render(c, now)!.updated_at))));
    const stamp = at ?? Math.max(now, latest + 1);
    if (stamp <= latest) throw new RangeError(`an update must be later than the records' last update (${iso(latest)})`);
    const parent = kind;
    for (const c of convs) {
      const extra = c.events.filter((e) => e.manual).length;
      c.events.push({
        at: stamp,
        manual: true,
        apply: (r) => {
          if (change.set) Object.assign(r, clone(change.set));
          const participants = (r.participants ?? []) as Rec[];
          if (change.removeParticipant !== undefined) r.participants = participants.filter((p) => p.id !== change.removeParticipant);
          if (change.addParticipant) {
            const list = r.participants as Rec[];
            list.push(this.participant(parent, c.id, 20 + extra, { connected_at: iso(stamp), ...clone(change.addParticipant) }));
          }
        },
      });
      c.events.sort((a, b) => a.at - b.at || Number(a.manual) - Number(b.manual));
      this.touched.set(`${kind}:${c.id}`, c);
    }
    return convs.map((c) => this.render(c, now)!);
  }
}
