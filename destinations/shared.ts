/**
 * Dialect-free pieces both destinations share: identifier checks, canonical JSON, page
 * de-duplication and the completed-interval set codec. Keeping them here means SQLite and
 * PostgreSQL cannot drift apart on what "the same row" or "the same record" means.
 */
import { CcsyncError } from '../core/errors';
import { intervalFromIso, intervalToIso, mergeIntervals, type Interval } from '../core/time';
import type { Row, TableSpec } from './destination';

export const STATE_TABLE = 'ccsync_state';

/** Bookkeeping columns every stream table carries next to its key columns. */
export const RESERVED_COLUMNS = ['_connection', '_synced_at', 'record'] as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/i;
/** PostgreSQL silently truncates longer identifiers, which could make two tables one. */
const MAX_IDENTIFIER_LENGTH = 63;

/** Throws ConfigError unless `name` is a plain identifier; the only gate before names reach SQL. */
export function checkIdentifier(name: string, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER_LENGTH) {
    throw new CcsyncError(
      'ConfigError',
      `The ${what} name ${JSON.stringify(name)} is not allowed: use letters, digits and underscores, ` +
        `starting with a letter or underscore, at most ${MAX_IDENTIFIER_LENGTH} characters.`,
    );
  }
  return name;
}

/** Double-quoted identifier. Only ever called on names that passed `checkIdentifier`. */
export function quoteIdent(name: string): string {
  return `"${checkIdentifier(name, 'column')}"`;
}

/** Validates a table spec once, before any SQL is built from it. */
export function checkTableSpec(spec: TableSpec): void {
  checkIdentifier(spec.name, 'table');
  if (spec.name.toLowerCase() === STATE_TABLE) {
    throw new CcsyncError('ConfigError', `The table name ${STATE_TABLE} is reserved for sync state.`);
  }
  const seen = new Set<string>();
  for (const column of spec.keyColumns) {
    checkIdentifier(column, 'key column');
    // Both databases fold or compare identifiers case-insensitively in places; treat them so here.
    const folded = column.toLowerCase();
    if ((RESERVED_COLUMNS as readonly string[]).includes(folded)) {
      throw new CcsyncError('ConfigError', `The key column name ${column} of table ${spec.name} is reserved.`);
    }
    if (seen.has(folded)) {
      throw new CcsyncError('ConfigError', `The key column ${column} appears twice in table ${spec.name}.`);
    }
    seen.add(folded);
  }
}

/**
 * JSON with object keys sorted at every depth, so two equal records serialize identically whatever
 * order the vendor sent their fields in (SQLite compares the text; PostgreSQL's jsonb does this itself).
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
  // JSON.stringify(undefined) is undefined; store JSON null rather than an SQL NULL record.
  return text ?? 'null';
}

export interface PreparedRow {
  /** Key values in `spec.keyColumns` order. */
  keys: string[];
  json: string;
}

/**
 * Orders each row's key values by the spec and drops earlier duplicates (the last one in the page
 * wins): a page that repeats a key is one write, and PostgreSQL refuses to touch a row twice in
 * one statement anyway. Key values are coerced to text so 42 and "42" are one row.
 */
export function preparePage(spec: TableSpec, rows: readonly Row[]): PreparedRow[] {
  const byKey = new Map<string, PreparedRow>();
  for (const row of rows) {
    const keys = spec.keyColumns.map((column) => {
      const value: unknown = row.key?.[column];
      if (value === undefined || value === null) {
        throw new CcsyncError('DestinationRejected', `A row for table ${spec.name} has no value for key column ${column}.`);
      }
      return String(value);
    });
    byKey.set(JSON.stringify(keys), { keys, json: canonicalJson(row.record) });
  }
  return [...byKey.values()];
}

/** Stored form of a completed set: a JSON array of `{start, end}` ISO strings. */
export function encodeIntervals(intervals: readonly Interval[]): string {
  return JSON.stringify(mergeIntervals(intervals).map(intervalToIso));
}

/** Reads a stored completed set (text or already-parsed jsonb), merged and sorted. */
export function decodeIntervals(stored: unknown, where: string): Interval[] {
  const value: unknown = typeof stored === 'string' ? JSON.parse(stored) : stored;
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new CcsyncError('DestinationRejected', `The stored sync state of ${where} is not a list of intervals.`);
  }
  const intervals = value.map((item: unknown) => {
    const i = item as { start?: unknown; end?: unknown };
    const parsed =
      typeof i?.start === 'string' && typeof i?.end === 'string' ? intervalFromIso({ start: i.start, end: i.end }) : undefined;
    if (!parsed || !Number.isFinite(parsed.start) || !Number.isFinite(parsed.end)) {
      throw new CcsyncError('DestinationRejected', `The stored sync state of ${where} holds an unreadable interval.`);
    }
    return parsed;
  });
  return mergeIntervals(intervals);
}

/**
 * The new stored value of a completed set after adding `interval`, or undefined when the interval
 * was already covered: re-marking covered time then writes nothing, not even `updated_at`.
 * `stored` is undefined when there is no state row yet.
 */
export function mergeCompleted(stored: unknown, interval: Interval, where: string): string | undefined {
  const current = decodeIntervals(stored, where);
  const after = encodeIntervals([...current, interval]);
  return stored !== undefined && after === encodeIntervals(current) ? undefined : after;
}

/** Refuses intervals that cannot be stored as ISO strings (NaN, Infinity) or run backwards. */
export function checkInterval(interval: Interval): void {
  if (!Number.isFinite(interval.start) || !Number.isFinite(interval.end) || interval.end < interval.start) {
    throw new CcsyncError('InvalidInput', `The interval ${JSON.stringify(interval)} is not a valid [start, end) range.`);
  }
}

/** Stored key columns back into the `{column: value}` shape callers use. */
export function keyObject(spec: TableSpec, row: Record<string, unknown>): Record<string, string> {
  const key: Record<string, string> = {};
  for (const column of spec.keyColumns) key[column] = String(row[column]);
  return key;
}

/**
 * Memoizes `ensureTable` per destination instance. Concurrent callers share one in-flight promise;
 * a failure is forgotten so the next call tries again (the database may have come back).
 */
export class EnsureCache {
  private readonly done = new Map<string, Promise<void>>();

  run(id: string, create: () => Promise<void>): Promise<void> {
    let pending = this.done.get(id);
    if (!pending) {
      pending = create().catch((err: unknown) => {
        this.done.delete(id);
        throw err;
      });
      this.done.set(id, pending);
    }
    return pending;
  }
}

/** Column types that differ between the dialects; everything else in the DDL is shared. */
export interface ColumnTypes {
  timestamp: string;
  json: string;
}

/** `"a", "b"` for the spec's key columns. */
function keyList(spec: TableSpec): string {
  return spec.keyColumns.map(quoteIdent).join(', ');
}

/** Every column in storage order: key columns, then the bookkeeping columns. */
export function tableColumns(spec: TableSpec): string[] {
  return [...spec.keyColumns, ...RESERVED_COLUMNS];
}

/** `("_connection", "a", "b")`: the primary key, also the upsert conflict target. */
export function primaryKey(spec: TableSpec): string {
  return `(${['_connection', ...spec.keyColumns].map(quoteIdent).join(', ')})`;
}

/** `table` is already quoted (and qualified, for PostgreSQL schemas). */
export function createTableSql(table: string, spec: TableSpec, types: ColumnTypes): string {
  const keys = spec.keyColumns.map((c) => `${quoteIdent(c)} TEXT NOT NULL`);
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (` +
    [...keys, `"_connection" TEXT NOT NULL`, `"_synced_at" ${types.timestamp} NOT NULL`, `"record" ${types.json} NOT NULL`].join(', ') +
    `, PRIMARY KEY ${primaryKey(spec)})`
  );
}

export function createStateTableSql(table: string, types: ColumnTypes): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} ("connection" TEXT NOT NULL, "stream" TEXT NOT NULL, ` +
    `"completed" ${types.json} NOT NULL, "updated_at" ${types.timestamp} NOT NULL, PRIMARY KEY ("connection", "stream"))`
  );
}

/**
 * The `readAll` query. Keys are text, so ordering is by bytes: PostgreSQL is told `COLLATE "C"`
 * to match SQLite's BINARY collation whatever the database's locale, so both list rows alike.
 */
export function selectAllSql(table: string, spec: TableSpec, param: string, collate = ''): string {
  const order = spec.keyColumns.length ? ` ORDER BY ${spec.keyColumns.map((c) => quoteIdent(c) + collate).join(', ')}` : '';
  return `SELECT ${tableColumns(spec).map(quoteIdent).join(', ')} FROM ${table} WHERE "_connection" = ${param}${order}`;
}

/** Suffix for the cache so two specs naming one table with different keys are not confused. */
export function specId(spec: TableSpec): string {
  return `${spec.name}(${keyList(spec)})`;
}
