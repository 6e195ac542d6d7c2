/**
 * The embedded default destination: one SQLite file, written through better-sqlite3.
 * better-sqlite3 is synchronous; the async interface methods simply run the sync calls, which is
 * fine for page-sized writes and keeps every transaction on one connection with no interleaving.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CcsyncError, isCcsyncError, type ErrorType } from '../core/errors';
import type { Interval } from '../core/time';
import type { Destination, ResetOutcome, ResetTable, SnapshotOutcome, StoredRow, TableSpec, TableWrite, TableWriteResult, WriteResult } from './destination';
import { newColumns, rowValues, SQL_TYPES, type ColumnIndex } from './columns';
import { addColumnSql, describeColumn, migrationPlan, resolveColumns, type CatalogColumn } from './evolve';
import { checkInterval, decodeIntervals, mergeCompleted } from './completed-state';
import { ensureHistorySqlite, writeHistorySqlite } from './history';
import {
  DELETED_AT,
  SNAPSHOT_KEYS_TABLE,
  SNAPSHOT_RETENTION_MS,
  SNAPSHOT_RUNS_TABLE,
  STATE_TABLE,
  dialectDdl,
  checkedSpec,
  describeWrites,
  keyObject,
  keyText,
  keyValue,
  prepareWrites,
  primaryKey,
  quoteIdent,
  selectAllSql,
  specId,
  storedIsNewerSql,
  VERSION,
  withoutStaleParents,
  writtenColumns,
  type ColumnTypes,
  type PreparedWrite,
  type StoredSpec,
} from './shared';
import { checkRunId, decodeOutcome, finishedRunError, finishSnapshotRun, snapshotKeyTexts } from './snapshot-runs';

const TYPES: ColumnTypes = { timestamp: 'TEXT', json: 'TEXT', number: 'REAL', typed: SQL_TYPES.sqlite };
const DDL = dialectDdl(TYPES);
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/**
 * SQL function rebuilding a stored row's canonical key text (shared.ts `keyText`) from its key
 * columns, so a snapshot's staged keys are matched through the staging table's primary key.
 * It calls the very function that produced the staged text: the two cannot disagree on escaping.
 */
const KEY_TEXT_FUNCTION = 'ccsync_key_text';

export interface SqliteOptions {
  /** How long a write waits for another process's lock before giving up (SQLITE_BUSY). */
  busyTimeoutMs?: number;
  /** For readers (`ccsync status`, `state show`): never creates the file, its folder or a table; never writes. */
  readOnly?: boolean;
}

/** A row of `selectAllSql`: its key columns plus the bookkeeping columns, all stored as TEXT. */
interface SelectedRow extends Record<string, unknown> {
  _connection: string;
  _synced_at: string;
  record: string;
  _deleted_at: string | null;
}

interface UpsertStatements {
  /** `specId` of the spec and the column index the statements name. */
  spec: string;
  index: ColumnIndex;
  insert: Database.Statement;
  update: Database.Statement;
}

/** The run's identity in the snapshot tables, as positional parameters. */
type RunParams = [connection: string, table: string, runId: string];

export class SqliteDestination implements Destination {
  readonly kind = 'sqlite' as const;
  readonly describe: string;
  private readonly db: Database.Database;
  private readonly ensured = new Set<string>();
  /** Each table's typed columns as the catalog has them (refreshed when a page adds one). */
  private readonly columnIndex = new Map<string, ColumnIndex>();
  /** Prepared statements by SQL text (each names its table, so the text is the identity). */
  private readonly statements = new Map<string, Database.Statement>();
  /** Each table's upsert statements, for the column index they were prepared for (`upsertStatements`). */
  private readonly upserts = new Map<string, UpsertStatements>();

  constructor(file: string, options: SqliteOptions = {}) {
    const path = resolve(file);
    this.describe = `sqlite:${path}`;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (options.readOnly && !existsSync(path)) {
      throw new CcsyncError('ConfigError', `the destination ${this.describe} does not exist: nothing was synced there (is CCSYNC_DESTINATION the worker's?)`);
    }
    try {
      if (options.readOnly) {
        this.db = new Database(path, { timeout: busyTimeoutMs, readonly: true, fileMustExist: true });
      } else {
        mkdirSync(dirname(path), { recursive: true });
        this.db = new Database(path, { timeout: busyTimeoutMs });
        // WAL lets readers (the CLI, a BI tool) work while the worker writes; NORMAL is durable
        // across application crashes in WAL mode and much faster than FULL.
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
      }
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      this.db.function(KEY_TEXT_FUNCTION, { deterministic: true, varargs: true }, (...values: unknown[]) => keyText(values.map(keyValue)));
    } catch (err) {
      throw this.failure(err, 'Opening the database');
    }
  }

  /** Not on `Destination` (tables are made by their first write): tests reach it via test/helpers/destination-access.ts. */
  ensureTable(given: TableSpec): Promise<void> {
    return settle(() => {
      const spec = checkedSpec(given);
      this.guard('Creating table ' + spec.name, () => this.ensureSync(spec));
    });
  }

  writePage(connection: string, writes: readonly TableWrite[]): Promise<TableWriteResult[]> {
    return settle(() => {
      const page = prepareWrites(writes);
      if (page.length === 0) return [];
      let action = describeWrites(page);
      return this.guard(
        () => action,
        () => {
          for (const write of page) this.ensureSync(write.spec);
          // New fields get their columns before the data transaction (DDL of its own).
          const added = page.map((write) => this.evolve(write));
          for (const write of page) ensureHistorySqlite(this.db, write, this.columnIndex.get(write.spec.name)!);
          const syncedAt = new Date().toISOString();
          const run = this.db.transaction(() =>
            page.map((write, i): TableWriteResult => {
              action = `Writing ${write.rows.length} rows to ${write.spec.name}`;
              const { write: fresh, skipped } = withoutStaleParents(write, this.storedChildVersions(write, connection));
              const deleted = this.replaceChildren(fresh, connection);
              const { misfits, ...counts } = this.upsertRows(fresh, connection, syncedAt);
              writeHistorySqlite(this.db, fresh, this.columnIndex.get(write.spec.name)!, connection, syncedAt);
              return {
                table: write.spec.name,
                ...counts,
                unchanged: counts.unchanged + skipped,
                deleted,
                ...(added[i]!.length ? { addedColumns: added[i] } : {}),
                ...(Object.keys(misfits).length ? { misfits } : {}),
              };
            }),
          );
          // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
          // can hit SQLITE_BUSY in WAL mode without the busy timeout ever being honoured.
          return run.immediate();
        },
      );
    });
  }

  noteSnapshotKeys(given: TableSpec, connection: string, runId: string, keys: readonly Record<string, string>[]): Promise<void> {
    return settle(() => {
      const spec = checkedSpec(given);
      checkRunId(runId);
      const texts = snapshotKeyTexts(spec, keys);
      if (texts.length === 0) return;
      this.guard(`Noting ${texts.length} keys of snapshot run ${runId} of ${spec.name}`, () => {
        this.ensureSnapshotSync(spec);
        const run: RunParams = [connection, spec.name, runId];
        const finished = this.finishedOutcome();
        const insert = this.statement(
          `INSERT INTO ${SNAPSHOT_KEYS_TABLE} ("connection", "table_name", "run_id", "key", "created_at") VALUES (?, ?, ?, ?, ?) ` + `ON CONFLICT DO NOTHING`,
        );
        const createdAt = new Date().toISOString();
        this.db
          .transaction(() => {
            if (finished.get(...run) !== undefined) throw finishedRunError(spec, connection, runId);
            for (const key of texts) insert.run(...run, key, createdAt);
          })
          .immediate();
      });
    });
  }

  finishSnapshot(given: TableSpec, connection: string, runId: string): Promise<SnapshotOutcome> {
    return settle(() => {
      const spec = checkedSpec(given);
      checkRunId(runId);
      return this.guard(`Finishing snapshot run ${runId} of ${spec.name}`, () => {
        this.ensureSnapshotSync(spec);
        const run: RunParams = [connection, spec.name, runId];
        const table = quoteIdent(spec.name);
        const keys = SNAPSHOT_KEYS_TABLE;
        const thisRun = `"connection" = ? AND "table_name" = ? AND "run_id" = ?`;
        // The stored row's key text, looked up in the run's staged keys through their primary key.
        const staged =
          `SELECT 1 FROM ${keys} WHERE ${keys}."connection" = @connection AND ${keys}."table_name" = @table ` +
          `AND ${keys}."run_id" = @runId AND ${keys}."key" = ${KEY_TEXT_FUNCTION}(${spec.keyColumns.map((c) => `${table}.${quoteIdent(c)}`).join(', ')})`;
        const deletedAt = quoteIdent(DELETED_AT);
        const now = new Date();
        const cutoff = new Date(now.getTime() - SNAPSHOT_RETENTION_MS).toISOString();
        const params = { connection, table: spec.name, runId, now: now.toISOString() };
        const finish = this.db.transaction(() =>
          finishSnapshotRun({
            pruneOthers: () => {
              this.statement(`DELETE FROM ${keys} WHERE "created_at" < ? AND NOT (${thisRun})`).run(cutoff, ...run);
              this.statement(`DELETE FROM ${SNAPSHOT_RUNS_TABLE} WHERE "finished_at" < ? AND NOT (${thisRun})`).run(cutoff, ...run);
            },
            previous: () => {
              const previous = this.finishedOutcome().get(...run) as { outcome: string } | undefined;
              return previous && decodeOutcome(previous.outcome);
            },
            count: () => ({
              seen: Number(
                this.statement(`SELECT count(*) FROM ${keys} WHERE ${thisRun}`)
                  .pluck()
                  .get(...run),
              ),
              live: this.statement(`SELECT 1 FROM ${table} WHERE "_connection" = ? AND ${deletedAt} IS NULL LIMIT 1`).get(connection) !== undefined,
            }),
            revive: () =>
              this.statement(
                `UPDATE ${table} SET ${deletedAt} = NULL WHERE "_connection" = @connection AND ${deletedAt} IS NOT NULL AND EXISTS (${staged})`,
              ).run(params).changes,
            markDeleted: () =>
              this.statement(
                `UPDATE ${table} SET ${deletedAt} = @now WHERE "_connection" = @connection AND ${deletedAt} IS NULL AND NOT EXISTS (${staged})`,
              ).run(params).changes,
            dropStaged: () => void this.statement(`DELETE FROM ${keys} WHERE ${thisRun}`).run(...run),
            record: (outcome) =>
              void this.statement(
                `INSERT INTO ${SNAPSHOT_RUNS_TABLE} ("connection", "table_name", "run_id", "outcome", "finished_at") VALUES (?, ?, ?, ?, ?)`,
              ).run(...run, JSON.stringify(outcome), now.toISOString()),
          }),
        );
        return finish.immediate();
      });
    });
  }

  completedIntervals(connection: string, stream: string): Promise<Interval[]> {
    return settle(() => {
      return this.guard(`Reading the sync state of ${connection}/${stream}`, () => {
        if (!this.tableExists(STATE_TABLE)) return [];
        return decodeIntervals(this.readState(connection, stream), `${connection}/${stream}`);
      });
    });
  }

  markCompleted(connection: string, stream: string, interval: Interval): Promise<void> {
    return settle(() => {
      checkInterval(interval);
      this.guard(`Recording a completed window of ${connection}/${stream}`, () => {
        this.ensureState();
        const merge = this.db.transaction(() => {
          const after = mergeCompleted(this.readState(connection, stream), interval, `${connection}/${stream}`);
          if (after === undefined) return;
          this.db
            .prepare(
              `INSERT INTO ${STATE_TABLE} ("connection", "stream", "completed", "updated_at") VALUES (?, ?, ?, ?) ` +
                `ON CONFLICT ("connection", "stream") DO UPDATE SET "completed" = excluded."completed", "updated_at" = excluded."updated_at"`,
            )
            .run(connection, stream, after, new Date().toISOString());
        });
        merge.immediate();
      });
    });
  }

  resetStream(connection: string, stream: string, tables: readonly ResetTable[]): Promise<ResetOutcome> {
    return settle(() =>
      this.guard(`Resetting ${connection}/${stream}`, () => {
        const reset = this.db.transaction((): ResetOutcome => {
          const hasState = this.tableExists(STATE_TABLE);
          const completed = hasState ? decodeIntervals(this.readState(connection, stream), `${connection}/${stream}`) : [];
          if (hasState) this.db.prepare(`DELETE FROM ${STATE_TABLE} WHERE "connection" = ? AND "stream" = ?`).run(connection, stream);
          const rows = tables.map((t) => {
            if (!this.tableExists(t.name)) return { table: t.name, deleted: 0 };
            const table = quoteIdent(t.name);
            const deleted = t.only
              ? this.db
                  .prepare(`DELETE FROM ${table} WHERE "_connection" = ? AND ${quoteIdent(t.only.column)} IN (SELECT "value" FROM json_each(?))`)
                  .run(connection, JSON.stringify(t.only.values)).changes
              : this.db.prepare(`DELETE FROM ${table} WHERE "_connection" = ?`).run(connection).changes;
            return { table: t.name, deleted };
          });
          let snapshotBookkeeping = 0;
          for (const bookkeeping of [SNAPSHOT_KEYS_TABLE, SNAPSHOT_RUNS_TABLE]) {
            if (!this.tableExists(bookkeeping)) continue;
            for (const t of tables.filter((x) => !x.only)) {
              snapshotBookkeeping += this.db.prepare(`DELETE FROM ${bookkeeping} WHERE "connection" = ? AND "table_name" = ?`).run(connection, t.name).changes;
            }
          }
          return { completed, rows, snapshotBookkeeping };
        });
        return reset.immediate();
      }),
    );
  }

  /** Every row of a table for a connection, ordered by key. Not on `Destination`: tests reach it via test/helpers/destination-access.ts. */
  readAll(given: TableSpec, connection: string): Promise<StoredRow[]> {
    return settle(() => {
      const spec = checkedSpec(given);
      return this.guard(`Reading ${spec.name}`, () => {
        if (!this.tableExists(spec.name)) return [];
        const sql = selectAllSql(quoteIdent(spec.name), spec, '?', '', this.hasColumn(spec.name, DELETED_AT));
        const rows = this.db.prepare(sql).all(connection) as SelectedRow[];
        return rows.map((r) => ({
          connection: String(r._connection),
          key: keyObject(spec, r),
          record: JSON.parse(String(r.record)) as unknown,
          syncedAt: String(r._synced_at),
          deletedAt: r._deleted_at === null || r._deleted_at === undefined ? null : String(r._deleted_at),
        }));
      });
    });
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.db.open) this.db.close();
    });
  }

  /**
   * Creates the table, or migrates one made before `_deleted_at` existed. Looks first, so a file
   * that already has everything is never written to by a mere ensure.
   */
  private ensureSync(spec: StoredSpec): void {
    const id = specId(spec);
    if (this.ensured.has(id)) return;
    this.ensureState();
    if (!this.tableExists(spec.name) || !this.hasColumn(spec.name, DELETED_AT) || !this.hasColumn(spec.name, VERSION)) {
      // One IMMEDIATE transaction: two processes migrating at once take turns, and the second
      // sees the first one's column instead of failing on a duplicate.
      this.db
        .transaction(() => {
          this.db.exec(DDL.table(quoteIdent(spec.name), spec));
          if (!this.hasColumn(spec.name, DELETED_AT)) this.db.exec(DDL.addDeletedAt(quoteIdent(spec.name)));
          if (!this.hasColumn(spec.name, VERSION)) this.db.exec(DDL.addVersion(quoteIdent(spec.name)));
        })
        .immediate();
    }
    this.migrateColumns(spec);
    this.ensured.add(id);
  }

  private catalog(table: string): CatalogColumn[] {
    return (this.db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as CatalogColumn[]).map((c) => ({ name: c.name, type: c.type }));
  }

  /**
   * Brings a table written before typed columns up to its spec, in one IMMEDIATE transaction (readers
   * in WAL mode keep reading the old form until it commits): key columns renamed to snake_case, the
   * declared columns added and filled from `record`. No re-sync.
   */
  private migrateColumns(spec: StoredSpec): void {
    const table = quoteIdent(spec.name);
    const plan = migrationPlan(table, spec, this.catalog(spec.name), TYPES, false);
    if (plan.renames.length || plan.adds.length) {
      this.db
        .transaction(() => {
          const now = migrationPlan(table, spec, this.catalog(spec.name), TYPES, false);
          for (const sql of [...now.renames, ...now.adds]) this.db.exec(sql);
          this.fill(spec, resolveColumns(spec, this.catalog(spec.name), TYPES));
        })
        .immediate();
    }
    this.columnIndex.set(spec.name, resolveColumns(spec, this.catalog(spec.name), TYPES));
  }

  /** Every stored row's typed columns, recomputed from its `record` (the same code a fresh write runs). */
  private fill(spec: StoredSpec, index: ColumnIndex): void {
    if (index.columns.length === 0) return;
    const table = quoteIdent(spec.name);
    const keys = spec.keyColumns.map(quoteIdent);
    const rows = this.db
      .prepare(`SELECT "_connection", ${[...keys, '"record"'].join(', ')} FROM ${table}`)
      .raw()
      .all() as unknown[][];
    const update = this.db.prepare(
      `UPDATE ${table} SET ${index.columns.map((c) => `${quoteIdent(c.name)} = ?`).join(', ')} WHERE "_connection" = ?${keys.map((k) => ` AND ${k} = ?`).join('')}`,
    );
    for (const row of rows) {
      const record = JSON.parse(String(row[row.length - 1])) as unknown;
      update.run(...rowValues(index, record).values.map(bindValue), ...row.slice(0, -1));
    }
  }

  /** Adds columns for top-level fields this page brings that the table lacks; returns them (`name type`). */
  private evolve(write: PreparedWrite): string[] {
    const { spec } = write;
    const index = this.columnIndex.get(spec.name)!;
    const wanted = newColumns(
      index,
      spec.keyColumns,
      write.rows.map((r) => r.record),
      spec.columns !== undefined,
    );
    if (wanted.length === 0) return [];
    const added: string[] = [];
    this.db
      .transaction(() => {
        // Another process may have added some since we looked.
        const have = new Set(this.catalog(spec.name).map((c) => c.name.toLowerCase()));
        for (const column of wanted) {
          if (have.has(column.name.toLowerCase())) continue;
          this.db.exec(addColumnSql(quoteIdent(spec.name), column, TYPES));
          added.push(describeColumn(column));
        }
      })
      .immediate();
    this.columnIndex.set(spec.name, resolveColumns(spec, this.catalog(spec.name), TYPES));
    return added;
  }

  private ensureState(): void {
    if (this.ensured.has(STATE_TABLE)) return;
    this.db.exec(DDL.state(STATE_TABLE));
    this.ensured.add(STATE_TABLE);
  }

  /** The snapshot tables are made only once snapshots are used. */
  private ensureSnapshotSync(spec: StoredSpec): void {
    this.ensureSync(spec);
    if (this.ensured.has(SNAPSHOT_KEYS_TABLE)) return;
    this.db.exec(DDL.snapshotKeys(SNAPSHOT_KEYS_TABLE));
    this.db.exec(DDL.snapshotRuns(SNAPSHOT_RUNS_TABLE));
    this.ensured.add(SNAPSHOT_KEYS_TABLE);
  }

  private tableExists(name: string): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(name) !== undefined;
  }

  private hasColumn(table: string, column: string): boolean {
    return this.db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE`).get(table, column) !== undefined;
  }

  private readState(connection: string, stream: string): string | undefined {
    const row = this.db.prepare(`SELECT "completed" FROM ${STATE_TABLE} WHERE "connection" = ? AND "stream" = ?`).get(connection, stream) as
      { completed: string } | undefined;
    return row?.completed;
  }

  /** The stored outcome of a finished run, by `RunParams`. */
  private finishedOutcome(): Database.Statement {
    return this.statement(`SELECT "outcome" FROM ${SNAPSHOT_RUNS_TABLE} WHERE "connection" = ? AND "table_name" = ? AND "run_id" = ?`);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * `replaceChildrenOf`: reads this connection's children of the page's parents (one statement,
   * the parents passed as one JSON array, so thousands need no chunking and no bound-parameter
   * limit) and deletes, by primary key, those the page no longer has.
   */
  private replaceChildren(write: PreparedWrite, connection: string): number {
    const children = write.children;
    if (!children || children.parents.length === 0) return 0;
    const { spec } = write;
    const table = quoteIdent(spec.name);
    const keep = new Set(write.rows.map((row) => keyText(row.keys)));
    const parentVersion = new Map(children.parents.map((p, i) => [p, children.versions[i] ?? null]));
    const parentAt = spec.keyColumns.indexOf(children.column);
    const existing = this.statement(
      `SELECT ${spec.keyColumns.map(quoteIdent).join(', ')}, "_version" FROM ${table} ` +
        `WHERE "_connection" = ? AND ${quoteIdent(children.column)} IN (SELECT "value" FROM json_each(?))`,
    )
      .raw()
      .all(connection, JSON.stringify(children.parents)) as unknown[][];
    const remove = this.statement(`DELETE FROM ${table} WHERE "_connection" = ?${spec.keyColumns.map((c) => ` AND ${quoteIdent(c)} = ?`).join('')}`);
    let deleted = 0;
    for (const row of existing) {
      const stored = row.slice(0, spec.keyColumns.length);
      const storedVersion = row[spec.keyColumns.length] as number | null;
      const keys = stored.map(keyValue);
      // A child written with a newer version of its parent stays: this page's parent is older.
      const incoming = parentVersion.get(keys[parentAt]!) ?? null;
      if (storedVersion !== null && incoming !== null && storedVersion > incoming) continue;
      if (!keep.has(keyText(keys))) deleted += remove.run(connection, ...keys).changes;
    }
    return deleted;
  }

  /** Each page parent's highest stored child version (for `withoutStaleParents`). */
  private storedChildVersions(write: PreparedWrite, connection: string): Map<string, number> {
    const children = write.children;
    if (!children || children.versions.every((v) => v === null)) return new Map();
    const column = quoteIdent(children.column);
    const found = this.statement(
      `SELECT ${column} AS p, MAX("_version") AS v FROM ${quoteIdent(write.spec.name)} ` +
        `WHERE "_connection" = ? AND ${column} IN (SELECT "value" FROM json_each(?)) AND "_version" IS NOT NULL GROUP BY ${column}`,
    ).all(connection, JSON.stringify(children.parents)) as { p: string; v: number }[];
    return new Map(found.map((r) => [keyValue(r.p), Number(r.v)]));
  }

  private upsertRows(write: PreparedWrite, connection: string, syncedAt: string): WriteResult & { misfits: Record<string, number> } {
    const { spec } = write;
    const index = this.columnIndex.get(spec.name)!;
    const { insert, update } = this.upsertStatements(spec, index);
    const result = { inserted: 0, updated: 0, unchanged: 0, misfits: {} as Record<string, number> };
    const keyCount = spec.keyColumns.length;
    const typedCount = index.columns.length;
    // Positional parameters only, in one array reused for every row: binding an object of ~30
    // named values per row cost more than the insert itself.
    const inserted = new Array<unknown>(keyCount + 4 + typedCount);
    inserted[keyCount] = connection;
    inserted[keyCount + 1] = syncedAt;
    // SQLite has no `xmax`, and changes() cannot tell an upsert's insert from its update, so
    // the upsert is spelled as insert-if-new then update-if-different: exact counts, same effect.
    for (const row of write.rows) {
      const { values, misfits } = rowValues(index, row.record, row.misfits);
      for (const field of misfits) result.misfits[field] = (result.misfits[field] ?? 0) + 1;
      for (let k = 0; k < keyCount; k++) inserted[k] = row.keys[k];
      inserted[keyCount + 2] = row.json;
      inserted[keyCount + 3] = row.version;
      for (let c = 0; c < typedCount; c++) inserted[keyCount + 4 + c] = bindValue(values[c]);
      if (insert.run(inserted).changes > 0) {
        result.inserted++;
        continue;
      }
      // SET record, _synced_at, _version, typed...; WHERE _connection, keys..., record <>, version guard (twice).
      const updated = [row.json, syncedAt, row.version, ...inserted.slice(keyCount + 4), connection, ...row.keys, row.json, row.version, row.version];
      if (update.run(updated).changes > 0) result.updated++;
      else result.unchanged++;
    }
    return result;
  }

  /**
   * A table's insert and update, prepared once per (table, key columns, typed columns): a column
   * added by `evolve` makes a new index, hence new statements naming it; the old ones are dropped.
   */
  private upsertStatements(spec: StoredSpec, index: ColumnIndex): UpsertStatements {
    const cached = this.upserts.get(spec.name);
    if (cached && cached.index === index && cached.spec === specId(spec)) return cached;
    const table = quoteIdent(spec.name);
    const typed = index.columns.map((c) => quoteIdent(c.name));
    const columns = [...[...writtenColumns(spec), VERSION].map(quoteIdent), ...typed];
    const insert = this.db.prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT ${primaryKey(spec)} DO NOTHING`,
    );
    // An older version never replaces a newer one: such a row counts as unchanged.
    const update = this.db.prepare(
      `UPDATE ${table} SET "record" = ?, "_synced_at" = ?, "_version" = ?${typed.map((c) => `, ${c} = ?`).join('')} ` +
        `WHERE "_connection" = ?${spec.keyColumns.map((c) => ` AND ${quoteIdent(c)} = ?`).join('')} AND "record" <> ? AND NOT ${storedIsNewerSql(table, '?')}`,
    );
    const statements = { spec: specId(spec), index, insert, update };
    this.upserts.set(spec.name, statements);
    return statements;
  }

  /** Runs a sync database step, turning driver errors into the product's taxonomy. */
  private guard<T>(action: string | (() => string), step: () => T): T {
    try {
      return step();
    } catch (err) {
      throw this.failure(err, typeof action === 'string' ? action : action());
    }
  }

  private failure(err: unknown, action: string): Error {
    if (isCcsyncError(err)) return err;
    const type = sqliteErrorType(err);
    const detail = err instanceof Error ? err.message : String(err);
    const verdict = type === 'DestinationUnavailable' ? 'is unavailable' : 'refused it';
    return new CcsyncError(type, `${action} failed: the destination ${this.describe} ${verdict} (${detail}).`, {
      cause: err,
      details: { code: (err as { code?: unknown })?.code },
    });
  }
}

/**
 * Runs a synchronous body as a promise, as an `async` method would: a throw becomes a rejection,
 * never a synchronous throw out of the interface method.
 */
function settle<T>(body: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(body()));
}

/** better-sqlite3 binds no booleans: 1 and 0, as SQLite itself stores them. */
function bindValue(value: unknown): unknown {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/**
 * Busy/locked (another process held the lock past the busy timeout), I/O trouble and a full disk
 * may pass; everything else (constraint, read-only file, bad path, corrupt file, SQL error) will not.
 */
const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|PROTOCOL|NOMEM|INTERRUPT)/;
const TRANSIENT_FS = new Set(['ENOSPC', 'EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EIO']);

export function sqliteErrorType(err: unknown): ErrorType {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (TRANSIENT_SQLITE.test(code) || TRANSIENT_FS.has(code))) return 'DestinationUnavailable';
  return 'DestinationRejected';
}
