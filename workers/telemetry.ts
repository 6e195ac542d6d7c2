/**
 * The process-wide Temporal Runtime: where the SDK's logs and metrics go. `installTelemetry` must
 * run before any NativeConnection or Worker exists (the Runtime is a singleton created on first
 * use); `npm run worker` and `npm start` call it first thing.
 *
 * Metrics: with CCSYNC_METRICS_ADDRESS (host:port) set, the SDK serves Prometheus metrics on
 * http://host:port/metrics: its own worker metrics (temporal_*) and ours (ccsync_*, recorded
 * through the same Runtime metric meter, see activities/metrics.ts). Off when unset.
 */
import { Runtime, type Logger } from '@temporalio/worker';
import { HISTOGRAM_BUCKETS } from '../core/metrics';
import { CcsyncError } from '../core/errors';

export const METRICS_ADDRESS_ENV = 'CCSYNC_METRICS_ADDRESS';

/** `host:port` from CCSYNC_METRICS_ADDRESS, or undefined (metrics off). A bare port binds 127.0.0.1. */
export function metricsAddressFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  const raw = env[METRICS_ADDRESS_ENV]?.trim();
  if (!raw) return undefined;
  const address = /^\d+$/.test(raw) ? `127.0.0.1:${raw}` : raw;
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)) {
    throw new CcsyncError('ConfigError', `${METRICS_ADDRESS_ENV} must be host:port, such as 127.0.0.1:9464 or 0.0.0.0:9464 (got ${JSON.stringify(raw)})`);
  }
  return address;
}

export interface TelemetryOptions {
  env?: Record<string, string | undefined>;
  /** Receives the SDK's log lines (its own, the workflow and activity loggers', and Core's, forwarded). */
  logger?: Logger;
}

/** Installs the Temporal Runtime with our logger and, when configured, the Prometheus exporter. Returns the metrics address. */
export function installTelemetry(opts: TelemetryOptions = {}): { metricsAddress?: string } {
  const metricsAddress = metricsAddressFromEnv(opts.env);
  try {
    Runtime.install({
      ...(opts.logger ? { logger: opts.logger } : {}),
      telemetryOptions: {
        // Core's (Rust) log lines go through the same logger instead of straight to the console.
        ...(opts.logger ? { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } : {}),
        ...(metricsAddress
          ? {
              metrics: {
                prometheus: {
                  bindAddress: metricsAddress,
                  // Prometheus conventions: counters end in _total, durations in seconds.
                  countersTotalSuffix: true,
                  useSecondsForDurations: true,
                  histogramBucketOverrides: HISTOGRAM_BUCKETS,
                },
              },
            }
          : {}),
      },
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CcsyncError(
      'ConfigError',
      metricsAddress ? `could not serve metrics on ${metricsAddress} (${METRICS_ADDRESS_ENV}): ${why}` : `could not set up the Temporal runtime: ${why}`,
    );
  }
  return { metricsAddress };
}
