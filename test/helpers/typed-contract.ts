/**
 * Typed columns, schema evolution and the migration of tables written before them: the same
 * cases against each destination (run by destination-sqlite and destination-postgres), read back
 * with plain SQL behind the product's back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnSpec } from '../../destinations/columns';
import type { Row, TableSpec } from '../../destinations/destination';
import { canonicalJson } from '../../destinations/json';
import { readAll } from './destination-access';
import { using, type OpenDestination, type RawStore } from './destination-contract';

const COLUMNS: ColumnSpec[] = [
  { name: 'started_at', type: 'timestamp', fields: ['startedAt'] },
  { name: 'offered', type: 'integer', fields: ['offered'] },
  { name: 'score', type: 'numeric', fields: ['score'] },
  { name: 'open', type: 'boolean', fields: ['open'] },
  { name: 'queue_name', type: 'text', fields: ['queueName'] },
  { name: 'reason', type: 'text', fields: ['reason', 'Reason'] },
  { name: 'meta', type: 'json', fields: ['meta'] },
  { name: 'wait', type: 'duration', fields: ['wait'] },
  { name: 'wait_seconds', type: 'integer', fields: ['wait'], derive: 'seconds' },
];

const spec = (name: string): TableSpec => ({ name, keyColumns: ['sessionId'], columns: COLUMNS });
const rowsOf = (...records: Record<string, unknown>[]): Row[] => records.map((r) => ({ key: { sessionId: String(r.sessionId) }, record: r }));

/** Column values as comparable plain JSON: PostgreSQL gives Dates, numeric as text, jsonb parsed; SQLite text and 0/1. */
function plain(dialect: RawStore['dialect'], value: unknown, type?: string): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (type === 'json' && dialect === 'sqlite' && typeof value === 'string') return JSON.parse(value) as unknown;
  if (type === 'boolean' && dialect === 'sqlite') return value === 1;
  if ((type === 'integer' || type === 'numeric') && typeof value === 'string') return Number(value);
  return value;
}

/** The table's column names, from the catalog (SQLite would read an unknown "name" as a string). */
async function columnNames(raw: RawStore, table: string): Promise<string[]> {
  const rows =
    raw.dialect === 'sqlite'
      ? await raw.query(`SELECT name FROM pragma_table_info(?)`, [table])
      : await raw.query(`SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped`, [raw.table(table)]);
  return rows.map((r) => String(r.name));
}

async function typedRows(raw: RawStore, table: string, columns: readonly { name: string; type: string }[]) {
  const rows = await raw.query(`SELECT "session_id", ${columns.map((c) => `"${c.name}"`).join(', ')} FROM ${raw.table(table)} ORDER BY "session_id"`);
  return rows.map((r) => Object.fromEntries([['session_id', r.session_id], ...columns.map((c) => [c.name, plain(raw.dialect, r[c.name], c.type)])]));
}

const FIRST = {
  sessionId: 's1',
  startedAt: '2024-09-27T13:50:51',
  offered: 12,
  score: '4.5',
  open: 'true',
  queueName: 'Sales',
  Reason: 'timeout',
  meta: { b: 2, a: [1] },
  wait: '32:17:04',
};
const SECOND = { sessionId: 's2', startedAt: '2026-10-01T00:00:00+02:00', offered: 3, score: 1, open: false, reason: 'done', wait: '00:01:10' };
const FIRST_TYPED = {
  session_id: 's1',
  started_at: '2024-09-27T13:50:51.000Z',
  offered: 12,
  score: 4.5,
  open: true,
  queue_name: 'Sales',
  reason: 'timeout',
  meta: { a: [1], b: 2 },
  wait: '32:17:04',
  wait_seconds: 116224,
};
const SECOND_TYPED = {
  session_id: 's2',
  started_at: '2026-09-30T22:00:00.000Z',
  offered: 3,
  score: 1,
  open: false,
  queue_name: null,
  reason: 'done',
  meta: null,
  wait: '00:01:10',
  wait_seconds: 70,
};

export function typedColumnsContract(name: string, open: OpenDestination, raw: RawStore): void {
  describe(`typed columns: ${name}`, () => {
    it('one column per declared field, snake_case, typed; zoneless times are UTC; durations also in seconds; record kept whole', async () => {
      await using(open, 1, async (d) => {
        assert.deepEqual(await d.writePage('conn', [{ spec: spec('t_typed'), rows: rowsOf(FIRST, SECOND) }]), [
          { table: 't_typed', inserted: 2, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        assert.deepEqual(await typedRows(raw, 't_typed', COLUMNS), [FIRST_TYPED, SECOND_TYPED]);
        assert.deepEqual(
          (await readAll(d, spec('t_typed'), 'conn')).map((r) => [r.key, r.record]),
          [
            [{ sessionId: 's1' }, FIRST],
            [{ sessionId: 's2' }, SECOND],
          ],
        );
      });
    });

    it('a new top-level field gets a nullable column typed from its values; a value that does not fit is NULL there, counted, and kept in record', async () => {
      const t = spec('t_drift');
      await using(open, 2, async (a, b) => {
        assert.deepEqual(await a.writePage('conn', [{ spec: t, rows: rowsOf(SECOND) }]), [
          { table: 't_drift', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        // The vendor starts sending `sentimentScore` (and an all-null field, which waits for a value).
        const withField = { ...FIRST, sentimentScore: 0.75, notYet: null };
        assert.deepEqual(await a.writePage('conn', [{ spec: t, rows: rowsOf(withField) }]), [
          { table: 't_drift', inserted: 1, updated: 0, unchanged: 0, deleted: 0, addedColumns: ['sentiment_score numeric'] },
        ]);
        // Another worker whose view of the table is older writes the field too: no second ALTER, no error.
        const third = { sessionId: 's3', sentimentScore: 0.5 };
        assert.deepEqual(await b.writePage('conn', [{ spec: t, rows: rowsOf(third) }]), [
          { table: 't_drift', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        // Later a value of the wrong type: NULL in the column, the run says which field and how many rows.
        const wrong = { sessionId: 's4', sentimentScore: 'high', offered: 'many' };
        assert.deepEqual(await a.writePage('conn', [{ spec: t, rows: rowsOf(wrong) }]), [
          { table: 't_drift', inserted: 1, updated: 0, unchanged: 0, deleted: 0, misfits: { sentimentScore: 1, offered: 1 } },
        ]);
        const columns = [
          { name: 'offered', type: 'integer' },
          { name: 'sentiment_score', type: 'numeric' },
        ];
        assert.deepEqual(await typedRows(raw, 't_drift', columns), [
          { session_id: 's1', offered: 12, sentiment_score: 0.75 },
          { session_id: 's2', offered: 3, sentiment_score: null },
          { session_id: 's3', offered: null, sentiment_score: 0.5 },
          { session_id: 's4', offered: null, sentiment_score: null },
        ]);
        const stored = await readAll(a, t, 'conn');
        assert.deepEqual(stored.find((r) => r.key.sessionId === 's4')?.record, wrong, 'the misfit values are in record');
        assert.ok(!(await columnNames(raw, 't_drift')).includes('not_yet'), 'a field with only nulls has no column yet');
      });
    });

    it('the cached upsert statements follow the columns: a column added mid-run is written by the next insert and update of the same destination', async () => {
      const t = spec('t_cached');
      await using(open, 1, async (d) => {
        // Two pages through the same statements: insert, then unchanged and updated rows.
        assert.deepEqual(await d.writePage('conn', [{ spec: t, rows: rowsOf(SECOND) }]), [
          { table: 't_cached', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
        ]);
        assert.deepEqual(await d.writePage('conn', [{ spec: t, rows: rowsOf(SECOND, { ...FIRST, offered: 13 }) }]), [
          { table: 't_cached', inserted: 1, updated: 0, unchanged: 1, deleted: 0 },
        ]);
        // A new field: its column is added, then both the update (s1, s2) and the insert (s5) must name it.
        const later = (r: Record<string, unknown>, handled: number) => ({ ...r, handledCount: handled });
        assert.deepEqual(await d.writePage('conn', [{ spec: t, rows: rowsOf(later(FIRST, 7), later(SECOND, 8), { sessionId: 's5', handledCount: 9 }) }]), [
          { table: 't_cached', inserted: 1, updated: 2, unchanged: 0, deleted: 0, addedColumns: ['handled_count numeric'] },
        ]);
        assert.deepEqual(
          await typedRows(raw, 't_cached', [
            { name: 'offered', type: 'integer' },
            { name: 'handled_count', type: 'numeric' },
          ]),
          [
            { session_id: 's1', offered: 12, handled_count: 7 },
            { session_id: 's2', offered: 3, handled_count: 8 },
            { session_id: 's5', offered: null, handled_count: 9 },
          ],
        );
      });
    });

    it('migrates a table written before typed columns in place: key columns renamed, columns added and filled from record, equal to a fresh write', async () => {
      const table = raw.table('t_legacy_typed');
      const [timestamp, json, number] = raw.dialect === 'postgres' ? ['TIMESTAMPTZ', 'JSONB', 'DOUBLE PRECISION'] : ['TEXT', 'TEXT', 'REAL'];
      // The DDL the previous version wrote: the key under its vendor name, the record as JSON.
      await raw.query(
        `CREATE TABLE ${table} ("sessionId" TEXT NOT NULL, "_connection" TEXT NOT NULL, "_synced_at" ${timestamp} NOT NULL, "record" ${json} NOT NULL, ` +
          `"_deleted_at" ${timestamp}, "_version" ${number}, PRIMARY KEY ("_connection", "sessionId"))`,
      );
      for (const r of [FIRST, SECOND]) {
        await raw.query(`INSERT INTO ${table} ("sessionId", "_connection", "_synced_at", "record") VALUES (?, 'conn', ?, ?)`, [
          r.sessionId,
          '2026-01-01T00:00:00.000Z',
          // As the previous version stored it: canonical JSON.
          canonicalJson(r),
        ]);
      }
      await using(open, 1, async (d) => {
        // The first write of the new version migrates, then writes: the old rows are unchanged records, not rewritten.
        assert.deepEqual(await d.writePage('conn', [{ spec: spec('t_legacy_typed'), rows: rowsOf(SECOND) }]), [
          { table: 't_legacy_typed', inserted: 0, updated: 0, unchanged: 1, deleted: 0 },
        ]);
        await d.writePage('conn', [{ spec: spec('t_fresh_typed'), rows: rowsOf(FIRST, SECOND) }]);
        assert.deepEqual(await typedRows(raw, 't_legacy_typed', COLUMNS), await typedRows(raw, 't_fresh_typed', COLUMNS));
        assert.deepEqual(await typedRows(raw, 't_legacy_typed', COLUMNS), [FIRST_TYPED, SECOND_TYPED]);
        const synced = await raw.query(`SELECT "_synced_at" FROM ${table} ORDER BY "session_id"`);
        assert.deepEqual(
          synced.map((r) => plain(raw.dialect, r._synced_at)),
          ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
          'no row was re-synced',
        );
        const names = await columnNames(raw, 't_legacy_typed');
        assert.ok(names.includes('session_id') && !names.includes('sessionId'), `the key column is renamed (${names.join(', ')})`);
      });
    });
  });
}
