import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planIncremental, type IncrementalStream } from '../../core/planning';
import { DAY, HOUR, MINUTE } from '../../core/time';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const callvolume: IncrementalStream = {
  name: 'callvolume',
  kind: 'windowed',
  window: { maxSize: 31 * DAY, defaultSize: DAY, alignment: 15 * MINUTE, defaultLag: 10 * MINUTE, defaultLookback: HOUR },
};
const windows = (o: { windows: { start: number; end: number }[] }) => o.windows.map((w) => `${iso(w.start)}..${iso(w.end)}`);

describe('incremental planning', () => {
  it('a first run reaches back to the connection start, up to the scheduled time minus the lag', () => {
    const [p] = planIncremental({ streams: [callvolume], completed: {}, scheduledAt: t('2026-11-03T12:07:00Z'), now: t('2026-11-03T12:07:00Z'), start: t('2026-11-02T00:00:00Z') });
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
      completed: { callvolume: [{ start: t('2026-11-02T00:00:00Z'), end: t('2026-11-02T06:00:00Z') }, { start: t('2026-11-02T08:00:00Z'), end: t('2026-11-03T11:45:00Z') }] },
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
  it("never asks for data older than the API's age limit", () => {
    const lp: IncrementalStream = { ...callvolume, name: 'interval_metrics', window: { ...callvolume.window, maxSize: DAY, maxAge: 14 * DAY } };
    const now = t('2026-11-20T10:00:00Z');
    const [p] = planIncremental({ streams: [lp], completed: {}, scheduledAt: now, now, start: t('2026-10-01T00:00:00Z') });
    assert.ok(p!.from >= now - 14 * DAY, 'from within 14 days');
    assert.match(p!.note ?? '', /only recent data/);
    for (const w of p!.windows) assert.ok(w.end - w.start <= DAY);
  });
  it('does nothing for snapshot streams here, and nothing before the lag has passed', () => {
    const snap: IncrementalStream = { ...callvolume, name: 'agents', kind: 'snapshot' };
    const out = planIncremental({ streams: [snap, callvolume], completed: {}, scheduledAt: t('2026-11-03T00:05:00Z'), now: t('2026-11-03T00:05:00Z'), start: t('2026-11-03T00:00:00Z') });
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.windows, []);
  });
});
