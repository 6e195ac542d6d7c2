/**
 * Our own Prometheus metrics, recorded through the Temporal SDK's metric meter so they leave the
 * worker through the same exporter (and port, CCSYNC_METRICS_ADDRESS) as the SDK's worker metrics.
 *
 * Label values are bounded and never secret: connection and stream names from the connections
 * file, a fixed set of outcomes, and HTTP status codes (or `network_error`). No window timestamps,
 * no record ids, no URLs (paths and query strings may carry tokens on some vendors).
 */
import { noopMetricMeter, type MetricCounter, type MetricGauge, type MetricHistogram, type MetricMeter } from '@temporalio/common';
import { completeUntil, type FreshnessFacts } from '../core/freshness';
import { METRIC } from '../core/metrics';
import type { Interval } from '../core/time';

export { HISTOGRAM_BUCKETS, METRIC } from '../core/metrics';

export type WriteOutcome = 'inserted' | 'updated' | 'unchanged';

/** An HTTP status as a label: the three digits, or `network_error` when no answer came. */
export function statusLabel(status: number | undefined): string {
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'network_error';
}

export class CcsyncMetrics {
  private meter: MetricMeter;
  private recordsCounter!: MetricCounter;
  private pagesCounter!: MetricCounter;
  private responsesCounter!: MetricCounter;
  private requestHistogram!: MetricHistogram;
  private waitHistogram!: MetricHistogram;
  private completeGauge!: MetricGauge;
  private everyGauge!: MetricGauge;
  private lagGauge!: MetricGauge;
  private alignmentGauge!: MetricGauge;

  constructor(meter: MetricMeter = noopMetricMeter) {
    this.meter = meter;
    this.build();
  }

  /** True when a real exporter is behind the meter (the worker then refreshes the freshness gauges). */
  get enabled(): boolean {
    return this.meter !== noopMetricMeter;
  }

  private build(): void {
    const m = this.meter;
    this.recordsCounter = m.createCounter(
      METRIC.recordsWritten,
      'records',
      'Records written to the destination, by connection, stream and outcome (inserted, updated, unchanged)',
    );
    this.pagesCounter = m.createCounter(METRIC.pages, 'pages', 'Pages fetched and written');
    this.responsesCounter = m.createCounter(METRIC.vendorResponses, 'responses', 'Vendor HTTP answers by connection and status (network_error: no answer)');
    this.requestHistogram = m.createHistogram(METRIC.requestDuration, 'float', 's', 'Vendor HTTP request latency, request sent to body received');
    this.waitHistogram = m.createHistogram(
      METRIC.rateLimitWait,
      'float',
      's',
      "Time a request waited for our client-side rate limit (the vendor account's budget)",
    );
    this.completeGauge = m.createGauge(
      METRIC.completeUntil,
      'float',
      's',
      'Unix time up to which the stream is complete: the end of the first completed interval run in the sync state',
    );
    this.everyGauge = m.createGauge(METRIC.scheduleEvery, 'float', 's', "The connection's schedule interval (only scheduled connections)");
    this.lagGauge = m.createGauge(METRIC.lag, 'float', 's', 'How long after the fact data is final: incremental runs stop this far before their time');
    this.alignmentGauge = m.createGauge(METRIC.alignment, 'float', 's', "The stream's window alignment: data completes in steps of this size");
  }

  /** After the worker's runtime shut down, recording into its native meter is no longer safe. */
  close(): void {
    this.meter = noopMetricMeter;
    this.build();
  }

  pageWritten(connection: string, stream: string, counts: Record<WriteOutcome, number>): void {
    this.pagesCounter.add(1, { connection, stream });
    for (const outcome of ['inserted', 'updated', 'unchanged'] as const) {
      // Every outcome series exists from the first page on, so rate() and increase() see the zeros.
      this.recordsCounter.add(counts[outcome], { connection, stream, outcome });
    }
  }

  vendorResponse(connection: string, status: number | undefined, seconds: number): void {
    const label = statusLabel(status);
    this.responsesCounter.add(1, { connection, status: label });
    this.requestHistogram.record(Math.max(0, seconds), { connection, status: label });
  }

  rateLimitWait(connection: string, seconds: number): void {
    this.waitHistogram.record(Math.max(0, seconds), { connection });
  }

  /** Sets the freshness gauges of one stream; nothing is set while nothing is complete. */
  streamState(connection: string, stream: string, intervals: readonly Interval[], facts: FreshnessFacts): void {
    const tags = { connection, stream };
    const until = completeUntil(intervals);
    if (until !== undefined) this.completeGauge.set(until / 1000, tags);
    this.lagGauge.set(facts.lagMs / 1000, tags);
    this.alignmentGauge.set(facts.alignmentMs / 1000, tags);
    if (facts.everyMs !== undefined) this.everyGauge.set(facts.everyMs / 1000, tags);
  }
}
