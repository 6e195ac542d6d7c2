/**
 * CCAI Platform end to end: `backfill` and `incrementalSync` on the real Temporal dev server,
 * against two CCAI Platform simulators over real HTTP (one sending api-pagination's full Link
 * header and Total, one that omits rel="next" and Total), into real SQLite and PostgreSQL,
 * compared with the simulator's ground truth record by record: calls, chats and agent activity
 * logs, their child tables (participants, transfers, photos, videos), and the snapshot streams
 * (agents, teams, the team tree, user statuses) with deletions marked.
 *
 * The simulators run on a clock held a little behind real time (the latest 5-minute boundary at
 * least 5 minutes ago, the streams' lag): incremental runs then read everything up to the
 * simulator's "now", so a table must equal the ground truth exactly. The clock only moves forward,
 * by less than the connections' lookback, so nothing can appear in a range already recorded done.
 * Run: npx tsx --test test/integration/ccaip-sync.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { basicAuthorization } from '../../sources/ccaip/auth';
import { AGENT_ID_BASE, CcaipSimulator, DEMO_CCAIP, TEAM_ID_BASE, demoCcaipOptions } from '../../simulators/ccaip';
import type { StoredRow, TableSpec } from '../../destinations/destination';
import { historyJson, safeJson, startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { installWriteLedger, type LedgerCounts, type WriteLedger } from '../helpers/write-ledger';
import { readAll } from '../helpers/destination-access';
import { queryRows } from '../helpers/sql';
import { ccaipWindowedRows } from '../helpers/expected-rows';

const logs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('INFO', (entry) => logs.push(entry)) });

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const floor5 = (t: number) => Math.floor(t / (5 * MIN)) * (5 * MIN);
const iso = (t: number) => new Date(t).toISOString();
type Rec = Record<string, unknown>;

/** The simulators' clock: frozen between moves, never ahead of (real now - lag), only forward. */
class SimClock {
  t = floor5(Date.now() - 5 * MIN);
  now = () => this.t;
  catchUp(): number {
    this.t = Math.max(this.t, floor5(Date.now() - 5 * MIN));
    return this.t;
  }
}
const clock = new SimClock();
const P0 = clock.t;
/**
 * Two full days of history ending at least 12 hours before the clock: agent activity logs can stay
 * open for hours, and one still open would (rightly) keep the end of the range incomplete. Just
 * after midnight UTC, "the day before the clock's" would end minutes ago.
 */
const FROM = Math.floor((P0 - 12 * HOUR) / DAY) * DAY - 2 * DAY;
const TO = FROM + 2 * DAY;

const SECRETS = { TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken, TEST_CCAIP_KEY: DEMO_CCAIP.companyKey, TEST_CCAIP_SECRET: DEMO_CCAIP.companySecret };
const BASIC_HEADERS = [
  basicAuthorization({ username: DEMO_CCAIP.subdomain, password: DEMO_CCAIP.apiToken }).slice('Basic '.length),
  basicAuthorization({ companyKey: DEMO_CCAIP.companyKey, companySecret: DEMO_CCAIP.companySecret }).slice('Basic '.length),
];

const simOptions = { now: clock.now, dataStart: FROM };
/** Link with first/prev/next/last, and Total: api-pagination as documented. */
const fullSim = new CcaipSimulator(demoCcaipOptions(simOptions));
/** A tenant that omits rel="next" and the Total header: paging must end on the last rel or a short page. */
const bareSim = new CcaipSimulator(demoCcaipOptions({ ...simOptions, linkMode: 'no-next', totalHeader: false }));
const SIMS: Record<string, CcaipSimulator> = { 'cc-full': fullSim, 'cc-nonext': bareSim, 'cc-midpage': fullSim, 'cc-faults': fullSim };

const TOKEN = '{ username: acme-demo, password: "${TEST_CCAIP_TOKEN}" }';
const COMPANY = '{ companyKey: "${TEST_CCAIP_KEY}", companySecret: "${TEST_CCAIP_SECRET}" }';
const connection = (name: string, sim: CcaipSimulator, credentials: string, streams?: string) => `  - name: ${name}
    source: ccaip
    settings: { baseUrl: "${sim.apiUrl}", pageSize: 25 }
    credentials: ${credentials}
${streams ? `    streams: [${streams}]\n` : ''}    start: ${iso(FROM)}
    schedule: { every: 1h, lag: 5m, lookback: 1h }
`;
const connectionsYaml = () =>
  connection('cc-full', fullSim, TOKEN) +
  connection('cc-nonext', bareSim, COMPANY) +
  connection('cc-midpage', fullSim, TOKEN, 'calls') +
  connection('cc-faults', fullSim, TOKEN, 'chats');

const T = (name: string, keyColumns: string[]): TableSpec => ({ name, keyColumns });
const TABLES = {
  calls: T('ccaip_calls', ['id']),
  chats: T('ccaip_chats', ['id']),
  agent_activity_logs: T('ccaip_agent_activity_logs', ['id']),
  call_participants: T('ccaip_call_participants', ['call_id', 'id']),
  chat_participants: T('ccaip_chat_participants', ['chat_id', 'id']),
  call_transfers: T('ccaip_call_transfers', ['call_id', 'id']),
  photos: T('ccaip_photos', ['parent', 'id']),
  videos: T('ccaip_videos', ['parent', 'id']),
  agents: T('ccaip_agents', ['id']),
  teams: T('ccaip_teams', ['id']),
  team_tree: T('ccaip_team_tree', ['id']),
  user_statuses: T('ccaip_user_statuses', ['id']),
};

const keyOf = (spec: TableSpec, k: Record<string, string>) => spec.keyColumns.map((c) => k[c]).join('|');

function flatTree(nodes: Rec[], parent: number | null = null, depth = 0): Rec[] {
  return nodes.flatMap(({ children, ...own }) => [{ ...own, parent_id: parent, depth }, ...flatTree(children as Rec[], own.id as number, depth + 1)]);
}

function expectedSnapshots(sim: CcaipSimulator) {
  const byId = (list: Rec[]) => list.map((r) => ({ key: { id: String(r.id) }, record: r }));
  return {
    agents: byId(sim.data.agents()),
    teams: byId(sim.data.teams()),
    team_tree: byId(flatTree(sim.data.teamTree())),
    user_statuses: byId(sim.data.userStatuses()),
  };
}

const WINDOWED_TABLES = ['calls', 'chats', 'agent_activity_logs', 'call_participants', 'chat_participants', 'call_transfers', 'photos', 'videos'] as const;

/** The ledger's figures for every windowed table (children included) of a connection. */
async function ledgerOf(ledger: WriteLedger, conn: string): Promise<Record<string, LedgerCounts>> {
  return Object.fromEntries(await Promise.all(WINDOWED_TABLES.map(async (n) => [n, await ledger.counts(TABLES[n].name, conn)] as const)));
}

/** The table's live rows equal `expected` exactly (no more, no fewer); returns every row. */
async function assertTable(
  stack: Stack,
  conn: string,
  name: keyof typeof TABLES,
  expected: { key: Record<string, string>; record: unknown }[],
  minimum = 1,
): Promise<StoredRow[]> {
  const spec = TABLES[name];
  const rows = await readAll(stack.destination, spec, conn);
  const live = rows.filter((r) => r.deletedAt === null);
  assert.ok(expected.length >= minimum, `${name}: enough data to mean something (${expected.length})`);
  const stored = new Map(live.map((r) => [keyOf(spec, r.key), r.record]));
  const missing = expected.filter((e) => !stored.has(keyOf(spec, e.key))).map((e) => keyOf(spec, e.key));
  assert.deepEqual(missing, [], `${conn} ${name}: rows missing`);
  assert.equal(live.length, expected.length, `${conn} ${name}: every record, no more`);
  for (const e of expected) assert.deepEqual(stored.get(keyOf(spec, e.key)), e.record, `${conn} ${name} ${keyOf(spec, e.key)}`);
  return rows;
}

/**
 * With a ledger: every record (children too) was inserted exactly once and never rewritten, so the
 * database's committed writes equal the ground truth's count of new records and no page was
 * processed twice with other content.
 */
async function assertWindowedTruth(stack: Stack, conn: string, from: number, to: number, ledger?: WriteLedger) {
  const expected = ccaipWindowedRows(SIMS[conn]!, { from, to });
  for (const [name, rows] of Object.entries(expected)) {
    await assertTable(stack, conn, name as keyof typeof TABLES, rows, name === 'videos' || name === 'call_transfers' || name === 'photos' ? 0 : 20);
  }
  if (ledger) {
    const writes = await ledgerOf(ledger, conn);
    for (const name of WINDOWED_TABLES) {
      const w = writes[name]!;
      assert.deepEqual([w.inserted, w.updated, w.deleted], [expected[name].length, 0, 0], `${conn} ${name}: inserted once each, never rewritten or deleted`);
    }
  }
  return { calls: expected.calls.length, chats: expected.chats.length, logs: expected.agent_activity_logs.length };
}

async function assertSnapshotTruth(stack: Stack, conn: string) {
  const expected = expectedSnapshots(SIMS[conn]!);
  for (const [name, rows] of Object.entries(expected)) await assertTable(stack, conn, name as keyof typeof TABLES, rows, 4);
}

/**
 * Calls per agent per hour, with the participants joined, as a user writes it on typed columns:
 * the call's `created_at` (timestamptz in PostgreSQL) and the participant's `type` and `user_id`.
 */
async function assertCallsPerAgentPerHour(stack: Stack, conn: string, sim: CcaipSimulator, from: number, to: number) {
  const expected = new Map<string, number>();
  for (const call of sim.data.calls({ from, to })) {
    const agents = new Set((call.participants as Rec[]).filter((p) => p.type === 'agent').map((p) => String(p.user_id)));
    const hour = String(call.created_at).slice(0, 13);
    for (const agent of agents) expected.set(`${agent}|${hour}`, (expected.get(`${agent}|${hour}`) ?? 0) + 1);
  }
  const join = `FROM ccaip_calls c JOIN ccaip_call_participants p ON p._connection = c._connection AND p.call_id = c.id`;
  const rows = await queryRows(
    stack.destinationUrl,
    {
      sqlite:
        `SELECT p.user_id AS agent, substr(c.created_at, 1, 13) AS hour, COUNT(DISTINCT c.id) AS calls ${join} ` +
        `WHERE c._connection = ? AND p.type = 'agent' GROUP BY agent, hour`,
      postgres:
        `SELECT p.user_id AS agent, to_char(date_trunc('hour', c.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24') AS hour, COUNT(DISTINCT c.id) AS calls ` +
        `${join} WHERE c._connection = $1 AND p.type = 'agent' GROUP BY 1, 2`,
    },
    [conn],
  );
  assert.ok(expected.size > 10, 'enough calls to mean something');
  assert.deepEqual(new Map(rows.map((r) => [`${String(r.agent)}|${String(r.hour)}`, Number(r.calls)])), expected);
}

async function failureOf(promise: Promise<unknown>): Promise<{ message: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected a workflow failure, got ${String(err)}`);
    let cause = err.cause as { message: string; type?: string; cause?: unknown } | undefined;
    while (cause?.cause) cause = cause.cause as typeof cause;
    return { message: cause!.message, type: cause!.type };
  }
  assert.fail('the workflow was expected to fail');
}

interface Progress {
  windows: { total: number; done: number; failed: number; skipped: number };
  records: number;
  inserted: number;
  updated: number;
}
interface IncrementalResult extends Progress {
  scheduledAt: string;
  plan: { stream: string; from: string; to: string; windows: number; lookback?: string }[];
}

before(async () => {
  await fullSim.start();
  await bareSim.start();
});
after(async () => {
  await fullSim.stop();
  await bareSim.stop();
});

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`CCAI Platform into ${kind}`, () => {
    let stack: Stack;
    let ledger: WriteLedger;
    before(async () => {
      for (const sim of [fullSim, bareSim]) {
        for (const id of sim.data.agentIds) sim.data.restoreAgent(id);
        for (const id of sim.data.teamIds) sim.data.restoreTeam(id);
      }
      stack = await startStack({
        destination: kind,
        extraConnectionsYaml: connectionsYaml(),
        extraEnv: SECRETS,
        extraSecrets: [...Object.values(SECRETS), ...BASIC_HEADERS],
      });
      ledger = await installWriteLedger(
        stack.destinationUrl,
        stack.destination,
        WINDOWED_TABLES.map((n) => TABLES[n]),
      );
    });
    after(async () => {
      await ledger?.close();
      await stack?.close();
    });

    it('a 2-day backfill of calls, chats and activity logs equals the ground truth, children included, in both Link modes', async () => {
      const started = Date.now();
      const logStart = { full: fullSim.requests().length, bare: bareSim.requests().length };
      const results = await Promise.all(
        ['cc-full', 'cc-nonext'].map(
          async (c) => (await stack.start('backfill', { connection: c, from: iso(FROM), to: iso(TO) })).result() as Promise<Progress>,
        ),
      );
      for (const r of results) {
        assert.equal(r.windows.total, 3 * 2 + 4, 'three windowed streams, two 1-day windows each, then each of the four snapshot streams once');
        assert.equal(r.windows.done, r.windows.total);
        assert.equal(r.windows.failed, 0);
      }
      const full = await assertWindowedTruth(stack, 'cc-full', FROM, TO, ledger);
      const bare = await assertWindowedTruth(stack, 'cc-nonext', FROM, TO, ledger);
      await assertCallsPerAgentPerHour(stack, 'cc-full', fullSim, FROM, TO);
      // The backfill leaves the snapshot tables complete too: calls join to agents at once.
      for (const c of ['cc-full', 'cc-nonext']) await assertSnapshotTruth(stack, c);
      const snapshotRows = (c: string) => Object.values(expectedSnapshots(SIMS[c]!)).reduce((n, rows) => n + rows.length, 0);
      // The runs' own figures, summed over their pages, agree: every parent new, none changed.
      assert.deepEqual(
        results.map((r) => [r.inserted, r.updated]),
        [
          [full.calls + full.chats + full.logs + snapshotRows('cc-full'), 0],
          [bare.calls + bare.chats + bare.logs + snapshotRows('cc-nonext'), 0],
        ],
      );
      // Same seed, same clock: the same chats and logs (calls differ once earlier tests updated some on one of them).
      assert.deepEqual([bare.chats, bare.logs], [full.chats, full.logs], 'both tenants hold the same data');
      for (const stream of ['calls', 'chats', 'agent_activity_logs']) {
        assert.deepEqual(await stack.destination.completedIntervals('cc-full', stream), [{ start: FROM, end: TO }], `${stream} complete`);
      }
      const fullLog = fullSim.requests().slice(logStart.full);
      const bareLog = bareSim.requests().slice(logStart.bare);
      const odd = (log: typeof fullLog, auth: string) => log.filter((e) => e.status !== 200 || e.auth !== auth).map((e) => `${e.status} ${e.auth} ${e.path}`);
      assert.deepEqual(odd(fullLog, 'api-token'), []);
      assert.deepEqual(odd(bareLog, 'company-key'), []);
      assert.ok(
        fullLog.some((e) => e.query.page === '1' && e.query['updated_at[from]'] !== iso(FROM) && e.query['updated_at[from]'] !== iso(FROM + DAY)),
        'tailed: page 1 again from a later time',
      );
      // Every paged request asks for the configured page size (the team tree comes whole, unpaged).
      assert.ok(fullLog.filter((e) => e.endpoint !== 'team_tree').every((e) => e.query.per === '25' && Number(e.query.per) <= 100));
      console.log(
        `[ccaip ${kind}] 2-day backfill x2: ${full.calls} calls, ${full.chats} chats, ${full.logs} logs each, ${fullLog.length} + ${bareLog.length} requests, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });

    it('incremental runs bring every stream, snapshots included, to the ground truth; a second run changes nothing', async () => {
      const started = Date.now();
      clock.catchUp();
      const first = await Promise.all(
        ['cc-full', 'cc-nonext'].map(async (c) => (await stack.start('incrementalSync', { connection: c })).result() as Promise<IncrementalResult>),
      );
      for (const r of first) {
        assert.equal(r.windows.failed, 0);
        assert.ok(
          r.plan.every((p) => Date.parse(p.to) >= clock.t),
          'each windowed stream reaches the simulator clock',
        );
        assert.ok(r.plan.find((p) => p.stream === 'calls')!.lookback, 'the lookback before the backfill frontier is read again');
      }
      for (const c of ['cc-full', 'cc-nonext']) {
        await assertWindowedTruth(stack, c, FROM, clock.t);
        await assertSnapshotTruth(stack, c);
      }
      const treeRows = await readAll(stack.destination, TABLES.team_tree, 'cc-full');
      assert.deepEqual(
        treeRows
          .map((r) => r.record as Rec)
          .map((n) => `${String(n.name)}:${String(n.depth)}:${String(n.parent_id)}`)
          .sort(),
        ['Billing:2:7002', 'Inbound:1:7006', 'Outbound:1:7006', 'Sales:0:null', 'Support:0:null', 'Technical:2:7002', 'Tier 1:1:7001', 'Tier 2:1:7001'],
        'the tree, flattened with parents and depths',
      );
      const teamRows = await readAll(stack.destination, TABLES.teams, 'cc-full');
      assert.ok(
        teamRows.some((r) => ((r.record as Rec).assignees as unknown[]).length > 0),
        'teams carry their assignees',
      );

      const writesBefore = await Promise.all(['cc-full', 'cc-nonext'].map((c) => ledgerOf(ledger, c)));
      const second = await Promise.all(
        ['cc-full', 'cc-nonext'].map(async (c) => (await stack.start('incrementalSync', { connection: c })).result() as Promise<IncrementalResult>),
      );
      for (const r of second) {
        assert.equal(r.windows.failed, 0);
        assert.equal(r.inserted, 0, 'nothing new');
        assert.equal(r.updated, 0, 'nothing changed');
      }
      assert.deepEqual(
        await Promise.all(['cc-full', 'cc-nonext'].map((c) => ledgerOf(ledger, c))),
        writesBefore,
        're-reading wrote nothing, children included',
      );
      for (const c of ['cc-full', 'cc-nonext']) await assertWindowedTruth(stack, c, FROM, clock.t);
      console.log(`[ccaip ${kind}] two incremental runs x2: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it('a call updated between two syncs is one row in its latest form, and its participants follow it', async () => {
      clock.catchUp();
      const [call] = fullSim.data.calls({ from: FROM + 6 * HOUR, to: TO }).filter((c) => (c.participants as Rec[]).length >= 2);
      assert.ok(call);
      const id = call.id as number;
      const removed = (call.participants as Rec[])[1]!.id as number;
      const updated = fullSim.data.updateCall(id, {
        removeParticipant: removed,
        addParticipant: { type: 'third_party', status: 'connected' },
        set: { out_ticket_id: 'ZD-42' },
      });
      assert.ok(Date.parse(updated.updated_at as string) <= clock.t);
      const writesBefore = await ledgerOf(ledger, 'cc-full');
      const r = (await (await stack.start('incrementalSync', { connection: 'cc-full' })).result()) as IncrementalResult;
      assert.equal(r.windows.failed, 0);
      // The ledger since the start: each record inserted once, and beyond that exactly one call
      // rewritten, its removed participant deleted and its new one inserted. Nothing else written.
      const writes = await ledgerOf(ledger, 'cc-full');
      const truth = ccaipWindowedRows(fullSim, { from: FROM, to: clock.t });
      const changes = (n: (typeof WINDOWED_TABLES)[number]) => [
        writes[n]!.inserted - writes[n]!.deleted - truth[n].length,
        writes[n]!.updated - writesBefore[n]!.updated,
        writes[n]!.deleted - writesBefore[n]!.deleted,
      ];
      assert.deepEqual(changes('calls'), [0, 1, 0], 'the call rewritten once');
      assert.deepEqual(changes('call_participants'), [0, 0, 1], 'one participant out (and its replacement in)');
      for (const n of WINDOWED_TABLES.filter((t) => t !== 'calls' && t !== 'call_participants'))
        assert.deepEqual(changes(n), [0, 0, 0], `${n}: inserted once each, nothing rewritten`);
      const rows = (await readAll(stack.destination, TABLES.calls, 'cc-full')).filter((x) => x.key.id === String(id));
      assert.equal(rows.length, 1, 'one row');
      assert.deepEqual(rows[0]!.record, updated, 'in its latest form');
      const participants = (await readAll(stack.destination, TABLES.call_participants, 'cc-full')).filter((p) => p.key.call_id === String(id));
      assert.ok(!participants.some((p) => p.key.id === String(removed)), 'the removed participant is gone');
      assert.ok(
        participants.some((p) => (p.record as Rec).type === 'third_party'),
        'the new one is there',
      );
      assert.deepEqual(participants.map((p) => p.key.id).sort(), (updated.participants as Rec[]).map((p) => String(p.id)).sort());
      await assertWindowedTruth(stack, 'cc-full', FROM, clock.t);
    });

    it('snapshot streams mark removed agents and teams deleted (_deleted_at), and revive them when they come back', async () => {
      clock.catchUp();
      const agent = AGENT_ID_BASE + 2;
      const tier1 = TEAM_ID_BASE + 2;
      const lastSeen = (await readAll(stack.destination, TABLES.agents, 'cc-full')).find((a) => a.key.id === String(agent))!;
      assert.equal(lastSeen.deletedAt, null);
      fullSim.data.removeAgent(agent);
      fullSim.data.removeTeam(tier1);
      const before = Date.now();
      const r = (await (await stack.start('incrementalSync', { connection: 'cc-full' })).result()) as IncrementalResult;
      assert.equal(r.windows.failed, 0);
      const agents = await readAll(stack.destination, TABLES.agents, 'cc-full');
      const gone = agents.find((a) => a.key.id === String(agent))!;
      assert.ok(gone.deletedAt, 'the removed agent is marked deleted');
      assert.ok(Date.parse(gone.deletedAt) >= before - 1000 && Date.parse(gone.deletedAt) <= Date.now() + 1000, `deleted at ${gone.deletedAt}`);
      assert.deepEqual(gone.record, lastSeen.record, 'the last record seen is kept');
      assert.ok(agents.filter((a) => a.key.id !== String(agent)).every((a) => a.deletedAt === null));
      const deletedTeams = (await readAll(stack.destination, TABLES.teams, 'cc-full'))
        .filter((t) => t.deletedAt)
        .map((t) => Number(t.key.id))
        .sort();
      assert.deepEqual(deletedTeams, [tier1, tier1 + 1, tier1 + 2], 'Tier 1 and the two teams under it');
      const deletedNodes = (await readAll(stack.destination, TABLES.team_tree, 'cc-full'))
        .filter((t) => t.deletedAt)
        .map((t) => Number(t.key.id))
        .sort();
      assert.deepEqual(deletedNodes, [tier1, tier1 + 1, tier1 + 2]);
      await assertSnapshotTruth(stack, 'cc-full');

      fullSim.data.restoreAgent(agent);
      fullSim.data.restoreTeam(tier1);
      await (await stack.start('incrementalSync', { connection: 'cc-full' })).result();
      assert.ok(
        (await readAll(stack.destination, TABLES.agents, 'cc-full')).every((a) => a.deletedAt === null),
        'revived',
      );
      assert.ok((await readAll(stack.destination, TABLES.teams, 'cc-full')).every((a) => a.deletedAt === null));
      await assertSnapshotTruth(stack, 'cc-full');
      const other = await readAll(stack.destination, TABLES.agents, 'cc-nonext');
      assert.ok(
        other.every((a) => a.deletedAt === null),
        "another connection's rows are not touched",
      );
    });

    it('a call updated while its window is being paged is not lost', async () => {
      clock.catchUp();
      const day = { from: FROM, to: FROM + DAY };
      const truth = fullSim.data.calls(day);
      assert.ok(truth.length > 30, `calls over more than one page (${truth.length})`);
      // After the first page of calls is answered, a call on it is updated: it leaves the window,
      // and everything behind it moves up one place. Walking pages 2, 3, ... would skip truth[25].
      const victim = truth[3]!.id as number;
      const logStart = fullSim.requests().length;
      fullSim.afterRequests('calls', 1, () => fullSim.data.updateCall(victim, { set: { out_ticket_id: 'moved-mid-walk' } }));
      const r = (await (await stack.start('backfill', { connection: 'cc-midpage', from: iso(day.from), to: iso(day.to) })).result()) as Progress;
      assert.equal(r.windows.failed, 0);
      assert.equal(fullSim.pendingActions(), 0, 'the update happened during the walk');
      const walked = fullSim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'calls');
      assert.ok(walked.length >= 2, `the window took several pages (${walked.length})`);
      const stored = new Map((await readAll(stack.destination, TABLES.calls, 'cc-midpage')).map((row) => [Number(row.key.id), row.record as Rec]));
      const missing = truth.filter((t) => !stored.has(t.id as number)).map((t) => t.id);
      assert.deepEqual(missing, [], 'every call of the window as it was when paging began');
      assert.equal(stored.size, truth.length);
      // The next incremental run finds it in its new place, in its latest form.
      const inc = (await (await stack.start('incrementalSync', { connection: 'cc-midpage' })).result()) as IncrementalResult;
      assert.equal(inc.windows.failed, 0);
      const latest = (await readAll(stack.destination, TABLES.calls, 'cc-midpage')).find((row) => row.key.id === String(victim))!;
      assert.equal((latest.record as Rec).out_ticket_id, 'moved-mid-walk');
    });

    it('5xx and 429 are retried and the window completes; schema drift fails the window naming the field', async () => {
      // Daytime hours, so the windows hold chats.
      const day = { from: iso(FROM + DAY + 8 * HOUR), to: iso(FROM + DAY + 14 * HOUR) };
      const logStart = fullSim.requests().length;
      fullSim.failNext({ endpoint: 'chats', status: 503 }, { endpoint: 'chats', status: 429 });
      const ok = (await (await stack.start('backfill', { connection: 'cc-faults', ...day })).result()) as Progress;
      assert.equal(ok.windows.failed, 0);
      const statuses = fullSim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'chats')
        .map((e) => e.status);
      assert.deepEqual(statuses.slice(0, 3), [503, 429, 200]);
      const chats = await readAll(stack.destination, TABLES.chats, 'cc-faults');
      assert.equal(chats.length, fullSim.data.chats({ from: Date.parse(day.from), to: Date.parse(day.to) }).length);

      fullSim.failNext({ endpoint: 'chats', kind: 'schema-drift', field: 'updated_at', value: 1_700_000_000 });
      assert.ok(fullSim.data.chats({ from: FROM + 12 * HOUR, to: FROM + 18 * HOUR }).length > 0);
      const f = await failureOf(
        (await stack.start('backfill', { connection: 'cc-faults', from: iso(FROM + 12 * HOUR), to: iso(FROM + 18 * HOUR), force: true })).result(),
      );
      assert.equal(f.type, 'SchemaMismatch');
      assert.match(f.message, /chats\[0\]\.updated_at: expected an ISO-8601 date-time \(got number 1700000000\)/);
      assert.equal(fullSim.pendingFaults(), 0);
    });

    it('a participant field of the wrong type is stored around in the child table; its chat is whole and the run reports it', async () => {
      const range = { from: FROM + 12 * HOUR, to: FROM + 18 * HOUR };
      // The first chat of the first page now lists one participant whose status is a number.
      const drifted = [{ id: 990001, type: 'agent', status: 42, user_id: AGENT_ID_BASE }];
      fullSim.failNext({ endpoint: 'chats', kind: 'schema-drift', field: 'participants', value: drifted });
      const r = (await (
        await stack.start('backfill', { connection: 'cc-faults', from: iso(range.from), to: iso(range.to), force: true })
      ).result()) as Progress & {
        misfits?: Record<string, number>;
      };
      assert.equal(fullSim.pendingFaults(), 0, 'the drifted page was served');
      assert.equal(r.windows.failed, 0, 'the sync completed');
      assert.deepEqual(r.misfits, { 'ccaip_chat_participants.status': 1 }, 'counted once, in the child table');
      const child = (await readAll(stack.destination, TABLES.chat_participants, 'cc-faults')).filter((row) => row.key.id === '990001');
      assert.deepEqual(
        child.map((row) => (row.record as Rec).status),
        [42],
        'the participant is stored, the value as sent in record',
      );
      const chat = (await readAll(stack.destination, TABLES.chats, 'cc-faults')).find((row) => row.key.id === child[0]!.key.chat_id)!;
      assert.deepEqual((chat.record as Rec).participants, drifted, 'its chat is stored with the list as sent');
      const typed = await queryRows(
        stack.destinationUrl,
        {
          sqlite: `SELECT status, type FROM ccaip_chat_participants WHERE _connection = ? AND chat_id = ? AND id = '990001'`,
          postgres: `SELECT status, type FROM ccaip_chat_participants WHERE _connection = $1 AND chat_id = $2 AND id = '990001'`,
        },
        ['cc-faults', chat.key.id],
      );
      assert.deepEqual(typed, [{ status: null, type: 'agent' }], 'its status column is NULL, the rest typed');
    });

    it('leaves no credential in any exported history or log line', async () => {
      let histories = 0;
      for await (const info of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
        const json = await historyJson(stack.client.workflow.getHandle(info.workflowId, info.runId));
        for (const secret of stack.secrets) assert.ok(!json.includes(secret), `a secret found in the history of ${info.workflowId}`);
        assert.ok(!/Basic\s+[A-Za-z0-9+/=]{8,}/.test(json), `an Authorization header in the history of ${info.workflowId}`);
        histories++;
      }
      assert.ok(histories > 10, `checked ${histories} histories`);
      const text = safeJson(logs);
      for (const secret of stack.secrets) assert.ok(!text.includes(secret), 'a secret found in a log line');
    });
  });
}

describe('over this whole file', () => {
  it('no tenant ever saw more than 10 requests in one second, and no request was refused for it', () => {
    for (const sim of [fullSim, bareSim]) {
      const log = sim.requests();
      const times = log.map((e) => e.at).sort((x, y) => x - y);
      const spans = times.slice(10).map((t, i) => t - times[i]!);
      console.log(`[ccaip] tightest 11 consecutive requests: ${Math.min(...spans)} ms; 429s: ${log.filter((e) => e.status === 429 && !e.fault).length}`);
      assert.ok(log.length > 100, `the simulator saw the file's requests (${log.length})`);
      assert.ok(sim.maxRequestsInAnySecond() <= 10, `${sim.maxRequestsInAnySecond()} requests within one second`);
      assert.ok(!log.some((e) => e.status === 429 && !e.fault), 'no 429 from the rate limit');
      assert.ok(
        log.every((e) => !e.query.per || Number(e.query.per) <= 100),
        'per never above 100',
      );
    }
  });
});
