/**
 * History mode (`history: true` on a stream in the connections file): every distinct version of each
 * record is kept in `<table>_history`, with `_valid_from`, `_valid_to` (NULL for the version in force)
 * and the same typed columns as the table, and the view `<table>_changes` lists the field-level
 * changes between consecutive versions. Parent tables only: a child list (call participants...) is
 * also a field of its parent's record, so its changes show up there, as that field's old and new value.
 *
 * `_valid_from` is the record's own version when it is a time (CCAI Platform's `updated_at`), so a
 * version that arrives late slots in before the newer one instead of closing it; otherwise (no
 * version, or a counter such as Kore.ai's `__v`) it is the sync time, and a version older than the
 * one in force is not recorded. Re-reading the version in force adds nothing.
 *
 * The timeline logic is plain code (`planHistory`), shared by both dialects; only the SQL text and
 * how it is run differ (SQLITE_HISTORY, POSTGRES_HISTORY, and the two pairs of runners at the end).
 * It runs in the page's transaction, after the table's upsert, which has locked the page's keys.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { TableSpec } from './destination';
import { rowValues, SQL_TYPES, type ColumnIndex, type ColumnSpec, type ColumnType } from './columns';
import { canonicalJson, checkIdentifier, keyText, keyValue, quoteIdent, type PreparedRow, type PreparedWrite, type StoredSpec } from './shared';

export const HISTORY_SUFFIX = '_history';
export const CHANGES_SUFFIX = '_changes';
/** The history table's own columns, after the key columns. */
const OWN = ['_connection', '_valid_from', '_valid_to', '_version', '_synced_at', 'record'] as const;
/** A version below this is a counter, not epoch milliseconds (1e11 ms is March 1973). */
const EARLIEST_TIME_VERSION = 1e11;

export const historyTable = (table: string) => checkIdentifier(`${table}${HISTORY_SUFFIX}`, 'history table');
export const changesView = (table: string) => checkIdentifier(`${table}${CHANGES_SUFFIX}`, 'changes view');

const withHistoryCache = new WeakMap<TableSpec, TableSpec>();
/** The stream's table spec with history mode on when its connection asks for it (`history: true`). */
export function withHistory(spec: TableSpec, on: boolean | undefined): TableSpec {
  if (!on) return spec;
  let copy = withHistoryCache.get(spec);
  if (!copy) withHistoryCache.set(spec, (copy = { ...spec, history: true }));
  return copy;
}

/** `_valid_from` of an incoming row, as epoch ms. */
export function validFrom(version: number | null, syncedAtMs: number): number {
  return version !== null && version >= EARLIEST_TIME_VERSION && version < 1e14 ? version : syncedAtMs;
}

// --- the timeline, dialect-free ------------------------------------------------------------------

export interface StoredVersion {
  from: number;
  to: number | null;
  version: number | null;
  /** Canonical JSON of the record. */
  json: string;
}

export type HistoryOp =
  | { op: 'insert'; row: PreparedRow; from: number; to: number | null }
  /** Sets `_valid_to` of the version starting at `from`. */
  | { op: 'close'; keys: string[]; from: number; to: number }
  /** The version starting at `from` was read again with other content (same version): it takes the new content. */
  | { op: 'replace'; row: PreparedRow; from: number }
  /** The next version, read again earlier (a late copy of it): it starts earlier. */
  | { op: 'move'; keys: string[]; from: number; to: number };

/**
 * What one page does to the history: `stored` holds each key's versions (by `keyText`), sorted by
 * `from`. The version in force at the row's `_valid_from` (P) and the next one (N) decide:
 * same content as P: nothing; same start as P: P takes the content; same content as N: N starts
 * earlier; else a new version from `_valid_from` to N's start (NULL without N), and P ends there.
 * A row older (by `_version`) than P is not recorded: it never closes a newer version.
 */
export function planHistory(rows: readonly PreparedRow[], stored: ReadonlyMap<string, readonly StoredVersion[]>, syncedAtMs: number): HistoryOp[] {
  const ops: HistoryOp[] = [];
  for (const row of rows) {
    const versions = stored.get(keyText(row.keys)) ?? [];
    const t = validFrom(row.version, syncedAtMs);
    let p: StoredVersion | undefined;
    let n: StoredVersion | undefined;
    for (const v of versions) {
      if (v.from <= t) p = v;
      else if (!n) n = v;
    }
    if (p && p.json === row.json) continue;
    if (p && p.version !== null && row.version !== null && p.version > row.version) continue;
    if (p && p.from === t) {
      ops.push({ op: 'replace', row, from: t });
      continue;
    }
    if (n && n.json === row.json) ops.push({ op: 'move', keys: row.keys, from: n.from, to: t });
    else ops.push({ op: 'insert', row, from: t, to: n ? n.from : null });
    if (p) ops.push({ op: 'close', keys: row.keys, from: p.from, to: t });
  }
  return ops;
}

// --- SQL, per dialect ----------------------------------------------------------------------------

export interface HistoryDialect {
  name: 'sqlite' | 'postgres';
  timestamp: string;
  json: string;
  number: string;
  typed: Readonly<Record<ColumnType, string>>;
  /** Placeholder `n` (1-based), with its cast. */
  param: (n: number, type: string) => string;
  bind: (value: unknown) => unknown;
  /** Epoch ms of a stored timestamp. */
  time: (value: unknown) => number;
  /** Canonical JSON of a stored record. */
  record: (value: unknown) => string;
  /** Column names of a table; one parameter, the table as `tableName` gives it. */
  catalog: string;
  addIfNotExists: boolean;
  changesView: (view: string, history: string, keys: readonly string[]) => string;
  /** `IN (...)` / `= ANY(...)`: the first key column is one of a list, parameter `n`. */
  anyOf: (n: number) => string;
  list: (values: readonly string[]) => unknown;
}

/** `n."a" = o."a" AND ...` for the view's self-join. */
const sameKey = (keys: readonly string[]) => ['_connection', ...keys].map((k) => `o.${quoteIdent(k)} = n.${quoteIdent(k)}`).join(' AND ');
const viewColumns = (keys: readonly string[]) => ['_connection', ...keys].map((k) => `n.${quoteIdent(k)} AS ${quoteIdent(k)}`).join(', ');

export const SQLITE_HISTORY: HistoryDialect = {
  name: 'sqlite',
  timestamp: 'TEXT',
  json: 'TEXT',
  number: 'REAL',
  typed: SQL_TYPES.sqlite,
  param: () => '?',
  bind: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v),
  time: (v) => Date.parse(String(v)),
  record: (v) => String(v),
  catalog: `SELECT name FROM pragma_table_info(?)`,
  addIfNotExists: false,
  // SQLite has no LATERAL: fields present in the new version, then fields only the old one had.
  changesView: (view, history, keys) => {
    const from = `FROM ${history} AS n JOIN ${history} AS o ON ${sameKey(keys)} AND o."_valid_to" = n."_valid_from"`;
    return (
      `CREATE VIEW IF NOT EXISTS ${view} AS ` +
      `SELECT ${viewColumns(keys)}, f."key" AS "field", o."record" -> f."fullkey" AS "old_value", ` +
      `n."record" -> f."fullkey" AS "new_value", n."_valid_from" AS "changed_at" ` +
      `${from}, json_each(n."record") AS f WHERE (o."record" -> f."fullkey") IS NOT (n."record" -> f."fullkey") ` +
      `UNION ALL SELECT ${viewColumns(keys)}, f."key", o."record" -> f."fullkey", NULL, n."_valid_from" ` +
      `${from}, json_each(o."record") AS f WHERE json_type(n."record", f."fullkey") IS NULL`
    );
  },
  anyOf: () => `IN (SELECT "value" FROM json_each(?))`,
  list: (values) => JSON.stringify(values),
};

export const POSTGRES_HISTORY: HistoryDialect = {
  name: 'postgres',
  timestamp: 'TIMESTAMPTZ',
  json: 'JSONB',
  number: 'DOUBLE PRECISION',
  typed: SQL_TYPES.postgres,
  param: (n, type) => `$${n}::${type.toLowerCase()}`,
  bind: (v) => v,
  time: (v) => (v instanceof Date ? v.getTime() : Date.parse(String(v))),
  record: (v) => canonicalJson(v),
  catalog: `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
  addIfNotExists: true,
  changesView: (view, history, keys) =>
    `CREATE OR REPLACE VIEW ${view} AS ` +
    `SELECT ${viewColumns(keys)}, f.field AS "field", o."record" -> f.field AS "old_value", n."record" -> f.field AS "new_value", ` +
    `n."_valid_from" AS "changed_at" FROM ${history} AS n JOIN ${history} AS o ON ${sameKey(keys)} AND o."_valid_to" = n."_valid_from" ` +
    `CROSS JOIN LATERAL (SELECT jsonb_object_keys(o."record") UNION SELECT jsonb_object_keys(n."record")) AS f(field) ` +
    `WHERE (o."record" -> f.field) IS DISTINCT FROM (n."record" -> f.field)`,
  anyOf: (n) => `= ANY($${n}::text[])`,
  list: (values) => values,
};

/** The typed columns the history table carries: the table's, minus any that would take our names. */
function typedOf(index: ColumnIndex): ColumnSpec[] {
  return index.columns.filter((c) => !(OWN as readonly string[]).includes(c.name));
}

/**
 * The DDL that brings `<table>_history` and `<table>_changes` up to the table's columns, given the
 * history table's current column names (empty: it does not exist). `name` quotes (and qualifies).
 */
export function historyDdl(d: HistoryDialect, spec: StoredSpec, index: ColumnIndex, present: readonly string[], name: (n: string) => string): string[] {
  const history = name(historyTable(spec.name));
  const typed = typedOf(index);
  const view = d.changesView(name(changesView(spec.name)), history, spec.keyColumns);
  if (present.length === 0) {
    const columns = [
      ...spec.keyColumns.map((c) => `${quoteIdent(c)} TEXT NOT NULL`),
      `"_connection" TEXT NOT NULL`,
      `"_valid_from" ${d.timestamp} NOT NULL`,
      `"_valid_to" ${d.timestamp}`,
      `"_version" ${d.number}`,
      `"_synced_at" ${d.timestamp} NOT NULL`,
      `"record" ${d.json} NOT NULL`,
      ...typed.map((c) => `${quoteIdent(c.name)} ${d.typed[c.type]}`),
    ];
    const key = ['_connection', ...spec.keyColumns, '_valid_from'].map(quoteIdent).join(', ');
    return [`CREATE TABLE IF NOT EXISTS ${history} (${columns.join(', ')}, PRIMARY KEY (${key}))`, view];
  }
  const have = new Set(present.map((c) => c.toLowerCase()));
  const adds = typed
    .filter((c) => !have.has(c.name.toLowerCase()))
    .map((c) => `ALTER TABLE ${history} ADD COLUMN ${d.addIfNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(c.name)} ${d.typed[c.type]}`);
  return [...adds, view];
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** The statements that read the page's keys' stored versions (ordered by `_valid_from`). */
export function selectVersions(d: HistoryDialect, spec: StoredSpec, rows: readonly PreparedRow[], connection: string, name: (n: string) => string): Statement {
  const keys = spec.keyColumns.map(quoteIdent);
  const sql =
    `SELECT ${[...keys, '"_valid_from"', '"_valid_to"', '"_version"', '"record"'].join(', ')} FROM ${name(historyTable(spec.name))} ` +
    `WHERE "_connection" = ${d.param(1, 'text')} AND ${keys[0]} ${d.anyOf(2)} ` +
    `ORDER BY "_valid_from"`;
  return { sql, params: [connection, d.list([...new Set(rows.map((r) => r.keys[0]!))])] };
}

/** Stored rows (as the driver returns them) by key text. */
export function storedVersions(d: HistoryDialect, spec: StoredSpec, found: readonly Record<string, unknown>[]): Map<string, StoredVersion[]> {
  const byKey = new Map<string, StoredVersion[]>();
  for (const r of found) {
    const key = keyText(spec.keyColumns.map((c) => keyValue(r[c])));
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({
      from: d.time(r._valid_from),
      to: r._valid_to === null || r._valid_to === undefined ? null : d.time(r._valid_to),
      version: r._version === null || r._version === undefined ? null : Number(r._version),
      json: d.record(r.record),
    });
  }
  return byKey;
}

/** The SQL of each planned change. */
export function historyStatements(
  d: HistoryDialect,
  spec: StoredSpec,
  index: ColumnIndex,
  ops: readonly HistoryOp[],
  connection: string,
  syncedAt: string,
  name: (n: string) => string,
): Statement[] {
  const history = name(historyTable(spec.name));
  const typed = typedOf(index);
  const at = (ms: number) => new Date(ms).toISOString();
  const keyWhere = (first: number) =>
    ['_connection', ...spec.keyColumns, '_valid_from']
      .map((c, i) => `${quoteIdent(c)} = ${d.param(first + i, i === spec.keyColumns.length + 1 ? d.timestamp : 'text')}`)
      .join(' AND ');
  const typedValues = (row: PreparedRow) => {
    const all = rowValues(index, row.record, row.misfits).values;
    return typed.map((c) => d.bind(all[index.columns.indexOf(c)]));
  };
  const contentTypes = [d.number, d.timestamp, d.json, ...typed.map((c) => d.typed[c.type])];
  const columns = [...spec.keyColumns, ...OWN, ...typed.map((c) => c.name)];
  const types = [...spec.keyColumns.map(() => 'text'), 'text', d.timestamp, d.timestamp, ...contentTypes];
  const inserts: unknown[][] = [];
  const updates: Statement[] = [];
  const closes: Extract<HistoryOp, { op: 'close' }>[] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'insert':
        inserts.push([...o.row.keys, connection, at(o.from), o.to === null ? null : at(o.to), o.row.version, syncedAt, o.row.json, ...typedValues(o.row)]);
        break;
      case 'replace': {
        const set = ['_version', '_synced_at', 'record', ...typed.map((c) => c.name)].map((c, i) => `${quoteIdent(c)} = ${d.param(i + 1, contentTypes[i]!)}`);
        const params = [o.row.version, syncedAt, o.row.json, ...typedValues(o.row)];
        updates.push({
          sql: `UPDATE ${history} SET ${set.join(', ')} WHERE ${keyWhere(params.length + 1)}`,
          params: [...params, connection, ...o.row.keys, at(o.from)],
        });
        break;
      }
      case 'close':
      case 'move': {
        // PostgreSQL closes a page's versions in one statement (below).
        if (o.op === 'close' && d.name === 'postgres') {
          closes.push(o);
          break;
        }
        const column = o.op === 'close' ? '"_valid_to"' : '"_valid_from"';
        updates.push({
          sql: `UPDATE ${history} SET ${column} = ${d.param(1, d.timestamp)} WHERE ${keyWhere(2)}`,
          params: [at(o.to), connection, ...o.keys, at(o.from)],
        });
        break;
      }
    }
  }
  // Each key appears once per page and every statement touches its own row: their order does not matter.
  // PostgreSQL takes many rows per INSERT (one round trip, not one per version); SQLite, in process, reuses one prepared statement.
  const perStatement = d.name === 'postgres' ? Math.max(1, Math.min(500, Math.floor(60_000 / columns.length))) : 1;
  const into = `INSERT INTO ${history} (${columns.map(quoteIdent).join(', ')}) VALUES `;
  const out: Statement[] = [];
  for (let i = 0; i < inserts.length; i += perStatement) {
    const chunk = inserts.slice(i, i + perStatement);
    const tuples = chunk.map((_r, j) => `(${types.map((t, k) => d.param(j * types.length + k + 1, t)).join(', ')})`);
    out.push({ sql: into + tuples.join(', '), params: chunk.flat() });
  }
  if (closes.length) {
    const names = spec.keyColumns.map((_c, i) => `k${i}`);
    const arrays = [...names.map((_n, i) => `$${i + 2}::text[]`), `$${names.length + 2}::timestamptz[]`, `$${names.length + 3}::timestamptz[]`];
    out.push({
      sql:
        `UPDATE ${history} AS h SET "_valid_to" = v.t FROM unnest(${arrays.join(', ')}) AS v(${[...names, 'f', 't'].join(', ')}) ` +
        `WHERE h."_connection" = $1 AND ${spec.keyColumns.map((c, i) => `h.${quoteIdent(c)} = v.${names[i]}`).join(' AND ')} AND h."_valid_from" = v.f`,
      params: [connection, ...names.map((_n, i) => closes.map((c) => c.keys[i])), closes.map((c) => at(c.from)), closes.map((c) => at(c.to))],
    });
  }
  return [...out, ...updates];
}

// --- runners -------------------------------------------------------------------------------------

/** Indexes whose columns the history table is known to have (an evolved table gets a new index object). */
const ready = new WeakSet<ColumnIndex>();
/** Prepared statements per SQLite connection, by SQL text. */
const prepared = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function statement(db: Database.Database, sql: string): Database.Statement {
  let byText = prepared.get(db);
  if (!byText) prepared.set(db, (byText = new Map<string, Database.Statement>()));
  let s = byText.get(sql);
  if (!s) byText.set(sql, (s = db.prepare(sql)));
  return s;
}
/** SQLite tables are unqualified. */
const bare = (n: string) => quoteIdent(n);

/** SQLite: creates or evolves the history table and view of a history write (its own IMMEDIATE transaction). */
export function ensureHistorySqlite(db: Database.Database, write: PreparedWrite, index: ColumnIndex): void {
  if (!write.spec.history || ready.has(index)) return;
  db.transaction(() => {
    const present = (db.prepare(SQLITE_HISTORY.catalog).all(historyTable(write.spec.name)) as { name: string }[]).map((r) => r.name);
    for (const sql of historyDdl(SQLITE_HISTORY, write.spec, index, present, bare)) db.exec(sql);
  }).immediate();
  ready.add(index);
}

/** SQLite: the page's versions, inside the page's transaction. */
export function writeHistorySqlite(db: Database.Database, write: PreparedWrite, index: ColumnIndex, connection: string, syncedAt: string): void {
  if (!write.spec.history || write.rows.length === 0) return;
  const select = selectVersions(SQLITE_HISTORY, write.spec, write.rows, connection, bare);
  const stored = storedVersions(SQLITE_HISTORY, write.spec, statement(db, select.sql).all(...select.params) as Record<string, unknown>[]);
  const ops = planHistory(write.rows, stored, Date.parse(syncedAt));
  for (const s of historyStatements(SQLITE_HISTORY, write.spec, index, ops, connection, syncedAt, bare)) statement(db, s.sql).run(...s.params);
}

/** PostgreSQL's code for a statement the role may not run (no CREATE on the schema, not the owner). */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * PostgreSQL: the same DDL, in `transaction` (which takes the destination's DDL lock first). A role
 * that may not create or alter the history gets `refused(err, statements)`: every statement its
 * owner must run, the grant of the rows to this role included when the table is new. A history
 * table and view made that way are then used as they are: the view is replaced only by its owner.
 */
export async function ensureHistoryPostgres(
  transaction: (work: (client: pg.PoolClient) => Promise<void>) => Promise<void>,
  /** The destination's DDL lock, taken first so workers never race on the catalog. */
  lockSql: string,
  name: (n: string) => string,
  write: PreparedWrite,
  index: ColumnIndex,
  refused: (err: unknown, statements: readonly string[]) => Error,
): Promise<void> {
  if (!write.spec.history || ready.has(index)) return;
  await transaction(async (client) => {
    await client.query(lockSql);
    const history = name(historyTable(write.spec.name));
    const { rows } = await client.query<{ name: string }>(POSTGRES_HISTORY.catalog, [history]);
    const present = rows.map((r) => r.name);
    // Asked before any DDL: a refused statement aborts the transaction.
    const { rows: who } = await client.query<{ role: string; foreignView: boolean }>(
      `SELECT current_user AS "role", EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND NOT pg_has_role(relowner, 'USAGE')) AS "foreignView"`,
      [name(changesView(write.spec.name))],
    );
    const statements = historyDdl(POSTGRES_HISTORY, write.spec, index, present, name);
    // The view comes last; one its owner made (from the statements below) already lists every change.
    const run = who[0]!.foreignView ? statements.slice(0, -1) : statements;
    for (const sql of run) {
      try {
        await client.query(sql);
      } catch (err) {
        if ((err as { code?: unknown })?.code !== INSUFFICIENT_PRIVILEGE) throw err;
        const grant = present.length === 0 ? [`GRANT SELECT, INSERT, UPDATE ON ${history} TO ${quoteIdent(who[0]!.role)}`] : [];
        throw refused(err, [...statements, ...grant]);
      }
    }
  });
  ready.add(index);
}

/** PostgreSQL: the page's versions, inside the page's transaction. */
export async function writeHistoryPostgres(
  client: pg.PoolClient,
  name: (n: string) => string,
  write: PreparedWrite,
  index: ColumnIndex,
  connection: string,
  syncedAt: string,
): Promise<void> {
  if (!write.spec.history || write.rows.length === 0) return;
  const select = selectVersions(POSTGRES_HISTORY, write.spec, write.rows, connection, name);
  const stored = storedVersions(POSTGRES_HISTORY, write.spec, (await client.query(select.sql, select.params)).rows as Record<string, unknown>[]);
  const ops = planHistory(write.rows, stored, Date.parse(syncedAt));
  for (const s of historyStatements(POSTGRES_HISTORY, write.spec, index, ops, connection, syncedAt, name)) await client.query(s.sql, s.params);
}
