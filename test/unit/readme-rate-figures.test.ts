/** The README's rate-limit figures are the recorded runs' (fleet test, rate-bound benchmark), not pasted ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, withRateBlocks } from '../rate/readme-table';

test('the README rate-limit figures equal those generated from test/rate/last-run.json and bench/results (npm run readme:rate)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withRateBlocks(readme), readme, 'README.md is stale: run npm run readme:rate');
});
