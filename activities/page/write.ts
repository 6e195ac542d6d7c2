/**
 * Writing one decoded page: its rows and its child streams' rows in one transaction, and for a
 * snapshot stream the keys it saw (so the run's end can mark the rest deleted).
 */
import type { Destination, Row, TableSpec, TableWrite, TableWriteResult } from '../../destinations/destination';

export interface PageWrite {
  table: TableSpec;
  rows: Row[];
  children: TableWrite[];
  snapshot: boolean;
}

export interface PageWriteResult {
  inserted: number;
  updated: number;
  unchanged: number;
  childRecords: number;
  writeMs: number;
  /** Columns added for fields the vendor started sending, as `table.column type`. */
  addedColumns?: string[];
  /** Rows whose value did not fit its column (left NULL there, kept in `record`), by `table.field`. */
  misfits?: Record<string, number>;
}

export async function writePage(destination: Destination, connection: string, snapshotRun: string, page: PageWrite): Promise<PageWriteResult> {
  const started = performance.now();
  const written = await destination.writePage(connection, [{ spec: page.table, rows: page.rows }, ...page.children]);
  const [main, ...children] = written;
  if (page.snapshot) {
    await destination.noteSnapshotKeys(
      page.table,
      connection,
      snapshotRun,
      page.rows.map((r) => r.key),
    );
  }
  return {
    inserted: main!.inserted,
    updated: main!.updated,
    unchanged: main!.unchanged,
    childRecords: children.reduce((n, c) => n + c.inserted + c.updated + c.unchanged, 0),
    writeMs: Math.round(performance.now() - started),
    ...schemaChanges(written),
  };
}

/** What a page's tables reported about new columns and misfit values, named by table. */
function schemaChanges(written: readonly TableWriteResult[]): Pick<PageWriteResult, 'addedColumns' | 'misfits'> {
  const addedColumns = written.flatMap((w) => (w.addedColumns ?? []).map((c) => `${w.table}.${c}`));
  const misfits: Record<string, number> = {};
  for (const w of written) for (const [field, rows] of Object.entries(w.misfits ?? {})) misfits[`${w.table}.${field}`] = rows;
  return { ...(addedColumns.length ? { addedColumns } : {}), ...(Object.keys(misfits).length ? { misfits } : {}) };
}
