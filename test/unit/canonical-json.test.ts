/**
 * The hand-written canonical JSON (destinations/json.ts) against its definition, JSON.stringify
 * with a key-sorting replacer: stored records are compared as text, so one character of
 * difference would make every re-read record count as changed (and rewrite it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, canonicalJsonByReplacer } from '../../destinations/json';
import { callVolumeGroundTruth, demoKoreOptions, KoreSimulator } from '../../simulators/kore';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'Z', '_id', '__v', '0', '1', '10', '2', '01', '-1', '1.5', 'é', '😀', '', 'toString', 'constructor', 'x y', '"q"'];
const STRINGS = [
  '',
  'plain',
  'quote " and \\ backslash',
  'line\nbreak\ttab',
  '\u0000\u001f',
  'é ü 中文',
  '😀',
  '\ud800 lone',
  '2024-09-27T13:50:51',
  '</script>',
];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.123, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const kind = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (kind) {
    case 0:
      return pick(STRINGS);
    case 1:
      return pick(NUMBERS);
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return pick([new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), () => 1, Symbol('s')]);
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default: {
      const object: Record<string, unknown> = next() < 0.1 ? (Object.create(null) as Record<string, unknown>) : {};
      for (let i = Math.floor(next() * 6); i > 0; i--) object[pick(KEYS)] = value(next, depth + 1);
      if (next() < 0.05) object.toJSON = () => ({ replaced: true });
      return object;
    }
  }
}

describe('canonical JSON', () => {
  it('writes every Kore.ai call-volume record of a simulated day exactly as the definition does, with keys sorted', () => {
    const sim = new KoreSimulator(demoKoreOptions({ queues: 5 }));
    const from = Date.UTC(2026, 9, 1);
    const records = callVolumeGroundTruth(sim.data, from, from + 86_400_000);
    assert.ok(records.length > 400);
    for (const record of records) assert.equal(canonicalJson(record), canonicalJsonByReplacer(record));
    const text = canonicalJson(records[0]);
    assert.deepEqual(Object.keys(JSON.parse(text) as object), Object.keys(records[0] as object).sort());
  });

  it('matches the definition on edge cases: index-like keys, undefined, non-finite numbers, escapes, Dates, toJSON, null prototypes', () => {
    const cases: unknown[] = [
      undefined,
      null,
      () => 1,
      -0,
      NaN,
      'x',
      [],
      {},
      [undefined, () => 1, Symbol('s'), NaN],
      { b: 1, a: undefined, c: () => 1, d: Symbol('s') },
      { 10: 'ten', 9: 'nine', b: 'b', a: 'a', '01': 'zero one' },
      { nested: { z: [{ y: 1, x: 2 }], a: { '2': 1, '1': 2 } } },
      { when: new Date(Date.UTC(2026, 11, 3)) },
      { toJSON: () => ({ b: 2, a: 1 }) },
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
      { s: '\ud800', e: 'é', q: '"\\' },
      new Date(NaN),
      { big: 1e21, small: 5e-324 },
      // Shapes that a naive key signature would confuse with each other.
      {},
      { '': {} },
      { 'a\u0000b': 1 },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ];
    for (const c of cases) assert.equal(canonicalJson(c), canonicalJsonByReplacer(c), `for ${String(canonicalJsonByReplacer(c))}`);
  });

  it('matches the definition on 20,000 generated values', () => {
    const next = random(20261203);
    for (let i = 0; i < 20_000; i++) {
      const v = value(next, 0);
      assert.equal(canonicalJson(v), canonicalJsonByReplacer(v), `value ${i}`);
    }
  });

  it('throws on a bigint, as JSON.stringify does', () => {
    assert.throws(() => canonicalJson({ a: 1n }), TypeError);
  });
});
