/**
 * Where the worker finds its connections file, and the store that keeps it parsed. The file is
 * re-read when it changes on disk, so editing connections.yaml needs no worker restart. A changed
 * file that is not valid is not taken: the worker keeps running on the last valid one, says so in
 * its log (every problem), and reports itself stale, so one typo never breaks every connection.
 * Credentials are resolved from the environment here, in the worker, and nowhere else.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type ConnectionConfig,
  type CredentialReference,
  environmentReference,
  parseConnections,
  resolveCredentialFields,
  type SourceRegistry,
} from '../core/connections';
import { CcsyncError, isCcsyncError } from '../core/errors';
import type { SourceDeclaration } from '../core/source';
import { SOURCES } from '../sources';

/** `CCSYNC_CONNECTIONS` when set, else `connections.yaml` when present, else the demo file. */
export function connectionsFilePath(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  if (env.CCSYNC_CONNECTIONS) return resolve(cwd, env.CCSYNC_CONNECTIONS);
  const own = resolve(cwd, 'connections.yaml');
  return existsSync(own) ? own : resolve(cwd, 'connections.demo.yaml');
}

/** `${file:/run/secrets/kore_secret}`: a credential read from a file. */
export const FILE_REFERENCE = /^\$\{file:([^}]+)\}$/;

/** Credentials written as literal values (neither `${VAR}` nor `${file:...}`): fine for demos, not for real accounts. */
export function literalCredentials(config: ConnectionConfig): string[] {
  return Object.entries(config.credentials)
    .filter(([, v]) => !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v.trim()) && !FILE_REFERENCE.test(v.trim()))
    .map(([k]) => k);
}

/** Reads and validates the file against `sources` (the product's registry unless a caller, e.g. the benchmark, passes its own). */
export function loadConnectionsFile(path: string, sources: SourceRegistry = SOURCES): ConnectionConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CcsyncError('ConfigError', `cannot read the connections file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConnections(text, path, sources);
}

/**
 * A short hash of the parsed connections, the same on every worker whose file means the same thing
 * (comments, key order and whitespace do not count). Credentials count only by how they are given:
 * a `${VAR}` reference by its name, a literal as `<literal>`, so no secret goes into the hash.
 */
export function connectionsFingerprint(connections: readonly ConnectionConfig[]): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const shown = [...connections]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => ({
      ...c,
      credentials: Object.fromEntries(Object.entries(c.credentials).map(([k, v]) => [k, /^\$\{[^}]+\}$/.test(v.trim()) ? v.trim() : '<literal>'])),
    }));
  return createHash('sha256')
    .update(JSON.stringify(canonical(shown)))
    .digest('hex')
    .slice(0, 12);
}

export interface ResolvedConnection {
  config: ConnectionConfig;
  source: SourceDeclaration;
}

/** The file on disk is broken; the store runs on the last valid version. */
export interface StaleFile {
  problems: string[];
  /** When the broken version was first seen (ISO). */
  since: string;
  /** The fingerprint of the version still in use. */
  using: string;
}

export class ConnectionsStore {
  private cached?: { mtimeMs: number; size: number; connections: ConnectionConfig[]; fingerprint: string };
  /** The last version of the file looked at (valid or not), so a broken file is parsed once. */
  private seen?: { mtimeMs: number; size: number };
  private staleFile?: StaleFile;
  /** Fingerprints of the other workers on the task queue; undefined when unknown. */
  private peerFingerprints?: string[];

  constructor(
    readonly path: string,
    private readonly env: Record<string, string | undefined> = process.env,
    readonly sources: SourceRegistry = SOURCES,
    /** Where the worker says that the file changed or is broken (the worker's log). */
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  /** Every connection, re-reading the file if it changed since the last call. */
  all(): ConnectionConfig[] {
    let st;
    try {
      st = statSync(this.path);
    } catch {
      if (this.cached) return this.keepStale([`the file does not exist any more (set CCSYNC_CONNECTIONS or create connections.yaml)`]);
      throw new CcsyncError('ConfigError', `the connections file ${this.path} does not exist (set CCSYNC_CONNECTIONS or create connections.yaml)`);
    }
    if (this.seen && this.seen.mtimeMs === st.mtimeMs && this.seen.size === st.size) return this.cached!.connections;
    let connections: ConnectionConfig[];
    try {
      connections = loadConnectionsFile(this.path, this.sources);
    } catch (err) {
      // The first load must succeed (the worker refuses to start); later, keep the last valid file.
      if (!this.cached || !isCcsyncError(err)) throw err;
      this.seen = { mtimeMs: st.mtimeMs, size: st.size };
      return this.keepStale((err.details?.problems as string[] | undefined) ?? [err.message]);
    }
    const fingerprint = connectionsFingerprint(connections);
    if (this.cached && (this.staleFile || this.cached.fingerprint !== fingerprint)) {
      this.log(
        `ccsync worker: connections file ${this.path} reloaded: ${connections.length} connection(s), fingerprint ${this.cached.fingerprint} → ${fingerprint}`,
      );
    }
    this.cached = { mtimeMs: st.mtimeMs, size: st.size, connections, fingerprint };
    this.seen = { mtimeMs: st.mtimeMs, size: st.size };
    this.staleFile = undefined;
    return connections;
  }

  private keepStale(problems: string[]): ConnectionConfig[] {
    if (!this.staleFile || this.staleFile.problems.join('\n') !== problems.join('\n')) {
      this.staleFile = { problems, since: new Date().toISOString(), using: this.cached!.fingerprint };
      this.log(
        `ccsync worker: ERROR: the connections file ${this.path} changed and is not valid; ` +
          `still running on the last valid version (fingerprint ${this.cached!.fingerprint}, ${this.cached!.connections.length} connection(s)). Fix:\n  - ${problems.join('\n  - ')}`,
      );
    }
    return this.cached!.connections;
  }

  /** The fingerprint of the configuration in use (the last valid file). */
  fingerprint(): string {
    this.all();
    return this.cached!.fingerprint;
  }

  /** Set when the file on disk is broken and the store runs on an older, valid version. */
  stale(): StaleFile | undefined {
    this.all();
    return this.staleFile;
  }

  /** What the fleet watcher learnt about the other workers on the task queue. */
  setPeers(fingerprints: string[] | undefined): void {
    this.peerFingerprints = fingerprints;
  }

  get(name: string): ResolvedConnection {
    const all = this.all();
    const config = all.find((c) => c.name === name);
    if (!config) throw this.unknown(name, all);
    return { config, source: this.sources[config.source]! };
  }

  /**
   * An unknown name fails at once only when no other worker could know it: this worker's file is
   * current and every other worker on the queue runs the same one (or there is none). Otherwise it
   * is `ConnectionUnknownHere`, retried so that a worker that knows the connection takes it.
   */
  private unknown(name: string, all: ConnectionConfig[]): CcsyncError {
    const known = all.map((c) => c.name).join(', ') || 'none';
    const mine = this.cached!.fingerprint;
    const peersDiffer = this.peerFingerprints === undefined ? false : this.peerFingerprints.some((f) => f !== mine);
    if (!this.staleFile && !peersDiffer) {
      return new CcsyncError('ConfigError', `there is no connection named "${name}" in ${this.path} (known: ${known})`);
    }
    const why = this.staleFile
      ? `this worker runs on an older version of ${this.path} (the file on disk is not valid)`
      : `other workers on this task queue run a different connections file than this one (fingerprint ${mine})`;
    this.log(
      `ccsync worker: WARNING: asked for connection "${name}", which is not in this worker's ${this.path} (known: ${known}); ${why}. The task is handed back to be retried.`,
    );
    return new CcsyncError(
      'ConnectionUnknownHere',
      `connection "${name}" is not known to the worker that took this task (known there: ${known}); ${why}; retrying so that a worker that knows it takes it`,
      {
        details: { connection: name, fingerprint: mine },
      },
    );
  }

  /**
   * The connection's credentials: `${VAR}` from the environment, `${file:/run/secrets/x}` from a
   * file (Docker/Kubernetes secrets, secret managers' mounts; one trailing newline dropped).
   * Errors name the variable or the file, never a value.
   */
  credentials(config: ConnectionConfig): Record<string, string> {
    return resolveCredentialFields(config, [fileReference(config), environmentReference(config, this.env)]);
  }
}

/** `${file:/run/secrets/x}`: the file's text, one trailing newline dropped; an unreadable or empty file is a ConfigError. */
function fileReference(config: ConnectionConfig): CredentialReference {
  return {
    pattern: FILE_REFERENCE,
    read: (path, field) => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new CcsyncError(
          'ConfigError',
          `connection "${config.name}": credentials.${field} refers to \${file:${path}}, which cannot be read by the worker (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      if (!text) throw new CcsyncError('ConfigError', `connection "${config.name}": credentials.${field} refers to \${file:${path}}, which is empty`);
      return text;
    },
  };
}
