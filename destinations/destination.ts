/**
 * One interface for every destination database. The page activity calls `writePage` once per page
 * (one transaction, with the page's child streams), and `markCompleted` once per window after its last page: a window is never
 * recorded as complete before its records are committed.
 */
import type { Interval } from '../core/time';
import type { ColumnSpec } from './columns';

export interface TableSpec {
  /** `<source>_<stream>`, e.g. `kore_callvolume`. */
  name: string;
  /**
   * The stream's primary-key fields (stored as text, so ids that arrive as 42 or "42" are one row),
   * in columns named in snake_case (`sessionId` → `session_id`); `Row.key` uses the field names.
   */
  keyColumns: readonly string[];
  /** Typed columns declared from the record schema (destinations/columns.ts); more are added as the vendor sends new fields. */
  columns?: readonly ColumnSpec[];
  /** History mode (the stream's `history: true`): every distinct version also goes to `<name>_history` (destinations/history.ts). */
  history?: boolean;
}

export interface Row {
  key: Record<string, string>;
  record: unknown;
  /**
   * The record's own version (`updated_at` as epoch ms, Kore.ai's `__v`), when the stream declares
   * one; child rows carry their parent's. A stored row with a newer version is never overwritten.
   */
  version?: number;
  /**
   * Declared fields whose value broke the stream's schema (activities/page/decode.ts): their columns
   * are NULL in this row whatever the value, it stays in `record`, and the write counts them as misfits.
   */
  misfits?: readonly string[];
}

export interface WriteResult {
  /** Rows that did not exist before. */
  inserted: number;
  /** Rows that existed with a different record. */
  updated: number;
  /** Rows that existed with exactly this record: left alone, `_synced_at` untouched. */
  unchanged: number;
}

/** One table's share of a page: a parent stream's rows, or one of its child streams'. */
export interface TableWrite {
  spec: TableSpec;
  rows: readonly Row[];
  /**
   * For child tables (call participants, transfers...): before the upsert, delete this connection's
   * rows whose key column `column` is one of `parents` but whose key is not among `rows`, so a
   * parent's children always match its latest form. `column` must be one of the key columns.
   */
  replaceChildrenOf?: {
    column: string;
    parents: readonly string[];
    /** Each parent's version in this page (aligned with `parents`): stored children of a newer parent version stay. */
    versions?: readonly (number | undefined)[];
  };
}

export interface TableWriteResult extends WriteResult {
  table: string;
  /** Columns this write added for fields the vendor started sending (`name type`). */
  addedColumns?: string[];
  /** Vendor fields whose value did not fit their column's type in some rows: NULL there, kept in `record`. */
  misfits?: Record<string, number>;
  /** Child rows removed by `replaceChildrenOf`. */
  deleted: number;
}

export interface SnapshotOutcome {
  /** Distinct keys the snapshot run saw. */
  seen: number;
  /** Rows not seen by this run, now marked with `_deleted_at`. */
  deleted: number;
  /** Rows marked deleted earlier and seen again, now live (`_deleted_at` cleared). */
  revived: number;
  /** True when the run saw nothing while the table has live rows: deletion was skipped as implausible. */
  skippedEmpty: boolean;
}

export interface ResetTable {
  name: string;
  only?: { column: string; values: readonly string[] };
}

export interface ResetOutcome {
  /** The completed intervals the state held, now forgotten. */
  completed: Interval[];
  /** Rows deleted per table given, in the order given (0 for a missing table). */
  rows: { table: string; deleted: number }[];
  /** Finished snapshot runs and staged keys of those tables, dropped with the rows. */
  snapshotBookkeeping: number;
}

export interface StoredRow {
  connection: string;
  key: Record<string, string>;
  record: unknown;
  syncedAt: string;
  /** When a snapshot stopped seeing this row (ISO), or null while it is live. */
  deletedAt: string | null;
}

export interface Destination {
  readonly kind: 'sqlite' | 'postgres';
  /** Human-readable location without credentials, for logs. */
  readonly describe: string;
  /** Several tables' rows (a page and its child streams) in ONE transaction, in the order given. */
  writePage(connection: string, writes: readonly TableWrite[]): Promise<TableWriteResult[]>;
  /**
   * Snapshot streams (read whole on every sync): remembers the keys snapshot run `runId` has seen so
   * far (idempotent: a retried page may note the same keys again).
   */
  noteSnapshotKeys(spec: TableSpec, connection: string, runId: string, keys: readonly Record<string, string>[]): Promise<void>;
  /**
   * Ends snapshot run `runId`: rows of this connection it did not see get `_deleted_at` set (once;
   * an already-deleted row keeps its first deletion time), rows it saw that were marked deleted are
   * revived, and the run's noted keys are dropped. Idempotent: finishing again changes nothing.
   */
  finishSnapshot(spec: TableSpec, connection: string, runId: string): Promise<SnapshotOutcome>;
  /** The completed intervals of (connection, stream), merged and sorted. */
  completedIntervals(connection: string, stream: string): Promise<Interval[]>;
  /** Adds an interval to (connection, stream)'s completed set, merging, in one transaction. */
  markCompleted(connection: string, stream: string, interval: Interval): Promise<void>;
  /**
   * `ccsync reset`: forgets (connection, stream)'s sync state and, for each table given, this
   * connection's rows (with `only`, just the rows whose column holds one of the values: a child
   * table another stream shares), with the snapshot bookkeeping of those tables, in ONE
   * transaction. Says what it removed. Missing tables count as empty; nothing is created.
   */
  resetStream(connection: string, stream: string, tables: readonly ResetTable[]): Promise<ResetOutcome>;
  /** Every row of a table for a connection, ordered by key: `ccsync reset` reads a stream's parents with it (to empty a shared child table of only their children). */
  readAll(spec: TableSpec, connection: string): Promise<StoredRow[]>;
  close(): Promise<void>;
}
