/**
 * Data correctness under real-world conditions (issue 13, items 6 and 7), on the real Temporal dev
 * server, the Kore.ai and CCAI Platform simulators over real HTTP and real SQLite:
 *  - a window whose records do not add up to the vendor's stated total (Kore.ai `totalCount`,
 *    CCAI Platform `Total`) is read again, and fails with `TotalMismatch` naming both numbers if it
 *    still disagrees; the check shows in the progress query;
 *  - a backfill with no streams named also reads each snapshot stream once, at the end, and uses
 *    the connection's `schedule.lag`.
 * Run: npm test -- data-correctness
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import { callVolumeGroundTruth } from '../../simulators/kore';
import type { TableSpec } from '../../destinations/destination';
import type { TotalCheck } from '../../core/reconcile';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const VOLUME: TableSpec = { name: 'kore_callvolume', keyColumns: ['_id'] };
const AGENTS: TableSpec = { name: 'ccaip_agents', keyColumns: ['id'] };
const SNAPSHOT_TABLES = ['agents', 'teams', 'team_tree', 'user_statuses'];

async function failureOf(promise: Promise<unknown>): Promise<{ message: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected a workflow failure, got ${String(err)}`);
    let cause = err.cause as { message: string; type?: string; cause?: unknown };
    while (cause.cause) cause = cause.cause as typeof cause;
    return { message: cause.message, type: cause.type };
  }
  assert.fail('the workflow was expected to fail');
}

type Progress = { windows: { total: number; done: number }; streams: string[]; reconciled?: { windows: number; readAgain: number } };

describe('vendor totals, snapshot streams and lag in backfills (SQLite)', () => {
  const sim = new CcaipSimulator(demoCcaipOptions());
  let stack: Stack;
  let ledger: WriteLedger;
  before(async () => {
    await sim.start(0);
    stack = await startStack({
      destination: 'sqlite',
      connectionExtra: '    schedule: { every: 1h, lag: 2h }',
      extraConnectionsYaml: `  - name: cc-data
    source: ccaip
    settings: { baseUrl: "${sim.apiUrl}", pageSize: 25 }
    credentials: { username: acme-demo, password: "\${TEST_CCAIP_TOKEN}" }
`,
      extraEnv: { TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken },
      extraSecrets: [DEMO_CCAIP.apiToken],
    });
    ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [VOLUME]);
  });
  after(async () => {
    await ledger?.close();
    await stack?.close();
    await sim.stop();
  });

  const DAY1 = Date.parse('2026-10-05T00:00:00Z');

  it('Kore.ai call volume: a record missing against totalCount is read again; the window then holds the ground truth', async () => {
    stack.kore.resetLog();
    stack.kore.failNext({ endpoint: 'callvolume', kind: 'drop-record' });
    const handle = await stack.start('backfill', { connection: CONNECTION, streams: ['callvolume'], from: iso(DAY1), to: iso(DAY1 + DAY) });
    const result = (await handle.result()) as Progress;
    const truth = callVolumeGroundTruth(stack.kore.data, DAY1, DAY1 + DAY);
    const rows = await stack.destination.readAll(VOLUME, CONNECTION);
    assert.equal(rows.length, truth.length, 'the record left out on the first read is there');
    assert.deepEqual(result.reconciled, { windows: 1, readAgain: 1 }, 'the backfill says one window agreed only on its second read');
    const writes = await ledger.counts(VOLUME.name, CONNECTION);
    assert.equal(writes.inserted, truth.length, 'each record inserted once; the re-read rewrote nothing');
    assert.equal(writes.updated, 0);
    assert.equal(stack.kore.requests().filter((r) => r.endpoint === 'callvolume').length, 2, 'one page, read twice');
    // The window's own progress query shows the check.
    const window = stack.client.workflow.getHandle(`${CONNECTION}/callvolume/${iso(DAY1)}`);
    const progress = await window.query<{ totalCheck?: TotalCheck }>('progress');
    assert.deepEqual(
      { ...progress.totalCheck },
      {
        stated: truth.length,
        field: 'totalCount',
        received: truth.length,
        reads: 2,
        verdict: 'agrees',
        earlier: { stated: truth.length, received: truth.length - 1 },
      },
    );
  });

  it('Kore.ai call volume: still short on the second read, the window fails with TotalMismatch naming both numbers and is not recorded complete', async () => {
    const day = DAY1 + DAY;
    stack.kore.failNext({ endpoint: 'callvolume', kind: 'drop-record' }, { endpoint: 'callvolume', kind: 'drop-record' });
    const f = await failureOf(
      (await stack.start('backfill', { connection: CONNECTION, streams: ['callvolume'], from: iso(day), to: iso(day + DAY) })).result(),
    );
    const n = callVolumeGroundTruth(stack.kore.data, day, day + DAY).length;
    assert.equal(f.type, 'TotalMismatch');
    assert.match(f.message, new RegExp(`the vendor states ${n} records \\(totalCount\\) but sent ${n - 1}, on 2 reads`));
    const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
    assert.ok(!state.some((i) => i.start < day + DAY && i.end > day), 'the window is not recorded complete');
  });

  it("a backfill uses the connection's schedule.lag: nothing newer than now - 2h is recorded complete", async () => {
    const now = Date.now();
    const from = Math.floor((now - 6 * HOUR) / (15 * MIN)) * 15 * MIN;
    await (await stack.start('backfill', { connection: CONNECTION, streams: ['callvolume'], from: iso(from) })).result();
    const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
    const end = Math.max(...state.filter((i) => i.end > from).map((i) => i.end));
    assert.ok(end <= now - 2 * HOUR, `complete until ${iso(end)}, later than now - 2h (${iso(now - 2 * HOUR)})`);
    assert.ok(end >= now - 2 * HOUR - 15 * MIN - 60_000, `complete until ${iso(end)}: up to the lag`);
  });

  it('a CCAI Platform backfill with no streams named reads agents, teams, team tree and user statuses once at the end; a missing agent is read again', async () => {
    sim.resetLog();
    sim.failNext({ endpoint: 'agents', kind: 'drop-record' });
    const from = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const handle = await stack.start('backfill', { connection: 'cc-data', from: iso(from), to: iso(from + HOUR) });
    const result = (await handle.result()) as Progress;
    for (const s of SNAPSHOT_TABLES) assert.ok(result.streams.includes(s), `progress lists ${s}`);
    assert.equal(result.windows.done, result.windows.total);
    const agents = await stack.destination.readAll(AGENTS, 'cc-data');
    assert.equal(agents.length, sim.data.agents().length, 'every agent, the one left out on the first read included');
    for (const s of SNAPSHOT_TABLES) {
      const rows = await stack.destination.readAll({ name: `ccaip_${s}`, keyColumns: ['id'] }, 'cc-data');
      assert.ok(rows.length > 0, `ccaip_${s} filled`);
    }
    assert.ok((result.reconciled?.readAgain ?? 0) >= 1, 'the agents window agreed with Total only on its second read');
    // Once, at the end: every snapshot request comes after the last windowed one.
    const log = sim.requests();
    const windowed = log.filter((r) => ['calls', 'chats', 'agent_activity_logs'].includes(String(r.endpoint)));
    const snapshots = log.filter((r) => SNAPSHOT_TABLES.includes(String(r.endpoint)));
    assert.ok(windowed.length > 0 && snapshots.length >= 4);
    assert.ok(Math.min(...snapshots.map((r) => r.at)) >= Math.max(...windowed.map((r) => r.at)), 'snapshots read after the windows');
    assert.equal(log.filter((r) => r.endpoint === 'teams').length, 1, 'teams read once');
  });
});

describe('Kore.ai agent statuses left open for days (SQLite)', () => {
  const STATUS: TableSpec = { name: 'kore_agentstatus', keyColumns: ['userId', 'startTime'] };
  const today = Math.floor(Date.now() / DAY) * DAY;
  const yesterday = today - DAY;
  // The vendor's clock stands at T1 (20 minutes before midnight, real time) until released.
  const T1 = today - 20 * MIN;
  // Agent 0 has been in a status for three days at T1, and closes it 10 minutes later (yesterday).
  const S0 = T1 - 3 * DAY;
  const E0 = T1 + 10 * MIN;
  // Agent 1 has been in one for a day: still within the two-day hold, and it never closes.
  const S1 = T1 - DAY;
  const D = Math.floor(S0 / DAY) * DAY;
  let frozen: number | undefined = T1;
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      destination: 'sqlite',
      koreStreams: ['agentstatus'],
      simulator: {
        seed: 'stuck',
        agents: 2,
        now: () => frozen ?? Date.now(),
        stuckStatuses: [
          { agent: 0, start: S0, end: E0 },
          { agent: 1, start: S1, end: today + 30 * DAY, primaryStatus: 'AWAY' },
        ],
      },
      credentials: { token: '${TEST_KORE_TOKEN}' },
      connectionExtra: `    start: ${iso(D)}\n    schedule: { every: 1h, lag: 1s }`,
    });
  });
  after(async () => {
    await stack?.close();
  });
  const sync = async () => (await (await stack.start('incrementalSync', { connection: CONNECTION })).result()) as Progress;
  const row = async (userId: string, start: number) =>
    (await stack.destination.readAll(STATUS, CONNECTION)).find((r) => r.key.userId === userId && r.key.startTime === iso(start))?.record as
      Record<string, unknown> | undefined;

  it('days after the one a status opened in are complete; its own day is held only within the two-day bound; it closes when it ends', async () => {
    const [a0, a1] = stack.kore.data.agents;
    await sync();
    // Agent 0's status (three days open) holds nothing; agent 1's (a day open) holds its own day from
    // its start, and no later day (it is listed there too, carried over).
    assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, 'agentstatus'), [
      { start: D, end: S1 },
      { start: yesterday, end: today },
    ]);
    assert.equal((await row(a0!.userId, S0))?.open, true, 'stored open');
    assert.equal((await row(a1!.userId, S1))?.open, true);

    // Read again: only the held day and the one-day lookback, not every day since agent 0's status opened.
    stack.kore.resetLog();
    await sync();
    const days = stack.kore.requests().map((e) => (e.body as { filter: { dateFilter: { startDate: string } } }).filter.dateFilter.startDate);
    assert.deepEqual(days.sort(), [iso(S1).slice(0, 10), iso(yesterday).slice(0, 10)]);

    // The vendor's clock catches up: agent 0's status closed yesterday, and yesterday's listing says so.
    frozen = undefined;
    await sync();
    const closed = await row(a0!.userId, S0);
    assert.deepEqual([closed?.open, closed?.endTime, closed?.duration], [false, iso(E0), (E0 - S0) / 1000]);
    assert.equal((await row(a1!.userId, S1))?.open, true, 'still open');
    assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, 'agentstatus'), [
      { start: D, end: S1 },
      { start: yesterday, end: today },
    ]);
    const truth = stack.kore.agentStatusGroundTruth(D, today);
    const rows = await stack.destination.readAll(STATUS, CONNECTION);
    assert.equal(rows.length, truth.length, 'every segment of the days, once');
  });
});

describe('CCAI Platform activity logs left open (SQLite)', () => {
  const LOGS: TableSpec = { name: 'ccaip_agent_activity_logs', keyColumns: ['id'] };
  const FIVE = 5 * MIN;
  const now0 = Date.now();
  // Agent 0 has been in a status for 30 hours (past the one-day hold); agent 1 for two hours (within it).
  const OLD = Math.floor((now0 - 30 * HOUR) / 1000) * 1000;
  const RECENT = Math.floor((now0 - 2 * HOUR) / 1000) * 1000;
  const FROM = Math.floor((OLD - HOUR) / FIVE) * FIVE;
  const sim = new CcaipSimulator(
    demoCcaipOptions({
      dataStart: FROM - DAY,
      stuckLogs: [
        { agent: 0, start: OLD, end: now0 + 30 * DAY },
        { agent: 1, start: RECENT, end: now0 + 30 * DAY },
      ],
    }),
  );
  let stack: Stack;
  before(async () => {
    await sim.start(0);
    stack = await startStack({
      destination: 'sqlite',
      extraConnectionsYaml: `  - name: cc-logs
    source: ccaip
    settings: { baseUrl: "${sim.apiUrl}", pageSize: 100 }
    credentials: { username: acme-demo, password: "\${TEST_CCAIP_TOKEN}" }
    streams: [agent_activity_logs]
    start: ${iso(FROM)}
    schedule: { every: 1h, lag: 5m, lookback: 15m }
`,
      extraEnv: { TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken },
      extraSecrets: [DEMO_CCAIP.apiToken],
    });
  });
  after(async () => {
    await stack?.close();
    await sim.stop();
  });

  it('a log open for longer than a day no longer holds its window; one open for two hours does, from its start', async () => {
    await (await stack.start('incrementalSync', { connection: 'cc-logs' })).result();
    const state = await stack.destination.completedIntervals('cc-logs', 'agent_activity_logs');
    // Other agents' ordinary logs may still be open too (minutes to an hour): complete up to the earliest that holds.
    assert.equal(state[0]!.start, FROM);
    assert.ok(state[0]!.end > OLD + 24 * HOUR, `complete until ${iso(state[0]!.end)}: past the log open for 30 hours`);
    assert.equal(state.length, 1);
    assert.ok(state[0]!.end <= RECENT, `complete until ${iso(state[0]!.end)}: not past the log open for two hours`);
    const rows = await stack.destination.readAll(LOGS, 'cc-logs');
    const old = rows.find((r) => {
      const log = r.record as { started_at?: unknown; ended_at?: unknown };
      return log.started_at === iso(OLD) && log.ended_at === null;
    });
    assert.ok(old, 'the 30-hour log is stored, open');
  });
});

describe('Kore.ai chat sessions longer than the call-details lookback (SQLite)', () => {
  const CALLS: TableSpec = { name: 'kore_calldetails', keyColumns: ['sessionId'] };
  let frozen: number | undefined;
  let stack: Stack;
  let L = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  before(async () => {
    // The first run must start in the same minute the test computes its frontier in.
    while (new Date().getUTCSeconds() > 35) await sleep(1000);
    // The first run's frontier (now - 10 min lag, on the minute); the chat starts a day before it.
    const F1 = Math.floor((Date.now() - 10 * MIN) / MIN) * MIN;
    L = F1 - DAY;
    frozen = L + HOUR;
    stack = await startStack({
      destination: 'sqlite',
      koreStreams: ['calldetails'],
      simulator: { seed: 'long-chat', sessionsPerDay: [0, 0], longChats: [{ start: L, end: L + 5 * HOUR }], now: () => frozen ?? Date.now() },
      credentials: { token: '${TEST_KORE_TOKEN}' },
      connectionExtra: `    start: ${iso(L - HOUR)}`,
    });
  });
  after(async () => {
    await stack?.close();
  });

  it('a 5-hour chat, still going on when its stretch was first read, is found when that stretch is a day old', async () => {
    type Run = { plan: { stream: string; lookback?: string; settle?: string }[] };
    // 1. The vendor's clock stands an hour into the chat: nothing is listed yet, the range is recorded complete.
    await (await stack.start('incrementalSync', { connection: CONNECTION })).result();
    assert.equal((await stack.destination.readAll(CALLS, CONNECTION)).length, 0);
    // 2. The chat ended long ago; a minute later the stretch it started in is a day old.
    frozen = undefined;
    while (Math.floor((Date.now() - 10 * MIN) / MIN) * MIN <= L + DAY) await sleep(1000);
    stack.kore.resetLog();
    const run = (await (await stack.start('incrementalSync', { connection: CONNECTION })).result()) as Run;
    const rows = await stack.destination.readAll(CALLS, CONNECTION);
    assert.deepEqual(
      rows.map((r) => r.key.sessionId),
      stack.kore.conversationsGroundTruth(L - HOUR, L + DAY).map((c) => String(c.sessionId)),
      'the long chat is stored',
    );
    assert.equal(rows.length, 1);
    // Bounded: the two-hour lookback and one more read of the minute that just became a day old.
    assert.equal(run.plan[0]!.settle, `${iso(L)}/${iso(L + MIN)}`);
    assert.equal(stack.kore.requests().length, 2);
  });
});
