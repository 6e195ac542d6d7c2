/**
 * PostgreSQL destination over a `pg.Pool`. URL options of our own (`?schema=`, `?poolSize=`) are
 * read here and removed before the URL reaches pg; everything else (sslmode, ...) is pg's.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { CcsyncError, isCcsyncError, redact, type ErrorType } from '../core/errors';
import type { Interval } from '../core/time';
import type { Destination, ResetOutcome, ResetTable, SnapshotOutcome, StoredRow, TableSpec, TableWrite, TableWriteResult, WriteResult } from './destination';
import { newColumns, rowValues, SQL_TYPES, type ColumnIndex } from './columns';
import { addColumnSql, describeColumn, migrationPlan, resolveColumns, type CatalogColumn } from './evolve';
import { checkInterval, decodeIntervals, mergeCompleted } from './completed-state';
import { recordColumnSql, recordGives } from './postgres-record-columns';
import { ensureHistoryPostgres, writeHistoryPostgres } from './history';
import {
  DELETED_AT,
  EnsureCache,
  SNAPSHOT_KEYS_TABLE,
  SNAPSHOT_RETENTION_MS,
  SNAPSHOT_RUNS_TABLE,
  STATE_TABLE,
  storedIsNewerSql,
  VERSION,
  withoutStaleParents,
  checkIdentifier,
  dialectDdl,
  checkedSpec,
  describeWrites,
  keyObject,
  prepareWrites,
  primaryKey,
  quoteIdent,
  selectAllSql,
  specId,
  writtenColumns,
  type StoredSpec,
  type ColumnTypes,
  type PreparedWrite,
} from './shared';
import { checkRunId, decodeOutcome, finishedRunError, finishSnapshotRunAsync, snapshotKeyTexts } from './snapshot-runs';

const TYPES: ColumnTypes = { timestamp: 'TIMESTAMPTZ', json: 'JSONB', number: 'DOUBLE PRECISION', typed: SQL_TYPES.postgres };
const DDL = dialectDdl(TYPES);
/** Rows per statement when filling typed columns of a migrated table from `record`. */
const FILL_BATCH = 1000;
const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;
/** Serialises our DDL across workers: concurrent CREATE ... IF NOT EXISTS can still collide in the catalog. */
const DDL_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('ccsync:ddl'))`;
/** A missing table or schema: nothing has been synced there yet. */
const NOTHING_THERE = new Set(['42P01', '3F000']);
const UNDEFINED_COLUMN = '42703';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * A table's upsert statement (`upsertPlan`). `json[i]`: typed column i holds JSON text, embedded as
 * is; `fromRecord[i]`: the statement reads column i from `record` unless the row lists it in `x`.
 */
interface UpsertPlan {
  name: string;
  text: string;
  json: boolean[];
  fromRecord: boolean[];
}

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
    throw new CcsyncError(
      'ConfigError',
      `The poolSize in the PostgreSQL destination URL must be a whole number of at least 1, not ${JSON.stringify(poolParam)}.`,
    );
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
  /** Each table's typed columns as the catalog has them (refreshed when a page adds one). */
  private readonly columnIndex = new Map<string, ColumnIndex>();
  /** Upsert statements by table and column set (`upsertPlan`). */
  private readonly upserts = new Map<string, UpsertPlan>();

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

  /** Not on `Destination` (tables are made by their first write): tests reach it via test/helpers/destination-access.ts. */
  async ensureTable(given: TableSpec): Promise<void> {
    const spec = checkedSpec(given);
    await this.guard(`Creating table ${spec.name}`, () => this.ensure(spec));
  }

  async writePage(connection: string, writes: readonly TableWrite[]): Promise<TableWriteResult[]> {
    const page = prepareWrites(writes);
    if (page.length === 0) return [];
    let action = describeWrites(page);
    return this.guard(
      () => action,
      async () => {
        // DDL stays out of the data transaction: it takes our DDL lock, which writers must not hold.
        for (const write of page) {
          action = `Creating table ${write.spec.name}`;
          await this.ensure(write.spec);
        }
        // New fields get their columns before the data transaction (DDL under our DDL lock).
        const added: string[][] = [];
        for (const write of page) {
          action = `Adding columns to ${write.spec.name}`;
          added.push(await this.evolve(write));
          await ensureHistoryPostgres(
            (work) => this.transaction(work),
            DDL_LOCK_SQL,
            (n) => this.table(n),
            write,
            this.columnIndex.get(write.spec.name)!,
            (err, statements) =>
              new CcsyncError(
                'DestinationRejected',
                redact(
                  `Creating the history of table ${write.spec.name} (history: true) failed: the destination ${this.describe} refused it (${errorDetail(err)}): ` +
                    `have its owner run: ${statements.join('; ')}; ccsync then keeps the history from its next write.`,
                  this.secrets,
                ),
                { cause: err, details: { code: INSUFFICIENT_PRIVILEGE } },
              ),
          );
        }
        action = describeWrites(page);
        const syncedAt = new Date().toISOString();
        return this.transaction(async (client) => {
          // The child delete anti-joins stored rows with the page's keys; see finishSnapshot on why
          // nested loops are ruled out (only joins are affected: the upserts have none).
          if (page.some((write) => write.children?.parents.length)) await client.query(`SET LOCAL enable_nestloop = off`);
          const results: TableWriteResult[] = [];
          for (const write of page) {
            action = `Writing ${write.rows.length} rows to ${write.spec.name}`;
            const { write: fresh, skipped } = withoutStaleParents(write, await this.storedChildVersions(client, write, connection));
            const deleted = await this.replaceChildren(client, fresh, connection);
            const { misfits, ...counts } = await this.upsertRows(client, fresh, connection, syncedAt);
            await writeHistoryPostgres(client, (n) => this.table(n), fresh, this.columnIndex.get(write.spec.name)!, connection, syncedAt);
            const columns = added[results.length]!;
            results.push({
              table: write.spec.name,
              ...counts,
              unchanged: counts.unchanged + skipped,
              deleted,
              ...(columns.length ? { addedColumns: columns } : {}),
              ...(Object.keys(misfits).length ? { misfits } : {}),
            });
          }
          return results;
        });
      },
    );
  }

  async noteSnapshotKeys(given: TableSpec, connection: string, runId: string, keys: readonly Record<string, string>[]): Promise<void> {
    const spec = checkedSpec(given);
    checkRunId(runId);
    const texts = snapshotKeyTexts(spec, keys);
    if (texts.length === 0) return;
    await this.guard(`Noting ${texts.length} keys of snapshot run ${runId} of ${spec.name}`, async () => {
      await this.ensureSnapshot(spec);
      const run = [connection, spec.name, runId];
      await this.transaction(async (client) => {
        // Shared: pages of one run note concurrently; a finish of the run waits for them, and after it
        // a stale retry sees the marker and is refused instead of leaving keys behind.
        await client.query(`SELECT pg_advisory_xact_lock_shared(hashtext($1))`, [runLockKey(run)]);
        if (await this.finishedOutcome(client, run)) throw finishedRunError(spec, connection, runId);
        await client.query(
          `INSERT INTO ${this.table(SNAPSHOT_KEYS_TABLE)} ("connection", "table_name", "run_id", "key", "created_at") ` +
            `SELECT $1, $2, $3, k, $5::timestamptz FROM unnest($4::text[]) AS k ON CONFLICT DO NOTHING`,
          [...run, texts, new Date().toISOString()],
        );
      });
    });
  }

  async finishSnapshot(given: TableSpec, connection: string, runId: string): Promise<SnapshotOutcome> {
    const spec = checkedSpec(given);
    checkRunId(runId);
    return this.guard(`Finishing snapshot run ${runId} of ${spec.name}`, async () => {
      await this.ensureSnapshot(spec);
      const run = [connection, spec.name, runId];
      const table = this.table(spec.name);
      const keys = this.table(SNAPSHOT_KEYS_TABLE);
      const runs = this.table(SNAPSHOT_RUNS_TABLE);
      const thisRun = `"connection" = $1 AND "table_name" = $2 AND "run_id" = $3`;
      const deletedAt = quoteIdent(DELETED_AT);
      const now = new Date();
      const cutoff = new Date(now.getTime() - SNAPSHOT_RETENTION_MS).toISOString();
      // The stored row's canonical key text: to_json escapes text exactly as JSON.stringify does.
      const keyText = spec.keyColumns.length
        ? `'[' || concat_ws(',', ${spec.keyColumns.map((c) => `to_json(target.${quoteIdent(c)}::text)::text`).join(', ')}) || ']'`
        : `'[]'`;
      const staged = `SELECT 1 FROM ${keys} AS staged WHERE staged."connection" = $1 AND staged."table_name" = $2 AND staged."run_id" = $3 AND staged."key" = ${keyText}`;
      return this.transaction(async (client): Promise<SnapshotOutcome> => {
        // Exclusive: two finishes of one run take turns (the second returns the first one's outcome).
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [runLockKey(run)]);
        return finishSnapshotRunAsync({
          pruneOthers: async () => {
            await client.query(`DELETE FROM ${keys} WHERE "created_at" < $4 AND NOT (${thisRun})`, [...run, cutoff]);
            await client.query(`DELETE FROM ${runs} WHERE "finished_at" < $4 AND NOT (${thisRun})`, [...run, cutoff]);
          },
          previous: () => this.finishedOutcome(client, run),
          count: async () => {
            const counted = await client.query<{ seen: string; live: boolean }>(
              `SELECT (SELECT count(*) FROM ${keys} WHERE ${thisRun}) AS seen, ` +
                `EXISTS (SELECT 1 FROM ${table} WHERE "_connection" = $1 AND ${deletedAt} IS NULL) AS live`,
              run,
            );
            return { seen: Number(counted.rows[0]?.seen ?? 0), live: counted.rows[0]?.live === true };
          },
          revive: async () => {
            // Freshly filled tables have no statistics yet (and ANALYZE needs ownership), so the planner
            // may guess both sides hold one row and pick a nested loop that filters the key instead of
            // probing it: every stored row then scans all staged keys (20 s for 10k x 9k, measured).
            // A hash or merge anti-join is linear whatever the statistics; SET LOCAL ends with this transaction.
            await client.query(`SET LOCAL enable_nestloop = off`);
            const revived = await client.query(
              `UPDATE ${table} AS target SET ${deletedAt} = NULL ` +
                `WHERE target."_connection" = $1 AND target.${deletedAt} IS NOT NULL AND EXISTS (${staged})`,
              run,
            );
            return revived.rowCount ?? 0;
          },
          markDeleted: async () => {
            const deleted = await client.query(
              `UPDATE ${table} AS target SET ${deletedAt} = $4::timestamptz ` +
                `WHERE target."_connection" = $1 AND target.${deletedAt} IS NULL AND NOT EXISTS (${staged})`,
              [...run, now.toISOString()],
            );
            return deleted.rowCount ?? 0;
          },
          dropStaged: async () => void (await client.query(`DELETE FROM ${keys} WHERE ${thisRun}`, run)),
          record: async (outcome) =>
            void (await client.query(
              `INSERT INTO ${runs} ("connection", "table_name", "run_id", "outcome", "finished_at") VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz)`,
              [...run, JSON.stringify(outcome), now.toISOString()],
            )),
        });
      });
    });
  }

  async completedIntervals(connection: string, stream: string): Promise<Interval[]> {
    return this.guard(`Reading the sync state of ${connection}/${stream}`, async () => {
      const state = this.table(STATE_TABLE);
      const rows = await this.queryOrEmpty<{ completed: unknown }>(`SELECT "completed" FROM ${state} WHERE "connection" = $1 AND "stream" = $2`, [
        connection,
        stream,
      ]);
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
        const { rows } = await client.query<{ completed: unknown }>(`SELECT "completed" FROM ${state} WHERE ${where} FOR UPDATE`, [connection, stream]);
        const after = mergeCompleted(rows[0]?.completed, interval, `${connection}/${stream}`);
        if (after === undefined) return;
        await client.query(`UPDATE ${state} SET "completed" = $3::jsonb, "updated_at" = now() WHERE ${where}`, [connection, stream, after]);
      });
    });
  }

  async resetStream(connection: string, stream: string, tables: readonly ResetTable[]): Promise<ResetOutcome> {
    return this.guard(`Resetting ${connection}/${stream}`, async () => {
      // Which tables exist, looked up first: a statement on a missing table would abort the transaction.
      const names = [STATE_TABLE, SNAPSHOT_KEYS_TABLE, SNAPSHOT_RUNS_TABLE, ...tables.map((t) => t.name)];
      const { rows: found } = await this.pool.query<{ exists: boolean[] }>(
        `SELECT ARRAY(SELECT to_regclass(t) IS NOT NULL FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n) AS exists`,
        [names.map((n) => this.table(n))],
      );
      const exists = new Map(names.map((n, i) => [n, found[0]?.exists[i] === true]));
      return this.transaction(async (client): Promise<ResetOutcome> => {
        let completed: Interval[] = [];
        if (exists.get(STATE_TABLE)) {
          const state = this.table(STATE_TABLE);
          const { rows } = await client.query<{ completed: unknown }>(`DELETE FROM ${state} WHERE "connection" = $1 AND "stream" = $2 RETURNING "completed"`, [
            connection,
            stream,
          ]);
          completed = decodeIntervals(rows[0]?.completed, `${connection}/${stream}`);
        }
        const rows: ResetOutcome['rows'] = [];
        for (const t of tables) {
          if (!exists.get(t.name)) {
            rows.push({ table: t.name, deleted: 0 });
            continue;
          }
          const table = this.table(t.name);
          const r = t.only
            ? await client.query(`DELETE FROM ${table} WHERE "_connection" = $1 AND ${quoteIdent(t.only.column)} = ANY($2::text[])`, [
                connection,
                [...t.only.values],
              ])
            : await client.query(`DELETE FROM ${table} WHERE "_connection" = $1`, [connection]);
          rows.push({ table: t.name, deleted: r.rowCount ?? 0 });
        }
        let snapshotBookkeeping = 0;
        for (const bookkeeping of [SNAPSHOT_KEYS_TABLE, SNAPSHOT_RUNS_TABLE]) {
          if (!exists.get(bookkeeping)) continue;
          const whole = tables.filter((x) => !x.only).map((x) => x.name);
          const r = await client.query(`DELETE FROM ${this.table(bookkeeping)} WHERE "connection" = $1 AND "table_name" = ANY($2::text[])`, [
            connection,
            whole,
          ]);
          snapshotBookkeeping += r.rowCount ?? 0;
        }
        return { completed, rows, snapshotBookkeeping };
      });
    });
  }

  /** Every row of a table for a connection, ordered by key. Not on `Destination`: tests reach it via test/helpers/destination-access.ts. */
  async readAll(given: TableSpec, connection: string): Promise<StoredRow[]> {
    const spec = checkedSpec(given);
    return this.guard(`Reading ${spec.name}`, async () => {
      const read = (hasDeletedAt: boolean) =>
        this.queryOrEmpty<Record<string, unknown>>(selectAllSql(this.table(spec.name), spec, '$1', ' COLLATE "C"', hasDeletedAt), [connection]);
      let rows: Record<string, unknown>[];
      try {
        rows = await read(true);
      } catch (err) {
        // A table from before `_deleted_at` that no writer has migrated yet: readers never alter.
        if ((err as { code?: unknown })?.code !== UNDEFINED_COLUMN) throw err;
        rows = await read(false);
      }
      return rows.map((r) => ({
        connection: String(r._connection),
        key: keyObject(spec, r),
        record: r.record,
        syncedAt: (r._synced_at as Date).toISOString(),
        deletedAt: r._deleted_at instanceof Date ? r._deleted_at.toISOString() : null,
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

  private ensure(spec: StoredSpec): Promise<void> {
    return this.ensured.run(specId(spec), async () => {
      await this.createIfMissing(spec);
      await this.migrateColumns(spec);
    });
  }

  private async catalog(client: pg.Pool | pg.PoolClient, spec: TableSpec): Promise<CatalogColumn[]> {
    const { rows } = await client.query<CatalogColumn>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute ` +
        `WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [this.table(spec.name)],
    );
    return rows;
  }

  /**
   * Brings a table written before typed columns up to its spec: key columns renamed to snake_case and
   * the declared columns added (one short DDL transaction), then rows whose typed columns are all
   * empty filled from `record` in batches, each its own transaction, so readers are never held up
   * by more than the ALTERs. The fill also completes a migration a DBA ran by hand.
   */
  private async migrateColumns(spec: StoredSpec): Promise<void> {
    const table = this.table(spec.name);
    const plan = migrationPlan(table, spec, await this.catalog(this.pool, spec), TYPES, true);
    if (plan.renames.length || plan.adds.length) {
      await this.transaction(async (client) => {
        await client.query(DDL_LOCK_SQL);
        const now = migrationPlan(table, spec, await this.catalog(client, spec), TYPES, true);
        for (const sql of [...now.renames, ...now.adds]) {
          try {
            await client.query(sql);
          } catch (err) {
            if ((err as { code?: unknown })?.code !== INSUFFICIENT_PRIVILEGE) throw err;
            throw new CcsyncError(
              'DestinationRejected',
              redact(
                `Migrating table ${spec.name} to typed columns failed: the destination ${this.describe} refused it (${errorDetail(err)}): ` +
                  `have its owner run: ${[...now.renames, ...now.adds].join('; ')}; ccsync then fills the new columns from record on its next write.`,
                this.secrets,
              ),
              { cause: err, details: { code: INSUFFICIENT_PRIVILEGE } },
            );
          }
        }
      });
    }
    const index = resolveColumns(spec, await this.catalog(this.pool, spec), TYPES);
    this.columnIndex.set(spec.name, index);
    await this.fillEmpty(spec, index);
  }

  /** Typed columns of rows that have none yet, recomputed from `record` by the code a fresh write runs. */
  private async fillEmpty(spec: StoredSpec, index: ColumnIndex): Promise<void> {
    const declared = new Set((spec.columns ?? []).map((c) => c.name));
    const checked = index.columns.filter((c) => declared.has(c.name));
    if (checked.length === 0) return;
    const table = this.table(spec.name);
    const pk = ['_connection', ...spec.keyColumns].map(quoteIdent);
    const empty = checked.map((c) => `${quoteIdent(c.name)} IS NULL`).join(' AND ');
    const alias = index.columns.map((_c, i) => `c${i}`);
    const keyAlias = pk.map((_k, i) => `k${i}`);
    const update =
      `UPDATE ${table} AS target SET ${index.columns.map((c, i) => `${quoteIdent(c.name)} = u.${alias[i]}::${TYPES.typed[c.type]}`).join(', ')} ` +
      `FROM unnest(${[...keyAlias, ...alias].map((_a, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${[...keyAlias, ...alias].join(', ')}) ` +
      `WHERE ${pk.map((k, i) => `target.${k} = u.${keyAlias[i]}`).join(' AND ')}`;
    let after: unknown[] | undefined;
    for (;;) {
      const from = after ? ` AND (${pk.map((k) => `${k} COLLATE "C"`).join(', ')}) > (${after.map((_v, i) => `$${i + 1}`).join(', ')})` : '';
      const { rows } = await this.pool.query<Record<string, unknown>>(
        `SELECT ${pk.join(', ')}, "record" FROM ${table} WHERE ${empty}${from} ORDER BY ${pk.map((k) => `${k} COLLATE "C"`).join(', ')} LIMIT ${FILL_BATCH}`,
        after ?? [],
      );
      if (rows.length === 0) return;
      const keys = ['_connection', ...spec.keyColumns].map((k) => rows.map((r) => String(r[k])));
      const values = index.columns.map(() => [] as (string | null)[]);
      for (const row of rows) rowValues(index, row.record).values.forEach((v, i) => values[i]!.push(textValue(v)));
      await this.pool.query(update, [...keys, ...values]);
      if (rows.length < FILL_BATCH) return;
      after = keys.map((k) => k[k.length - 1]);
    }
  }

  /** Adds columns for top-level fields this page brings that the table lacks; returns them (`name type`). */
  private async evolve(write: PreparedWrite): Promise<string[]> {
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
    try {
      await this.transaction(async (client) => {
        await client.query(DDL_LOCK_SQL);
        // Another worker may have added some since we looked: theirs stay as they are.
        const have = new Set((await this.catalog(client, spec)).map((c) => c.name));
        for (const column of wanted) {
          if (have.has(column.name)) continue;
          await client.query(addColumnSql(this.table(spec.name), column, TYPES, true));
          added.push(describeColumn(column));
        }
      });
    } catch (err) {
      // A role that may not alter the table: the new fields stay in `record` only; the sync goes on.
      if ((err as { code?: unknown })?.code !== INSUFFICIENT_PRIVILEGE) throw err;
      return [];
    }
    this.columnIndex.set(spec.name, resolveColumns(spec, await this.catalog(this.pool, spec), TYPES));
    return added;
  }

  private ensureState(): Promise<void> {
    return this.ensured.run(STATE_TABLE, () => this.createIfMissing());
  }

  /** The snapshot tables are made only once snapshots are used (least-privilege setups need not pre-create them otherwise). */
  private async ensureSnapshot(spec: StoredSpec): Promise<void> {
    await this.ensure(spec);
    await this.ensured.run(SNAPSHOT_KEYS_TABLE, () => this.createIfMissing(undefined, true));
  }

  /**
   * Looks before creating: `CREATE ... IF NOT EXISTS` still demands CREATE privilege, and a DBA may
   * have pre-created the schema and tables for a role that may only write rows. Likewise a table
   * made before `_deleted_at` existed is altered only when the catalog says the column is missing.
   */
  private async createIfMissing(spec?: TableSpec, snapshot = false): Promise<void> {
    const bookkeeping: Array<[string, (table: string) => string]> = [
      [STATE_TABLE, DDL.state],
      ...(snapshot
        ? ([
            [SNAPSHOT_KEYS_TABLE, DDL.snapshotKeys],
            [SNAPSHOT_RUNS_TABLE, DDL.snapshotRuns],
          ] as Array<[string, (table: string) => string]>)
        : []),
    ];
    const wanted = [...bookkeeping.map(([name]) => name), ...(spec ? [spec.name] : [])];
    const { rows } = await this.pool.query<{ schema: boolean; tables: boolean[]; migrated: boolean }>(
      `SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)) AS schema, ` +
        `ARRAY(SELECT to_regclass(t) IS NOT NULL FROM unnest($2::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n) AS tables, ` +
        `($3::text IS NULL OR (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($3) AND attname = ANY($4::text[]) AND NOT attisdropped) = 2) AS migrated`,
      [this.schema ?? null, wanted.map((name) => this.table(name)), spec ? this.table(spec.name) : null, [DELETED_AT, VERSION]],
    );
    const found = rows[0];
    const exists = found?.tables ?? [];
    const tableExists = spec ? exists[bookkeeping.length] === true : true;
    if (found?.schema && exists.every(Boolean) && found.migrated) return;
    await this.transaction(async (client) => {
      await client.query(DDL_LOCK_SQL);
      if (this.schema && !found?.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      for (const [i, [name, ddl]] of bookkeeping.entries()) {
        if (!exists[i]) await client.query(ddl(this.table(name)));
      }
      if (!spec) return;
      if (!tableExists) await client.query(DDL.table(this.table(spec.name), spec));
      else if (!found?.migrated) await this.migrate(client, spec);
    });
  }

  /** Adds `_deleted_at` to a table from before snapshots; says what the owner must run when we may not. */
  private async migrate(client: pg.PoolClient, spec: TableSpec): Promise<void> {
    try {
      // IF NOT EXISTS: another worker may have migrated it between our look and our lock.
      await client.query(DDL.addDeletedAt(this.table(spec.name), true));
      await client.query(DDL.addVersion(this.table(spec.name), true));
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (code !== INSUFFICIENT_PRIVILEGE) throw err;
      throw new CcsyncError(
        'DestinationRejected',
        redact(
          `Migrating table ${spec.name} failed: the destination ${this.describe} refused it (${errorDetail(err)}): ` +
            `${DDL.migrationAdvice(this.table(spec.name))}.`,
          this.secrets,
        ),
        { cause: err, details: { code } },
      );
    }
  }

  /** The stored outcome when run `run` ([connection, table, runId]) was finished already. */
  private async finishedOutcome(client: pg.PoolClient, run: readonly string[]): Promise<SnapshotOutcome | undefined> {
    const { rows } = await client.query<{ outcome: unknown }>(
      `SELECT "outcome" FROM ${this.table(SNAPSHOT_RUNS_TABLE)} WHERE "connection" = $1 AND "table_name" = $2 AND "run_id" = $3`,
      [...run],
    );
    return rows[0] ? decodeOutcome(rows[0].outcome) : undefined;
  }

  /**
   * `replaceChildrenOf` in one statement: the parents and the page's keys travel as arrays, so
   * thousands of parents need no chunking and stay far from the bind-parameter limit.
   */
  private async replaceChildren(client: pg.PoolClient, write: PreparedWrite, connection: string): Promise<number> {
    const children = write.children;
    if (!children || children.parents.length === 0) return 0;
    const { spec } = write;
    const kept = spec.keyColumns.map((_c, i) => `k${i}`);
    const text =
      `DELETE FROM ${this.table(spec.name)} AS target WHERE target."_connection" = $1 AND target.${quoteIdent(children.column)} = ANY($2::text[]) ` +
      `AND NOT EXISTS (SELECT 1 FROM unnest(${kept.map((_k, i) => `$${i + 3}::text[]`).join(', ')}) AS kept(${kept.join(', ')}) ` +
      `WHERE ${spec.keyColumns.map((c, i) => `kept.${kept[i]} = target.${quoteIdent(c)}`).join(' AND ')}) ` +
      // A child written with a newer version of its parent stays: this page's parent is older.
      `AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $${spec.keyColumns.length + 3}::float8[]) AS p(id, v) ` +
      `WHERE p.id = target.${quoteIdent(children.column)} AND ${storedIsNewerSql('target', 'p.v')})`;
    const values = [connection, children.parents, ...spec.keyColumns.map((_c, i) => write.rows.map((row) => row.keys[i])), children.versions];
    return (await client.query(text, values)).rowCount ?? 0;
  }

  /** Each page parent's highest stored child version (for `withoutStaleParents`); locks those children for the transaction. */
  private async storedChildVersions(client: pg.PoolClient, write: PreparedWrite, connection: string): Promise<Map<string, number>> {
    const children = write.children;
    if (!children || children.versions.every((v) => v === null)) return new Map();
    const column = quoteIdent(children.column);
    const { rows } = await client.query<{ p: string; v: number }>(
      `SELECT ${column} AS p, MAX("_version") AS v FROM (SELECT ${column}, "_version" FROM ${this.table(write.spec.name)} ` +
        `WHERE "_connection" = $1 AND ${column} = ANY($2::text[]) AND "_version" IS NOT NULL FOR UPDATE) AS stored GROUP BY ${column}`,
      [connection, children.parents],
    );
    return new Map(rows.map((r) => [r.p, Number(r.v)]));
  }

  /**
   * The page's upsert as ONE statement whatever its size: each column travels as one array
   * parameter (`unnest`), so the text depends only on the table and its columns, never on the row
   * count. pg prepares it once per connection under a name derived from that text (`upsertPlan`),
   * and the server parses and plans it once instead of a VALUES list of ~30 parameters per row.
   */
  private async upsertRows(
    client: pg.PoolClient,
    write: PreparedWrite,
    connection: string,
    syncedAt: string,
  ): Promise<WriteResult & { misfits: Record<string, number> }> {
    const { spec, rows } = write;
    const index = this.columnIndex.get(spec.name)!;
    const result = { inserted: 0, updated: 0, unchanged: 0, misfits: {} as Record<string, number> };
    if (rows.length === 0) return result;
    const plan = this.upsertPlan(spec, index);
    // The page as one JSON array of flat objects (`jsonb_to_recordset`): the records and JSON
    // columns are embedded as the JSON text they already are, with no escaping into array literals.
    // A typed value the record already holds exactly is not sent again: the statement reads it from
    // `record` (postgres-record-columns.ts); the others travel as `c<i>` and are listed in `x`.
    const parts = new Array<string>(rows.length);
    const columns = index.columns;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let text = `{"r":${row.json},"v":${row.version === null ? 'null' : JSON.stringify(row.version)}`;
      for (let k = 0; k < row.keys.length; k++) text += `,"k${k}":${JSON.stringify(row.keys[k])}`;
      const { values, misfits } = rowValues(index, row.record, row.misfits);
      for (const field of misfits) result.misfits[field] = (result.misfits[field] ?? 0) + 1;
      const record = isPlainObject(row.record) ? row.record : undefined;
      let sent = '';
      for (let c = 0; c < values.length; c++) {
        const v = values[c];
        if (plan.fromRecord[c]) {
          if (record && recordGives(columns[c]!, record, v)) continue;
          sent += sent ? `,${c}` : `${c}`;
        }
        if (v === null || v === undefined) continue;
        text += `,"c${c}":${plan.json[c] ? (v as string) : JSON.stringify(v)}`;
      }
      parts[r] = (sent ? `${text},"x":[${sent}]` : text) + '}';
    }
    // Only inserted and really-changed rows come back; xmax = 0 marks a fresh insert.
    const { rows: written } = await client.query<{ inserted: boolean }>({
      name: plan.name,
      text: plan.text,
      values: [connection, syncedAt, `[${parts.join(',')}]`],
    });
    const inserted = written.filter((r) => r.inserted).length;
    result.inserted = inserted;
    result.updated = written.length - inserted;
    result.unchanged = rows.length - written.length;
    return result;
  }

  /**
   * The upsert text of a table with these columns, and its prepared-statement name, cached per
   * (table, key columns, typed columns): a column added by `evolve` makes a new index, hence a new
   * text and name, so a statement prepared before the column existed is never used after.
   */
  private upsertPlan(spec: StoredSpec, index: ColumnIndex): UpsertPlan {
    const id = `${specId(spec)}|${index.columns.map((c) => `${c.name}:${c.type}`).join(',')}`;
    let plan = this.upserts.get(id);
    if (plan) return plan;
    const typedNames = index.columns.map((c) => quoteIdent(c.name));
    const keyAlias = spec.keyColumns.map((_c, i) => `k${i}`);
    const typedAlias = index.columns.map((_c, i) => `c${i}`);
    // $1 connection, $2 synced at, $3 the page (see upsertRows); each field typed as its column.
    const fields = [
      ...keyAlias.map((k) => `${k} text`),
      'r jsonb',
      'v float8',
      'x int[]',
      ...index.columns.map((c, i) => `${typedAlias[i]} ${c.type === 'json' ? 'jsonb' : TYPES.typed[c.type].toLowerCase()}`),
    ];
    // Column i: from the record unless the row lists i in `x` (x absent: i = ANY(NULL) is NULL, so the record).
    const fromRecord = index.columns.map((c) => recordColumnSql(c, 'u.r'));
    const typedSelected = typedAlias.map((c, i) => (fromRecord[i] ? `CASE WHEN ${i} = ANY(u.x) THEN u.${c} ELSE ${fromRecord[i]} END` : `u.${c}`));
    const selected = [...keyAlias.map((k) => `u.${k}`), '$1::text', '$2::timestamptz', 'u.r', 'u.v', ...typedSelected];
    // An older version never replaces a newer one: such a row is not returned, so it counts as unchanged.
    const text =
      `INSERT INTO ${this.table(spec.name)} AS target (${[...[...writtenColumns(spec), VERSION].map(quoteIdent), ...typedNames].join(', ')}) ` +
      `SELECT ${selected.join(', ')} FROM jsonb_to_recordset($3::jsonb) AS u(${fields.join(', ')}) ` +
      `ON CONFLICT ${primaryKey(spec)} DO UPDATE SET "_synced_at" = EXCLUDED."_synced_at", "record" = EXCLUDED."record", "_version" = EXCLUDED."_version"` +
      `${typedNames.map((c) => `, ${c} = EXCLUDED.${c}`).join('')} ` +
      `WHERE target."record" IS DISTINCT FROM EXCLUDED."record" AND NOT ${storedIsNewerSql('target', 'EXCLUDED."_version"')} ` +
      `RETURNING (xmax = 0) AS inserted`;
    // pg refuses one name for two texts on a connection: the name is the text's hash.
    plan = {
      name: `ccsync_upsert_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`,
      text,
      json: index.columns.map((c) => c.type === 'json'),
      fromRecord: fromRecord.map((sql) => sql !== undefined),
    };
    this.upserts.set(id, plan);
    return plan;
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
    // A connection that drops between two statements emits 'error' on the checked-out client; with
    // no listener that kills the worker (seen in the chaos suite's PostgreSQL outage). Note it, so
    // the pool discards the client; the next statement fails as DestinationUnavailable.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
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
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async guard<T>(action: string | (() => string), step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw this.failure(err, typeof action === 'string' ? action : action());
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

/** A typed value as text for an `unnest(text[])` fill (cast back to the column's type in SQL). */
function textValue(value: unknown): string | null {
  // rowValues gives only text, numbers and booleans (JSON columns are already JSON text).
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Names one snapshot run for an advisory lock (a hash collision only makes two runs take turns). */
function runLockKey(run: readonly string[]): string {
  return `ccsync:snapshot:${JSON.stringify(run)}`;
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
