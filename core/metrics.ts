/**
 * Names of ccsync's own Prometheus metrics. Pure (workflow-safe): the worker's activities, the
 * workflow interceptor that counts windows, the rules file's tests and the README share them.
 */
/** Metric names, exported for the rules file, its tests and the README. */
export const METRIC = {
  recordsWritten: 'ccsync_records_written',
  pages: 'ccsync_pages',
  vendorResponses: 'ccsync_vendor_responses',
  requestDuration: 'ccsync_vendor_request_duration_seconds',
  rateLimitWait: 'ccsync_rate_limit_wait_seconds',
  /** Counted by the workflow interceptor (workflows/interceptors.ts) when a syncWindow run ends: outcome completed, failed or cancelled. */
  windows: 'ccsync_windows',
  completeUntil: 'ccsync_stream_complete_until_seconds',
  scheduleEvery: 'ccsync_stream_schedule_every_seconds',
  lag: 'ccsync_stream_lag_seconds',
  alignment: 'ccsync_stream_alignment_seconds',
} as const;

/** Histogram buckets (seconds), passed to the exporter as `histogramBucketOverrides`. */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRIC.requestDuration]: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  [METRIC.rateLimitWait]: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120],
};
