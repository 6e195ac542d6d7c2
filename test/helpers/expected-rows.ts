/**
 * The rows a destination must hold after a sync, derived from a simulator's own records (never
 * from the source's code): shared by the integration tests and the cluster harness.
 */
import type { CcaipSimulator } from '../../simulators/ccaip';
import type { IntervalMetricsRecord, LivePersonSimulator } from '../../simulators/liveperson';
import { DEFAULT_METRICS } from '../../sources/liveperson/connection';

type Rec = Record<string, unknown>;
export interface ExpectedRow {
  key: Record<string, string>;
  record: unknown;
}
/** Epoch milliseconds, `to` exclusive. */
export interface Range {
  from: number;
  to: number;
}

/** What the LivePerson interval_metrics table must hold for [from, to) (grouping skill,agent, 15 minutes, IFT): the API's records, ids as strings, with the query they answer. */
export function livePersonIntervalRows(sim: LivePersonSimulator, r: Range): ExpectedRow[] {
  const truth = sim.groundTruth({
    fromMs: r.from,
    toMs: r.to,
    intervalDuration: 15,
    grouping: ['skill', 'agent'],
    metrics: DEFAULT_METRICS,
    handleTimeModel: 'IFT',
    includeBotSkills: false,
  });
  return truth.map((t: IntervalMetricsRecord) => ({
    key: {
      grouping: 'skill,agent',
      fromL: String(t.timeframe.fromL),
      skillId: String(t.skillId),
      agentGroupId: '',
      agentId: String(t.agentId),
      conversationId: '',
      intervalDuration: '15',
      handleTimeModel: 'IFT',
    },
    record: { ...t, skillId: String(t.skillId), agentId: String(t.agentId), _query: { grouping: 'skill,agent', intervalDuration: 15, handleTimeModel: 'IFT' } },
  }));
}

/** What each CCAI Platform windowed table (and its child tables) must hold for [from, to), from the simulator's records, independent of the source's code. */
export function ccaipWindowedRows(sim: CcaipSimulator, r: Range) {
  const calls = sim.data.calls({ from: r.from, to: r.to });
  const chats = sim.data.chats({ from: r.from, to: r.to });
  const media = (field: 'photos' | 'videos') => [
    ...calls.flatMap((c) =>
      (c[field] as Rec[]).map((m) => ({ key: { parent: `call:${String(c.id)}`, id: String(m.id) }, record: { ...m, parent_type: 'call', call_id: c.id } })),
    ),
    ...chats.flatMap((c) =>
      (c[field] as Rec[]).map((m) => ({ key: { parent: `chat:${String(c.id)}`, id: String(m.id) }, record: { ...m, parent_type: 'chat', chat_id: c.id } })),
    ),
  ];
  const byId = (list: Rec[]) => list.map((x) => ({ key: { id: String(x.id) }, record: x }));
  return {
    calls: byId(calls),
    chats: byId(chats),
    agent_activity_logs: byId(sim.data.activityLogs({ from: r.from, to: r.to })),
    call_participants: calls.flatMap((c) =>
      (c.participants as Rec[]).map((p) => ({ key: { call_id: String(c.id), id: String(p.id) }, record: { ...p, call_id: c.id } })),
    ),
    chat_participants: chats.flatMap((c) =>
      (c.participants as Rec[]).map((p) => ({ key: { chat_id: String(c.id), id: String(p.id) }, record: { ...p, chat_id: c.id } })),
    ),
    call_transfers: calls.flatMap((c) =>
      (c.transfers as Rec[]).map((t) => ({ key: { call_id: String(c.id), id: String(t.id) }, record: { ...t, call_id: c.id } })),
    ),
    photos: media('photos'),
    videos: media('videos'),
  };
}
