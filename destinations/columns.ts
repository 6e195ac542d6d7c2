/**
 * Typed columns: how a stream's top-level fields become table columns, whatever the database.
 * Names are the vendor's field names in snake_case (`queueId` → `queue_id`), so no column needs
 * quoting; types come from the record schema (or, for fields the vendor starts sending later, from
 * the values seen). Values are converted here, once, for both dialects: a value that does not fit
 * its column's type becomes NULL there (it stays in `record`) and is counted, never an error.
 */
import { z } from 'zod';
import { canonicalJson } from './json';

export type ColumnType = 'timestamp' | 'integer' | 'numeric' | 'boolean' | 'text' | 'json' | 'duration';

export const COLUMN_TYPES: readonly ColumnType[] = ['timestamp', 'integer', 'numeric', 'boolean', 'text', 'json', 'duration'];

/**
 * Each typed column's SQL type. SQLite: timestamps are ISO-8601 UTC text (`TIMESTAMP` has NUMERIC
 * affinity, which leaves such text alone), booleans 0/1, and `JSON_TEXT` has TEXT affinity, so the
 * JSON `12` stays the text `12`.
 */
export const SQL_TYPES: Readonly<Record<'sqlite' | 'postgres', Readonly<Record<ColumnType, string>>>> = {
  sqlite: { timestamp: 'TIMESTAMP', integer: 'INTEGER', numeric: 'REAL', boolean: 'BOOLEAN', text: 'TEXT', json: 'JSON_TEXT', duration: 'TEXT' },
  postgres: { timestamp: 'TIMESTAMPTZ', integer: 'BIGINT', numeric: 'NUMERIC', boolean: 'BOOLEAN', text: 'TEXT', json: 'JSONB', duration: 'TEXT' },
};

export interface ColumnSpec {
  /** snake_case column name. */
  name: string;
  type: ColumnType;
  /** Top-level vendor fields feeding it, in priority order (`reason` before `Reason`): the first one present wins. */
  fields: readonly string[];
  /** `seconds`: the companion `<name>_seconds` of a `duration` column, parsed from the same field. */
  derive?: 'seconds';
}

/**
 * A column-type hint for a schema (`timestamp.meta({ column: 'timestamp' })`): zod cannot tell a
 * date-time string from any other text, nor a duration "HH:MM:SS".
 */
export const columnHint = (type: ColumnType) => ({ column: type });

/** Columns of our own in every stream table: no vendor field may take their names. */
const RESERVED = new Set(['_connection', '_synced_at', 'record', '_deleted_at', '_version']);
const MAX_NAME = 63;
const snakeCache = new Map<string, string>();

/** `queueId` → `queue_id`, `intervalStartTimeStamp` → `interval_start_time_stamp`, `EnterTime` → `enter_time`, `__v` → `__v`. */
export function snakeCase(field: string): string {
  let name = snakeCache.get(field);
  if (name !== undefined) return name;
  name = field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase();
  if (/^[0-9]/.test(name)) name = `_${name}`;
  name = name.slice(0, MAX_NAME);
  if (snakeCache.size < 10_000) snakeCache.set(field, name);
  return name;
}

/** True for a name no vendor field may become (ours, or empty after cleaning). */
export function isReservedColumn(name: string): boolean {
  return name === '' || name === '_' || RESERVED.has(name);
}

/** What zod says a field is; `undefined` when it cannot say (the caller falls back to JSON). */
export function schemaColumnType(schema: z.ZodTypeAny): ColumnType {
  const meta = z.globalRegistry.get(schema) as { column?: unknown } | undefined;
  if (typeof meta?.column === 'string' && (COLUMN_TYPES as readonly string[]).includes(meta.column)) return meta.column as ColumnType;
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return schemaColumnType(def.innerType as z.ZodTypeAny);
    case 'pipe': {
      const out = def.out as z.ZodTypeAny;
      // A transform's output type is unknown to zod: judge by what goes in.
      return (out as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'transform'
        ? schemaColumnType(def.in as z.ZodTypeAny)
        : schemaColumnType(out);
    }
    case 'string':
    case 'enum':
      return 'text';
    case 'number':
      return (schema as unknown as { isInt?: boolean }).isInt === true ? 'integer' : 'numeric';
    case 'int':
    case 'bigint':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'literal': {
      const values = def.values as unknown[];
      return inferType(values) ?? 'text';
    }
    case 'union': {
      const types = new Set((def.options as z.ZodTypeAny[]).map(schemaColumnType));
      if (types.size === 1) return [...types][0]!;
      if ([...types].every((t) => t === 'integer' || t === 'numeric')) return 'numeric';
      return types.has('json') ? 'json' : 'text';
    }
    default:
      // object, record, array, tuple, unknown, any, transform...: kept as JSON.
      return 'json';
  }
}

/**
 * The declared columns of a record schema: one per top-level field, snake_case, except the key
 * columns (stored as text under the same names) and our own. Fields whose names fold to one column
 * (`reason` and `Reason`) feed that one column, the first declared first. A duration also gets
 * `<name>_seconds`.
 */
export function columnsFromSchema(schema: z.ZodTypeAny, keyColumns: readonly string[], hints: Readonly<Record<string, ColumnType>> = {}): ColumnSpec[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  const keys = new Set(keyColumns.map(snakeCase));
  const byName = new Map<string, ColumnSpec>();
  for (const [field, fieldSchema] of Object.entries(shape)) {
    const name = snakeCase(field);
    if (keys.has(name) || isReservedColumn(name)) continue;
    const existing = byName.get(name);
    if (existing) {
      byName.set(name, { ...existing, fields: [...existing.fields, field] });
      continue;
    }
    byName.set(name, { name, type: hints[field] ?? schemaColumnType(fieldSchema), fields: [field] });
  }
  return withCompanions([...byName.values()], keys);
}

/** Adds `<name>_seconds` after each duration column (unless a field already has that name). */
export function withCompanions(columns: readonly ColumnSpec[], taken: ReadonlySet<string> = new Set()): ColumnSpec[] {
  const names = new Set([...columns.map((c) => c.name), ...taken]);
  const out: ColumnSpec[] = [];
  for (const column of columns) {
    out.push(column);
    const seconds = `${column.name}_seconds`.slice(0, MAX_NAME);
    if (column.type === 'duration' && !names.has(seconds)) {
      out.push({ name: seconds, type: 'integer', fields: column.fields, derive: 'seconds' });
      names.add(seconds);
    }
  }
  return out;
}

/** The fields an object schema declares (through pipes, optional and nullable), or undefined for any other schema. */
export function objectShape(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> | undefined {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  if (def.type === 'object') return def.shape as Record<string, z.ZodTypeAny>;
  if (def.type === 'pipe') return objectShape(def.in as z.ZodTypeAny);
  if (def.type === 'optional' || def.type === 'nullable') return objectShape(def.innerType as z.ZodTypeAny);
  return undefined;
}

// --- values ---------------------------------------------------------------------------------------

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DURATION = /^(\d+):([0-5]\d):([0-5]\d)$/;
const INTEGER_TEXT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Epoch ms of a date-time text: ISO-8601 with `T` or a space, with a zone or an offset, or with none
 * (Kore.ai's `2024-09-27T13:50:51`: read as UTC, since we always ask for UTC). Undefined otherwise.
 */
export function parseTimestamp(value: string): number | undefined {
  const m = DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const s = m[6] ? Number(m[6]) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1) return undefined;
  const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + frac - offsetMin * 60_000;
}

export function parseDuration(value: string): number | undefined {
  const m = DURATION.exec(value);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** Marks a value that does not fit its column. */
export const MISFIT: unique symbol = Symbol('misfit');

/**
 * A field's value as its column stores it: ISO-8601 UTC text for timestamps, numbers, booleans,
 * text, canonical JSON text for `json`; null for absent; `MISFIT` when it does not fit.
 */
export function columnValue(column: ColumnSpec, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (column.derive === 'seconds') return typeof value === 'string' ? (parseDuration(value) ?? MISFIT) : MISFIT;
  switch (column.type) {
    case 'timestamp':
      return typeof value === 'string' ? timestampValue(value) : MISFIT;
    case 'integer':
      if (typeof value === 'number') return Number.isSafeInteger(value) ? value : MISFIT;
      return typeof value === 'string' && INTEGER_TEXT.test(value.trim()) ? Number(value) : MISFIT;
    case 'numeric':
      if (typeof value === 'number') return Number.isFinite(value) ? value : MISFIT;
      return typeof value === 'string' && NUMBER_TEXT.test(value.trim()) ? Number(value) : MISFIT;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : MISFIT;
    case 'text':
    case 'duration':
      if (typeof value === 'string') return column.type === 'duration' && !DURATION.test(value) ? MISFIT : value;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : MISFIT;
    case 'json':
      return canonicalJson(value);
  }
}

/**
 * A timestamp text as its column stores it, remembered for the next record: a page repeats the same
 * instants (an interval's start and end in every queue's row of it), and parsing them was the
 * largest part of converting a record (bench/typed-write.ts). Bounded: cleared when full.
 */
function timestampValue(text: string): string | typeof MISFIT {
  let stored = timestampMemo.get(text);
  if (stored !== undefined) return stored;
  const ms = parseTimestamp(text);
  stored = ms === undefined ? MISFIT : new Date(ms).toISOString();
  if (timestampMemo.size >= TIMESTAMP_MEMO_SIZE) timestampMemo.clear();
  timestampMemo.set(text, stored);
  return stored;
}
const TIMESTAMP_MEMO_SIZE = 4096;
const timestampMemo = new Map<string, string | typeof MISFIT>();

/** The type the values of a new field call for; undefined when there is no value to judge by yet. */
export function inferType(values: readonly unknown[]): ColumnType | undefined {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length === 0) return undefined;
  if (present.some((v) => typeof v === 'object')) return 'json';
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  // Never `integer` from values: a field seen as 0 and 1 may carry 0.5 tomorrow.
  if (present.every((v) => typeof v === 'number')) return 'numeric';
  if (present.every((v) => typeof v === 'string')) {
    const texts = present;
    if (texts.every((t) => parseTimestamp(t) !== undefined)) return 'timestamp';
    if (texts.every((t) => DURATION.test(t))) return 'duration';
    return 'text';
  }
  return 'text';
}

// --- a page against a table's columns --------------------------------------------------------------

export interface ColumnIndex {
  columns: readonly ColumnSpec[];
  /** Column by name. */
  byName: ReadonlyMap<string, ColumnSpec>;
}

export function indexColumns(columns: readonly ColumnSpec[]): ColumnIndex {
  return { columns, byName: new Map(columns.map((c) => [c.name, c])) };
}

/**
 * The columns a page needs that the table lacks: top-level fields of its records whose snake_case
 * name is no column, no key and not ours, typed from this page's values. Fields with only nulls
 * wait for a real value.
 */
export function newColumns(index: ColumnIndex, keyColumns: readonly string[], records: readonly unknown[], typed = true): ColumnSpec[] {
  // A spec without declared columns (`TableSpec.columns` absent) keeps the raw layout: keys and record only.
  if (!typed) return [];
  const keys = new Set(keyColumns);
  // Fields already known to have a column (or to be a key or ours): every page of a table repeats
  // them, so they are recognised by one set lookup instead of a snake_case and three lookups each.
  const cacheId = keyColumns.join(',');
  let known = knownFields.get(index);
  if (!known || known.keys !== cacheId) knownFields.set(index, (known = { keys: cacheId, fields: new Set() }));
  const seen = new Map<string, { field: string; values: unknown[] }>();
  for (const record of records) {
    if (!isObject(record)) continue;
    for (const field in record) {
      if (known.fields.has(field) || !Object.prototype.hasOwnProperty.call(record, field)) continue;
      const value = record[field];
      const name = snakeCase(field);
      if (index.byName.has(name) || keys.has(name) || isReservedColumn(name)) {
        if (known.fields.size < 10_000) known.fields.add(field);
        continue;
      }
      let entry = seen.get(name);
      if (!entry) seen.set(name, (entry = { field, values: [] }));
      entry.values.push(value);
    }
  }
  const added: ColumnSpec[] = [];
  for (const [name, { field, values }] of seen) {
    const type = inferType(values);
    if (type) added.push({ name, type, fields: [field] });
  }
  return withCompanions(added, new Set([...index.byName.keys(), ...keys]));
}

/** Per column index: the record fields `newColumns` found covered, for the key columns they were checked against. */
const knownFields = new WeakMap<ColumnIndex, { keys: string; fields: Set<string> }>();

export interface RowValues {
  /** Aligned with the index's columns. */
  values: unknown[];
  /** Vendor fields whose value did not fit their column, in this row. */
  misfits: string[];
}

/**
 * One record's column values. Declared fields first; then any other top-level field whose
 * snake_case name is a column (a field a newer worker added, or a spelling variant) fills it if empty.
 * `refused`: fields the decoder found breaking the stream's schema (`Row.misfits`): their columns
 * are NULL and they count as misfits even when the value would convert (a number in a text field).
 */
export function rowValues(index: ColumnIndex, record: unknown, refused?: readonly string[]): RowValues {
  const columns = index.columns;
  const values: unknown[] = new Array<unknown>(columns.length);
  const misfits: string[] = [];
  if (!isObject(record)) return { values: values.fill(null), misfits };
  // The hot path of every write: plain loops, no closures (see bench/typed-write.ts).
  let missing = 0;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    let field: string | undefined;
    for (const f of column.fields) {
      const v = record[f];
      if (v !== undefined && v !== null) {
        field = f;
        break;
      }
    }
    if (field === undefined) {
      values[i] = null;
      missing++;
      continue;
    }
    const value = refused !== undefined && refused.includes(field) ? MISFIT : columnValue(column, record[field]);
    if (value === MISFIT) {
      values[i] = null;
      if (!misfits.includes(field)) misfits.push(field);
    } else values[i] = value;
  }
  // A refused field with no column of its own (a role that may not add one) is still reported.
  if (refused !== undefined) for (const field of refused) if (!misfits.includes(field)) misfits.push(field);
  if (missing > 0) fillVariants(index, record, values, misfits, refused);
  return { values, misfits };
}

/** Empty columns taken by any other top-level field whose snake_case name is theirs (a newer worker's column, a spelling variant). */
function fillVariants(index: ColumnIndex, record: Record<string, unknown>, values: unknown[], misfits: string[], refused?: readonly string[]): void {
  const position = positions(index);
  for (const field of Object.keys(record)) {
    const raw = record[field];
    if (raw === undefined || raw === null) continue;
    const name = snakeCase(field);
    for (const at of [position.get(name), position.get(`${name}_seconds`)]) {
      if (at === undefined || values[at] !== null) continue;
      const column = index.columns[at]!;
      if (at !== position.get(name) && column.derive !== 'seconds') continue;
      if (column.fields.some((f) => record[f] !== undefined && record[f] !== null)) continue;
      const value = refused?.includes(field) ? MISFIT : columnValue(column, raw);
      if (value === MISFIT) {
        if (!misfits.includes(field)) misfits.push(field);
      } else values[at] = value;
    }
  }
}

const positionCache = new WeakMap<ColumnIndex, Map<string, number>>();
function positions(index: ColumnIndex): Map<string, number> {
  let p = positionCache.get(index);
  if (!p) positionCache.set(index, (p = new Map(index.columns.map((c, i) => [c.name, i]))));
  return p;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
