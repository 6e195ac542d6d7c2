/**
 * How every process of ours (worker, CLI, tests, launcher) reaches Temporal, from the
 * environment: a local dev server by default, or another cluster / Temporal Cloud with TLS
 * (client certificate) or an API key.
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_TASK_QUEUE = 'ccsync';
export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS: true for server-auth only, or a client certificate pair (mTLS). */
  tls?: boolean | { clientCertPair: { crt: Buffer; key: Buffer }; serverNameOverride?: string; serverRootCACertificate?: Buffer };
  apiKey?: string;
}

/**
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, CCSYNC_TASK_QUEUE; TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY
 * (paths, mTLS), TEMPORAL_TLS_CA (path), TEMPORAL_TLS=true (server TLS only),
 * TEMPORAL_TLS_SERVER_NAME; TEMPORAL_API_KEY (Temporal Cloud API keys imply TLS).
 */
export function temporalSettingsFromEnv(env: Record<string, string | undefined> = process.env): TemporalSettings {
  const settings: TemporalSettings = {
    address: env.TEMPORAL_ADDRESS || DEFAULT_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE,
    taskQueue: env.CCSYNC_TASK_QUEUE || DEFAULT_TASK_QUEUE,
  };
  if (env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY) {
    if (!env.TEMPORAL_TLS_CERT || !env.TEMPORAL_TLS_KEY) {
      throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (paths to the client certificate and key)');
    }
    settings.tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) },
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
      serverRootCACertificate: env.TEMPORAL_TLS_CA ? readFileSync(env.TEMPORAL_TLS_CA) : undefined,
    };
  } else if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS === 'true') {
    settings.tls = true;
  }
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  return settings;
}

/** The connection options shared by `Connection.connect` (client) and `NativeConnection.connect` (worker). */
export function connectionOptions(s: TemporalSettings) {
  return { address: s.address, tls: s.tls, apiKey: s.apiKey };
}
