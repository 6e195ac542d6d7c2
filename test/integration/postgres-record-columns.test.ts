/**
 * PostgreSQL reads typed values the record already holds out of `record` instead of receiving
 * them twice (destinations/postgres-record-columns.ts). Whatever a row holds, each typed column must
 * store exactly what the worker computed (`rowValues`): here every awkward case (misfits, JSON
 * nulls, numbers as text, zoneless times, spelling variants, odd field names, records that are no
 * object) is written by the product, inserted value by value as plain typed parameters into a
 * reference table, and the two compared as PostgreSQL prints them; then rewritten (the update
 * path) and compared again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { indexColumns, rowValues, SQL_TYPES, type ColumnSpec } from '../../destinations/columns';
import type { Row, TableSpec } from '../../destinations/destination';
import { PostgresDestination } from '../../destinations/postgres';
import { recordGives } from '../../destinations/postgres-record-columns';
import { canonicalJson } from '../../destinations/json';
import { ensureTable } from '../helpers/destination-access';

const BASE_URL = process.env.CCSYNC_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `ccsync_test_rc_${randomBytes(6).toString('hex')}`;
const url = new URL(BASE_URL);
url.searchParams.set('schema', SCHEMA);
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
after(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
});

const COLUMNS: ColumnSpec[] = [
  { name: 'at', type: 'timestamp', fields: ['at'] },
  { name: 'n', type: 'integer', fields: ['n'] },
  { name: 'score', type: 'numeric', fields: ['score'] },
  { name: 'ok', type: 'boolean', fields: ['ok'] },
  { name: 'label', type: 'text', fields: ['label'] },
  { name: 'reason', type: 'text', fields: ['reason', 'Reason'] },
  { name: 'meta', type: 'json', fields: ['meta'] },
  { name: 'wait', type: 'duration', fields: ['wait'] },
  { name: 'wait_seconds', type: 'integer', fields: ['wait'], derive: 'seconds' },
  { name: 'it_s', type: 'text', fields: ["it's"] },
  { name: 'queue_name', type: 'text', fields: ['queueName'] },
];

/** Every case the record-or-sent choice must get right, one record each. */
const RECORDS: unknown[] = [
  { at: '2026-10-01T00:00:00.000Z', n: 12, score: 4.5, ok: true, label: 'Sales', reason: 'done', meta: { b: 2, a: [1] }, wait: '00:01:10', "it's": 'x' },
  { at: '2024-09-27T13:50:51', n: '12', score: '4.5', ok: 'false', label: 12, Reason: 'timeout', meta: 'text', wait: '99:59:59' },
  { at: '2026-10-01T00:00:00+02:00', n: 2 ** 53, score: true, ok: 1, label: true, reason: null, Reason: 'both', meta: [1, 'a', null], wait: 'soon' },
  { at: null, n: null, score: null, ok: null, label: null, reason: null, meta: null, wait: null, "it's": null },
  { at: 'not a time', n: 1.5, score: 1e21, ok: false, label: '', meta: 0, queue_name: 'variant fills queueName' },
  { at: '2026-10-01T00:00:00Z', n: -0, score: 0.30000000000000004, label: 'ünïcødé "quoted" \\ back\'slash 🎉', meta: { nested: { z: null, y: 'é' } } },
  { score: 1.5e-7, n: -9007199254740991, label: { an: 'object' }, reason: 'r', Reason: 'R' },
  {},
  [1, 2, 3],
  'a string record',
];

const typedSpec = (name: string): TableSpec => ({ name, keyColumns: ['id'], columns: COLUMNS });
const rowsOf = (records: readonly unknown[]): Row[] => records.map((record, i) => ({ key: { id: `r${i}` }, record }));

/** The reference: each row's values from `rowValues`, bound one by one as typed parameters. */
async function writeReference(table: string, records: readonly unknown[]): Promise<void> {
  const index = indexColumns(COLUMNS);
  const names = COLUMNS.map((c) => `"${c.name}"`).join(', ');
  const casts = COLUMNS.map((c, i) => `$${i + 3}::${SQL_TYPES.postgres[c.type]}`).join(', ');
  await admin.query(`DELETE FROM "${SCHEMA}"."${table}"`);
  for (const [i, record] of records.entries()) {
    const { values } = rowValues(index, record);
    await admin.query(
      `INSERT INTO "${SCHEMA}"."${table}" ("id", "_connection", "_synced_at", "record", ${names}) VALUES ($1, 'conn', now(), $2::jsonb, ${casts})`,
      [`r${i}`, canonicalJson(record), ...values],
    );
  }
}

/** Each row's typed columns as PostgreSQL prints them (numeric scale, timestamptz, jsonb text). */
async function printed(table: string): Promise<string[][]> {
  const { rows } = await admin.query<{ id: string; cols: string[] }>(
    `SELECT "id", ARRAY[${COLUMNS.map((c) => `coalesce("${c.name}"::text, '<null>')`).join(', ')}] AS cols FROM "${SCHEMA}"."${table}" ORDER BY "id"`,
  );
  return rows.map((r) => [r.id, ...r.cols]);
}

describe('PostgreSQL typed columns read from record', () => {
  it('stores, column for column, what the worker computed: inserts and updates, every awkward value', async () => {
    const d = new PostgresDestination(url.toString());
    try {
      await ensureTable(d, typedSpec('rc_ref'));
      // Not every case may go one way: some values must come from record, some must be sent.
      const index = indexColumns(COLUMNS);
      let fromRecord = 0;
      let sent = 0;
      for (const record of RECORDS.filter((r) => r !== null && typeof r === 'object' && !Array.isArray(r)) as Record<string, unknown>[]) {
        rowValues(index, record).values.forEach((v, c) => (COLUMNS[c]!.derive ? 0 : recordGives(COLUMNS[c]!, record, v) ? fromRecord++ : sent++));
      }
      assert.ok(fromRecord > 10 && sent > 10, `both ways exercised (${fromRecord} from record, ${sent} sent)`);

      const [inserted] = await d.writePage('conn', [{ spec: typedSpec('rc_product'), rows: rowsOf(RECORDS) }]);
      assert.equal(inserted!.inserted, RECORDS.length);
      await writeReference('rc_ref', RECORDS);
      assert.deepEqual(await printed('rc_product'), await printed('rc_ref'));

      // The update path: each row takes the next row's record (a value from record becomes a sent one and back).
      const shifted = RECORDS.map((_r, i) => RECORDS[(i + 1) % RECORDS.length]);
      const [updated] = await d.writePage('conn', [{ spec: typedSpec('rc_product'), rows: rowsOf(shifted) }]);
      assert.equal(updated!.updated, RECORDS.length);
      await writeReference('rc_ref', shifted);
      assert.deepEqual(await printed('rc_product'), await printed('rc_ref'));
    } finally {
      await d.close();
    }
  });
});
