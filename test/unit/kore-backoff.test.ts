/** Kore.ai 429 without Retry-After: exponential from the 60 s public scripts use, jittered upward, capped, through the one mapping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorForStatus } from '../../activities/http/status';
import { toApplicationFailure } from '../../core/failures';
import { kore } from '../../sources/kore';
import { kore429Pause, KORE_429_MAX_PAUSE_MS, KORE_429_MIN_PAUSE_MS } from '../../sources/kore/backoff';

const answer = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers,
  text: JSON.stringify({ errors: [{ msg: 'Rate limit for this API has been reached' }] }),
  ms: 1,
});
const delayOf = (status: number, attempt: number, headers: Record<string, string> = {}) => {
  const err = errorForStatus(kore, answer(status, headers), 'kore.example', attempt)!;
  return Number(toApplicationFailure(err, attempt).nextRetryDelay);
};

describe('Kore.ai 429 without Retry-After', () => {
  it('waits at least 60 s, doubling per attempt, never past the cap (plus jitter)', () => {
    for (const [attempt, base] of [
      [1, 60_000],
      [2, 120_000],
      [3, 240_000],
      [5, 900_000],
      [40, 900_000],
    ] as const) {
      const d = delayOf(429, attempt);
      assert.ok(d >= base && d <= base * 1.2, `attempt ${attempt}: ${d} ms, expected ${base}..${base * 1.2}`);
    }
    assert.equal(
      kore429Pause(1, () => 0),
      KORE_429_MIN_PAUSE_MS,
      'jitter never shortens the minimum',
    );
    assert.ok(kore429Pause(30, () => 0.999) <= KORE_429_MAX_PAUSE_MS * 1.2);
  });
  it('jitters: parallel windows that hit the limit together do not come back together', () => {
    const pauses = new Set(Array.from({ length: 20 }, () => delayOf(429, 1)));
    assert.ok(pauses.size > 10, `${pauses.size} distinct pauses of 20`);
  });
  it('honours a Retry-After the vendor does send, and leaves other statuses alone', () => {
    assert.equal(delayOf(429, 1, { 'retry-after': '5' }), 5000);
    assert.ok(!(delayOf(503, 1) >= 60_000), "a 5xx keeps Temporal's own backoff");
  });
  it('says the real pause in the message', () => {
    const err = errorForStatus(kore, answer(429), 'kore.example', 1)!;
    assert.match(err.message, /retrying after (6\d|7[0-2]) s/);
  });
});
