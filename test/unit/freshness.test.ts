/** Freshness: complete until, what the schedule could have reached, how far behind, and the status verdict. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMaxBehind, verdictOf } from '../../cli/status';
import { behindMs, completeUntil, expectedUntil, freshnessFacts, gapsOf } from '../../core/freshness';
import { statusLabel } from '../../activities/metrics';

const H = 3600_000;
const M = 60_000;
const T = (iso: string) => Date.parse(iso);
const window = { maxSize: 31 * 24 * H, defaultSize: 24 * H, alignment: 15 * M, defaultLag: 10 * M, defaultLookback: H };

describe('freshness', () => {
  it('complete until is the end of the first completed run, not of the last', () => {
    const intervals = [
      { start: T('2026-10-05T00:00:00Z'), end: T('2026-10-06T00:00:00Z') },
      { start: T('2026-10-01T00:00:00Z'), end: T('2026-10-02T00:00:00Z') },
      { start: T('2026-10-02T00:00:00Z'), end: T('2026-10-03T00:00:00Z') },
    ];
    assert.equal(completeUntil(intervals), T('2026-10-03T00:00:00Z'));
    assert.deepEqual(gapsOf(intervals), [{ start: T('2026-10-03T00:00:00Z'), end: T('2026-10-05T00:00:00Z') }]);
    assert.equal(completeUntil([]), undefined);
  });

  it('behind: now minus the lag, down to the alignment, minus complete until', () => {
    const facts = freshnessFacts({ every: '15m' }, window);
    assert.deepEqual(facts, { everyMs: 15 * M, lagMs: 10 * M, alignmentMs: 15 * M });
    const now = T('2026-10-01T01:00:00Z');
    assert.equal(expectedUntil(now, facts), T('2026-10-01T00:45:00Z'));
    assert.equal(behindMs([{ start: 0, end: T('2026-10-01T00:15:00Z') }], now, facts), 30 * M);
    assert.equal(behindMs([{ start: 0, end: T('2026-10-01T00:50:00Z') }], now, facts), 0, 'never negative');
    // The schedule's lag overrides the stream's; a day-aligned stream 20 hours old is on time.
    assert.equal(freshnessFacts({ every: '15m', lag: '1h' }, window).lagMs, H);
    const daily = freshnessFacts({ every: '15m' }, { ...window, alignment: 24 * H });
    assert.equal(behindMs([{ start: 0, end: T('2026-10-01T00:00:00Z') }], T('2026-10-01T20:00:00Z'), daily), 0);
  });

  it('status verdict: more than N intervals behind, or never synced; unscheduled streams only against a duration', () => {
    const facts = freshnessFacts({ every: '15m' }, window);
    const now = T('2026-10-01T02:00:00Z');
    const until = (iso: string) => [{ start: 0, end: T(iso) }];
    assert.equal(verdictOf(until('2026-10-01T01:15:00Z'), now, facts, parseMaxBehind('2')), 'ok', '30 min = 2 intervals: not more');
    assert.equal(verdictOf(until('2026-10-01T01:00:00Z'), now, facts, parseMaxBehind('2')), 'behind', '45 min = 3 intervals');
    assert.equal(verdictOf([], now, facts, parseMaxBehind('2')), 'never synced');
    const unscheduled = freshnessFacts(undefined, window);
    assert.equal(verdictOf(until('2026-09-01T00:00:00Z'), now, unscheduled, parseMaxBehind('2')), 'not judged');
    assert.equal(verdictOf(until('2026-09-01T00:00:00Z'), now, unscheduled, parseMaxBehind('PT1H')), 'behind');
    assert.throws(() => parseMaxBehind('soon'), /--max-behind must be/);
  });

  it('status labels are three digits or network_error', () => {
    assert.equal(statusLabel(429), '429');
    assert.equal(statusLabel(undefined), 'network_error');
    assert.equal(statusLabel(1234), 'network_error');
  });
});
