/** The README's benchmark figures are the recorded run's (bench/results/recorded-overhead.json), not pasted ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, readRecorded, withBenchBlock } from '../../bench/readme-table';

test('the README benchmark block equals the one generated from bench/results/recorded-overhead.json', () => {
  const readme = readFileSync(README, 'utf8');
  const { run, before, scale, experiments } = readRecorded();
  assert.equal(
    withBenchBlock(readme, run, before, scale, experiments),
    readme,
    'README.md is stale: run npx tsx bench/readme-table.ts --run=<the recorded run>',
  );
});

test('the recorded run checks every target of #18 and was verified', () => {
  const { run, scale } = readRecorded();
  const targets = [...(run.targets ?? []), ...(scale?.targets ?? [])];
  for (const what of ['150 ms, 1 window', '150 ms, 2 windows', '150 ms, 4 windows', '0 ms', 'orchestration per page', 'peak RSS']) {
    assert.ok(
      targets.some((t) => t.target.includes(what)),
      `a target for ${what}`,
    );
  }
  assert.ok(
    [...run.results.filter((r) => !scale || r.part !== 'scale'), ...(scale?.results ?? [])].every((r) => r.verified.ok),
    'every run shown was verified',
  );
});
