/**
 * PostgreSQL typed columns read out of the stored `record` instead of sent a second time.
 *
 * Measured (bench/experiments/pg-typed-variants.ts, README "Write cost"): most of what typed
 * columns added to a PostgreSQL page write was the server parsing the page's JSON, whose typed
 * values repeat what `record` already holds, and `jsonb_to_recordset` turning each of those values
 * back into text for the column's input function. `record` is parsed anyway, to be stored as jsonb, so
 * a column whose value is exactly the record's field (a string for text, a timestamp already in
 * canonical UTC form, a JSON number for a numeric) is taken from it with `->`/`->>`.
 *
 * The worker still converts every value (`rowValues`: misfits are counted there) and sends those
 * the record cannot give exactly: a misfit (NULL while the record has a value), a field read from a
 * spelling variant, a zoneless or offset timestamp rewritten to UTC, a number sent as text, a
 * JSON null for a non-text column, a derived `_seconds`. A row lists them in `x`; the SQL takes
 * `c<i>` for those and the record's field for the rest, so what is stored is what the worker
 * computed, value for value.
 */
import type { ColumnSpec } from './columns';

/** Field names safe to embed as an SQL string literal: printable ASCII and beyond, no quote, no backslash. */
const PLAIN_FIELD = /^[^'\\]+$/;
const PRINTABLE = (field: string) => [...field].every((ch) => ch.charCodeAt(0) >= 0x20);

/**
 * SQL reading a column's value from the stored record `r` (a jsonb expression), or undefined when
 * the column always travels as its own value (a derived `_seconds` column, an odd field name).
 */
export function recordColumnSql(column: ColumnSpec, r: string): string | undefined {
  const field = column.fields[0];
  if (column.derive || field === undefined || !PLAIN_FIELD.test(field) || !PRINTABLE(field)) return undefined;
  const key = `'${field}'`;
  switch (column.type) {
    case 'text':
    case 'duration':
      return `(${r}->>${key})`;
    case 'timestamp':
      return `(${r}->>${key})::timestamptz`;
    case 'numeric':
      return `(${r}->${key})::numeric`;
    case 'integer':
      return `(${r}->${key})::bigint`;
    case 'boolean':
      return `(${r}->${key})::boolean`;
    case 'json':
      return `(${r}->${key})`;
  }
}

/**
 * True when `recordColumnSql(column)` over this record yields exactly `value` (the column's value
 * as `rowValues` computed it), so the value need not be sent. Anything uncertain answers false:
 * sending a value is always right, only slower.
 */
export function recordGives(column: ColumnSpec, record: Record<string, unknown>, value: unknown): boolean {
  const field = column.fields[0]!;
  // Absent (or undefined, which canonical JSON drops): `r->'f'` is SQL NULL for every type.
  if (!Object.prototype.hasOwnProperty.call(record, field)) return value === null;
  const raw = record[field];
  if (raw === undefined) return value === null;
  if (raw === null) {
    // `->>` of a JSON null is SQL NULL; `->` gives jsonb null, which a cast refuses and a json column would keep.
    return value === null && (column.type === 'text' || column.type === 'duration' || column.type === 'timestamp');
  }
  switch (column.type) {
    case 'text':
    case 'duration':
    case 'timestamp':
      // A timestamp qualifies only in the canonical UTC form the worker writes (`2026-10-01T00:00:00.000Z`).
      return typeof raw === 'string' && value === raw;
    case 'numeric':
    case 'integer':
      // The record's number is the same JSON text `JSON.stringify(value)` would send.
      return typeof raw === 'number' && value === raw;
    case 'boolean':
      return typeof raw === 'boolean' && value === raw;
    case 'json':
      // The record's subtree is the canonical JSON of the value, parsed as part of `record`.
      return value !== null;
  }
}
