import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addFailure, mergeTallies, readTally } from '../../core/attempts';

describe('attempt tallies per error type', () => {
  it('adds failures per type, keeping the first failure time', () => {
    let t = addFailure({}, 'ResponseCutShort', 100);
    t = addFailure(t, 'VendorUnavailable', 200);
    t = addFailure(t, 'ResponseCutShort', 300);
    assert.deepEqual(t, { ResponseCutShort: { count: 2, firstAt: 100 }, VendorUnavailable: { count: 1, firstAt: 200 } });
  });
  it('reads only well-formed heartbeat details', () => {
    assert.deepEqual(readTally(undefined), {});
    assert.deepEqual(readTally({ tally: { A: { count: 'x', firstAt: 1 }, B: { count: 2, firstAt: 5 } } }), { B: { count: 2, firstAt: 5 } });
  });
  it('merges two sources, taking the larger count', () => {
    assert.deepEqual(mergeTallies({ A: { count: 1, firstAt: 5 } }, { A: { count: 3, firstAt: 2 }, B: { count: 1, firstAt: 9 } }), {
      A: { count: 3, firstAt: 2 },
      B: { count: 1, firstAt: 9 },
    });
  });
});
