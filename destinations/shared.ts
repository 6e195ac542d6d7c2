/**
 * Dialect-free pieces both destinations share: identifier checks, canonical JSON, page
 * de-duplication and validation, key text and the DDL (snapshot runs: snapshot-runs.ts; the completed-interval
 * set: completed-state.ts).
 * Keeping them here means SQLite and PostgreSQL cannot drift apart on what "the same row",
 * "the same record" or "the same key" means.
 */
import { CcsyncError } from '../core/errors';
import type { Row, TableSpec, TableWrite } from './destination';
import { snakeCase, type ColumnSpec, type ColumnType } from './columns';

export const STATE_TABLE = 'ccsync_state';
/** Keys each snapshot run has seen so far, until the run is finished. */
export const SNAPSHOT_KEYS_TABLE = 'ccsync_snapshot_keys';
/** One row per finished snapshot run: its outcome, so finishing it again changes nothing. */
export const SNAPSHOT_RUNS_TABLE = 'ccsync_snapshot_runs';
/** Our bookkeeping tables: no stream may be called like one of them. */
export const RESERVED_TABLES = [STATE_TABLE, SNAPSHOT_KEYS_TABLE, SNAPSHOT_RUNS_TABLE] as const;

/** Bookkeeping columns every stream table carries next to its key columns, in storage order. */
export const RESERVED_COLUMNS = ['_connection', '_synced_at', 'record', '_deleted_at', '_version'] as const;
/** Added by the version that introduced snapshots: older tables lack it until migrated. */
export const DELETED_AT = '_deleted_at';
/** The record's own version (see `Row.version`): added after `_deleted_at`, migrated the same way. */
export const VERSION = '_version';
/**
 * Staged keys of runs that never finished (a cancelled workflow) are dropped by the next
 * `finishSnapshot` once this old, and so are finished-run markers.
 */
export const SNAPSHOT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

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

/**
 * A spec as the database sees it: key columns in snake_case (`sessionId` → `session_id`), with the
 * vendor field each is read from (`keyFields`, the names callers' `Row.key` objects use).
 * Idempotent: a stored spec passes through unchanged.
 */
export interface StoredSpec extends TableSpec {
  keyFields: readonly string[];
}

export function storedSpec(spec: TableSpec): StoredSpec {
  if ((spec as Partial<StoredSpec>).keyFields) return spec as StoredSpec;
  const keyColumns = Array.isArray(spec.keyColumns) ? spec.keyColumns : [];
  // A name that is no identifier stays as given, for checkTableSpec to refuse (never silently cleaned).
  const column = (c: string) => (typeof c === 'string' && IDENTIFIER.test(c) ? snakeCase(c) : c);
  return { ...spec, keyColumns: keyColumns.map(column), keyFields: keyColumns };
}

/** The vendor field behind key column `i` of a spec. */
function keyField(spec: TableSpec, i: number): string {
  return (spec as Partial<StoredSpec>).keyFields?.[i] ?? spec.keyColumns[i]!;
}

/** Validates a table spec once, before any SQL is built from it. */
export function checkTableSpec(spec: TableSpec): void {
  checkIdentifier(spec.name, 'table');
  if ((RESERVED_TABLES as readonly string[]).includes(spec.name.toLowerCase())) {
    throw new CcsyncError('ConfigError', `The table name ${spec.name} is reserved for sync state.`);
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

/** A table spec as the destinations store it (`storedSpec`), validated (`checkTableSpec`). */
export function checkedSpec(given: TableSpec): StoredSpec {
  const spec = storedSpec(given);
  checkTableSpec(spec);
  return spec;
}

import { canonicalJson } from './json';

export { canonicalJson };

export interface PreparedRow {
  /** Key values in `spec.keyColumns` order. */
  keys: string[];
  json: string;
  /** The record itself, for its typed columns. */
  record: unknown;
  /** `Row.version`, or null when the stream declares none. */
  version: number | null;
  /** `Row.misfits`: fields whose columns stay NULL in this row. */
  misfits?: readonly string[];
}

/**
 * Orders each row's key values by the spec and drops earlier duplicates (the last one in the page
 * wins): a page that repeats a key is one write, and PostgreSQL refuses to touch a row twice in
 * one statement anyway. Key values are coerced to text so 42 and "42" are one row.
 */
export function preparePage(spec: TableSpec, rows: readonly Row[]): PreparedRow[] {
  const byKey = new Map<string, PreparedRow>();
  for (const row of rows) {
    const keys = keyValues(spec, row.key, 'A row');
    const version = typeof row.version === 'number' && Number.isFinite(row.version) ? row.version : null;
    byKey.set(keyText(keys), { keys, json: canonicalJson(row.record), record: row.record, version, ...(row.misfits?.length ? { misfits: row.misfits } : {}) });
  }
  return [...byKey.values()];
}

/**
 * A key value as the databases will store it: text, with any unpaired UTF-16 surrogate replaced
 * by U+FFFD exactly as both drivers do on the way in. Without this a key holding a lone surrogate
 * would compare unequal to its own stored form (a child deleted and re-inserted, a snapshot row
 * never seen).
 */
export function keyValue(value: unknown): string {
  return String(value).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** A key's values in `spec.keyColumns` order; DestinationRejected when one is missing. */
export function keyValues(spec: TableSpec, key: Record<string, unknown> | undefined, what: string): string[] {
  return spec.keyColumns.map((column, i) => {
    const value: unknown = key?.[keyField(spec, i)];
    if (value === undefined || value === null) {
      throw new CcsyncError('DestinationRejected', `${what} for table ${spec.name} has no value for key column ${column}.`);
    }
    return keyValue(value);
  });
}

/**
 * The canonical text of a key: the JSON array of its values in spec order, e.g. `["q1","2026-10-01"]`.
 * It identifies a row within a page and is what `ccsync_snapshot_keys.key` holds. The destinations
 * rebuild it from stored key columns in SQL (SQLite through a function that calls this one,
 * PostgreSQL with `to_json`, whose escaping is JSON.stringify's), so it must stay plain JSON.stringify.
 */
export function keyText(values: readonly string[]): string {
  return JSON.stringify(values);
}

/** One `TableWrite`, validated and normalised before any SQL runs. */
export interface PreparedWrite {
  spec: StoredSpec;
  rows: PreparedRow[];
  /** `replaceChildrenOf`, checked: `column` is a key column, `parents` are distinct texts, `versions` aligned (null: none). */
  children?: { column: string; parents: string[]; versions: (number | null)[] };
}

/**
 * Validates every write of a page before the transaction starts, so a bad spec (ConfigError) or a
 * row without a key (DestinationRejected) fails the page without touching the database.
 */
export function prepareWrites(writes: readonly TableWrite[]): PreparedWrite[] {
  // Checked through an `unknown` copy: narrowing the readonly array itself would type it `any[]`.
  const given: unknown = writes;
  if (!Array.isArray(given)) throw new CcsyncError('InvalidInput', 'writePage needs a list of table writes.');
  return writes.map((write) => {
    const spec = storedSpec(write.spec);
    checkTableSpec(spec);
    const rows = preparePage(spec, write.rows ?? []);
    const given = write.replaceChildrenOf;
    if (!given) return { spec, rows };
    // Named by its vendor field or by its column.
    const at = spec.keyFields.indexOf(given.column);
    const replace = { ...given, column: at >= 0 ? spec.keyColumns[at]! : given.column };
    if (!spec.keyColumns.includes(replace.column)) {
      throw new CcsyncError(
        'ConfigError',
        `Child rows of table ${spec.name} can only be replaced by one of its key columns (${spec.keyColumns.join(', ')}), ` +
          `not ${JSON.stringify(replace.column)}.`,
      );
    }
    if (!Array.isArray(replace.parents)) {
      throw new CcsyncError('InvalidInput', `The parents whose children of table ${spec.name} are replaced must be a list.`);
    }
    const parents = new Map<string, number | null>();
    (replace.parents as readonly unknown[]).forEach((parent, i) => {
      if (parent === undefined || parent === null) {
        throw new CcsyncError('DestinationRejected', `A parent whose children of table ${spec.name} are replaced has no ${replace.column}.`);
      }
      const v = replace.versions?.[i];
      parents.set(keyValue(parent), typeof v === 'number' && Number.isFinite(v) ? v : null);
    });
    return { spec, rows, children: { column: replace.column, parents: [...parents.keys()], versions: [...parents.values()] } };
  });
}

/**
 * Children follow their parent's version: a parent whose stored children carry a newer version than
 * this page's is older here, so none of its children is written or deleted. `storedMax` is each
 * parent's highest stored child version. Returns the write to do and how many rows it left out.
 */
export function withoutStaleParents(write: PreparedWrite, storedMax: ReadonlyMap<string, number>): { write: PreparedWrite; skipped: number } {
  const children = write.children;
  if (!children) return { write, skipped: 0 };
  const at = write.spec.keyColumns.indexOf(children.column);
  const stale = new Set(
    children.parents.filter((p, i) => {
      const incoming = children.versions[i];
      const stored = storedMax.get(p);
      return incoming !== null && incoming !== undefined && stored !== undefined && stored > incoming;
    }),
  );
  if (stale.size === 0) return { write, skipped: 0 };
  const rows = write.rows.filter((r) => !stale.has(r.keys[at]!));
  const keep = children.parents.map((p, i) => [p, children.versions[i]!] as const).filter(([p]) => !stale.has(p));
  return {
    write: { ...write, rows, children: { column: children.column, parents: keep.map(([p]) => p), versions: keep.map(([, v]) => v) } },
    skipped: write.rows.length - rows.length,
  };
}

/** `Writing 12 rows to a, b`: what a page was doing, for error messages. */
export function describeWrites(page: readonly PreparedWrite[]): string {
  const rows = page.reduce((n, w) => n + w.rows.length, 0);
  return `Writing ${rows} rows to ${[...new Set(page.map((w) => w.spec.name))].join(', ') || 'no table'}`;
}

/** Stored key columns back into the `{column: value}` shape callers use. */
export function keyObject(spec: TableSpec, row: Record<string, unknown>): Record<string, string> {
  const key: Record<string, string> = {};
  spec.keyColumns.forEach((column, i) => (key[keyField(spec, i)] = String(row[column])));
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
  /** Exact for epoch milliseconds and version counters. */
  number: string;
  /** Each typed column's type. */
  typed: Readonly<Record<ColumnType, string>>;
}

/** `"a", "b"` for the spec's key columns. */
function keyList(spec: TableSpec): string {
  return spec.keyColumns.map(quoteIdent).join(', ');
}

/** The columns an upsert writes (`_deleted_at` is only ever set by snapshots). */
export function writtenColumns(spec: TableSpec): string[] {
  return [...spec.keyColumns, '_connection', '_synced_at', 'record'];
}

/** `("_connection", "a", "b")`: the primary key, also the upsert conflict target. */
export function primaryKey(spec: TableSpec): string {
  return `(${['_connection', ...spec.keyColumns].map(quoteIdent).join(', ')})`;
}

/** `table` is already quoted (and qualified, for PostgreSQL schemas). */
function createTableSql(table: string, spec: TableSpec, types: ColumnTypes): string {
  const keys = spec.keyColumns.map((c) => `${quoteIdent(c)} TEXT NOT NULL`);
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (` +
    [
      ...keys,
      `"_connection" TEXT NOT NULL`,
      `"_synced_at" ${types.timestamp} NOT NULL`,
      `"record" ${types.json} NOT NULL`,
      `${quoteIdent(DELETED_AT)} ${types.timestamp}`,
      `${quoteIdent(VERSION)} ${types.number}`,
      ...(spec.columns ?? []).map((c: ColumnSpec) => `${quoteIdent(c.name)} ${types.typed[c.type]}`),
    ].join(', ') +
    `, PRIMARY KEY ${primaryKey(spec)})`
  );
}

/** Migrates a table created before snapshots existed. `table` is already quoted/qualified. */
function addDeletedAtSql(table: string, types: ColumnTypes, ifNotExists = false): string {
  return `ALTER TABLE ${table} ADD COLUMN ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(DELETED_AT)} ${types.timestamp}`;
}

function addVersionSql(table: string, types: ColumnTypes, ifNotExists = false): string {
  return `ALTER TABLE ${table} ADD COLUMN ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(VERSION)} ${types.number}`;
}

/**
 * The version guard, as SQL: true when the stored row (`stored`) holds a newer version than the
 * incoming one (`incoming`, an SQL expression). Unversioned rows on either side never block.
 */
export function storedIsNewerSql(stored: string, incoming: string): string {
  return `(${stored}."_version" IS NOT NULL AND ${incoming} IS NOT NULL AND ${stored}."_version" > ${incoming})`;
}

/** Said when a table lacks `_deleted_at` and this role may not add it. */
function migrationAdvice(table: string, types: ColumnTypes): string {
  return (
    `table ${table} predates the ${DELETED_AT} or ${VERSION} column and could not be migrated; have its owner run: ` +
    `${addDeletedAtSql(table, types, true)}; ${addVersionSql(table, types, true)}`
  );
}

function createSnapshotKeysTableSql(table: string, types: ColumnTypes): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} ("connection" TEXT NOT NULL, "table_name" TEXT NOT NULL, "run_id" TEXT NOT NULL, ` +
    `"key" TEXT NOT NULL, "created_at" ${types.timestamp} NOT NULL, PRIMARY KEY ("connection", "table_name", "run_id", "key"))`
  );
}

function createSnapshotRunsTableSql(table: string, types: ColumnTypes): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} ("connection" TEXT NOT NULL, "table_name" TEXT NOT NULL, "run_id" TEXT NOT NULL, ` +
    `"outcome" ${types.json} NOT NULL, "finished_at" ${types.timestamp} NOT NULL, PRIMARY KEY ("connection", "table_name", "run_id"))`
  );
}

function createStateTableSql(table: string, types: ColumnTypes): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} ("connection" TEXT NOT NULL, "stream" TEXT NOT NULL, ` +
    `"completed" ${types.json} NOT NULL, "updated_at" ${types.timestamp} NOT NULL, PRIMARY KEY ("connection", "stream"))`
  );
}

/** One dialect's DDL: the shared statements with its column types bound once. Tables are quoted (and qualified) by the caller. */
export interface DialectDdl {
  table: (table: string, spec: TableSpec) => string;
  /** Migrations of a table created before `_deleted_at` / `_version` existed. */
  addDeletedAt: (table: string, ifNotExists?: boolean) => string;
  addVersion: (table: string, ifNotExists?: boolean) => string;
  /** Said when a table lacks `_deleted_at` and this role may not add it. */
  migrationAdvice: (table: string) => string;
  state: (table: string) => string;
  snapshotKeys: (table: string) => string;
  snapshotRuns: (table: string) => string;
}

export function dialectDdl(types: ColumnTypes): DialectDdl {
  return {
    table: (table, spec) => createTableSql(table, spec, types),
    addDeletedAt: (table, ifNotExists) => addDeletedAtSql(table, types, ifNotExists),
    addVersion: (table, ifNotExists) => addVersionSql(table, types, ifNotExists),
    migrationAdvice: (table) => migrationAdvice(table, types),
    state: (table) => createStateTableSql(table, types),
    snapshotKeys: (table) => createSnapshotKeysTableSql(table, types),
    snapshotRuns: (table) => createSnapshotRunsTableSql(table, types),
  };
}

/**
 * The `readAll` query. Keys are text, so ordering is by bytes: PostgreSQL is told `COLLATE "C"`
 * to match SQLite's BINARY collation whatever the database's locale, so both list rows alike.
 */
export function selectAllSql(table: string, spec: TableSpec, param: string, collate = '', hasDeletedAt = true): string {
  const order = spec.keyColumns.length ? ` ORDER BY ${spec.keyColumns.map((c) => quoteIdent(c) + collate).join(', ')}` : '';
  // A table not migrated yet is read as is (readers never alter): nothing in it was deleted.
  const columns = [...writtenColumns(spec).map(quoteIdent), hasDeletedAt ? quoteIdent(DELETED_AT) : `NULL AS ${quoteIdent(DELETED_AT)}`];
  return `SELECT ${columns.join(', ')} FROM ${table} WHERE "_connection" = ${param}${order}`;
}

/** Suffix for the cache so two specs naming one table with different keys are not confused. */
export function specId(spec: TableSpec): string {
  return `${spec.name}(${keyList(spec)})`;
}
