import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY, HOUR, MINUTE, formatDuration, mergeIntervals, parseDuration, parseInstant, splitIntoWindows, subtractIntervals } from '../../core/time';

const t = (iso: string) => Date.parse(iso);

describe('durations', () => {
  it('parses ISO-8601 and short forms', () => {
    assert.equal(parseDuration('P1D'), DAY);
    assert.equal(parseDuration('PT15M'), 15 * MINUTE);
    assert.equal(parseDuration('PT1H30M'), 90 * MINUTE);
    assert.equal(parseDuration('P1W'), 7 * DAY);
    assert.equal(parseDuration('15m'), 15 * MINUTE);
    assert.equal(parseDuration('6h'), 6 * HOUR);
  });
  it('refuses months, years and nonsense', () => {
    for (const bad of ['P1M', 'P1Y', 'P', 'PT', '1 day', '', 'abc', '-1h']) assert.equal(parseDuration(bad), undefined, bad);
  });
  it('formats back', () => {
    assert.equal(formatDuration(DAY), 'P1D');
    assert.equal(formatDuration(7 * DAY + 2 * HOUR), 'P7DT2H');
    assert.equal(formatDuration(15 * MINUTE), 'PT15M');
  });
});

describe('instants', () => {
  it('needs a zone', () => {
    assert.equal(parseInstant('2026-10-01T00:00:00Z'), t('2026-10-01T00:00:00Z'));
    assert.equal(parseInstant('2026-10-01T02:00:00+02:00'), t('2026-10-01T00:00:00Z'));
    assert.equal(parseInstant('2026-10-01T00:00:00'), undefined);
    assert.equal(parseInstant('2026-10-01'), undefined);
    assert.equal(parseInstant('2026-13-01T00:00:00Z'), undefined);
  });
  it('refuses impossible dates and times instead of rolling them over', () => {
    for (const bad of [
      '2026-02-31T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-10-00T00:00:00Z',
      '2026-10-01T24:00:00Z',
      '2026-10-01T23:60:00Z',
      '2026-10-01T23:59:60Z',
      '2026-10-01T00:00:00+24:00',
      '2026-10-01T00:00:00+02:60',
    ]) {
      assert.equal(parseInstant(bad), undefined, bad);
    }
    assert.equal(parseInstant('2028-02-29T00:00:00Z'), t('2028-02-29T00:00:00Z'));
    assert.equal(parseInstant('2026-12-31T23:59:59.999Z'), t('2026-12-31T23:59:59.999Z'));
    assert.equal(parseInstant('2026-10-01T00:00:00-0530'), t('2026-10-01T05:30:00Z'));
  });
});

describe('intervals', () => {
  it('merges overlapping and touching intervals in any order', () => {
    assert.deepEqual(
      mergeIntervals([
        { start: 5, end: 7 },
        { start: 0, end: 2 },
        { start: 2, end: 3 },
        { start: 6, end: 9 },
        { start: 4, end: 4 },
      ]),
      [
        { start: 0, end: 3 },
        { start: 5, end: 9 },
      ],
    );
  });
  it('finds the gaps of a range', () => {
    assert.deepEqual(
      subtractIntervals({ start: 0, end: 10 }, [
        { start: 2, end: 4 },
        { start: 6, end: 12 },
      ]),
      [
        { start: 0, end: 2 },
        { start: 4, end: 6 },
      ],
    );
    assert.deepEqual(subtractIntervals({ start: 0, end: 10 }, [{ start: -5, end: 15 }]), []);
    assert.deepEqual(subtractIntervals({ start: 0, end: 10 }, []), [{ start: 0, end: 10 }]);
  });
  it('splits on boundaries aligned to the epoch, so planners agree on window ids', () => {
    const w = splitIntoWindows({ start: t('2026-10-01T06:00:00Z'), end: t('2026-10-03T12:00:00Z') }, DAY);
    assert.deepEqual(
      w.map((x) => [new Date(x.start).toISOString(), new Date(x.end).toISOString()]),
      [
        ['2026-10-01T06:00:00.000Z', '2026-10-02T00:00:00.000Z'],
        ['2026-10-02T00:00:00.000Z', '2026-10-03T00:00:00.000Z'],
        ['2026-10-03T00:00:00.000Z', '2026-10-03T12:00:00.000Z'],
      ],
    );
  });
});
