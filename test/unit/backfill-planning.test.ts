import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamPlan } from '../../activities';
import { DAY, HOUR, MINUTE } from '../../core/time';
import { planWindows } from '../../workflows/backfill';

const t = (iso: string) => Date.parse(iso);
const callvolume: StreamPlan = {
  name: 'callvolume',
  table: 'kore_callvolume',
  kind: 'windowed',
  window: { maxSize: 31 * DAY, defaultSize: DAY, alignment: 15 * MINUTE, defaultLag: 10 * MINUTE, defaultLookback: HOUR },
};
const input = (extra: Record<string, unknown> = {}) => ({ connection: 'k', from: '2026-11-18T00:00:00Z', ...extra }) as never;

describe('backfill planning', () => {
  it('splits the range into aligned windows and skips complete ones', () => {
    const { todo, skipped } = planWindows(input(), [callvolume], { from: t('2026-11-18T00:00:00Z'), to: t('2026-11-20T00:00:00Z') }, { callvolume: [{ start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z' }] }, {}, t('2026-11-25T00:00:00Z'));
    assert.equal(skipped, 1);
    assert.deepEqual(todo.map((w) => new Date(w.start).toISOString()), ['2026-11-19T00:00:00.000Z']);
  });
  it('never plans past what is final at the vendor (now minus the lag)', () => {
    const now = t('2026-11-20T12:07:00Z');
    const { todo } = planWindows(input(), [callvolume], { from: t('2026-11-20T00:00:00Z'), to: t('2026-11-21T00:00:00Z') }, {}, {}, now);
    assert.equal(todo.length, 1);
    assert.equal(new Date(todo[0]!.end).toISOString(), '2026-11-20T11:45:00.000Z', '12:07 - 10 min, floored to 15 min');
  });
  it('names every rule a request breaks', () => {
    assert.throws(
      () => planWindows(input({ windowSize: 'P40D' }), [callvolume], { from: t('2026-11-01T00:00:00Z'), to: t('2026-11-02T00:00:00Z') }, {}, {}, t('2026-11-25T00:00:00Z')),
      /windowSize: P40D is larger than callvolume allows \(at most P31D\)/,
    );
  });
});
