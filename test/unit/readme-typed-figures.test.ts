/** The README's typed-write figures are the recorded bench runs', not pasted ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, RECORDED, typedWriteTable, withTypedBlock } from '../../bench/lib/typed-table';

test('the README typed-write table equals the one generated from bench/results/recorded-typed-write*.json (npm run readme:typed)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withTypedBlock(readme), readme, 'README.md is stale: run npm run readme:typed');
});

test('the table is computed from the recorded run: growth and the split of the extra cost per destination', () => {
  const run = JSON.parse(readFileSync(RECORDED, 'utf8')) as {
    results: Record<
      string,
      {
        rawMedianUs: number;
        typedMedianUs: number;
        conversionMedianUs: number;
        growthPercent: number;
        beforeFeatureMedianUs?: number;
        growthOverBeforeFeaturePercent?: number;
        cpu?: { rawMedianUs: number; typedMedianUs: number };
      }
    >;
  };
  const table = typedWriteTable([RECORDED]);
  for (const [dest, r] of Object.entries(run.results)) {
    const extra = Math.round((r.typedMedianUs - r.rawMedianUs) * 10) / 10;
    const row = table.split('\n').find((l) => l.includes(`| ${dest} |`));
    assert.ok(row, `a row for ${dest}`);
    assert.ok(row.includes(`${extra} µs`), `${dest}: typed − raw ${extra} µs in ${row}`);
    // Against today's raw layout the growth is shown; the target is judged against the product before typed columns.
    assert.ok(row.includes(`| ${r.growthPercent >= 0 ? '+' : ''}${r.growthPercent}% | ${extra} µs |`), `${dest}: typed vs raw ${r.growthPercent}% in ${row}`);
    if (r.cpu) {
      // The CPU table: typed vs raw recomputed from the recorded CPU medians.
      const growth = Math.round(((r.cpu.typedMedianUs - r.cpu.rawMedianUs) / r.cpu.rawMedianUs) * 1000) / 10;
      const cpuRow = table
        .split('\n')
        .find((l) => l.includes(`| ${dest} | ${r.cpu!.rawMedianUs} | ${r.cpu!.typedMedianUs} | ${growth >= 0 ? '+' : ''}${growth}% |`));
      assert.ok(cpuRow, `${dest}: a CPU row with typed vs raw ${growth}%`);
    }
    if (r.beforeFeatureMedianUs !== undefined) {
      // The product before typed columns: the growth is recomputed here, not trusted from the file.
      const growth = Math.round(((r.typedMedianUs - r.beforeFeatureMedianUs) / r.beforeFeatureMedianUs) * 1000) / 10;
      assert.equal(r.growthOverBeforeFeaturePercent, growth, `${dest}: growth over the code before typed columns`);
      const cell = `${growth >= 0 ? '+' : ''}${growth}% (${growth <= 20 ? 'met' : 'not met'})`;
      assert.ok(
        row.endsWith(`| ${r.beforeFeatureMedianUs} (${(run as { beforeFeatureCommit?: string }).beforeFeatureCommit}) | ${cell} |`),
        `${dest}: ${cell} in ${row}`,
      );
    }
  }
});
