/**
 * The embedded default destination: one SQLite file, written through better-sqlite3.
 * better-sqlite3 is synchronous; the async interface methods simply run the sync calls, which is
 * fine for page-sized writes and keeps every transaction on one connection with no interleaving.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CcsyncError, isCcsyncError, type ErrorType } from '../core/errors';
import type { Interval } from '../core/time';
import type { Destination, Row, StoredRow, TableSpec, WriteResult } from './destination';
import {
  STATE_TABLE,
  checkInterval,
  checkTableSpec,
  createStateTableSql,
  createTableSql,
  decodeIntervals,
  keyObject,
  mergeCompleted,
  preparePage,
  primaryKey,
  quoteIdent,
  selectAllSql,
  specId,
  tableColumns,
  type ColumnTypes,
} from './shared';

const TYPES: ColumnTypes = { timestamp: 'TEXT', json: 'TEXT' };
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface SqliteOptions {
  /** How long a write waits for another process's lock before giving up (SQLITE_BUSY). */
  busyTimeoutMs?: number;
}

interface UpsertStatements {
  insert: Database.Statement;
  update: Database.Statement;
}

export class SqliteDestination implements Destination {
  readonly kind = 'sqlite' as const;
  readonly describe: string;
  private readonly db: Database.Database;
  private readonly ensured = new Set<string>();
  private readonly statements = new Map<string, UpsertStatements>();

  constructor(file: string, options: SqliteOptions = {}) {
    const path = resolve(file);
    this.describe = `sqlite:${path}`;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: busyTimeoutMs });
      // WAL lets readers (the CLI, a BI tool) work while the worker writes; NORMAL is durable
      // across application crashes in WAL mode and much faster than FULL.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    } catch (err) {
      throw this.failure(err, 'Opening the database');
    }
  }

  async ensureTable(spec: TableSpec): Promise<void> {
    checkTableSpec(spec);
    this.guard('Creating table ' + spec.name, () => this.ensureSync(spec));
  }

  async upsert(spec: TableSpec, connection: string, rows: readonly Row[]): Promise<WriteResult> {
    checkTableSpec(spec);
    const page = preparePage(spec, rows);
    return this.guard(`Writing ${page.length} rows to ${spec.name}`, () => {
      this.ensureSync(spec);
      const { insert, update } = this.upsertStatements(spec);
      const syncedAt = new Date().toISOString();
      const write = this.db.transaction(() => {
        const result: WriteResult = { inserted: 0, updated: 0, unchanged: 0 };
        // SQLite has no `xmax`, and changes() cannot tell an upsert's insert from its update, so
        // the upsert is spelled as insert-if-new then update-if-different: exact counts, same effect.
        for (const row of page) {
          const params = { connection, syncedAt, json: row.json, ...keyParams(row.keys) };
          if (insert.run(params).changes > 0) result.inserted++;
          else if (update.run(params).changes > 0) result.updated++;
          else result.unchanged++;
        }
        return result;
      });
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
      // can hit SQLITE_BUSY in WAL mode without the busy timeout ever being honoured.
      return write.immediate();
    });
  }

  async completedIntervals(connection: string, stream: string): Promise<Interval[]> {
    return this.guard(`Reading the sync state of ${connection}/${stream}`, () => {
      if (!this.tableExists(STATE_TABLE)) return [];
      return decodeIntervals(this.readState(connection, stream), `${connection}/${stream}`);
    });
  }

  async markCompleted(connection: string, stream: string, interval: Interval): Promise<void> {
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
  }

  async readAll(spec: TableSpec, connection: string): Promise<StoredRow[]> {
    checkTableSpec(spec);
    return this.guard(`Reading ${spec.name}`, () => {
      if (!this.tableExists(spec.name)) return [];
      const rows = this.db.prepare(selectAllSql(quoteIdent(spec.name), spec, '?')).all(connection) as Record<string, unknown>[];
      return rows.map((r) => ({
        connection: String(r._connection),
        key: keyObject(spec, r),
        record: JSON.parse(String(r.record)) as unknown,
        syncedAt: String(r._synced_at),
      }));
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private ensureSync(spec: TableSpec): void {
    const id = specId(spec);
    if (this.ensured.has(id)) return;
    this.ensureState();
    this.db.exec(createTableSql(quoteIdent(spec.name), spec, TYPES));
    this.ensured.add(id);
  }

  private ensureState(): void {
    if (this.ensured.has(STATE_TABLE)) return;
    this.db.exec(createStateTableSql(STATE_TABLE, TYPES));
    this.ensured.add(STATE_TABLE);
  }

  private tableExists(name: string): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(name) !== undefined;
  }

  private readState(connection: string, stream: string): string | undefined {
    const row = this.db
      .prepare(`SELECT "completed" FROM ${STATE_TABLE} WHERE "connection" = ? AND "stream" = ?`)
      .get(connection, stream) as { completed: string } | undefined;
    return row?.completed;
  }

  private upsertStatements(spec: TableSpec): UpsertStatements {
    const id = specId(spec);
    let statements = this.statements.get(id);
    if (!statements) {
      const table = quoteIdent(spec.name);
      const keyMatch = spec.keyColumns.map((c, i) => ` AND ${quoteIdent(c)} = @k${i}`).join('');
      const values = [...spec.keyColumns.map((_c, i) => `@k${i}`), '@connection', '@syncedAt', '@json'];
      statements = {
        insert: this.db.prepare(
          `INSERT INTO ${table} (${tableColumns(spec).map(quoteIdent).join(', ')}) VALUES (${values.join(', ')}) ` +
            `ON CONFLICT ${primaryKey(spec)} DO NOTHING`,
        ),
        update: this.db.prepare(
          `UPDATE ${table} SET "record" = @json, "_synced_at" = @syncedAt ` +
            `WHERE "_connection" = @connection${keyMatch} AND "record" <> @json`,
        ),
      };
      this.statements.set(id, statements);
    }
    return statements;
  }

  /** Runs a sync database step, turning driver errors into the product's taxonomy. */
  private guard<T>(action: string, step: () => T): T {
    try {
      return step();
    } catch (err) {
      throw this.failure(err, action);
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

function keyParams(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((value, i) => [`k${i}`, value]));
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
