/**
 * Workflow interceptors bundled with the workflows (workers/worker.ts `quietBundle`):
 * - every workflow log line (the SDK's own "Workflow started"... included) carries the
 *   connection, and for `syncWindow` the stream and window, so a sync's lines can be grepped;
 * - a `syncWindow` run that ends counts once in `ccsync_windows{connection, stream, outcome}`
 *   (completed, failed, cancelled), through the workflow metric meter (not emitted on replay).
 * Neither adds a command: histories recorded before still replay.
 */
import { ContinueAsNew, isCancellation, metricMeter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { METRIC } from '../core/metrics';
import { connectionName, streamName, syncWindowInput } from '../core/inputs';

interface SyncLabels {
  connection?: string;
  stream?: string;
  window?: string;
}

/** Labels from the workflow's input, only when they are well-formed names (never free text). */
function labelsOf(workflowType: string, args: readonly unknown[]): SyncLabels {
  const input = args[0];
  if (workflowType === 'syncWindow') {
    const parsed = syncWindowInput.safeParse(input);
    if (parsed.success) return { connection: parsed.data.connection, stream: parsed.data.stream, window: `${parsed.data.start}/${parsed.data.end}` };
  }
  const raw = (typeof input === 'object' && input !== null ? input : {}) as { connection?: unknown; streams?: unknown };
  const labels: SyncLabels = {};
  if (connectionName.safeParse(raw.connection).success) labels.connection = raw.connection as string;
  if (Array.isArray(raw.streams) && raw.streams.length === 1 && streamName.safeParse(raw.streams[0]).success) labels.stream = raw.streams[0] as string;
  return labels;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let labels: SyncLabels = {};
  return {
    inbound: [
      {
        async execute(input, next) {
          const type = workflowInfo().workflowType;
          labels = labelsOf(type, input.args);
          if (type !== 'syncWindow' || !labels.connection || !labels.stream) return next(input);
          const counter = metricMeter.createCounter(
            METRIC.windows,
            'windows',
            'syncWindow runs ended, by connection, stream and outcome (completed, failed, cancelled)',
          );
          const count = (outcome: 'completed' | 'failed' | 'cancelled', n = 1) =>
            counter.add(n, { connection: labels.connection!, stream: labels.stream!, outcome });
          // Every outcome's series exists (at 0) from the window's start: increase() then sees a first failure.
          if (!workflowInfo().continuedFromExecutionRunId) for (const o of ['completed', 'failed', 'cancelled'] as const) count(o, 0);
          try {
            const result = await next(input);
            count('completed');
            return result;
          } catch (err) {
            // Continuing as new is the same window going on, not an end.
            if (!(err instanceof ContinueAsNew)) count(isCancellation(err) ? 'cancelled' : 'failed');
            throw err;
          }
        },
      },
    ],
    outbound: [
      {
        getLogAttributes(input, next) {
          return next({ ...input, ...labels });
        },
      },
    ],
  };
};
