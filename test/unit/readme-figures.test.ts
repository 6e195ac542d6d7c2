/** The README's durability figures are the last recorded chaos run's, not pasted ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LAST_RUN, README, withDurabilityBlock } from '../chaos/readme-table';

test('the README durability table equals the one generated from test/chaos/last-run.md (npm run readme:durability)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withDurabilityBlock(readme, readFileSync(LAST_RUN, 'utf8')), readme, 'README.md is stale: run npm run readme:durability');
});

test('the recorded run has computed columns and the schema-drift row', () => {
  const run = readFileSync(LAST_RUN, 'utf8');
  for (const col of ['faults met', 'inserts', 'extra writes']) assert.ok(run.split('\n')[0]!.includes(col), `column ${col}`);
  assert.ok(run.includes('schema drift'), 'a row for schema drift');
});
