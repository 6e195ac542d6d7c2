/**
 * Destination URLs: `sqlite:PATH` (relative to the working directory) or `postgres://...`.
 * The URL may hold a password, so anything shown to people goes through `describeDestinationUrl`.
 */
import { CcsyncError } from '../core/errors';
import type { Destination } from './destination';
import { PostgresDestination, parsePostgresUrl } from './postgres';
import { SqliteDestination } from './sqlite';

export type { Destination, Row, SnapshotOutcome, StoredRow, TableSpec, TableWrite, TableWriteResult, WriteResult } from './destination';
export { PostgresDestination } from './postgres';
export { SqliteDestination } from './sqlite';

export const DEFAULT_DESTINATION = 'sqlite:.data/ccsync.db';
export const DESTINATION_ENV = 'CCSYNC_DESTINATION';

const SUPPORTED = 'use sqlite:PATH (for example sqlite:.data/ccsync.db) or postgres://user:password@host:port/database';

type Scheme = 'sqlite' | 'postgres' | 'unknown';

function schemeOf(url: string): Scheme {
  if (/^sqlite:/i.test(url)) return 'sqlite';
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  return 'unknown';
}

/** Opens (lazily connecting, for PostgreSQL) the destination a URL names. */
export function openDestination(url: string, options: { readOnly?: boolean } = {}): Destination {
  const text = url.trim();
  switch (schemeOf(text)) {
    case 'sqlite': {
      const path = text.slice('sqlite:'.length);
      if (!path) throw new CcsyncError('ConfigError', `The SQLite destination needs a file path: ${SUPPORTED}.`);
      return new SqliteDestination(path, { readOnly: options.readOnly });
    }
    case 'postgres':
      return new PostgresDestination(text);
    default:
      throw new CcsyncError('ConfigError', `The destination ${describeDestinationUrl(text)} is not supported: ${SUPPORTED}.`);
  }
}

/** The URL with any password (and, for PostgreSQL, any query option but `schema`) removed. */
export function describeDestinationUrl(url: string): string {
  const text = url.trim();
  switch (schemeOf(text)) {
    case 'sqlite':
      return text;
    case 'postgres':
      try {
        return parsePostgresUrl(text).describe;
      } catch {
        return 'postgres://…';
      }
    default:
      return describeUnknown(text);
  }
}

/** An unsupported URL is still shown, minus whatever could be a credential. */
function describeUnknown(text: string): string {
  try {
    const u = new URL(text);
    if (u.host) return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    // not a URL at all: fall through
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  if (scheme) return `${scheme[1]}:…`;
  return JSON.stringify(text);
}

/** `CCSYNC_DESTINATION`, or the embedded SQLite default when unset or blank. */
export function destinationUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env[DESTINATION_ENV]?.trim() || DEFAULT_DESTINATION;
}

export function destinationFromEnv(env: NodeJS.ProcessEnv = process.env, options: { readOnly?: boolean } = {}): Destination {
  return openDestination(destinationUrlFromEnv(env), options);
}
