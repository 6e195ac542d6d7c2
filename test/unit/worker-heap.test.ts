/**
 * The worker's heap growth default (workers/heap.ts): what the setting reads, and that it really
 * changes how far V8 lets the heap grow under a page-like load (a child process each way).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HEAP_GROWING_PERCENT_ENV, heapGrowingPercent } from '../../workers/heap';

const ROOT = join(__dirname, '../..');

describe('worker heap growth', () => {
  it('unset or 0 leaves V8 its own; a value sets it; a flag given to node wins; bad values are refused by name', () => {
    assert.equal(heapGrowingPercent({}, []), undefined, 'unset: V8 is left alone (the setting costs CPU; it is an opt-in)');
    assert.equal(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '20' }, []), 20);
    assert.equal(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: ' 50 ' }, []), 50);
    assert.equal(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '0' }, []), undefined);
    assert.equal(heapGrowingPercent({}, ['--heap-growing-percent=70']), undefined);
    assert.equal(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '30' }, ['--heap_growing_percent=70']), undefined);
    for (const bad of ['-1', '1.5', 'lots', '1001']) {
      assert.throws(
        () => heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: bad }, []),
        new RegExp(`${HEAP_GROWING_PERCENT_ENV} must be a whole number.*"${bad.replace('.', '\\.')}"`),
      );
    }
  });

  it('applied, the heap stays smaller under pages of 1,000 parsed records than with V8 left alone', () => {
    // Pages of parsed JSON, 40 of them alive at a time (as pages in flight across awaits): the garbage
    // of older ones piles up in the old generation until a full GC.
    const script = `
      require('./workers/heap.ts').applyWorkerHeapDefaults();
      const live = []; let max = 0;
      for (let i = 0; i < 900; i++) {
        const s = JSON.stringify(Array.from({ length: 1000 }, (_, j) => ({ id: i * 1000 + j, q: 'q' + (j % 50), v: Math.random(), x: 'x'.repeat(100) })));
        live.push(JSON.parse(s)); if (live.length > 40) live.shift();
        max = Math.max(max, process.memoryUsage().heapTotal);
      }
      console.log(Math.round(max / 2 ** 20));`;
    const peak = (value: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT,
        env: { ...process.env, [HEAP_GROWING_PERCENT_ENV]: value },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.trim());
    };
    const v8Default = peak('0');
    const applied = peak('20');
    assert.ok(applied < v8Default * 0.85, `heap peak ${applied} MB with ${HEAP_GROWING_PERCENT_ENV}=20, ${v8Default} MB with V8's own growth`);
    assert.ok(peak('') >= applied / 0.85, 'unset, the worker leaves the heap growth to V8');
  });
});
