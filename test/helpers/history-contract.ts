/**
 * History mode (destinations/history.ts): the same cases against each destination (run by
 * destination-sqlite and destination-postgres), read back with plain SQL behind the product's back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ColumnSpec } from '../../destinations/columns';
import type { Row, TableSpec } from '../../destinations/destination';
import { readAll } from './destination-access';
import { using, type OpenDestination, type RawStore } from './destination-contract';

const COLUMNS: ColumnSpec[] = [
  { name: 'status', type: 'text', fields: ['status'] },
  { name: 'wait', type: 'integer', fields: ['wait'] },
  { name: 'updated_at', type: 'timestamp', fields: ['updatedAt'] },
  { name: 'agent', type: 'json', fields: ['agent'] },
];

const spec = (name: string, history = true): TableSpec => ({ name, keyColumns: ['callId'], columns: COLUMNS, history });
type Rec = Record<string, unknown>;
/** Rows with their version: `updatedAt` as epoch ms (a time), or `counter` (a number that is no time). */
const rowsOf = (...records: Rec[]): Row[] =>
  records.map((r) => ({
    key: { callId: String(r.callId) },
    record: r,
    ...(typeof r.updatedAt === 'string' ? { version: Date.parse(r.updatedAt) } : typeof r.counter === 'number' ? { version: r.counter } : {}),
  }));

function plain(raw: RawStore, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}
const json = (raw: RawStore, value: unknown): unknown =>
  value === null || value === undefined ? null : raw.dialect === 'sqlite' ? JSON.parse(value as string) : value;

async function versions(raw: RawStore, table: string) {
  const rows = await raw.query(
    `SELECT "call_id", "_valid_from", "_valid_to", "record", "status", "wait" FROM ${raw.table(`${table}_history`)} ORDER BY "call_id", "_valid_from"`,
  );
  return rows.map((r) => ({
    call_id: r.call_id,
    from: plain(raw, r._valid_from),
    to: plain(raw, r._valid_to),
    record: json(raw, r.record),
    status: r.status,
    wait: r.wait === null ? null : Number(r.wait),
  }));
}

async function changes(raw: RawStore, table: string) {
  const rows = await raw.query(
    `SELECT "_connection", "call_id", "field", "old_value", "new_value", "changed_at" FROM ${raw.table(`${table}_changes`)} ORDER BY "call_id", "changed_at", "field"`,
  );
  return rows.map((r) => ({ call_id: r.call_id, field: r.field, old: json(raw, r.old_value), new: json(raw, r.new_value), at: plain(raw, r.changed_at) }));
}

/** The field-level differences between two records, computed independently of the view's SQL. */
function diff(callId: string, older: Rec, newer: Rec, at: string) {
  const fields = [...new Set([...Object.keys(older), ...Object.keys(newer)])].sort();
  return fields
    .filter((f) => JSON.stringify(older[f]) !== JSON.stringify(newer[f]))
    .map((f) => ({ call_id: callId, field: f, old: older[f] ?? null, new: newer[f] ?? null, at }));
}

export function historyContract(name: string, open: OpenDestination, raw: RawStore): void {
  describe(`history mode: ${name}`, () => {
    it('keeps each distinct version once (sync time as _valid_from without a version); an unchanged re-read adds nothing; the view lists each field change', async () => {
      const t = spec('h_plain');
      const a = { callId: 'c1', status: 'queued', wait: 5, agent: null };
      const b = { callId: 'c1', status: 'in_call', wait: 12, agent: { id: 7 } };
      const c = { callId: 'c1', status: 'finished', wait: 12, agent: { id: 7 }, rating: 4 };
      await using(open, 1, async (d) => {
        for (const r of [a, a, b, b, c, c]) {
          await d.writePage('conn', [{ spec: t, rows: rowsOf(r) }]);
          // Each write its own sync time (two in one millisecond would be one version read twice).
          await sleep(3);
        }
        const h = await versions(raw, 'h_plain');
        assert.equal(h.length, 3, `three versions, not ${h.length}`);
        assert.deepEqual(
          h.map((v) => v.record),
          [a, b, c],
        );
        assert.deepEqual(
          h.map((v) => [v.status, v.wait]),
          [
            ['queued', 5],
            ['in_call', 12],
            ['finished', 12],
          ],
          'typed columns',
        );
        assert.equal(h[0]!.to, h[1]!.from, 'the first version ends where the second starts');
        assert.equal(h[1]!.to, h[2]!.from);
        assert.equal(h[2]!.to, null, 'the current version is open');
        assert.ok(h[0]!.from! < h[1]!.from! && h[1]!.from! < h[2]!.from!);
        assert.deepEqual(await changes(raw, 'h_plain'), [...diff('c1', a, b, h[1]!.from as string), ...diff('c1', b, c, h[2]!.from as string)]);
        // A field the vendor starts sending (`rating`) has its column in the history table too.
        const cols = await raw.query(`SELECT "rating" FROM ${raw.table('h_plain_history')} ORDER BY "_valid_from"`);
        assert.deepEqual(
          cols.map((r) => (r.rating === null ? null : Number(r.rating))),
          [null, null, 4],
        );
      });
    });

    it('_valid_from is the record’s own version time; an older version arriving late slots in before the newer one and never closes it', async () => {
      const t = spec('h_late');
      const v1 = { callId: 'c1', status: 'queued', wait: 1, updatedAt: '2026-10-01T10:00:00.000Z' };
      const v2 = { callId: 'c1', status: 'in_call', wait: 2, updatedAt: '2026-10-01T10:05:00.000Z' };
      const v3 = { callId: 'c1', status: 'finished', wait: 3, updatedAt: '2026-10-01T10:09:00.000Z' };
      await using(open, 1, async (d) => {
        await d.writePage('conn', [{ spec: t, rows: rowsOf(v3) }]);
        await d.writePage('conn', [{ spec: t, rows: rowsOf(v1) }]);
        await d.writePage('conn', [{ spec: t, rows: rowsOf(v2) }]);
        await d.writePage('conn', [{ spec: t, rows: rowsOf(v1, { ...v2, callId: 'c2' }) }]);
        const h = (await versions(raw, 'h_late')).filter((v) => v.call_id === 'c1');
        assert.deepEqual(
          h.map((v) => [v.from, v.to, v.status]),
          [
            [v1.updatedAt, v2.updatedAt, 'queued'],
            [v2.updatedAt, v3.updatedAt, 'in_call'],
            [v3.updatedAt, null, 'finished'],
          ],
        );
        // The table itself keeps the newest version (issue #13).
        assert.deepEqual((await readAll(d, t, 'conn')).find((r) => r.key.callId === 'c1')?.record, v3);
        assert.deepEqual(
          (await changes(raw, 'h_late')).filter((c) => c.call_id === 'c1'),
          [...diff('c1', v1, v2, v2.updatedAt), ...diff('c1', v2, v3, v3.updatedAt)],
        );
        // The same version read again with other content replaces it.
        const v2b = { ...v2, wait: 20 };
        await d.writePage('conn', [{ spec: t, rows: rowsOf(v2b) }]);
        const early = { ...v3, updatedAt: '2026-10-01T10:07:00.000Z' };
        // `early` differs from v3 only in updatedAt, so it is a version of its own: inserted between.
        await d.writePage('conn', [{ spec: t, rows: rowsOf(early) }]);
        const after = (await versions(raw, 'h_late')).filter((v) => v.call_id === 'c1');
        assert.deepEqual(
          after.map((v) => [v.from, v.to, v.wait]),
          [
            [v1.updatedAt, v2.updatedAt, 1],
            [v2.updatedAt, early.updatedAt, 20],
            [early.updatedAt, v3.updatedAt, 3],
            [v3.updatedAt, null, 3],
          ],
        );
      });
    });

    it('a version that is a counter (no time): stamped with the sync time, and an older one arriving late is not recorded', async () => {
      const t = spec('h_counter');
      await using(open, 1, async (d) => {
        await d.writePage('conn', [{ spec: t, rows: rowsOf({ callId: 'c1', status: 'b', counter: 5 }) }]);
        await sleep(3);
        await d.writePage('conn', [{ spec: t, rows: rowsOf({ callId: 'c1', status: 'a', counter: 4 }) }]);
        await sleep(3);
        await d.writePage('conn', [{ spec: t, rows: rowsOf({ callId: 'c1', status: 'c', counter: 6 }) }]);
        const h = await versions(raw, 'h_counter');
        assert.deepEqual(
          h.map((v) => [v.status, v.to === null]),
          [
            ['b', false],
            ['c', true],
          ],
        );
        assert.ok(Date.parse(String(h[0]!.from)) > Date.parse('2026-01-01'), `a sync time, not the counter (${String(h[0]!.from)})`);
      });
    });

    it('without history mode there is no history table, and child tables of a history stream have none', async () => {
      await using(open, 1, async (d) => {
        await d.writePage('conn', [
          { spec: spec('h_off', false), rows: rowsOf({ callId: 'c1', status: 'x' }) },
          { spec: { name: 'h_off_children', keyColumns: ['callId', 'n'] }, rows: [{ key: { callId: 'c1', n: '1' }, record: { n: 1 } }] },
        ]);
        for (const table of ['h_off_history', 'h_off_children_history']) {
          await assert.rejects(raw.query(`SELECT 1 FROM ${raw.table(table)}`), Error, `${table} must not exist`);
        }
      });
    });
  });
}
