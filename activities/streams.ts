/**
 * Naming what a page works on, shared by the page activity and the state activities (which must
 * not import the page activity to find a stream).
 */
import { CcsyncError } from '../core/errors';
import type { SourceDeclaration, StreamDeclaration } from '../core/source';

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
