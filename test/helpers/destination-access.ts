/**
 * What tests need from a destination beyond the engine's `Destination` contract: read a table back
 * whole, create a table before any write (the write ledger puts its triggers on it), write one
 * table's rows without building a page. The product never needs these, so they are not on the
 * interface; here they reach the concrete SQLite and PostgreSQL classes.
 */
import type { Destination, Row, StoredRow, TableSpec, WriteResult } from '../../destinations/destination';
import { PostgresDestination } from '../../destinations/postgres';
import { SqliteDestination } from '../../destinations/sqlite';

function concrete(destination: Destination): SqliteDestination | PostgresDestination {
  if (destination instanceof SqliteDestination || destination instanceof PostgresDestination) return destination;
  throw new Error(`test access needs a SqliteDestination or a PostgresDestination, not ${String((destination as { kind?: unknown }).kind)}`);
}

/** Every row of a table for a connection, ordered by key (bytewise), deleted rows included. */
export function readAll(destination: Destination, spec: TableSpec, connection: string): Promise<StoredRow[]> {
  return concrete(destination).readAll(spec, connection);
}

/** Creates the table (and the state table) if missing, exactly as the first write would. */
export function ensureTable(destination: Destination, spec: TableSpec): Promise<void> {
  return concrete(destination).ensureTable(spec);
}

/** One table's rows in one transaction: `writePage` with a single table, the product's own path. */
export async function upsert(destination: Destination, spec: TableSpec, connection: string, rows: readonly Row[]): Promise<WriteResult> {
  const [result] = await destination.writePage(connection, [{ spec, rows }]);
  return { inserted: result?.inserted ?? 0, updated: result?.updated ?? 0, unchanged: result?.unchanged ?? 0 };
}
