/**
 * The behaviour every destination owes the engine, run against each backend by its own test file
 * so SQLite and PostgreSQL are held to exactly the same contract.
 *
 * `open()` must return a NEW destination over the SAME store each time (same file, same schema):
 * several cases open a second instance to play "a later run" or "another worker".
 * The store is expected to be fresh when the suite starts; cases use distinct tables and connections.
 * `raw` reaches the same store behind the destination's back: legacy tables, backdated rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCcsyncError, type ErrorType } from '../../core/errors';
import { HOUR, type Interval } from '../../core/time';
import type { Destination, Row, StoredRow, TableSpec, TableWrite } from '../../destinations/destination';
import { ensureTable, readAll, upsert } from './destination-access';

export type OpenDestination = () => Destination;

/** Direct SQL access to the store a contract run uses. */
export interface RawStore {
  dialect: 'sqlite' | 'postgres';
  /** A table's SQL name: quoted, and schema-qualified for PostgreSQL. */
  table(name: string): string;
  /** One statement with `?` placeholders; returns its rows (none for statements without). */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

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

/** Child rows keyed by (callId, leg). */
function legs(...items: Array<[string, string, unknown]>): Row[] {
  return items.map(([callId, leg, record]) => ({ key: { callId, leg }, record }));
}

const ids = (...values: string[]) => values.map((id) => ({ id }));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAY = 24 * HOUR;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** `[callId, leg, record]` per stored row, in readAll order. */
const legView = (all: StoredRow[]) => all.map((r) => [r.key.callId, r.key.leg, r.record]);
/** `id -> deletedAt` per stored row. */
const deletions = (all: StoredRow[]) => Object.fromEntries(all.map((r) => [r.key.id, r.deletedAt]));

export function destinationContract(name: string, open: OpenDestination, raw: RawStore): void {
  describe(`destination contract: ${name}`, () => {
    it('counts inserted, updated and unchanged rows exactly, and touches only changed rows', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_counts', keyColumns: ['id'] };
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', { v: 1 }], ['2', { v: 2 }], ['3', { v: 3 }])), {
          inserted: 3,
          updated: 0,
          unchanged: 0,
        });
        const first = await readAll(d, spec, 'conn');
        await sleep(15); // so a rewritten _synced_at would differ
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', { v: 1 }], ['2', { v: 'two' }], ['3', { v: 3 }], ['4', { v: 4 }])), {
          inserted: 1,
          updated: 1,
          unchanged: 2,
        });
        const second = await readAll(d, spec, 'conn');
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
        assert.deepEqual(await upsert(d, spec, 'conn', []), { inserted: 0, updated: 0, unchanged: 0 });
        assert.deepEqual(await readAll(d, spec, 'conn'), []);
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
        await upsert(d, spec, 'conn', page1);
        await upsert(d, spec, 'conn', page2);
        return readAll(d, spec, 'conn');
      });
      assert.equal(before.length, 31);
      await sleep(15);
      await using(open, 1, async (d) => {
        assert.deepEqual(await upsert(d, spec, 'conn', page1), { inserted: 0, updated: 0, unchanged: 30 });
        assert.deepEqual(await upsert(d, spec, 'conn', page2), { inserted: 0, updated: 0, unchanged: 1 });
        assert.deepEqual(await readAll(d, spec, 'conn'), before);
      });
    });

    it('an id that arrived as the number 42 and one that arrived as "42" are the same row', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_ids', keyColumns: ['id'] };
        // Callers pass strings; a number slipping through at runtime must still land on the same row.
        const numeric: Row[] = [{ key: { id: 42 as unknown as string }, record: { a: 1 } }];
        assert.deepEqual(await upsert(d, spec, 'conn', numeric), { inserted: 1, updated: 0, unchanged: 0 });
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['42', { a: 1 }])), { inserted: 0, updated: 0, unchanged: 1 });
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['42', { a: 2 }])), { inserted: 0, updated: 1, unchanged: 0 });
        const all = await readAll(d, spec, 'conn');
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
        await upsert(d, spec, 'conn', rows(['1', record]));
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', reordered])), { inserted: 0, updated: 0, unchanged: 1 });
        // Array order is data, not formatting: it must count as a change.
        const swapped = { ...record, b: { c: 2, d: [{ x: 1, y: 'é' }, 1] } };
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', swapped])), { inserted: 0, updated: 1, unchanged: 0 });
        assert.deepEqual((await readAll(d, spec, 'conn'))[0]!.record, swapped);
      });
    });

    it('a key repeated within one page is written once, the last occurrence winning', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_dupes', keyColumns: ['id'] };
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', { v: 'first' }], ['2', { v: 2 }], ['1', { v: 'last' }])), {
          inserted: 2,
          updated: 0,
          unchanged: 0,
        });
        assert.deepEqual(await upsert(d, spec, 'conn', rows(['1', { v: 'last' }], ['1', { v: 'newer' }])), {
          inserted: 0,
          updated: 1,
          unchanged: 0,
        });
        assert.deepEqual(
          (await readAll(d, spec, 'conn')).map((r) => [r.key.id, r.record]),
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
        await upsert(d, spec, 'alpha', rows(['1', { from: 'alpha' }]));
        assert.deepEqual(await upsert(d, spec, 'beta', rows(['1', { from: 'beta' }])), { inserted: 1, updated: 0, unchanged: 0 });
        assert.deepEqual(
          (await readAll(d, spec, 'alpha')).map((r) => r.record),
          [{ from: 'alpha' }],
        );
        assert.deepEqual(
          (await readAll(d, spec, 'beta')).map((r) => [r.connection, r.record]),
          [['beta', { from: 'beta' }]],
        );
        assert.deepEqual(await readAll(d, spec, 'gamma'), []);
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
        await upsert(
          d,
          spec,
          'conn',
          keys.map(([a, b]) => ({ key: { a: a!, b: b! }, record: {} })),
        );
        assert.deepEqual(
          (await readAll(d, spec, 'conn')).map((r) => [r.key.a, r.key.b]),
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
        assert.deepEqual(
          await upsert(
            d,
            spec,
            'conn',
            page(() => false),
          ),
          { inserted: 1234, updated: 0, unchanged: 0 },
        );
        assert.deepEqual(
          await upsert(
            d,
            spec,
            'conn',
            page((i) => i % 100 === 0),
          ),
          { inserted: 0, updated: 13, unchanged: 1221 },
        );
        const all = await readAll(d, spec, 'conn');
        assert.equal(all.length, 1234);
        assert.deepEqual(all[1200]!.record, { i: 1200, changed: true });
        assert.deepEqual(all[1233]!.record, { i: 1233, changed: false });
      });
    });

    it('ensureTable is idempotent, also when called concurrently from several instances', async () => {
      await using(open, 3, async (...ds) => {
        const spec: TableSpec = { name: 'c_ensure', keyColumns: ['id'] };
        await Promise.all(ds.flatMap((d) => [ensureTable(d, spec), ensureTable(d, spec)]));
        await ensureTable(ds[0]!, spec);
        assert.deepEqual(await readAll(ds[1]!, spec, 'conn'), []);
        assert.deepEqual(await upsert(ds[2]!, spec, 'conn', rows(['1', {}])), { inserted: 1, updated: 0, unchanged: 0 });
      });
    });

    it('reads a table that was never written as empty', async () => {
      await using(open, 1, async (d) => {
        assert.deepEqual(await readAll(d, { name: 'c_never_written', keyColumns: ['id'] }, 'conn'), []);
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
          { name: 'CCSYNC_STATE', keyColumns: ['id'] },
          { name: 'ccsync_snapshot_keys', keyColumns: ['id'] },
          { name: 'ccsync_snapshot_runs', keyColumns: ['id'] },
          { name: 'c_badcol', keyColumns: ['id"x'] },
          { name: 'c_badcol', keyColumns: ['record'] },
          { name: 'c_badcol', keyColumns: ['_connection'] },
          { name: 'c_badcol', keyColumns: ['_deleted_at'] },
          { name: 'c_badcol', keyColumns: ['id', 'ID'] },
        ];
        const good: TableSpec = { name: 'c_names_ok', keyColumns: ['id'] };
        for (const spec of bad) {
          const what = JSON.stringify(spec);
          await assert.rejects(ensureTable(d, spec), ofType('ConfigError'), what);
          await assert.rejects(upsert(d, spec, 'conn', rows(['1', {}])), ofType('ConfigError'), what);
          await assert.rejects(readAll(d, spec, 'conn'), ofType('ConfigError'), what);
          // A bad spec anywhere in a page fails the page before its good tables are written.
          await assert.rejects(
            d.writePage('conn', [
              { spec: good, rows: rows(['1', {}]) },
              { spec, rows: rows(['1', {}]) },
            ]),
            ofType('ConfigError'),
            what,
          );
          await assert.rejects(d.noteSnapshotKeys(spec, 'conn', 'run', ids('1')), ofType('ConfigError'), what);
          await assert.rejects(d.finishSnapshot(spec, 'conn', 'run'), ofType('ConfigError'), what);
        }
        assert.deepEqual(await readAll(d, good, 'conn'), []);
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
        await assert.rejects(upsert(d, spec, 'conn', page), ofType('DestinationRejected'));
        assert.deepEqual(await readAll(d, spec, 'conn'), []);
      });
    });

    it('refuses to write into an existing table whose columns differ (DestinationRejected)', async () => {
      await using(open, 1, async (d) => {
        await upsert(d, { name: 'c_shape', keyColumns: ['id'] }, 'conn', rows(['1', {}]));
      });
      await using(open, 1, async (d) => {
        const other: TableSpec = { name: 'c_shape', keyColumns: ['agent'] };
        await assert.rejects(upsert(d, other, 'conn', [{ key: { agent: 'x' }, record: {} }]), ofType('DestinationRejected'));
      });
    });

    it('writePage writes several tables in one call, counting each table exactly', async () => {
      await using(open, 1, async (d) => {
        const calls: TableSpec = { name: 'c_wp_calls', keyColumns: ['id'] };
        const parts: TableSpec = { name: 'c_wp_legs', keyColumns: ['callId', 'leg'] };
        assert.deepEqual(
          await d.writePage('conn', [
            { spec: calls, rows: rows(['1', { a: 1 }], ['2', { a: 2 }]) },
            { spec: parts, rows: legs(['1', 'a', {}], ['1', 'b', {}], ['2', 'a', {}]) },
          ]),
          [
            { table: 'c_wp_calls', inserted: 2, updated: 0, unchanged: 0, deleted: 0 },
            { table: 'c_wp_legs', inserted: 3, updated: 0, unchanged: 0, deleted: 0 },
          ],
        );
        const firstCalls = await readAll(d, calls, 'conn');
        const firstLegs = await readAll(d, parts, 'conn');
        assert.deepEqual(
          [...firstCalls, ...firstLegs].map((r) => r.deletedAt),
          [null, null, null, null, null],
        );
        await sleep(15);
        assert.deepEqual(
          await d.writePage('conn', [
            { spec: calls, rows: rows(['1', { a: 1 }], ['2', { a: 'two' }], ['3', { a: 3 }]) },
            { spec: parts, rows: legs(['1', 'a', {}], ['2', 'a', { moved: true }]) },
          ]),
          [
            { table: 'c_wp_calls', inserted: 1, updated: 1, unchanged: 1, deleted: 0 },
            { table: 'c_wp_legs', inserted: 0, updated: 1, unchanged: 1, deleted: 0 },
          ],
        );
        const secondCalls = await readAll(d, calls, 'conn');
        const secondLegs = await readAll(d, parts, 'conn');
        assert.deepEqual(
          secondCalls.map((r) => [r.key.id, r.record]),
          [
            ['1', { a: 1 }],
            ['2', { a: 'two' }],
            ['3', { a: 3 }],
          ],
        );
        assert.equal(secondCalls[0]!.syncedAt, firstCalls[0]!.syncedAt, 'unchanged row keeps its _synced_at');
        assert.ok(secondCalls[1]!.syncedAt > firstCalls[1]!.syncedAt, 'updated row gets a new _synced_at');
        assert.deepEqual(legView(secondLegs), [
          ['1', 'a', {}],
          ['1', 'b', {}],
          ['2', 'a', { moved: true }],
        ]);
        assert.equal(secondLegs[0]!.syncedAt, firstLegs[0]!.syncedAt);
        // The same table twice in one page: applied in order, the second write sees the first.
        assert.deepEqual(
          await d.writePage('conn', [
            { spec: calls, rows: rows(['4', { v: 1 }]) },
            { spec: calls, rows: rows(['4', { v: 2 }]) },
          ]),
          [
            { table: 'c_wp_calls', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
            { table: 'c_wp_calls', inserted: 0, updated: 1, unchanged: 0, deleted: 0 },
          ],
        );
        assert.deepEqual(await d.writePage('conn', []), []);
        assert.deepEqual(await readAll(d, calls, 'other'), []);
      });
    });

    it('writePage is one transaction: a later table failing leaves the earlier ones as they were', async () => {
      await using(open, 1, async (d) => {
        const first: TableSpec = { name: 'c_wp_atomic', keyColumns: ['callId', 'leg'] };
        await d.writePage('conn', [{ spec: first, rows: legs(['P1', 'a', { v: 1 }], ['P1', 'b', { v: 1 }], ['P2', 'a', { v: 1 }]) }]);
        const before = await readAll(d, first, 'conn');
        assert.equal(before.length, 3);
        const firstWrite: TableWrite = {
          spec: first,
          rows: legs(['P1', 'a', { v: 'changed' }], ['P1', 'c', { v: 'new' }], ['P3', 'a', { v: 'new' }]),
          replaceChildrenOf: { column: 'callId', parents: ['P1'] }, // would delete P1/b
        };

        // Caught before the transaction: a row of the second table has no key.
        const keyless: TableSpec = { name: 'c_wp_atomic_keyless', keyColumns: ['id'] };
        await assert.rejects(
          d.writePage('conn', [
            firstWrite,
            {
              spec: keyless,
              rows: [
                { key: { id: '1' }, record: {} },
                { key: {}, record: {} },
              ],
            },
          ]),
          ofType('DestinationRejected'),
        );
        assert.deepEqual(await readAll(d, first, 'conn'), before);
        assert.deepEqual(await readAll(d, keyless, 'conn'), []);

        // Refused by the database itself, after the first table's delete and upsert ran.
        const shaped: TableSpec = { name: 'c_wp_atomic_shape', keyColumns: ['id'] };
        await upsert(d, shaped, 'conn', rows(['1', {}]));
        const misshapen: TableSpec = { name: 'c_wp_atomic_shape', keyColumns: ['agent'] };
        await assert.rejects(
          d.writePage('conn', [firstWrite, { spec: misshapen, rows: [{ key: { agent: 'x' }, record: {} }] }]),
          ofType('DestinationRejected'),
        );
        assert.deepEqual(await readAll(d, first, 'conn'), before, 'the child delete and the upsert were rolled back');
        assert.deepEqual(
          (await readAll(d, shaped, 'conn')).map((r) => r.key),
          [{ id: '1' }],
        );

        // And the same page without the bad table goes through whole.
        assert.deepEqual(await d.writePage('conn', [firstWrite]), [{ table: 'c_wp_atomic', inserted: 2, updated: 1, unchanged: 0, deleted: 1 }]);
      });
    });

    it('an older version never overwrites a newer one, nor its children; equal or newer versions do', async () => {
      const calls: TableSpec = { name: 'c_versioned_calls', keyColumns: ['id'] };
      const parts: TableSpec = { name: 'c_versioned_parts', keyColumns: ['callId', 'leg'] };
      const page = (v: number, record: unknown, legsOf: Array<[string, unknown]>): TableWrite[] => [
        { spec: calls, rows: [{ key: { id: 'c1' }, record, version: v }] },
        {
          spec: parts,
          rows: legsOf.map(([leg, r]) => ({ key: { callId: 'c1', leg }, record: r, version: v })),
          replaceChildrenOf: { column: 'callId', parents: ['c1'], versions: [v] },
        },
      ];
      await using(open, 2, async (a, b) => {
        // The newer version lands first (a scheduled run), then an older one (a slow backfill) from another worker.
        await a.writePage(
          'conn',
          page(200, { v: 'new' }, [
            ['x', { n: 2 }],
            ['z', { n: 3 }],
          ]),
        );
        assert.deepEqual(
          await b.writePage(
            'conn',
            page(100, { v: 'old' }, [
              ['x', { n: 1 }],
              ['y', { n: 1 }],
            ]),
          ),
          [
            { table: calls.name, inserted: 0, updated: 0, unchanged: 1, deleted: 0 },
            { table: parts.name, inserted: 0, updated: 0, unchanged: 2, deleted: 0 },
          ],
        );
        assert.deepEqual(
          (await readAll(a, calls, 'conn')).map((r) => r.record),
          [{ v: 'new' }],
          'the newer call stays',
        );
        // The older parent's children are neither written (x, y) nor do they remove the newer ones (z).
        assert.deepEqual(
          (await readAll(a, parts, 'conn')).map((r) => [r.key.leg, r.record]),
          [
            ['x', { n: 2 }],
            ['z', { n: 3 }],
          ],
        );
        // The same version again with other content, and a newer one, do overwrite.
        assert.deepEqual((await b.writePage('conn', page(200, { v: 'new, corrected' }, [['x', { n: 2 }]])))[0], {
          table: calls.name,
          inserted: 0,
          updated: 1,
          unchanged: 0,
          deleted: 0,
        });
        await b.writePage('conn', page(300, { v: 'newest' }, [['x', { n: 4 }]]));
        assert.deepEqual(
          (await readAll(a, calls, 'conn')).map((r) => r.record),
          [{ v: 'newest' }],
        );
        assert.deepEqual(
          (await readAll(a, parts, 'conn')).map((r) => [r.key.leg, r.record]),
          [['x', { n: 4 }]],
          "the newest parent's children only",
        );
        // Rows without a version (streams that declare none) behave as before: the last write wins.
        await upsert(b, calls, 'conn', [{ key: { id: 'c2' }, record: { v: 2 } }]);
        assert.deepEqual(await upsert(b, calls, 'conn', [{ key: { id: 'c2' }, record: { v: 1 } }]), { inserted: 0, updated: 1, unchanged: 0 });
      });
    });

    it("replaceChildrenOf removes a parent's vanished children and nothing else, with exact counts", async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_children', keyColumns: ['callId', 'leg'] };
        await upsert(d, spec, 'conn', legs(['1', 'a', { v: 1 }], ['1', 'b', { v: 1 }], ['1', 'c', { v: 1 }], ['2', 'd', {}], ['2', 'e', {}], ['3', 'f', {}]));
        await upsert(d, spec, 'other', legs(['1', 'a', {}], ['1', 'b', {}], ['2', 'd', {}]));
        const replace = {
          spec,
          // Call 1 now has a (same), c (changed) and g (new); call 2 has no legs left.
          rows: legs(['1', 'a', { v: 1 }], ['1', 'c', { v: 2 }], ['1', 'g', { v: 1 }]),
          // A parent id that arrives as a number is the same parent.
          replaceChildrenOf: { column: 'callId', parents: [1 as unknown as string, '2', 'no-such-call'] },
        };
        assert.deepEqual(await d.writePage('conn', [replace]), [{ table: 'c_children', inserted: 1, updated: 1, unchanged: 1, deleted: 3 }]);
        assert.deepEqual(legView(await readAll(d, spec, 'conn')), [
          ['1', 'a', { v: 1 }],
          ['1', 'c', { v: 2 }],
          ['1', 'g', { v: 1 }],
          ['3', 'f', {}],
        ]);
        assert.deepEqual(
          legView(await readAll(d, spec, 'other')),
          [
            ['1', 'a', {}],
            ['1', 'b', {}],
            ['2', 'd', {}],
          ],
          'another connection with the same parents is untouched',
        );
        // Replaying the page finds nothing left to delete.
        assert.deepEqual(await d.writePage('conn', [replace]), [{ table: 'c_children', inserted: 0, updated: 0, unchanged: 3, deleted: 0 }]);
        // No parents: nothing is replaced, rows are only upserted.
        assert.deepEqual(await d.writePage('conn', [{ spec, rows: legs(['3', 'h', {}]), replaceChildrenOf: { column: 'callId', parents: [] } }]), [
          { table: 'c_children', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        assert.equal((await readAll(d, spec, 'conn')).length, 5);
      });
    });

    it('replaces the children of thousands of parents in one page, by a key column that is not the first', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_children_many', keyColumns: ['leg', 'callId'] };
        const parents = Array.from({ length: 3000 }, (_, i) => `call-${String(i).padStart(4, '0')}`);
        const legsOf = (...names: string[]) => parents.flatMap((callId) => names.map((leg) => ({ key: { callId, leg }, record: { leg } })));
        assert.deepEqual(await d.writePage('conn', [{ spec, rows: legsOf('x', 'y') }]), [
          { table: 'c_children_many', inserted: 6000, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        assert.deepEqual(await d.writePage('conn', [{ spec, rows: legsOf('x'), replaceChildrenOf: { column: 'callId', parents } }]), [
          { table: 'c_children_many', inserted: 0, updated: 0, unchanged: 3000, deleted: 3000 },
        ]);
        const all = await readAll(d, spec, 'conn');
        assert.equal(all.length, 3000);
        assert.ok(all.every((r) => r.key.leg === 'x'));
      });
    });

    it('refuses replaceChildrenOf by a column that is not a key column (ConfigError), writing nothing of the page', async () => {
      await using(open, 1, async (d) => {
        const first: TableSpec = { name: 'c_children_bad_first', keyColumns: ['id'] };
        const spec: TableSpec = { name: 'c_children_bad', keyColumns: ['callId', 'leg'] };
        for (const column of ['record', 'CALLID', 'callid; DROP TABLE c_children_bad', '']) {
          await assert.rejects(
            d.writePage('conn', [
              { spec: first, rows: rows(['1', {}]) },
              { spec, rows: legs(['1', 'a', {}]), replaceChildrenOf: { column, parents: ['1'] } },
            ]),
            ofType('ConfigError'),
            column,
          );
        }
        assert.deepEqual(await readAll(d, first, 'conn'), []);
        assert.deepEqual(await readAll(d, spec, 'conn'), []);
      });
    });

    it('a snapshot marks rows it did not see deleted, revives rows seen again, and keeps the first deletion time', async () => {
      const spec: TableSpec = { name: 'c_snap', keyColumns: ['id'] };
      const first = await using(open, 1, async (d) => {
        await upsert(d, spec, 'conn', rows(['a', {}], ['b', {}], ['c', {}], ['d', {}]));
        await upsert(d, spec, 'other', rows(['a', {}], ['b', {}], ['c', {}], ['d', {}]));
        const written = await readAll(d, spec, 'conn');
        // Pages note keys as they go; a retried page notes the same keys again.
        await d.noteSnapshotKeys(spec, 'conn', 'run-1', ids('a', 'b', 'a'));
        await d.noteSnapshotKeys(spec, 'conn', 'run-1', ids('b', 'e')); // e: seen, but never written
        await d.noteSnapshotKeys(spec, 'conn', 'run-1', []);
        const outcome = await d.finishSnapshot(spec, 'conn', 'run-1');
        assert.deepEqual(outcome, { seen: 3, deleted: 2, revived: 0, skippedEmpty: false });
        const after = await readAll(d, spec, 'conn');
        assert.deepEqual(
          after.map((r) => [r.key.id, r.deletedAt === null]),
          [
            ['a', true],
            ['b', true],
            ['c', false],
            ['d', false],
          ],
        );
        assert.match(after[2]!.deletedAt!, ISO);
        assert.equal(after[2]!.deletedAt, after[3]!.deletedAt, 'one finish, one deletion time');
        assert.deepEqual(
          after.map((r) => [r.record, r.syncedAt]),
          written.map((r) => [r.record, r.syncedAt]),
          'a deletion mark leaves record and _synced_at alone',
        );
        assert.deepEqual(
          (await readAll(d, spec, 'other')).map((r) => r.deletedAt),
          [null, null, null, null],
          'other connections are untouched',
        );
        return { outcome, after };
      });
      await sleep(15);
      await using(open, 1, async (d) => {
        // Finishing again (a retried activity, on another worker) changes nothing and answers the same.
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run-1'), first.outcome);
        assert.deepEqual(await readAll(d, spec, 'conn'), first.after);
        // A finished run takes no more keys: a reused run id must not pass for a new snapshot.
        await assert.rejects(d.noteSnapshotKeys(spec, 'conn', 'run-1', ids('c')), ofType('InvalidInput'));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run-1'), first.outcome);
        assert.deepEqual(await readAll(d, spec, 'conn'), first.after);

        await d.noteSnapshotKeys(spec, 'conn', 'run-2', ids('a', 'c'));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run-2'), { seen: 2, deleted: 1, revived: 1, skippedEmpty: false });
        const after = deletions(await readAll(d, spec, 'conn'));
        assert.equal(after.a, null);
        assert.match(after.b, ISO);
        assert.ok(after.b! > first.after[2]!.deletedAt!, 'b was deleted by the later run');
        assert.equal(after.c, null, 'c was seen again: revived');
        assert.equal(after.d, first.after[3]!.deletedAt, 'd keeps its first deletion time');
      });
    });

    it('a snapshot that saw nothing while rows are live deletes nothing (skippedEmpty)', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_snap_empty', keyColumns: ['id'] };
        await upsert(d, spec, 'conn', rows(['a', {}], ['b', {}]));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'nothing-noted'), { seen: 0, deleted: 0, revived: 0, skippedEmpty: true });
        assert.deepEqual(deletions(await readAll(d, spec, 'conn')), { a: null, b: null });
        // A refused note stages none of its keys: the finish still sees nothing.
        await assert.rejects(d.noteSnapshotKeys(spec, 'conn', 'half-noted', [{ id: 'a' }, {}]), ofType('DestinationRejected'));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'half-noted'), { seen: 0, deleted: 0, revived: 0, skippedEmpty: true });
        assert.deepEqual(deletions(await readAll(d, spec, 'conn')), { a: null, b: null });
        await assert.rejects(d.noteSnapshotKeys(spec, 'conn', '', ids('a')), ofType('InvalidInput'));
        await assert.rejects(d.finishSnapshot(spec, 'conn', ''), ofType('InvalidInput'));

        // Once every row is deleted, an empty snapshot is plausible (nothing live to protect).
        await d.noteSnapshotKeys(spec, 'conn', 'only-z', ids('z'));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'only-z'), { seen: 1, deleted: 2, revived: 0, skippedEmpty: false });
        const gone = await readAll(d, spec, 'conn');
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'empty-after'), { seen: 0, deleted: 0, revived: 0, skippedEmpty: false });
        assert.deepEqual(await readAll(d, spec, 'conn'), gone);
        // A connection with no rows at all.
        assert.deepEqual(await d.finishSnapshot(spec, 'nobody', 'x'), { seen: 0, deleted: 0, revived: 0, skippedEmpty: false });
      });
    });

    it('matches snapshot keys of any text, multi-column keys included', async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_snap_keys', keyColumns: ['a', 'b'] };
        const nasty = [
          'plain',
          'quote"d',
          'back\\slash',
          'new\nline',
          'tab\tand\rreturn\f\b',
          'ctl\u0001\u001f\u007f',
          'é ü 漢字',
          '😀',
          'slash/',
          'line\u2028sep',
          'lone\ud800surrogate',
          '',
          ' ',
          '["x","y"]',
          ',',
        ];
        const keys = nasty.flatMap((a) => [
          { a, b: a },
          { a, b: 'x' },
        ]);
        await upsert(
          d,
          spec,
          'conn',
          [...keys, { a: 'plain', b: 'gone' }].map((key) => ({ key, record: {} })),
        );
        await d.noteSnapshotKeys(spec, 'conn', 'run', keys);
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run'), { seen: keys.length, deleted: 1, revived: 0, skippedEmpty: false });
        const deleted = (await readAll(d, spec, 'conn')).filter((r) => r.deletedAt !== null).map((r) => r.key);
        assert.deepEqual(deleted, [{ a: 'plain', b: 'gone' }]);
        // The same keys identify children for replaceChildrenOf.
        assert.deepEqual(
          await d.writePage('conn', [
            { spec, rows: keys.map((key) => ({ key, record: {} })), replaceChildrenOf: { column: 'a', parents: nasty.filter((a) => a !== 'plain') } },
          ]),
          [{ table: 'c_snap_keys', inserted: 0, updated: 0, unchanged: keys.length, deleted: 0 }],
        );
      });
    });

    it('two workers finishing one run at once do its work once and give the same answer', async () => {
      await using(open, 2, async (a, b) => {
        const spec: TableSpec = { name: 'c_snap_race', keyColumns: ['id'] };
        await upsert(a, spec, 'conn', rows(['1', {}], ['2', {}], ['3', {}]));
        await a.noteSnapshotKeys(spec, 'conn', 'run', ids('1'));
        await b.noteSnapshotKeys(spec, 'conn', 'run', ids('1'));
        const [x, y] = await Promise.all([a.finishSnapshot(spec, 'conn', 'run'), b.finishSnapshot(spec, 'conn', 'run')]);
        assert.deepEqual(x, { seen: 1, deleted: 2, revived: 0, skippedEmpty: false });
        assert.deepEqual(y, x);
      });
    });

    it('finishes a 10,000-row snapshot of freshly written tables in linear time', async () => {
      await using(open, 1, async (d) => {
        // Fresh tables have no planner statistics: a database guessing "one row each side" once
        // scanned every staged key for every stored row (20 s here; linear takes well under 1 s).
        const spec: TableSpec = { name: 'c_snap_big', keyColumns: ['id'] };
        const all = Array.from({ length: 10_000 }, (_, i) => ({ id: `row-${i}` }));
        await upsert(
          d,
          spec,
          'conn',
          all.map((key) => ({ key, record: {} })),
        );
        await d.noteSnapshotKeys(spec, 'conn', 'run', all.slice(0, 9_000));
        const started = Date.now();
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run'), { seen: 9_000, deleted: 1_000, revived: 0, skippedEmpty: false });
        const took = Date.now() - started;
        assert.ok(took < 5_000, `finishSnapshot took ${took} ms`);
      });
    });

    it("drops staged keys older than 7 days from runs that never finished, but never the finishing run's own", async () => {
      await using(open, 1, async (d) => {
        const spec: TableSpec = { name: 'c_snap_prune', keyColumns: ['id'] };
        const keysTable = raw.table('ccsync_snapshot_keys');
        const runsTable = raw.table('ccsync_snapshot_runs');
        await upsert(d, spec, 'conn', rows(['a', {}], ['b', {}]));
        await d.noteSnapshotKeys(spec, 'conn', 'abandoned', ids('a'));
        await d.noteSnapshotKeys(spec, 'other', 'abandoned', ids('a'));
        await d.noteSnapshotKeys(spec, 'conn', 'in-flight', ids('a'));
        await d.noteSnapshotKeys(spec, 'conn', 'slow', ids('a', 'b'));
        await raw.query(`UPDATE ${keysTable} SET "created_at" = ? WHERE "run_id" = 'abandoned'`, [daysAgo(8)]);
        await raw.query(`UPDATE ${keysTable} SET "created_at" = ? WHERE "run_id" = 'in-flight'`, [daysAgo(6)]);
        await raw.query(`UPDATE ${keysTable} SET "created_at" = ? WHERE "run_id" = 'slow'`, [daysAgo(8)]);
        const staged = async () =>
          Object.fromEntries(
            (await raw.query(`SELECT "run_id", count(*) AS n FROM ${keysTable} WHERE "table_name" = 'c_snap_prune' GROUP BY "run_id"`)).map((r) => [
              r.run_id,
              Number(r.n),
            ]),
          );
        assert.deepEqual(await staged(), { abandoned: 2, 'in-flight': 1, slow: 2 });
        // The finishing run is itself older than the retention: its keys still count, all of them.
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'slow'), { seen: 2, deleted: 0, revived: 0, skippedEmpty: false });
        assert.deepEqual(await staged(), { 'in-flight': 1 });

        // Finished-run markers age out too; finishing such a run again then deletes nothing.
        await raw.query(`UPDATE ${runsTable} SET "finished_at" = ? WHERE "run_id" = 'slow'`, [daysAgo(8)]);
        await d.finishSnapshot(spec, 'conn', 'another');
        assert.deepEqual(await raw.query(`SELECT "run_id" FROM ${runsTable} WHERE "table_name" = 'c_snap_prune' ORDER BY "run_id"`), [{ run_id: 'another' }]);
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'slow'), { seen: 0, deleted: 0, revived: 0, skippedEmpty: true });
        assert.deepEqual(deletions(await readAll(d, spec, 'conn')), { a: null, b: null });
      });
    });

    it('migrates a table made before _deleted_at on first write, and reads it before that', async () => {
      const spec: TableSpec = { name: 'c_legacy', keyColumns: ['id'] };
      const table = raw.table(spec.name);
      const [timestamp, json] = raw.dialect === 'postgres' ? ['TIMESTAMPTZ', 'JSONB'] : ['TEXT', 'TEXT'];
      await using(open, 1, (d) => ensureTable(d, { name: 'c_legacy_unrelated', keyColumns: ['id'] })); // the schema exists
      // The DDL of the version before snapshots.
      await raw.query(
        `CREATE TABLE ${table} ("id" TEXT NOT NULL, "_connection" TEXT NOT NULL, "_synced_at" ${timestamp} NOT NULL, ` +
          `"record" ${json} NOT NULL, PRIMARY KEY ("_connection", "id"))`,
      );
      const syncedAt = '2026-01-01T00:00:00.000Z';
      await raw.query(`INSERT INTO ${table} ("id", "_connection", "_synced_at", "record") VALUES ('1', 'conn', ?, '{"v":1}'), ('2', 'conn', ?, '{"v":2}')`, [
        syncedAt,
        syncedAt,
      ]);
      const hasColumn = () =>
        raw.query(`SELECT "_deleted_at" FROM ${table} LIMIT 1`).then(
          () => true,
          () => false,
        );
      await using(open, 1, async (d) => {
        assert.deepEqual(await readAll(d, spec, 'conn'), [
          { connection: 'conn', key: { id: '1' }, record: { v: 1 }, syncedAt, deletedAt: null },
          { connection: 'conn', key: { id: '2' }, record: { v: 2 }, syncedAt, deletedAt: null },
        ]);
        assert.equal(await hasColumn(), false, 'a reader does not alter the table');
        assert.deepEqual(await d.writePage('conn', [{ spec, rows: rows(['1', { v: 1 }], ['3', { v: 3 }]) }]), [
          { table: 'c_legacy', inserted: 1, updated: 0, unchanged: 1, deleted: 0 },
        ]);
        assert.equal(await hasColumn(), true, 'the first write added _deleted_at');
        await d.noteSnapshotKeys(spec, 'conn', 'run', ids('1', '3'));
        assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run'), { seen: 2, deleted: 1, revived: 0, skippedEmpty: false });
        const after = await readAll(d, spec, 'conn');
        assert.deepEqual(
          after.map((r) => [r.key.id, r.syncedAt === syncedAt, r.deletedAt === null]),
          [
            ['1', true, true],
            ['2', true, false],
            ['3', false, true],
          ],
        );
      });
      // Already migrated: another worker's ensure and writes just work.
      await using(open, 2, async (a, b) => {
        await Promise.all([ensureTable(a, spec), ensureTable(b, spec)]);
        assert.deepEqual(await upsert(b, spec, 'conn', rows(['4', {}])), { inserted: 1, updated: 0, unchanged: 0 });
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
