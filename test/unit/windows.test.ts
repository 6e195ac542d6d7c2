/**
 * Window rules and planning (core/windows.ts), against the real stream declarations: the rules a
 * test relies on are the ones the engine ships, not a hand-made copy that could drift from them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offGridProblems } from '../../core/inputs';
import { type StreamDeclaration, windowRulesOf } from '../../core/source';
import { DAY, formatDuration, HOUR, MINUTE } from '../../core/time';
import {
  AGE_LIMIT_MARGIN,
  type BackfillPlanInput,
  checkWindow,
  earliestStart,
  planBackfill,
  planIncremental,
  snapshotWindows,
  windowProblems,
} from '../../core/windows';
import { ccaip } from '../../sources/ccaip';
import { kore } from '../../sources/kore';
import { liveperson } from '../../sources/liveperson';
import { livepersonSettings } from '../../sources/liveperson/connection';
import { doneUntil } from '../../sources/liveperson/streams';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const stream = (s: StreamDeclaration | undefined): StreamDeclaration => {
  assert.ok(s, 'the stream is declared');
  return s;
};
/** Kore.ai call volume: 31-day windows at most, 1 day by default, 15-minute intervals, lag 10 min, lookback 1 h. */
const callvolume = stream(kore.streams.callvolume);
/** LivePerson interval metrics: 1-day windows, 15-minute intervals, only the last 14 days. */
const intervalMetrics = stream(liveperson.streams.interval_metrics);
/** CCAI Platform agents: a snapshot stream. */
const agents = stream(ccaip.streams.agents);
const windows = (o: { windows: { start: number; end: number }[] }) => o.windows.map((w) => `${iso(w.start)}..${iso(w.end)}`);

describe('the declarations these tests rely on', () => {
  it('are what the comments above say', () => {
    const w = callvolume.window;
    assert.deepEqual(
      [w.maxSize, w.defaultSize, w.alignment, w.defaultLag, w.defaultLookback, w.maxAge],
      [31 * DAY, DAY, 15 * MINUTE, 10 * MINUTE, HOUR, undefined],
    );
    assert.deepEqual([intervalMetrics.window.maxSize, intervalMetrics.window.alignment, intervalMetrics.window.maxAge], [DAY, 15 * MINUTE, 14 * DAY]);
    assert.equal(agents.kind, 'snapshot');
  });
});

describe('incremental planning', () => {
  it('a first run reaches back to the connection start, up to the scheduled time minus the lag', () => {
    const [p] = planIncremental({
      streams: [callvolume],
      completed: {},
      scheduledAt: t('2026-11-03T12:07:00Z'),
      now: t('2026-11-03T12:07:00Z'),
      start: t('2026-11-02T00:00:00Z'),
    });
    assert.equal(iso(p!.to), '2026-11-03T11:45:00.000Z', '12:07 - 10 min, aligned down to 15 min');
    assert.deepEqual(windows(p!), ['2026-11-02T00:00:00.000Z..2026-11-03T00:00:00.000Z', '2026-11-03T00:00:00.000Z..2026-11-03T11:45:00.000Z']);
  });
  it('defaults to one day back without a start', () => {
    const [p] = planIncremental({ streams: [callvolume], completed: {}, scheduledAt: t('2026-11-03T12:10:00Z'), now: t('2026-11-03T12:10:00Z') });
    assert.equal(iso(p!.from), '2026-11-02T12:00:00.000Z');
  });
  it('a later run fetches only new data plus the lookback', () => {
    const [p] = planIncremental({
      streams: [callvolume],
      completed: { callvolume: [{ start: t('2026-11-02T00:00:00Z'), end: t('2026-11-03T11:45:00Z') }] },
      scheduledAt: t('2026-11-03T12:25:00Z'),
      now: t('2026-11-03T12:25:00Z'),
      start: t('2026-11-02T00:00:00Z'),
    });
    assert.deepEqual(windows(p!), ['2026-11-03T10:45:00.000Z..2026-11-03T12:15:00.000Z']);
  });
  it('fills gaps left by failed windows', () => {
    const [p] = planIncremental({
      streams: [callvolume],
      completed: {
        callvolume: [
          { start: t('2026-11-02T00:00:00Z'), end: t('2026-11-02T06:00:00Z') },
          { start: t('2026-11-02T08:00:00Z'), end: t('2026-11-03T11:45:00Z') },
        ],
      },
      scheduledAt: t('2026-11-03T11:55:00Z'),
      now: t('2026-11-03T11:55:00Z'),
      start: t('2026-11-02T00:00:00Z'),
      lookbackMs: 0,
    });
    assert.deepEqual(windows(p!), ['2026-11-02T06:00:00.000Z..2026-11-02T08:00:00.000Z']);
  });
  it('a schedule backfill of an old nominal time works from that time, not from now', () => {
    const [p] = planIncremental({
      streams: [callvolume],
      completed: { callvolume: [{ start: t('2026-11-02T00:00:00Z'), end: t('2026-11-05T00:00:00Z') }] },
      scheduledAt: t('2026-11-03T06:10:00Z'),
      now: t('2026-11-10T00:00:00Z'),
      start: t('2026-11-02T00:00:00Z'),
    });
    assert.equal(iso(p!.to), '2026-11-03T06:00:00.000Z');
    assert.deepEqual(windows(p!), ['2026-11-03T05:00:00.000Z..2026-11-03T06:00:00.000Z'], 'only the lookback before its own nominal time');
  });
  it("never asks for data older than the API's age limit, keeping the margin inside it", () => {
    const now = t('2026-11-20T10:00:00Z');
    const [p] = planIncremental({ streams: [intervalMetrics], completed: {}, scheduledAt: now, now, start: t('2026-10-01T00:00:00Z') });
    assert.equal(iso(p!.from), '2026-11-06T10:30:00.000Z', '14 days back, plus the 30-minute margin, on a 15-minute boundary');
    assert.match(p!.note ?? '', /only recent data: starting at 2026-11-06T10:30:00.000Z/);
    assert.ok(p!.windows.length > 0);
    for (const w of p!.windows) assert.ok(w.end - w.start <= DAY);
  });
  it('does nothing for snapshot streams here, and nothing before the lag has passed', () => {
    const out = planIncremental({
      streams: [agents, callvolume],
      completed: {},
      scheduledAt: t('2026-11-03T00:05:00Z'),
      now: t('2026-11-03T00:05:00Z'),
      start: t('2026-11-03T00:00:00Z'),
    });
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.windows, []);
  });
  it('reads each snapshot stream as one one-second window at the nominal time', () => {
    const at = t('2026-11-03T00:05:00Z');
    assert.deepEqual(snapshotWindows([agents, callvolume], at), [{ stream: 'agents', start: at, end: at + 1000 }]);
  });
});

const backfill = (extra: Partial<BackfillPlanInput> = {}): BackfillPlanInput => ({
  streams: [callvolume],
  range: { from: t('2026-11-18T00:00:00Z'), to: t('2026-11-20T00:00:00Z') },
  completed: {},
  resumeFrom: {},
  now: t('2026-11-25T00:00:00Z'),
  ...extra,
});

describe('backfill planning', () => {
  it('splits the range into aligned windows and skips complete ones', () => {
    const { todo, skipped, problems } = planBackfill(backfill({ completed: { callvolume: [{ start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z' }] } }));
    assert.deepEqual(problems, []);
    assert.equal(skipped, 1);
    assert.deepEqual(
      todo.map((w) => iso(w.start)),
      ['2026-11-19T00:00:00.000Z'],
    );
  });
  it('re-syncs complete windows when forced', () => {
    const { todo, skipped } = planBackfill(
      backfill({ force: true, completed: { callvolume: [{ start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z' }] } }),
    );
    assert.equal(skipped, 0);
    assert.equal(todo.length, 2);
  });
  it('never plans past what is final at the vendor (now minus the lag)', () => {
    const { todo } = planBackfill(backfill({ range: { from: t('2026-11-20T00:00:00Z'), to: t('2026-11-21T00:00:00Z') }, now: t('2026-11-20T12:07:00Z') }));
    assert.equal(todo.length, 1);
    assert.equal(iso(todo[0]!.end), '2026-11-20T11:45:00.000Z', '12:07 - 10 min, floored to 15 min');
  });
  it('starts where an earlier run (before continuing as new) stopped', () => {
    const { todo } = planBackfill(backfill({ resumeFrom: { callvolume: '2026-11-19T00:00:00.000Z' } }));
    assert.deepEqual(
      todo.map((w) => `${iso(w.start)}..${iso(w.end)}`),
      ['2026-11-19T00:00:00.000Z..2026-11-20T00:00:00.000Z'],
    );
  });
  it('returns every rule a request breaks, instead of throwing, and plans nothing', () => {
    const plan = planBackfill(
      backfill({
        streams: [callvolume, intervalMetrics, agents],
        requested: ['agents'],
        windowSize: { text: 'PT50M', ms: 50 * MINUTE },
        range: { from: t('2026-11-01T00:00:00Z'), to: t('2026-11-02T00:00:00Z') },
      }),
    );
    assert.deepEqual(plan.todo, []);
    assert.deepEqual(plan.problems, [
      "windowSize: PT50M must be a multiple of callvolume's interval, PT15M",
      "windowSize: PT50M must be a multiple of interval_metrics's interval, PT15M",
      'from: interval_metrics serves only the last P14D; the earliest possible "from" is 2026-11-11T00:30:00.000Z',
      'streams: "agents" is a snapshot stream (read whole by incrementalSync), it has no history to backfill',
    ]);
    assert.deepEqual(planBackfill(backfill({ windowSize: { text: 'P40D', ms: 40 * DAY } })).problems, [
      'windowSize: P40D is larger than callvolume allows (at most P31D)',
    ]);
  });
  it('leaves snapshot streams out quietly when the user named none', () => {
    const plan = planBackfill(backfill({ streams: [callvolume, agents] }));
    assert.deepEqual(plan.problems, []);
    assert.deepEqual([...new Set(plan.todo.map((w) => w.stream))], ['callvolume']);
  });
  it('orders windows by start, then stream', () => {
    const details = stream(kore.streams.calldetails);
    const { todo } = planBackfill(backfill({ streams: [details, callvolume] }));
    assert.deepEqual(
      todo.map((w) => `${w.stream}@${iso(w.start).slice(0, 10)}`),
      ['calldetails@2026-11-18', 'callvolume@2026-11-18', 'calldetails@2026-11-19', 'callvolume@2026-11-19'],
    );
  });
});

describe('a continued backfill near the age limit', () => {
  // The backfill began at 2026-11-25T00:00Z with from = the earliest it allowed then (11-11T00:30Z);
  // its first run read up to 11-12T00:00Z and continued as new.
  const began = t('2026-11-25T00:00:00Z');
  const from = t('2026-11-11T00:30:00Z');
  const plan = (now: number, extra: Partial<BackfillPlanInput> = {}) =>
    planBackfill(
      backfill({
        streams: [intervalMetrics],
        range: { from, to: t('2026-11-14T00:00:00Z') },
        resumeFrom: { interval_metrics: '2026-11-12T00:00:00.000Z' },
        now,
        ...extra,
      }),
    );
  it('the first run accepts the range; the same plan an hour later would refuse it', () => {
    assert.deepEqual(plan(began, { resumeFrom: {} }).problems, []);
    assert.match(plan(began + HOUR, { resumeFrom: {} }).problems.join(), /earliest possible "from" is 2026-11-11T01:30:00.000Z/);
  });
  it('a continued run is not refused: it keeps the windows still allowed and names none aged out when none did', () => {
    const p = plan(began + HOUR, { continued: true });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.agedOut, []);
    assert.deepEqual(
      p.todo.map((w) => `${iso(w.start)}..${iso(w.end)}`),
      ['2026-11-12T00:00:00.000Z..2026-11-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z..2026-11-14T00:00:00.000Z'],
    );
  });
  it('windows the limit passed are left out and listed; a window straddling it is cut to its allowed part', () => {
    // 30 hours later: the limit (with its margin) is at 11-12T06:30Z.
    const p = plan(began + 30 * HOUR, { continued: true });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.agedOut.map((a) => [a.stream, iso(a.start), iso(a.end), a.windows]),
      [['interval_metrics', '2026-11-12T00:00:00.000Z', '2026-11-12T06:30:00.000Z', 0]],
    );
    assert.deepEqual(
      p.todo.map((w) => `${iso(w.start)}..${iso(w.end)}`),
      ['2026-11-12T06:30:00.000Z..2026-11-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z..2026-11-14T00:00:00.000Z'],
    );
    // Two days later: the first remaining window is wholly lost, the next one cut.
    const later = plan(began + 2 * DAY, { continued: true });
    assert.deepEqual(
      later.agedOut.map((a) => [iso(a.start), iso(a.end), a.windows]),
      [['2026-11-12T00:00:00.000Z', '2026-11-13T00:30:00.000Z', 1]],
    );
    assert.deepEqual(
      later.todo.map((w) => iso(w.start)),
      ['2026-11-13T00:30:00.000Z'],
    );
  });
  it('a part already complete never counts as aged out', () => {
    const p = plan(began + 30 * HOUR, { continued: true, completed: { interval_metrics: [{ start: '2026-11-12T00:00:00Z', end: '2026-11-12T12:00:00Z' }] } });
    assert.deepEqual(p.agedOut, []);
    assert.deepEqual(
      p.todo.map((w) => iso(w.start)),
      ['2026-11-12T12:00:00.000Z', '2026-11-13T00:00:00.000Z'],
    );
  });
  it('streams without an age limit are untouched', () => {
    const p = planBackfill(backfill({ continued: true, now: t('2027-06-01T00:00:00Z') }));
    assert.deepEqual([p.problems, p.agedOut, p.todo.length], [[], [], 2]);
  });
});

describe("LivePerson windows follow the connection's intervalDuration", () => {
  /** The stream as one connection sees it (what describeConnection hands the workflows). */
  const forDuration = (intervalDuration: number) => ({
    ...intervalMetrics,
    window: windowRulesOf(intervalMetrics, livepersonSettings.parse({ accountId: '1', intervalDuration })),
  });
  for (const d of [15, 30, 60, 1440]) {
    it(`${d} minutes: an incremental run asks only for intervals that have ended at least the lag ago`, () => {
      const step = d * MINUTE;
      const s = forDuration(d);
      assert.equal(s.window.alignment, step);
      // Every 7 minutes over two days, with and without earlier state.
      for (let at = t('2026-11-20T00:00:00Z'); at < t('2026-11-22T00:00:00Z'); at += 7 * MINUTE) {
        // State as earlier runs on this grid leave it.
        const done = { start: Math.floor((at - 3 * DAY) / step) * step, end: Math.floor((at - 2 * HOUR) / step) * step };
        for (const completed of [{}, { interval_metrics: [done] }] as Record<string, { start: number; end: number }[]>[]) {
          const [p] = planIncremental({ streams: [s], completed, scheduledAt: at, now: at, start: at - 5 * DAY });
          for (const w of p!.windows) {
            assert.equal(w.start % step, 0, `${iso(w.start)} starts on the ${d}-minute grid (run at ${iso(at)})`);
            assert.equal(w.end % step, 0, `${iso(w.end)} ends on the ${d}-minute grid (run at ${iso(at)})`);
            // Its newest interval starts at end - step and ends at `end`: over, and processed for the lag.
            assert.ok(w.end <= at - s.window.defaultLag, `${iso(w.end)}: the newest interval ended a lag before ${iso(at)}`);
          }
        }
      }
    });
    it(`${d} minutes: a backfill ends on the interval grid, and a window by hand off that grid is refused`, () => {
      const s = forDuration(d);
      const now = t('2026-11-20T10:50:00Z');
      const plan = planBackfill(backfill({ streams: [s], range: { from: t('2026-11-19T00:00:00Z'), to: now }, now }));
      assert.deepEqual(plan.problems, []);
      const last = plan.todo.at(-1)!;
      assert.equal(last.end % (d * MINUTE), 0);
      assert.ok(last.end <= now - s.window.defaultLag);
      const quarter = t('2026-11-19T09:15:00Z');
      assert.equal(offGridProblems(s, quarter, quarter + 30 * MINUTE).length, d === 15 ? 0 : 2);
    });
  }
});

describe('LivePerson 202: the intervals marked Done', () => {
  const w = { start: t('2026-11-20T09:00:00Z'), end: t('2026-11-20T10:00:00Z') };
  const body = (statuses: string[], step = 15) => ({
    intervals: statuses.map((status, i) => {
      const from = w.start + i * step * MINUTE;
      return { from: iso(from).replace('.000Z', 'Z'), fromL: from, to: iso(from + step * MINUTE).replace('.000Z', 'Z'), toL: from + step * MINUTE, status };
    }),
  });
  it('ends the ready part where the first interval not done starts', () => {
    assert.equal(doneUntil(body(['Done', 'Done', 'In Progress', 'Done']), w), t('2026-11-20T09:30:00Z'));
    assert.equal(doneUntil(body(['Done', 'In Progress'], 30), w), t('2026-11-20T09:30:00Z'));
  });
  it('nothing ready when the first interval is not done, or when the body says nothing', () => {
    assert.equal(doneUntil(body(['In Progress', 'Done']), w), undefined);
    assert.equal(doneUntil(body(['Done', 'Done', 'Done', 'Done']), w), undefined);
    assert.equal(doneUntil({ intervals: [] }, w), undefined);
    assert.equal(doneUntil({ message: 'x' }, w), undefined);
  });
  it("reads the RFC 3339 text first (the doc's sample repeats one fromL for two intervals), in any order", () => {
    const doc = {
      intervals: [
        { from: '2026-11-20T09:15:00Z', fromL: w.start, to: '2026-11-20T09:30:00Z', toL: w.start, status: 'In Progress' },
        { from: '2026-11-20T09:00:00Z', fromL: w.start, to: '2026-11-20T09:15:00Z', toL: w.start, status: 'Done' },
      ],
    };
    assert.equal(doneUntil(doc, w), t('2026-11-20T09:15:00Z'));
  });
});

describe('the page check (what a fetch accepts)', () => {
  it('refuses empty windows, windows over the maximum size, and windows past the age limit, naming each', () => {
    const now = t('2026-11-20T10:00:00Z');
    assert.deepEqual(windowProblems('LivePerson interval_metrics', intervalMetrics.window, { start: now - HOUR, end: now - HOUR }, now), [
      'the window must end after it starts',
    ]);
    assert.deepEqual(windowProblems('LivePerson interval_metrics', intervalMetrics.window, { start: now - 3 * DAY, end: now - DAY }, now), [
      'LivePerson interval_metrics windows may span at most P1D; this one spans P2D',
    ]);
    assert.deepEqual(windowProblems('LivePerson interval_metrics', intervalMetrics.window, { start: now - 15 * DAY, end: now - 14 * DAY }, now), [
      'LivePerson interval_metrics serves only the last P14D: the window starts at 2026-11-05T10:00:00.000Z, before the earliest allowed 2026-11-06T10:00:00.000Z',
    ]);
    assert.throws(
      () => checkWindow(liveperson, intervalMetrics, { start: now - 15 * DAY, end: now - 13 * DAY }, now),
      (err: Error & { type?: string }) => {
        assert.equal(err.type, 'InvalidInput');
        assert.match(err.message, /may span at most P1D; this one spans P2D; LivePerson interval_metrics serves only the last P14D/);
        return true;
      },
    );
  });
  it('accepts windows that are not aligned (cut short by an open record, or started by hand)', () => {
    const agentstatus = stream(kore.streams.agentstatus);
    assert.deepEqual(
      windowProblems(
        'Kore.ai agentstatus',
        agentstatus.window,
        { start: t('2026-11-18T13:41:07Z'), end: t('2026-11-19T00:00:00Z') },
        t('2026-11-20T00:00:00Z'),
      ),
      [],
    );
  });
  it('is no stricter than planning: every window planned now is still fetchable when retried within the margin', () => {
    const sources = [kore, liveperson, ccaip];
    let checked = 0;
    for (const now of [t('2026-11-20T10:00:00Z'), t('2026-11-20T10:07:13.250Z')]) {
      for (const source of sources) {
        for (const s of Object.values(source.streams).filter((x) => x.kind === 'windowed')) {
          // As far back as the rules allow: the riskiest windows for the age limit.
          const from = earliestStart(s.window, now, 'plan') ?? now - 30 * DAY;
          const plan = planBackfill({ streams: [s], range: { from, to: now }, completed: {}, resumeFrom: {}, now });
          assert.deepEqual(plan.problems, [], `${source.name} ${s.name}`);
          const [first] = plan.todo;
          assert.ok(first, `${source.name} ${s.name} plans windows`);
          for (const w of plan.todo) {
            assert.deepEqual(
              windowProblems(s.name, s.window, w, now + AGE_LIMIT_MARGIN),
              [],
              `${source.name} ${s.name} ${iso(w.start)} fetched ${formatDuration(AGE_LIMIT_MARGIN)} later`,
            );
            checked++;
          }
          const incremental = planIncremental({ streams: [s], completed: {}, scheduledAt: now, now, start: now - 30 * DAY });
          for (const w of incremental[0]!.windows)
            assert.deepEqual(windowProblems(s.name, s.window, w, now + AGE_LIMIT_MARGIN), [], `${source.name} ${s.name} incremental`);
        }
      }
    }
    assert.ok(checked > 20, `${checked} windows checked`);
  });
  it('and the margin is what protects them: past it, the oldest planned window is refused', () => {
    const now = t('2026-11-20T10:00:00Z');
    const from = earliestStart(intervalMetrics.window, now, 'plan')!;
    const { todo } = planBackfill({ streams: [intervalMetrics], range: { from, to: now }, completed: {}, resumeFrom: {}, now });
    assert.equal(windowProblems('x', intervalMetrics.window, todo[0]!, now + AGE_LIMIT_MARGIN + 1).length, 1);
  });
});
