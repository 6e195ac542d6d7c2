/**
 * The behaviour every destination owes the engine, run against each backend by its own test file
 * so SQLite and PostgreSQL are held to exactly the same contract.
 *
 * `open()` must return a NEW destination over the SAME store each time (same file, same schema):
 * several cases open a second instance to play "a later run" or "another worker".
 * The store is expected to be fresh when the suite starts; cases use distinct tables and connections.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCcsyncError, type ErrorType } from '../../core/errors';
import { HOUR, type Interval } from '../../core/time';
import type { Destination, Row, TableSpec } from '../../destinations/destination';

export type OpenDestination = () => Destination;

/** An assert.rejects validator that reports the actual error when the type is wrong. */
export function ofType(type: ErrorType): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(isCcsyncError(err), `expected a CcsyncError (${type}), got: ${String(err)}`);
    assert.equal(err.type, type, `expected ${type}, got ${err.type}: ${err.message}`);
    return true;
  };
}

/** Opens `count` destinations, runs `work`, and always closes them (pools would keep node alive). */
export async function using<T>(open: OpenDestination, count: number, work: (...dests: Destination[]) => Promise<T>): Promise<T> {
  const dests = Array.from({ length: count }, () => open());
  try {
    return await work(...dests);
  } finally {
    await Promise.all(dests.map((d) => d.close()));
  }
}

const T0 = Date.UTC(2026, 9, 1);
const iv = (startHour: number, endHour: number): Interval => ({ start: T0 + startHour * HOUR, end: T0 + endHour * HOUR });

function rows(...items: Array<[string, unknown]>): Row[] {
  return items.map(([id, record]) => ({ key: { id }, record }));
}

export function destinationContract(name: string, open: OpenDestination): void {
  describe(`destination contract: ${name}`, () => {
    it('counts inserted, updated and unchanged rows exactly, and touches only changed rows', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_counts', keyColumns: ['id'] };
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', { v: 1 }], ['2', { v: 2 }], ['3', { v: 3 }])), {
          inserted: 3,
          updated: 0,
          unchanged: 0,
        });
        const first = await d.readAll(spec, 'conn');
        await sleep(15); // so a rewritten _synced_at would differ
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', { v: 1 }], ['2', { v: 'two' }], ['3', { v: 3 }], ['4', { v: 4 }])), {
          inserted: 1,
          updated: 1,
          unchanged: 2,
        });
        const second = await d.readAll(spec, 'conn');
        assert.deepEqual(
          second.map((r) => [r.key.id, r.record]),
          [
            ['1', { v: 1 }],
            ['2', { v: 'two' }],
            ['3', { v: 3 }],
            ['4', { v: 4 }],
          ],
        );
        assert.equal(second[0]!.syncedAt, first[0]!.syncedAt, 'unchanged row keeps its _synced_at');
        assert.equal(second[2]!.syncedAt, first[2]!.syncedAt, 'unchanged row keeps its _synced_at');
        assert.ok(second[1]!.syncedAt > first[1]!.syncedAt, 'updated row gets a new _synced_at');
        assert.match(second[3]!.syncedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(second[3]!.connection, 'conn');
      });
    });

    it('an empty page writes nothing', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_empty', keyColumns: ['id'] };
        assert.deepEqual(await d.upsert(spec, 'conn', []), { inserted: 0, updated: 0, unchanged: 0 });
        assert.deepEqual(await d.readAll(spec, 'conn'), []);
      });
    });

    it('re-running the same pages from a new instance leaves the table identical, _synced_at included', async () => {
      const spec: TableSpec = { name: 'c_rerun', keyColumns: ['queue', 'ts'] };
      const page1: Row[] = Array.from({ length: 30 }, (_, i) => ({
        key: { queue: `q${i % 3}`, ts: `2026-10-01T00:${String(i).padStart(2, '0')}:00Z` },
        record: { offered: i, nested: { handled: i * 2, tags: ['a', 'b'] }, note: i % 2 ? null : 'x' },
      }));
      const page2: Row[] = [{ key: { queue: 'q9', ts: 'z' }, record: [1, 'two', { three: 3 }] }];
      const before = await using(open, 1, async (d) => {
        await d.upsert(spec, 'conn', page1);
        await d.upsert(spec, 'conn', page2);
        return d.readAll(spec, 'conn');
      });
      assert.equal(before.length, 31);
      await sleep(15);
      await using(open, 1, async (d) => {
        assert.deepEqual(await d.upsert(spec, 'conn', page1), { inserted: 0, updated: 0, unchanged: 30 });
        assert.deepEqual(await d.upsert(spec, 'conn', page2), { inserted: 0, updated: 0, unchanged: 1 });
        assert.deepEqual(await d.readAll(spec, 'conn'), before);
      });
    });

    it('an id that arrived as the number 42 and one that arrived as "42" are the same row', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_ids', keyColumns: ['id'] };
        // Callers pass strings; a number slipping through at runtime must still land on the same row.
        const numeric: Row[] = [{ key: { id: 42 as unknown as string }, record: { a: 1 } }];
        assert.deepEqual(await d.upsert(spec, 'conn', numeric), { inserted: 1, updated: 0, unchanged: 0 });
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['42', { a: 1 }])), { inserted: 0, updated: 0, unchanged: 1 });
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['42', { a: 2 }])), { inserted: 0, updated: 1, unchanged: 0 });
        const all = await d.readAll(spec, 'conn');
        assert.equal(all.length, 1);
        assert.deepEqual(all[0]!.key, { id: '42' });
        assert.equal(typeof all[0]!.key.id, 'string');
        assert.deepEqual(all[0]!.record, { a: 2 });
      });
    });

    it('stores records canonically: the same record with its keys in another order is unchanged', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_canonical', keyColumns: ['id'] };
        const record = { a: 1, b: { c: 2, d: [1, { x: 1, y: 'é' }] }, e: null };
        const reordered = { e: null, b: { d: [1, { y: 'é', x: 1 }], c: 2 }, a: 1 };
        await d.upsert(spec, 'conn', rows(['1', record]));
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', reordered])), { inserted: 0, updated: 0, unchanged: 1 });
        // Array order is data, not formatting: it must count as a change.
        const swapped = { ...record, b: { c: 2, d: [{ x: 1, y: 'é' }, 1] } };
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', swapped])), { inserted: 0, updated: 1, unchanged: 0 });
        assert.deepEqual((await d.readAll(spec, 'conn'))[0]!.record, swapped);
      });
    });

    it('a key repeated within one page is written once, the last occurrence winning', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_dupes', keyColumns: ['id'] };
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', { v: 'first' }], ['2', { v: 2 }], ['1', { v: 'last' }])), {
          inserted: 2,
          updated: 0,
          unchanged: 0,
        });
        assert.deepEqual(await d.upsert(spec, 'conn', rows(['1', { v: 'last' }], ['1', { v: 'newer' }])), {
          inserted: 0,
          updated: 1,
          unchanged: 0,
        });
        assert.deepEqual(
          (await d.readAll(spec, 'conn')).map((r) => [r.key.id, r.record]),
          [
            ['1', { v: 'newer' }],
            ['2', { v: 2 }],
          ],
        );
      });
    });

    it('keeps connections apart: the same key under two connections is two rows', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_conns', keyColumns: ['id'] };
        await d.upsert(spec, 'alpha', rows(['1', { from: 'alpha' }]));
        assert.deepEqual(await d.upsert(spec, 'beta', rows(['1', { from: 'beta' }])), { inserted: 1, updated: 0, unchanged: 0 });
        assert.deepEqual((await d.readAll(spec, 'alpha')).map((r) => r.record), [{ from: 'alpha' }]);
        assert.deepEqual((await d.readAll(spec, 'beta')).map((r) => [r.connection, r.record]), [['beta', { from: 'beta' }]]);
        assert.deepEqual(await d.readAll(spec, 'gamma'), []);
      });
    });

    it('orders readAll by key columns, bytewise, whatever the database locale', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_order', keyColumns: ['a', 'b'] };
        const keys = [
          ['b', '2'],
          ['a', '10'],
          ['A', '1'],
          ['a', '9'],
          ['_', '1'],
          ['a', 'Z'],
        ];
        await d.upsert(
          spec,
          'conn',
          keys.map(([a, b]) => ({ key: { a: a!, b: b! }, record: {} })),
        );
        assert.deepEqual(
          (await d.readAll(spec, 'conn')).map((r) => [r.key.a, r.key.b]),
          [
            ['A', '1'],
            ['_', '1'],
            ['a', '10'],
            ['a', '9'],
            ['a', 'Z'],
            ['b', '2'],
          ],
        );
      });
    });

    it('writes pages larger than one statement batch with exact counts', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_large', keyColumns: ['id'] };
        const page = (changed: (i: number) => boolean) =>
          Array.from({ length: 1234 }, (_, i) => ({ key: { id: String(i).padStart(5, '0') }, record: { i, changed: changed(i) } }));
        assert.deepEqual(await d.upsert(spec, 'conn', page(() => false)), { inserted: 1234, updated: 0, unchanged: 0 });
        assert.deepEqual(await d.upsert(spec, 'conn', page((i) => i % 100 === 0)), { inserted: 0, updated: 13, unchanged: 1221 });
        const all = await d.readAll(spec, 'conn');
        assert.equal(all.length, 1234);
        assert.deepEqual(all[1200]!.record, { i: 1200, changed: true });
        assert.deepEqual(all[1233]!.record, { i: 1233, changed: false });
      });
    });

    it('ensureTable is idempotent, also when called concurrently from several instances', async () => {
      await using(open, 3, async (...ds) => {
        const spec: TableSpec = { name: 'c_ensure', keyColumns: ['id'] };
        await Promise.all(ds.flatMap((d) => [d.ensureTable(spec), d.ensureTable(spec)]));
        await ds[0]!.ensureTable(spec);
        assert.deepEqual(await ds[1]!.readAll(spec, 'conn'), []);
        assert.deepEqual(await ds[2]!.upsert(spec, 'conn', rows(['1', {}])), { inserted: 1, updated: 0, unchanged: 0 });
      });
    });

    it('reads a table that was never written as empty', async () => {
      await using(open, 1, async (d) => {
        assert.deepEqual(await d.readAll({ name: 'c_never_written', keyColumns: ['id'] }, 'conn'), []);
      });
    });

    it('rejects unsafe or reserved table and column names with ConfigError before touching the database', async () => {
      await using(open, 1, async (d) => {
        const bad: TableSpec[] = [
          { name: 'kore_calls; DROP TABLE ccsync_state', keyColumns: ['id'] },
          { name: 'kore-calls', keyColumns: ['id'] },
          { name: '1kore', keyColumns: ['id'] },
          { name: '', keyColumns: ['id'] },
          { name: 'x'.repeat(64), keyColumns: ['id'] },
          { name: 'ccsync_state', keyColumns: ['id'] },
          { name: 'c_badcol', keyColumns: ['id"x'] },
          { name: 'c_badcol', keyColumns: ['record'] },
          { name: 'c_badcol', keyColumns: ['_connection'] },
          { name: 'c_badcol', keyColumns: ['id', 'ID'] },
        ];
        for (const spec of bad) {
          await assert.rejects(d.ensureTable(spec), ofType('ConfigError'), JSON.stringify(spec));
          await assert.rejects(d.upsert(spec, 'conn', rows(['1', {}])), ofType('ConfigError'), JSON.stringify(spec));
          await assert.rejects(d.readAll(spec, 'conn'), ofType('ConfigError'), JSON.stringify(spec));
        }
        // The state table survived the injection attempt.
        await d.markCompleted('conn', 'names', iv(0, 1));
        assert.deepEqual(await d.completedIntervals('conn', 'names'), [iv(0, 1)]);
      });
    });

    it('rejects a row without a value for a key column, writing nothing of its page', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_nokey', keyColumns: ['id', 'day'] };
        const page: Row[] = [
          { key: { id: '1', day: 'mon' }, record: {} },
          { key: { id: '2' }, record: {} },
        ];
        await assert.rejects(d.upsert(spec, 'conn', page), ofType('DestinationRejected'));
        assert.deepEqual(await d.readAll(spec, 'conn'), []);
      });
    });

    it('refuses to write into an existing table whose columns differ (DestinationRejected)', async () => {
      await using(open, 1, async (d) => {
        await d.upsert({ name: 'c_shape', keyColumns: ['id'] }, 'conn', rows(['1', {}]));
      });
      await using(open, 1, async (d) => {
        const other: TableSpec = { name: 'c_shape', keyColumns: ['agent'] };
        await assert.rejects(d.upsert(other, 'conn', [{ key: { agent: 'x' }, record: {} }]), ofType('DestinationRejected'));
      });
    });

    it('merges completed intervals: overlapping, touching, out of order, per connection and stream', async () => {
      await using(open, 1, async (d) => {
        assert.deepEqual(await d.completedIntervals('conn', 'merge'), []);
        await d.markCompleted('conn', 'merge', iv(30, 40));
        await d.markCompleted('conn', 'merge', iv(10, 20));
        await d.markCompleted('conn', 'merge', iv(20, 25)); // touches [10, 20)
        await d.markCompleted('conn', 'merge', iv(35, 50)); // overlaps [30, 40)
        await d.markCompleted('conn', 'merge', iv(0, 5)); // before everything
        assert.deepEqual(await d.completedIntervals('conn', 'merge'), [iv(0, 5), iv(10, 25), iv(30, 50)]);
        await d.markCompleted('conn', 'merge', iv(12, 14)); // already covered: no change
        await d.markCompleted('conn', 'merge', iv(5, 10)); // fills a gap exactly
        assert.deepEqual(await d.completedIntervals('conn', 'merge'), [iv(0, 25), iv(30, 50)]);
        assert.deepEqual(await d.completedIntervals('conn', 'other-stream'), []);
        assert.deepEqual(await d.completedIntervals('other-conn', 'merge'), []);
      });
      // Durable: a new instance (a restarted worker) sees the same set.
      await using(open, 1, async (d) => {
        assert.deepEqual(await d.completedIntervals('conn', 'merge'), [iv(0, 25), iv(30, 50)]);
      });
    });

    it('refuses an interval that cannot be stored (InvalidInput)', async () => {
      await using(open, 1, async (d) => {
        await assert.rejects(d.markCompleted('conn', 'bad', { start: NaN, end: T0 }), ofType('InvalidInput'));
        await assert.rejects(d.markCompleted('conn', 'bad', iv(2, 1)), ofType('InvalidInput'));
        assert.deepEqual(await d.completedIntervals('conn', 'bad'), []);
      });
    });

    it('loses no interval when 20 windows of one stream finish at once, across two instances', async () => {
      await using(open, 2, async (a, b) => {
        // Disjoint windows: each must survive as its own interval.
        const disjoint = Array.from({ length: 20 }, (_, i) => iv(i * 2, i * 2 + 1));
        await Promise.all(disjoint.map((w, i) => (i % 2 ? a : b).markCompleted('conn', 'race-disjoint', w)));
        assert.deepEqual(await a.completedIntervals('conn', 'race-disjoint'), disjoint);

        // Touching windows, out of order: they must fold into one.
        const touching = Array.from({ length: 20 }, (_, i) => iv(i, i + 1)).reverse();
        await Promise.all(touching.map((w, i) => (i % 2 ? a : b).markCompleted('conn', 'race-touching', w)));
        assert.deepEqual(await b.completedIntervals('conn', 'race-touching'), [iv(0, 20)]);
      });
    });
  });
}
