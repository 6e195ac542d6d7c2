/**
 * Kore.ai call details, interaction details and agent status end to end: `backfill` and
 * `incrementalSync` on the real Temporal dev server, against the Kore.ai simulator over real HTTP,
 * into real SQLite and PostgreSQL, compared with the simulator's ground truth. Open agent-status
 * segments are stored open, read again, and stored closed once the simulator's clock closes them.
 * Run: npx tsx --test test/integration/kore-calldetails-agentstatus.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { Row } from '../../destinations/destination';
import { DEMO_KORE, agentStatusGroundTruth, callDetailsRangeMs } from '../../simulators/kore';
import { CONNECTION, startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';
import { readAll } from '../helpers/destination-access';

const DAY = 86_400_000;
const FROM = '2026-10-02T00:00:00Z';
const TO = '2026-11-01T00:00:00Z';
const from = Date.parse(FROM);
const to = Date.parse(TO);

const CALLS = { name: 'kore_calldetails', keyColumns: ['sessionId'] };
const INTERACTIONS = { name: 'kore_interactiondetails', keyColumns: ['sessionId'] };
const STATUS = { name: 'kore_agentstatus', keyColumns: ['userId', 'startTime'] };

const statusKey = (r: Record<string, unknown>) => `${String(r.userId)}|${String(r.startTime)}`;

/**
 * The table holds exactly `truth`, each record equal to the vendor's, and the database's ledger of
 * committed writes shows each record inserted once and rewritten only as often as the vendor
 * changed it (`changed`, default none): a page processed twice with other content shows up here.
 */
async function assertTableEquals(
  stack: Stack,
  table: { name: string; keyColumns: string[] },
  truth: Record<string, unknown>[],
  keyOf: (r: Record<string, unknown>) => string,
  ledger: WriteLedger,
  { connection = CONNECTION, changed = 0 } = {},
): Promise<Row[]> {
  const rows = await readAll(stack.destination, table, connection);
  const keys = rows.map((r) => table.keyColumns.map((k) => r.key[k]).join('|'));
  const writes = await ledger.counts(table.name, connection);
  assert.equal(writes.inserted, truth.length, `${table.name}: each record inserted exactly once`);
  assert.equal(writes.updated, changed, `${table.name}: records rewritten only for the vendor's changes`);
  assert.deepEqual(writes.reinserted, [], `${table.name}: no key inserted twice`);
  assert.equal(rows.length, truth.length, `${table.name}: every record of the range, no more`);
  const byKey = new Map(rows.map((r, i) => [keys[i]!, r.record]));
  for (const t of truth) assert.deepEqual(byKey.get(keyOf(t)), t, `${table.name}: record ${keyOf(t)} equals the vendor's`);
  return rows;
}

async function failureOf(promise: Promise<unknown>): Promise<{ message: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected a workflow failure, got ${String(err)}`);
    // The deepest cause: a failed page activity's own failure rather than "Activity task failed".
    let cause = err.cause as { message: string; type?: string; cause?: unknown };
    while (cause.cause) cause = cause.cause as typeof cause;
    return { message: cause.message, type: cause.type };
  }
  assert.fail('the workflow was expected to fail');
}

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`30-day backfills of Kore.ai call details, interaction details and agent status into ${kind}`, () => {
    let stack: Stack;
    let ledger: WriteLedger;
    before(async () => {
      stack = await startStack({ destination: kind, koreStreams: ['calldetails', 'interactiondetails', 'agentstatus'], settings: { pageSize: 25 } });
      ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [CALLS, INTERACTIONS, STATUS]);
    });
    after(async () => {
      await ledger?.close();
      await stack?.close();
    });

    it('each stream equals the ground truth; no request spans more than 7 days; the rate limit is never hit', async () => {
      // The two backfills run at once: 7-day windows (the API's largest) for call details, days for agent status.
      const details = await stack.start('backfill', {
        connection: CONNECTION,
        streams: ['calldetails', 'interactiondetails'],
        from: FROM,
        to: TO,
        windowSize: 'P7D',
      });
      const status = await stack.start('backfill', { connection: CONNECTION, streams: ['agentstatus'], from: FROM, to: TO });
      const [d, s] = (await Promise.all([details.result(), status.result()])) as Array<{ windows: { total: number; done: number }; records: number }>;
      assert.equal(s!.windows.total, 30);
      assert.equal(s!.windows.done, 30);
      assert.equal(d!.windows.done, d!.windows.total);
      assert.ok(d!.windows.total >= 2 * 5 && d!.windows.total <= 2 * 6, `30 days in 7-day windows, per stream (${d!.windows.total})`);

      const conversations = stack.kore.conversationsGroundTruth(from, to);
      assert.ok(conversations.length > 100, `a few sessions a day (${conversations.length})`);
      assert.ok(conversations.some((c) => c.conversationId === undefined) && conversations.some((c) => 'Reason' in c));
      await assertTableEquals(stack, CALLS, conversations, (r) => String(r.sessionId), ledger);
      await assertTableEquals(stack, INTERACTIONS, conversations, (r) => String(r.sessionId), ledger);
      const segments = stack.kore.agentStatusGroundTruth(from, to);
      const rows = await assertTableEquals(stack, STATUS, segments, statusKey, ledger);
      assert.ok(rows.every((r) => typeof (r.record as { duration: unknown }).duration === 'number' && (r.record as { open: unknown }).open === false));
      // A night segment across a midnight is read on both days (spelled differently the second time) and is one row.
      assert.ok(
        segments.some((x) => String(x.startTime).slice(0, 10) !== String(x.endTime).slice(0, 10)),
        'segments across midnight exist',
      );

      const log = stack.kore.requests();
      assert.equal(stack.kore.requestsOverSevenDays(), 0, 'no request over 7 days');
      assert.ok(
        log.some((e) => e.endpoint === 'calldetails' && callDetailsRangeMs(e.body) === 7 * DAY - 1000),
        'full 7-day windows were asked as 7 days less a second',
      );
      assert.ok(log.filter((e) => e.endpoint === 'calldetails').every((e) => e.path.endsWith('/v2/calldetails')));
      assert.ok(log.filter((e) => e.endpoint === 'interactiondetails').every((e) => e.path.endsWith('/v2/interactionDetails')));
      assert.ok(log.filter((e) => e.endpoint === 'calldetails').length > d!.windows.total / 2, 'some windows took more than one page');
      assert.deepEqual(
        log.filter((e) => e.status !== 200),
        [],
        'every request answered 200: no 429, no 400',
      );
      for (const stream of ['calldetails', 'interactiondetails', 'agentstatus']) {
        assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, stream), [{ start: from, end: to }], `${stream}: one completed interval`);
      }
    });

    it('running both again sends no request and changes nothing', async () => {
      const before = await Promise.all([CALLS, INTERACTIONS, STATUS].map((t) => readAll(stack.destination, t, CONNECTION)));
      stack.kore.resetLog();
      const again = await stack.start('backfill', { connection: CONNECTION, from: FROM, to: TO });
      const result = (await again.result()) as { windows: { done: number; skipped: number } };
      assert.equal(result.windows.done, 0);
      assert.equal(stack.kore.requests().length, 0);
      assert.deepEqual(await Promise.all([CALLS, INTERACTIONS, STATUS].map((t) => readAll(stack.destination, t, CONNECTION))), before);
    });
  });
}

describe('Kore.ai call details and agent status under trouble (SQLite)', () => {
  let stack: Stack;
  let ledger: WriteLedger;
  before(async () => {
    stack = await startStack({
      destination: 'sqlite',
      koreStreams: ['calldetails', 'agentstatus'],
      settings: { pageSize: 3 },
      connectionExtra: '    requestTimeout: PT2S',
      extraConnectionsYaml: (url) => `  - name: kore-voice
    source: kore
    settings: { baseUrl: ${url}, accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId} }
    credentials: { token: \${TEST_KORE_TOKEN} }
    streams:
      - { name: interactiondetails, options: { channels: [voice] } }
`,
    });
    ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [CALLS, INTERACTIONS, STATUS]);
  });
  after(async () => {
    await ledger?.close();
    await stack?.close();
  });

  it('call details through a 503, a timeout and random 5xx/429: exact data, 3 sessions a page', async () => {
    stack.kore.setFaults({ serverErrorRate: 0.15, rateLimitRate: 0.05 });
    stack.kore.failNext({ endpoint: 'calldetails', status: 503 }, { endpoint: 'calldetails', kind: 'timeout', ms: 4000 });
    const handle = await stack.start('backfill', {
      connection: CONNECTION,
      streams: ['calldetails'],
      from: '2026-09-07T00:00:00Z',
      to: '2026-09-09T00:00:00Z',
    });
    await handle.result();
    stack.kore.clearFaults();
    const truth = stack.kore.conversationsGroundTruth(Date.parse('2026-09-07T00:00:00Z'), Date.parse('2026-09-09T00:00:00Z'));
    await assertTableEquals(stack, CALLS, truth, (r) => String(r.sessionId), ledger);
    const log = stack.kore.requests();
    assert.ok(log.filter((e) => e.fault !== undefined).length >= 2, 'faults were injected');
    assert.ok(log.filter((e) => e.status === 200).length >= Math.ceil(truth.length / 3), 'pages of 3');
  });

  it('agent status pages by agents (3 of 5 a page) and stores every segment of the days', async () => {
    stack.kore.resetLog();
    const handle = await stack.start('backfill', {
      connection: CONNECTION,
      streams: ['agentstatus'],
      from: '2026-09-08T00:00:00Z',
      to: '2026-09-10T00:00:00Z',
    });
    await handle.result();
    await assertTableEquals(
      stack,
      STATUS,
      stack.kore.agentStatusGroundTruth(Date.parse('2026-09-08T00:00:00Z'), Date.parse('2026-09-10T00:00:00Z')),
      statusKey,
      ledger,
    );
    const log = stack.kore.requests();
    assert.equal(log.length, 4, 'two pages a day: 3 agents, then 2');
    assert.deepEqual(
      log.map((e) => (e.body as { filter: { dateFilter: unknown } }).filter.dateFilter).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        { startDate: '2026-09-08', endDate: '2026-09-08', timeZoneOffSet: 0 },
        { startDate: '2026-09-08', endDate: '2026-09-08', timeZoneOffSet: 0 },
        { startDate: '2026-09-09', endDate: '2026-09-09', timeZoneOffSet: 0 },
        { startDate: '2026-09-09', endDate: '2026-09-09', timeZoneOffSet: 0 },
      ],
    );
  });

  it('a segment field that changed type fails at once, naming its path; nothing of that window is recorded', async () => {
    stack.kore.resetLog();
    stack.kore.failNext({ endpoint: 'agentstatus', kind: 'schema-drift', field: 'duration', value: 42 });
    const f = await failureOf(
      (await stack.start('backfill', { connection: CONNECTION, streams: ['agentstatus'], from: '2026-08-03T00:00:00Z', to: '2026-08-04T00:00:00Z' })).result(),
    );
    assert.equal(f.type, 'SchemaMismatch');
    assert.match(
      f.message,
      /Kore\.ai agentstatus: the response does not have the documented shape: data\[\d+\]\.status\[0\]\.duration: expected a duration such as "00:01:10" \(HH:MM:SS\), or "-" while open \(got number 42\)/,
    );
    assert.equal(stack.kore.requests().length, 1, 'no retry');
    const state = await stack.destination.completedIntervals(CONNECTION, 'agentstatus');
    assert.ok(!state.some((i) => i.start < Date.parse('2026-08-04T00:00:00Z') && i.end > Date.parse('2026-08-03T00:00:00Z')));

    stack.kore.failNext({ endpoint: 'calldetails', kind: 'schema-drift', field: 'sessionId', value: 12345 });
    const g = await failureOf(
      (await stack.start('backfill', { connection: CONNECTION, streams: ['calldetails'], from: '2026-08-03T00:00:00Z', to: '2026-08-04T00:00:00Z' })).result(),
    );
    assert.match(g.message, /Kore\.ai calldetails: a record does not match the stream's schema: data\[0\]\.sessionId: expected text \(got number 12345\)/);
  });

  it('a new field on a segment is kept', async () => {
    stack.kore.failNext({ endpoint: 'agentstatus', kind: 'schema-drift', field: 'stationId', value: 'desk-7' });
    await (
      await stack.start('backfill', { connection: CONNECTION, streams: ['agentstatus'], from: '2026-08-05T00:00:00Z', to: '2026-08-06T00:00:00Z' })
    ).result();
    const rows = await readAll(stack.destination, STATUS, CONNECTION);
    assert.ok(rows.some((r) => (r.record as { stationId?: unknown }).stationId === 'desk-7'));
  });

  it("the connection's channel option filters at the vendor", async () => {
    stack.kore.resetLog();
    await (await stack.start('backfill', { connection: 'kore-voice', from: '2026-09-14T00:00:00Z', to: '2026-09-17T00:00:00Z' })).result();
    const truth = stack.kore.conversationsGroundTruth(Date.parse('2026-09-14T00:00:00Z'), Date.parse('2026-09-17T00:00:00Z'), { channels: ['voice'] });
    assert.ok(truth.length > 0 && truth.every((r) => r.channel === 'voice'));
    await assertTableEquals(stack, INTERACTIONS, truth, (r) => String(r.sessionId), ledger, { connection: 'kore-voice' });
    assert.ok(stack.kore.requests().every((e) => JSON.stringify((e.body as { channels?: unknown }).channels) === '["voice"]'));
  });

  it('windows larger than the API allows are refused before any request', async () => {
    stack.kore.resetLog();
    const f = await failureOf(
      (
        await stack.start('backfill', {
          connection: CONNECTION,
          streams: ['calldetails'],
          from: '2026-07-01T00:00:00Z',
          to: '2026-07-20T00:00:00Z',
          windowSize: 'P8D',
        })
      ).result(),
    );
    assert.equal(f.type, 'InvalidInput');
    assert.match(f.message, /windowSize: P8D is larger than calldetails allows \(at most P7D\)/);
    const g = await failureOf(
      (
        await stack.start('backfill', {
          connection: CONNECTION,
          streams: ['agentstatus'],
          from: '2026-07-01T00:00:00Z',
          to: '2026-07-03T00:00:00Z',
          windowSize: 'P2D',
        })
      ).result(),
    );
    assert.match(g.message, /windowSize: P2D is larger than agentstatus allows \(at most P1D\)/);
    const h = await failureOf(
      (await stack.start('syncWindow', { connection: CONNECTION, stream: 'calldetails', start: '2026-07-01T00:00:00Z', end: '2026-07-09T00:00:00Z' })).result(),
    );
    assert.match(h.message, /Kore\.ai calldetails windows may span at most P7D; this one spans P8D/);
    assert.equal(stack.kore.requests().length, 0, 'no vendor request');
    assert.equal(stack.kore.requestsOverSevenDays(), 0);
  });
});

describe('open agent-status segments (SQLite)', () => {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const yesterday = today - DAY;
  // The simulator's clock stands still at `frozenAt` (yesterday, while an agent is in a status) until released.
  let frozenAt: number | undefined;
  let seed = '';
  let openAt = 0;
  // Four agents (no night shift, so nothing of yesterday is still open at the real now). Find a seed
  // and a moment of yesterday at which someone is mid-status (weekends are quiet).
  for (const s of ['open-1', 'open-2', 'open-3', 'open-4', 'open-5', 'open-6']) {
    for (let t = yesterday + 7 * 3600_000; t < yesterday + 16 * 3600_000 && !openAt; t += 1800_000) {
      if (agentStatusGroundTruth({ ...DEMO_KORE, seed: s, agents: 4, now: () => t }, yesterday, today).some((r) => r.open)) {
        seed = s;
        openAt = t;
      }
    }
    if (openAt) break;
  }

  let stack: Stack;
  let ledger: WriteLedger;
  before(async () => {
    assert.ok(openAt, 'a moment with an open segment');
    frozenAt = openAt;
    stack = await startStack({
      destination: 'sqlite',
      koreStreams: ['agentstatus'],
      simulator: { seed, agents: 4, now: () => frozenAt ?? Date.now() },
      credentials: { token: '${TEST_KORE_TOKEN}' },
      connectionExtra: `    start: ${new Date(yesterday).toISOString()}\n    schedule: { every: 1h, lag: 1s }`,
    });
    ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [STATUS]);
  });
  after(async () => {
    await ledger?.close();
    await stack?.close();
  });

  type RunResult = { plan: { stream: string; from: string; to: string; windows: number; lookback?: string }[]; inserted: number; updated: number };
  const sync = async () => (await (await stack.start('incrementalSync', { connection: CONNECTION })).result()) as RunResult;
  const stored = async () =>
    new Map((await readAll(stack.destination, STATUS, CONNECTION)).map((r) => [`${r.key.userId}|${r.key.startTime}`, r.record as Record<string, unknown>]));

  it('is stored open, keeps its window incomplete from its start, is read again while open, and is stored closed once it closes', async () => {
    // 1. Yesterday mid-morning by the vendor's clock: some segments are still going on.
    const first = await sync();
    assert.deepEqual(
      first.plan.map((p) => [p.stream, p.from, p.to]),
      [['agentstatus', new Date(yesterday).toISOString(), new Date(today).toISOString()]],
    );
    const openTruth = stack.kore.agentStatusGroundTruth(yesterday, today).filter((r) => r.open);
    assert.ok(openTruth.length > 0);
    let rows = await stored();
    for (const t of openTruth) {
      assert.deepEqual(rows.get(statusKey(t)), t, 'stored as open');
      assert.deepEqual([t.endTime, t.duration, t.open], [null, null, true]);
    }
    const openFrom = Math.min(...openTruth.map((t) => Date.parse(String(t.startTime))));
    assert.deepEqual(
      await stack.destination.completedIntervals(CONNECTION, 'agentstatus'),
      [{ start: yesterday, end: openFrom }],
      'complete only up to the open segment',
    );

    // 2. Still open: the next run reads the rest of the day again.
    stack.kore.resetLog();
    const second = await sync();
    assert.equal(second.plan[0]!.windows, 1);
    assert.equal(stack.kore.requests().length, 1, 'read again');
    assert.deepEqual((stack.kore.requests()[0]!.body as { filter: { dateFilter: unknown } }).filter.dateFilter, {
      startDate: new Date(yesterday).toISOString().slice(0, 10),
      endDate: new Date(yesterday).toISOString().slice(0, 10),
      timeZoneOffSet: 0,
    });
    assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, 'agentstatus'), [{ start: yesterday, end: openFrom }]);

    // 3. The vendor's clock catches up: yesterday is over, the segments closed.
    frozenAt = undefined;
    await sync();
    rows = await stored();
    const truth = stack.kore.agentStatusGroundTruth(yesterday, today);
    assert.ok(truth.every((t) => t.open === false));
    for (const was of openTruth) {
      const now = rows.get(statusKey(was))!;
      assert.equal(now.open, false, 'closed');
      assert.equal(typeof now.endTime, 'string');
      assert.equal(now.duration, (Date.parse(String(now.endTime)) - Date.parse(String(was.startTime))) / 1000);
    }
    // Each open segment was rewritten exactly once, when it closed; reading it again while open changed nothing.
    await assertTableEquals(stack, STATUS, truth, statusKey, ledger, { changed: openTruth.length });
    assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, 'agentstatus'), [{ start: yesterday, end: today }], 'the whole day complete');

    // 4. Closed: the day is read once more only as the one-day lookback, and nothing changes.
    const settled = await readAll(stack.destination, STATUS, CONNECTION);
    stack.kore.resetLog();
    const fourth = await sync();
    assert.equal(fourth.plan[0]!.lookback, `${new Date(yesterday).toISOString()}/${new Date(today).toISOString()}`);
    assert.equal(stack.kore.requests().length, 1);
    assert.equal(fourth.inserted + fourth.updated, 0);
    assert.deepEqual(await readAll(stack.destination, STATUS, CONNECTION), settled);
  });
});
