/**
 * PostgreSQL destination over a `pg.Pool`. URL options of our own (`?schema=`, `?poolSize=`) are
 * read here and removed before the URL reaches pg; everything else (sslmode, ...) is pg's.
 */
import pg from 'pg';
import { CcsyncError, isCcsyncError, redact, type ErrorType } from '../core/errors';
import type { Interval } from '../core/time';
import type { Destination, Row, StoredRow, TableSpec, WriteResult } from './destination';
import {
  EnsureCache,
  STATE_TABLE,
  checkIdentifier,
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
  type PreparedRow,
} from './shared';

const TYPES: ColumnTypes = { timestamp: 'TIMESTAMPTZ', json: 'JSONB' };
const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;
/** Rows per INSERT statement: big enough to amortise round trips, far below the 65535-parameter cap. */
const MAX_ROWS_PER_STATEMENT = 500;
const MAX_PARAMETERS = 65_535;
/** Serialises our DDL across workers: concurrent CREATE ... IF NOT EXISTS can still collide in the catalog. */
const DDL_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('ccsync:ddl'))`;
/** A missing table or schema: nothing has been synced there yet. */
const NOTHING_THERE = new Set(['42P01', '3F000']);

export interface PostgresConfig {
  /** The URL pg receives: ours without `schema`/`poolSize`. */
  connectionString: string;
  /** `postgres://user@host:port/db[?schema=...]`, never the password. */
  describe: string;
  schema?: string;
  poolSize: number;
  /** For scrubbing error messages, in case a driver ever echoes it. */
  password?: string;
}

/** Splits a `postgres://` URL into pg's part and ours. Throws ConfigError without echoing the URL. */
export function parsePostgresUrl(url: string): PostgresConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CcsyncError('ConfigError', 'The PostgreSQL destination URL is not a valid URL (expected postgres://user:password@host:port/database).');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new CcsyncError('ConfigError', `A PostgreSQL destination URL starts with postgres:// or postgresql://, not ${parsed.protocol}//.`);
  }
  const schemaParam = parsed.searchParams.get('schema');
  const schema = schemaParam === null ? undefined : checkIdentifier(schemaParam, 'schema');
  const poolParam = parsed.searchParams.get('poolSize');
  const poolSize = poolParam === null ? DEFAULT_POOL_SIZE : Number(poolParam);
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new CcsyncError('ConfigError', `The poolSize in the PostgreSQL destination URL must be a whole number of at least 1, not ${JSON.stringify(poolParam)}.`);
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const describe = describePostgres(parsed, schema);
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('poolSize');
  return { connectionString: parsed.toString(), describe, schema, poolSize, password };
}

function describePostgres(url: URL, schema: string | undefined): string {
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  const host = decodeURIComponent(url.hostname) || 'localhost';
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return `postgres://${user}${host}:${url.port || '5432'}/${db}${schema ? `?schema=${schema}` : ''}`;
}

export class PostgresDestination implements Destination {
  readonly kind = 'postgres' as const;
  readonly describe: string;
  private readonly pool: pg.Pool;
  private readonly schema?: string;
  private readonly secrets: string[];
  private readonly ensured = new EnsureCache();

  constructor(url: string) {
    const config = parsePostgresUrl(url);
    this.describe = config.describe;
    this.schema = config.schema;
    this.secrets = config.password ? [config.password, encodeURIComponent(config.password)] : [];
    this.pool = new pg.Pool({
      connectionString: config.connectionString,
      max: config.poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle client whose server went away emits here; pg has already dropped it from the pool and
    // the next query reconnects. Without a listener the event would crash the worker.
    this.pool.on('error', () => {});
  }

  async ensureTable(spec: TableSpec): Promise<void> {
    checkTableSpec(spec);
    await this.guard(`Creating table ${spec.name}`, () => this.ensure(spec));
  }

  async upsert(spec: TableSpec, connection: string, rows: readonly Row[]): Promise<WriteResult> {
    checkTableSpec(spec);
    const page = preparePage(spec, rows);
    return this.guard(`Writing ${page.length} rows to ${spec.name}`, async () => {
      await this.ensure(spec);
      const syncedAt = new Date().toISOString();
      const chunkSize = Math.min(MAX_ROWS_PER_STATEMENT, Math.floor((MAX_PARAMETERS - 2) / (spec.keyColumns.length + 1)));
      return this.transaction(async (client) => {
        const result: WriteResult = { inserted: 0, updated: 0, unchanged: 0 };
        for (let i = 0; i < page.length; i += chunkSize) {
          const chunk = page.slice(i, i + chunkSize);
          const { text, values } = this.upsertStatement(spec, connection, syncedAt, chunk);
          // Only inserted and really-changed rows come back; xmax = 0 marks a fresh insert.
          const { rows: written } = await client.query<{ inserted: boolean }>(text, values);
          const inserted = written.filter((r) => r.inserted).length;
          result.inserted += inserted;
          result.updated += written.length - inserted;
          result.unchanged += chunk.length - written.length;
        }
        return result;
      });
    });
  }

  async completedIntervals(connection: string, stream: string): Promise<Interval[]> {
    return this.guard(`Reading the sync state of ${connection}/${stream}`, async () => {
      const state = this.table(STATE_TABLE);
      const rows = await this.queryOrEmpty<{ completed: unknown }>(
        `SELECT "completed" FROM ${state} WHERE "connection" = $1 AND "stream" = $2`,
        [connection, stream],
      );
      return decodeIntervals(rows[0]?.completed, `${connection}/${stream}`);
    });
  }

  async markCompleted(connection: string, stream: string, interval: Interval): Promise<void> {
    checkInterval(interval);
    await this.guard(`Recording a completed window of ${connection}/${stream}`, async () => {
      await this.ensureState();
      const state = this.table(STATE_TABLE);
      const where = `"connection" = $1 AND "stream" = $2`;
      await this.transaction(async (client) => {
        // Make sure the row exists, then lock it: parallel windows finishing together queue up on
        // the lock and each merges into what the previous one committed, so no interval is lost.
        await client.query(
          `INSERT INTO ${state} ("connection", "stream", "completed", "updated_at") VALUES ($1, $2, '[]', now()) ` +
            `ON CONFLICT ("connection", "stream") DO NOTHING`,
          [connection, stream],
        );
        const { rows } = await client.query<{ completed: unknown }>(`SELECT "completed" FROM ${state} WHERE ${where} FOR UPDATE`, [
          connection,
          stream,
        ]);
        const after = mergeCompleted(rows[0]?.completed, interval, `${connection}/${stream}`);
        if (after === undefined) return;
        await client.query(`UPDATE ${state} SET "completed" = $3::jsonb, "updated_at" = now() WHERE ${where}`, [connection, stream, after]);
      });
    });
  }

  async readAll(spec: TableSpec, connection: string): Promise<StoredRow[]> {
    checkTableSpec(spec);
    return this.guard(`Reading ${spec.name}`, async () => {
      const rows = await this.queryOrEmpty<Record<string, unknown>>(selectAllSql(this.table(spec.name), spec, '$1', ' COLLATE "C"'), [
        connection,
      ]);
      return rows.map((r) => ({
        connection: String(r._connection),
        key: keyObject(spec, r),
        record: r.record,
        syncedAt: (r._synced_at as Date).toISOString(),
      }));
    });
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** Quoted, and schema-qualified when `?schema=` was given (no reliance on search_path). */
  private table(name: string): string {
    return this.schema ? `${quoteIdent(this.schema)}.${quoteIdent(name)}` : quoteIdent(name);
  }

  private ensure(spec: TableSpec): Promise<void> {
    return this.ensured.run(specId(spec), () => this.createIfMissing(spec));
  }

  private ensureState(): Promise<void> {
    return this.ensured.run(STATE_TABLE, () => this.createIfMissing());
  }

  /**
   * Looks before creating: `CREATE ... IF NOT EXISTS` still demands CREATE privilege, and a DBA may
   * have pre-created the schema and tables for a role that may only write rows.
   */
  private async createIfMissing(spec?: TableSpec): Promise<void> {
    const wanted = [STATE_TABLE, ...(spec ? [spec.name] : [])];
    const { rows } = await this.pool.query<{ schema: boolean; tables: boolean[] }>(
      `SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)) AS schema, ` +
        `ARRAY(SELECT to_regclass(t) IS NOT NULL FROM unnest($2::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n) AS tables`,
      [this.schema ?? null, wanted.map((name) => this.table(name))],
    );
    const found = rows[0];
    const [stateExists, tableExists] = found?.tables ?? [];
    if (found?.schema && stateExists && (!spec || tableExists)) return;
    await this.transaction(async (client) => {
      await client.query(DDL_LOCK_SQL);
      if (this.schema && !found?.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      if (!stateExists) await client.query(createStateTableSql(this.table(STATE_TABLE), TYPES));
      if (spec && !tableExists) await client.query(createTableSql(this.table(spec.name), spec, TYPES));
    });
  }

  private upsertStatement(spec: TableSpec, connection: string, syncedAt: string, chunk: readonly PreparedRow[]) {
    // $1 and $2 are shared by every row; each row adds its key values and its record.
    const values: unknown[] = [connection, syncedAt];
    const tuples = chunk.map((row) => {
      const placeholders = row.keys.map((key) => `$${values.push(key)}`);
      const record = `$${values.push(row.json)}::jsonb`;
      return `(${[...placeholders, '$1', '$2::timestamptz', record].join(', ')})`;
    });
    const text =
      `INSERT INTO ${this.table(spec.name)} AS target (${tableColumns(spec).map(quoteIdent).join(', ')}) ` +
      `VALUES ${tuples.join(', ')} ` +
      `ON CONFLICT ${primaryKey(spec)} DO UPDATE SET "_synced_at" = EXCLUDED."_synced_at", "record" = EXCLUDED."record" ` +
      `WHERE target."record" IS DISTINCT FROM EXCLUDED."record" ` +
      `RETURNING (xmax = 0) AS inserted`;
    return { text, values };
  }

  /** A missing table reads as empty rather than being created by a reader. */
  private async queryOrEmpty<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      if (NOTHING_THERE.has(String((err as { code?: unknown }).code))) return [];
      throw err;
    }
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself is gone: tell the pool to discard it rather than reuse it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async guard<T>(action: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw this.failure(err, action);
    }
  }

  private failure(err: unknown, action: string): Error {
    if (isCcsyncError(err)) return err;
    const type = pgErrorType(err);
    const verdict = type === 'DestinationUnavailable' ? 'is unavailable' : 'refused it';
    const message = `${action} failed: the destination ${this.describe} ${verdict} (${errorDetail(err)}).`;
    const code = (err as { code?: unknown })?.code;
    return new CcsyncError(type, redact(message, this.secrets), { cause: err, details: { code } });
  }
}

/** Node's AggregateError (several addresses tried) has an empty message; say what failed. */
function errorDetail(err: unknown): string {
  if (err instanceof AggregateError && !err.message) {
    return err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ') || 'connection failed';
  }
  return err instanceof Error ? err.message || err.name : String(err);
}

const TRANSIENT_NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs worth retrying: connection exceptions (class 08), too many clients and other resource
 * limits (53), admin/crash shutdown and startup (57P0x), a cancelled statement (57014),
 * serialization failures and deadlocks (40001, 40P01), a lock wait timeout (55P03), system errors (58).
 */
const TRANSIENT_SQLSTATE = /^(08|53|58|57P0|57014|40001|40P01|55P03)/;

/** pg's own connection-level errors carry no code; their wording is stable across versions. */
const TRANSIENT_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Connection ended/i;

export function pgErrorType(err: unknown): ErrorType {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (TRANSIENT_NETWORK.has(code) || TRANSIENT_SQLSTATE.test(code))) return 'DestinationUnavailable';
  if (typeof code !== 'string' && err instanceof Error && TRANSIENT_MESSAGE.test(err.message)) return 'DestinationUnavailable';
  return 'DestinationRejected';
}
