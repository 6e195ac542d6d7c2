/**
 * Where the worker finds its connections file, and the store that keeps it parsed. The file is
 * re-read when it changes on disk, so editing connections.yaml needs no worker restart.
 * Credentials are resolved from the environment here, in the worker, and nowhere else.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ConnectionConfig, parseConnections, resolveCredentials, type SourceRegistry } from '../core/connections';
import { CcsyncError } from '../core/errors';
import type { SourceDeclaration } from '../core/source';
import { SOURCES } from '../sources';

/** `CCSYNC_CONNECTIONS` when set, else `connections.yaml` when present, else the demo file. */
export function connectionsFilePath(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  if (env.CCSYNC_CONNECTIONS) return resolve(cwd, env.CCSYNC_CONNECTIONS);
  const own = resolve(cwd, 'connections.yaml');
  return existsSync(own) ? own : resolve(cwd, 'connections.demo.yaml');
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

export interface ResolvedConnection {
  config: ConnectionConfig;
  source: SourceDeclaration;
}

export class ConnectionsStore {
  private cached?: { mtimeMs: number; size: number; connections: ConnectionConfig[] };

  constructor(
    readonly path: string,
    private readonly env: Record<string, string | undefined> = process.env,
    readonly sources: SourceRegistry = SOURCES,
  ) {}

  /** Every connection, re-reading the file if it changed since the last call. */
  all(): ConnectionConfig[] {
    let st;
    try {
      st = statSync(this.path);
    } catch {
      throw new CcsyncError('ConfigError', `the connections file ${this.path} does not exist (set CCSYNC_CONNECTIONS or create connections.yaml)`);
    }
    if (!this.cached || this.cached.mtimeMs !== st.mtimeMs || this.cached.size !== st.size) {
      this.cached = { mtimeMs: st.mtimeMs, size: st.size, connections: loadConnectionsFile(this.path, this.sources) };
    }
    return this.cached.connections;
  }

  get(name: string): ResolvedConnection {
    const all = this.all();
    const config = all.find((c) => c.name === name);
    if (!config) {
      const known = all.map((c) => c.name).join(', ') || 'none';
      throw new CcsyncError('ConfigError', `there is no connection named "${name}" in ${this.path} (known: ${known})`);
    }
    return { config, source: this.sources[config.source]! };
  }

  credentials(config: ConnectionConfig): Record<string, string> {
    return resolveCredentials(config, this.env);
  }
}
