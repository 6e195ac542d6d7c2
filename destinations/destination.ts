/**
 * One interface for every destination database. The page activity calls `upsert` once per page
 * (one transaction), and `markCompleted` once per window after its last page: a window is never
 * recorded as complete before its records are committed.
 */
import type { Interval } from '../core/time';

export interface TableSpec {
  /** `<source>_<stream>`, e.g. `kore_callvolume`. */
  name: string;
  /** The stream's primary-key columns (stored as text, so ids that arrive as 42 or "42" are one row). */
  keyColumns: readonly string[];
}

export interface Row {
  key: Record<string, string>;
  record: unknown;
}

export interface WriteResult {
  /** Rows that did not exist before. */
  inserted: number;
  /** Rows that existed with a different record. */
  updated: number;
  /** Rows that existed with exactly this record: left alone, `_synced_at` untouched. */
  unchanged: number;
}

export interface StoredRow {
  connection: string;
  key: Record<string, string>;
  record: unknown;
  syncedAt: string;
}

export interface Destination {
  readonly kind: 'sqlite' | 'postgres';
  /** Human-readable location without credentials, for logs. */
  readonly describe: string;
  /** Creates the table (and the state table) if missing. Safe to call often; cached per process. */
  ensureTable(spec: TableSpec): Promise<void>;
  /** Upserts rows by (`_connection`, key columns) in one transaction. */
  upsert(spec: TableSpec, connection: string, rows: readonly Row[]): Promise<WriteResult>;
  /** The completed intervals of (connection, stream), merged and sorted. */
  completedIntervals(connection: string, stream: string): Promise<Interval[]>;
  /** Adds an interval to (connection, stream)'s completed set, merging, in one transaction. */
  markCompleted(connection: string, stream: string, interval: Interval): Promise<void>;
  /** Every row of a table for a connection, ordered by key (tests, `ccsync state`, benchmarks). */
  readAll(spec: TableSpec, connection: string): Promise<StoredRow[]>;
  close(): Promise<void>;
}
