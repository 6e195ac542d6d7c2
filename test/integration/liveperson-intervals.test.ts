/**
 * LivePerson interval lengths and time limits end to end, on the real Temporal dev server, a real
 * LivePerson simulator over HTTP and real SQLite:
 *  - each `intervalDuration` (15, 30, 60, 1440 minutes): a backfill and an incremental run ask only
 *    for intervals that have ended and been processed, so LivePerson never answers 202, and the
 *    table equals the simulator's ground truth;
 *  - a 202 that lasts longer than `processingPatience` narrows the window to the intervals marked
 *    Done: that part is stored and recorded complete, the rest is left for the next run;
 *  - a backfill that began at the edge of the age limit continues as new after the limit moved:
 *    it keeps the windows still allowed and says which aged out.
 * Run: npm test -- liveperson-intervals
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceRegistry } from '../../core/connections';
import { windowRulesOf } from '../../core/source';
import { SOURCES } from '../../sources';
import { liveperson } from '../../sources/liveperson';
import { DEFAULT_METRICS, type LivePersonSettings } from '../../sources/liveperson/connection';
import { INTERVAL_METRICS_KEY, interval_metrics } from '../../sources/liveperson/streams';
import { DEMO_LIVEPERSON, LivePersonSimulator, demoLivePersonOptions, type LpDuration } from '../../simulators/liveperson';
import { startStack, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const floorTo = (t: number, step: number) => Math.floor(t / step) * step;
const iso = (t: number) => new Date(t).toISOString();
const TABLE = { name: 'liveperson_interval_metrics', keyColumns: INTERVAL_METRICS_KEY };
const STREAM = 'interval_metrics';
const DURATIONS: LpDuration[] = [15, 30, 60, 1440];

// LivePerson has an interval Done 5 minutes after it ends (the demo account); our lag is 30 minutes.
const sim = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 5 * MIN }));

/**
 * The age limit the test worker's LivePerson stream has: 14 days, except in the continue-as-new
 * test. There the limit starts just behind the backfill's "from" and moves 50 minutes once the
 * first window has been answered: for the planner (earliest = now - limit) that is exactly 50
 * minutes of clock passing between the first run and its continuation, in seconds.
 */
let edge: { logStart: number; initial: number; moved: number } | undefined;
function maxAgeMs(): number {
  if (!edge) return 14 * DAY;
  const answered = sim
    .requests()
    .slice(edge.logStart)
    .some((e) => e.endpoint === 'interval-metrics' && e.status === 200);
  return answered ? edge.moved : edge.initial;
}
const registry: SourceRegistry = {
  ...SOURCES,
  liveperson: {
    ...liveperson,
    streams: {
      interval_metrics: {
        ...interval_metrics,
        // The product's rules for the connection, with only the age limit under the test's control.
        windowFor: (s: LivePersonSettings) => ({ ...windowRulesOf(interval_metrics, s), maxAge: maxAgeMs() }),
      },
    },
  },
};

const connection = (name: string, settings: string) => `  - name: ${name}
    source: liveperson
    settings: { accountId: "${DEMO_LIVEPERSON.accountId}", baseUrl: "${sim.url}", grouping: [skill], ${settings} }
    credentials: { bearerToken: "\${TEST_LP_BEARER}" }
    streams: [${STREAM}]
    start: ${iso(floorTo(Date.now(), DAY) - 2 * DAY)}
`;

interface Progress {
  windows: { total: number; done: number; failed: number; skipped: number };
  records: number;
  inserted: number;
  continuedRuns: number;
  notReady?: { window: string; until: string }[];
  agedOut?: { stream: string; from: string; to: string; windows: number }[];
  plan?: { stream: string; from: string; to: string }[];
}

function truth(duration: LpDuration, from: number, to: number) {
  return sim.groundTruth({
    fromMs: from,
    toMs: to,
    intervalDuration: duration,
    grouping: ['skill'],
    metrics: DEFAULT_METRICS,
    handleTimeModel: 'IFT',
    includeBotSkills: false,
  });
}

/** The table holds exactly the ground truth's records of [from, to) for the connection: same keys, same metrics. */
async function assertTruth(stack: Stack, conn: string, duration: LpDuration, from: number, to: number): Promise<number> {
  const rows = await stack.destination.readAll(TABLE, conn);
  const expected = truth(duration, from, to);
  const keyOf = (fromL: unknown, skillId: unknown) => `${String(fromL)}|${String(skillId)}`;
  const stored = new Map(rows.map((r) => [keyOf(r.key.fromL, r.key.skillId), r]));
  assert.equal(rows.length, expected.length, `${conn}: every record of ${iso(from)} → ${iso(to)}, no more`);
  for (const e of expected) {
    const row = stored.get(keyOf(e.timeframe.fromL, e.skillId));
    assert.ok(row, `${conn}: record ${e.timeframe.from} skill ${e.skillId}`);
    assert.equal(row.key.intervalDuration, String(duration));
    assert.deepEqual((row.record as { metrics: unknown }).metrics, e.metrics);
  }
  return rows.length;
}

let stack: Stack;
let ledger: WriteLedger;
before(async () => {
  await sim.start();
  const yaml = [
    ...DURATIONS.map((d) => connection(`lp-${d}`, `intervalDuration: ${d}`)),
    connection('lp-narrow', 'intervalDuration: 60, processingPatience: PT3S'),
    connection('lp-edge', 'intervalDuration: 15'),
  ].join('');
  stack = await startStack({
    destination: 'sqlite',
    extraConnectionsYaml: yaml,
    extraEnv: { TEST_LP_BEARER: DEMO_LIVEPERSON.bearerToken },
    extraSecrets: [DEMO_LIVEPERSON.bearerToken],
    sources: registry,
  });
  ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [TABLE]);
});
after(async () => {
  await ledger?.close();
  await stack?.close();
  await sim.stop();
});

describe('LivePerson intervals of 15, 30, 60 and 1440 minutes', () => {
  for (const d of DURATIONS) {
    it(`${d} minutes: a backfill and an incremental run read only finished intervals (never a 202) and equal the ground truth`, async () => {
      const step = d * MIN;
      const conn = `lp-${d}`;
      const logStart = sim.requests().length;
      // A patience short enough that a window kept waiting on 202 fails the test instead of hanging it.
      const backfillFrom = floorTo(Date.now(), DAY) - 2 * DAY;
      const backfillTo = floorTo(Date.now(), DAY) - DAY + 6 * HOUR;
      const b = (await (
        await stack.start('backfill', { connection: conn, from: iso(backfillFrom), to: iso(backfillTo), patience: 'PT40S' })
      ).result()) as Progress;
      assert.deepEqual([b.windows.failed, b.windows.done], [0, b.windows.total]);
      const inc = (await (await stack.start('incrementalSync', { connection: conn, patience: 'PT40S' })).result()) as Progress;
      assert.equal(inc.windows.failed, 0);
      const planTo = Date.parse(inc.plan![0]!.to);
      assert.equal(planTo % step, 0, `the run ends on the ${d}-minute grid (${iso(planTo)})`);
      assert.ok(planTo <= Date.now() - 30 * MIN, 'its newest interval ended at least the lag ago');

      const sent = sim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'interval-metrics');
      assert.ok(sent.length >= 2);
      assert.deepEqual([...new Set(sent.map((e) => e.status))], [200], `${d} minutes: every answer a 200, no 202`);
      for (const e of sent) {
        assert.equal(e.query.intervalDuration, String(d));
        assert.equal(Date.parse(e.query.from!) % step, 0, `from ${e.query.from} on the grid`);
        assert.equal(Date.parse(e.query.to!) % step, 0, `to ${e.query.to} on the grid`);
      }
      const n = await assertTruth(stack, conn, d, backfillFrom, planTo);
      assert.ok(n > 0);
      // Each record inserted once: the incremental run's lookback re-read changed nothing.
      const writes = await ledger.counts(TABLE.name, conn);
      assert.deepEqual([writes.inserted, writes.updated, writes.reinserted.length], [n, 0, 0], `${conn}: each record inserted once`);
      assert.deepEqual(await stack.destination.completedIntervals(conn, STREAM), [{ start: backfillFrom, end: planTo }]);
    });
  }
});

describe('a 202 that persists', () => {
  it('narrows the window to the intervals marked Done, stores and commits that part, and leaves the rest', async () => {
    // A one-day window ending on the hour, at least 3 hours after its midnight.
    const t = floorTo(Date.now() - 30 * MIN, HOUR);
    const end = t - floorTo(t - 1, DAY) >= 3 * HOUR ? t : floorTo(t - 1, DAY);
    const from = end - 4 * HOUR;
    // The last two hours stay In Progress (LivePerson is behind): the two before are Done.
    sim.setProcessingAge(Date.now() - end + 90 * MIN);
    const logStart = sim.requests().length;
    try {
      const handle = await stack.start('backfill', { connection: 'lp-narrow', from: iso(from), to: iso(end), patience: 'PT2M' });
      const result = (await handle.result()) as Progress;
      assert.equal(result.windows.failed, 0);
      const readyUntil = end - 2 * HOUR;
      assert.deepEqual(
        result.notReady?.map((n) => n.until),
        [iso(readyUntil)],
        'the window was read up to where the first interval not Done starts',
      );
      const sent = sim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'interval-metrics');
      const narrowed = sent.filter((e) => e.status === 200 && Date.parse(e.query.to!) === readyUntil);
      assert.ok(sent.some((e) => e.status === 202));
      assert.ok(narrowed.length >= 1, `a request narrowed to ${iso(readyUntil)}: ${sent.map((e) => `${e.status} ${e.query.to}`).join(', ')}`);
      assert.ok(
        sent.every((e) => e.status !== 200 || Date.parse(e.query.to!) <= readyUntil),
        'nothing past the ready part was read as data',
      );
      const state = await stack.destination.completedIntervals('lp-narrow', STREAM);
      assert.deepEqual(state, [{ start: from, end: readyUntil }], 'recorded complete only up to the ready part');
      await assertTruth(stack, 'lp-narrow', 60, from, readyUntil);

      // LivePerson catches up: the next incremental run reads the rest.
      sim.setProcessingAge(5 * MIN);
      const inc = (await (await stack.start('incrementalSync', { connection: 'lp-narrow', patience: 'PT40S' })).result()) as Progress;
      assert.equal(inc.windows.failed, 0);
      const state2 = await stack.destination.completedIntervals('lp-narrow', STREAM);
      assert.ok(
        state2.some((i) => i.start <= from && i.end >= end),
        `the gap was filled: ${JSON.stringify(state2)}`,
      );
    } finally {
      sim.setProcessingAge(5 * MIN);
    }
  });
});

describe('a backfill at the edge of the age limit that continues as new', () => {
  it('keeps the windows still allowed after the limit moved, and says which aged out', async () => {
    // B: a quarter hour, 6 hours ago, is the earliest "from" the limit allows for the next minute
    // (the engine keeps a 30-minute margin inside the limit).
    const now0 = Date.now();
    const B = floorTo(now0, 15 * MIN) - 6 * HOUR;
    const initial = now0 + 30 * MIN + MIN - B;
    const logStart = sim.requests().length;
    edge = { logStart, initial, moved: initial - 50 * MIN };
    try {
      const handle = await stack.start('backfill', {
        connection: 'lp-edge',
        from: iso(B),
        to: iso(B + 2 * HOUR),
        windowSize: 'PT15M',
        windowsPerRun: 1,
      });
      const result = (await handle.result()) as Progress;
      // The continuation's limit (with its margin) is at B + 1 h: [B + 15 min, B + 1 h) aged out, three windows.
      assert.deepEqual(result.agedOut, [{ stream: STREAM, from: iso(B + 15 * MIN), to: iso(B + HOUR), windows: 3 }]);
      assert.equal(result.windows.total, 8);
      assert.equal(result.windows.failed, 0);
      assert.equal(result.windows.done, 5, 'the first window and the four still allowed');
      assert.ok(result.continuedRuns >= 4, `continued ${result.continuedRuns} times`);
      const query = await handle.query<Progress>('progress');
      assert.deepEqual(query.agedOut, result.agedOut, 'the progress query says so too');
      assert.deepEqual(await stack.destination.completedIntervals('lp-edge', STREAM), [
        { start: B, end: B + 15 * MIN },
        { start: B + HOUR, end: B + 2 * HOUR },
      ]);
      const sent = sim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'interval-metrics');
      assert.equal(sent.length, 5, 'one request per window read');
      assert.ok(
        sent.every((e) => Date.parse(e.query.from!) < B + 15 * MIN || Date.parse(e.query.from!) >= B + HOUR),
        'no request for an aged-out window',
      );
      const rows = await stack.destination.readAll(TABLE, 'lp-edge');
      assert.equal(rows.length, truth(15, B, B + 15 * MIN).length + truth(15, B + HOUR, B + 2 * HOUR).length);
    } finally {
      edge = undefined;
    }
  });
});
