/** The README's benchmark figures are the recorded run's (bench/results/recorded-overhead.json), not pasted ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, readRecorded, secondsOutsidePages, withBenchBlock } from '../../bench/readme-table';

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

test("time outside the pages is wall time minus the pages' time per parallel lane", () => {
  // 40 pages of 200 ms over 2 lanes: 4 s of pages per lane in a 10 s run leaves 6 s outside them.
  assert.equal(secondsOutsidePages({ wallMs: 10_000, perPageMs: { total: { n: 40, mean: 200, p50: 190, p95: 260 } } }, 2), 6);
  assert.equal(secondsOutsidePages({ wallMs: 10_000, perPageMs: { total: { n: 40, mean: 200, p50: 190, p95: 260 } } }, 1), 2);
  // A run recorded before page counts were kept says n/a rather than a made-up figure.
  assert.equal(secondsOutsidePages({ wallMs: 10_000, perPageMs: { total: { p50: 190, p95: 260 } } }, 2), undefined);
  // In the recorded run, every arm spends some time outside its pages, and less than all of it.
  const { run } = readRecorded();
  for (const r of run.results.filter((x) => x.part === 'matrix')) {
    const outside = secondsOutsidePages(r, r.params.parallel);
    assert.ok(outside !== undefined && outside > 0 && outside < r.wallMs / 1000, `${r.id}: ${outside} s outside its pages`);
  }
});
