/**
 * Naming what a page works on, shared by the page activity and the state activities (which must
 * not import the page activity to find a stream).
 */
import { CcsyncError } from '../core/errors';
import type { ChildStreamDeclaration, SourceDeclaration, StreamDeclaration } from '../core/source';
import { columnsFromSchema } from '../destinations/columns';
import type { TableSpec } from '../destinations/destination';

const specs = new WeakMap<object, TableSpec>();

/**
 * A stream's (or child stream's) table: its key fields and its typed columns, one per top-level
 * field of its record schema (destinations/columns.ts). Computed once per declaration.
 */
export function tableSpecOf(declaration: StreamDeclaration | ChildStreamDeclaration): TableSpec {
  let spec = specs.get(declaration);
  if (!spec) {
    spec = { name: declaration.table, keyColumns: declaration.primaryKey, columns: columnsFromSchema(declaration.recordSchema, declaration.primaryKey) };
    specs.set(declaration, spec);
  }
  return spec;
}

export function streamOf(source: SourceDeclaration, name: string): StreamDeclaration {
  const stream = source.streams[name];
  if (!stream) {
    throw new CcsyncError('ConfigError', `${source.title} has no stream "${name}" (known: ${Object.keys(source.streams).join(', ')})`);
  }
  return stream;
}

/** A snapshot run's id: the window execution's, or the window start for a page fetched outside one. */
export function snapshotRunId(input: { start: string; snapshotRun?: string }): string {
  return input.snapshotRun ?? input.start;
}
