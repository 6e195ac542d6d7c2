/**
 * Writing one decoded page: its rows and its child streams' rows in one transaction, and for a
 * snapshot stream the keys it saw (so the run's end can mark the rest deleted).
 */
import type { Destination, Row, TableSpec, TableWrite } from '../../destinations/destination';

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
}

export async function writePage(destination: Destination, connection: string, snapshotRun: string, page: PageWrite): Promise<PageWriteResult> {
  const started = performance.now();
  const [main, ...children] = await destination.writePage(connection, [{ spec: page.table, rows: page.rows }, ...page.children]);
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
  };
}
