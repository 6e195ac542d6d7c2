/** `npm run cluster` options: defaults, --workers N, and plain-words refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterArgs } from '../../dev/cluster-main';

test('defaults: 3 workers, schedules and the Web UI', () => {
  assert.deepEqual(parseClusterArgs([]), { workers: 3, schedules: true, ui: true });
});

test('--workers N (both spellings), --no-schedules, --no-ui', () => {
  assert.equal(parseClusterArgs(['--workers', '5']).workers, 5);
  assert.equal(parseClusterArgs(['--workers=1']).workers, 1);
  assert.deepEqual(parseClusterArgs(['--no-schedules', '--no-ui', '--workers', '0']), { workers: 0, schedules: false, ui: false });
});

test('bad options are refused, naming the option', () => {
  assert.throws(() => parseClusterArgs(['--workers', 'three']), /--workers: must be a whole number from 0 to 32 \(got "three"\)/);
  assert.throws(() => parseClusterArgs(['--workers', '100']), /--workers: must be a whole number/);
  assert.throws(() => parseClusterArgs(['--worker', '3']), /unknown option --worker/);
});
