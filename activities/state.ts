/**
 * Activities around the sync state: what a connection's streams are (so workflows can plan
 * windows without importing vendor code), which intervals are complete, and recording a window
 * as complete once all its pages are committed.
 */
import type { ConnectionConfig } from '../core/connections';
import { CcsyncError } from '../core/errors';
import { type WindowRules, windowRulesOf } from '../core/source';
import { intervalToIso, parseDuration, parseInstant } from '../core/time';
import { parallelWindowsFor } from '../core/parallel-windows';
import type { Runtime } from './runtime';
import { snapshotRunId, streamOf, tableSpecOf } from './streams';

export interface StreamPlan {
  name: string;
  table: string;
  kind: 'windowed' | 'snapshot';
  window: WindowRules;
}

export interface ConnectionPlan {
  connection: string;
  source: string;
  sourceTitle: string;
  streams: StreamPlan[];
  /** How far back a first incremental run reaches (ISO), if configured. */
  start?: string;
  schedule?: { everyMs: number; lagMs?: number; lookbackMs?: number };
  /**
   * The account's request budget (the worker's limiter enforces it), for the backfill's estimate.
   * Absent in histories recorded before it existed.
   */
  rateLimit?: { limit: number; perMs: number };
  /**
   * Windows to run at once when the input does not say (core/parallel-windows.ts: enough to keep the
   * account's budget full). Absent from results recorded before it existed: those runs keep 4.
   */
  parallelWindows?: number;
}

function enabledStreams(config: ConnectionConfig, requested: string[] | undefined, sourceTitle: string, known: string[]): string[] {
  const enabled = config.streams.map((s) => s.name);
  if (!requested) return enabled;
  const problems: string[] = [];
  for (const s of requested) {
    if (!known.includes(s)) problems.push(`"${s}" is not a ${sourceTitle} stream (known: ${known.join(', ')})`);
    else if (!enabled.includes(s)) problems.push(`"${s}" is not enabled for connection "${config.name}" (enabled: ${enabled.join(', ')})`);
  }
  if (problems.length) throw new CcsyncError('InvalidInput', `streams: ${problems.join('; ')}`);
  return [...new Set(requested)];
}

export function describeConnection(rt: Runtime, input: { connection: string; streams?: string[] }): ConnectionPlan {
  const { config, source } = rt.connections.get(input.connection);
  const names = enabledStreams(config, input.streams, source.title, Object.keys(source.streams));
  const ms = (d: string | undefined) => (d === undefined ? undefined : parseDuration(d));
  return {
    connection: config.name,
    source: source.name,
    sourceTitle: source.title,
    streams: names.map((n) => {
      const s = streamOf(source, n);
      return { name: s.name, table: s.table, kind: s.kind, window: windowRulesOf(s, config.settings) };
    }),
    start: config.start && new Date(parseInstant(config.start)!).toISOString(),
    rateLimit: (({ limit, perMs }) => ({ limit, perMs }))(source.rateLimit(config.settings)),
    schedule: config.schedule && {
      everyMs: ms(config.schedule.every)!,
      lagMs: ms(config.schedule.lag),
      lookbackMs: ms(config.schedule.lookback),
    },
    parallelWindows: parallelWindowsFor(source.rateLimit(config.settings)),
  };
}

export async function readState(rt: Runtime, input: { connection: string; streams: string[] }): Promise<Record<string, { start: string; end: string }[]>> {
  const out: Record<string, { start: string; end: string }[]> = {};
  for (const s of input.streams) {
    out[s] = (await rt.destination.completedIntervals(input.connection, s)).map(intervalToIso);
  }
  return out;
}

export async function commitWindow(rt: Runtime, input: { connection: string; stream: string; start: string; end: string }): Promise<void> {
  await rt.destination.markCompleted(input.connection, input.stream, { start: parseInstant(input.start)!, end: parseInstant(input.end)! });
}

/** Ends a snapshot stream's run: rows the run did not see are marked deleted. */
export async function finishSnapshot(rt: Runtime, input: { connection: string; stream: string; start: string; snapshotRun?: string }) {
  const { source } = rt.connections.get(input.connection);
  const stream = streamOf(source, input.stream);
  return rt.destination.finishSnapshot(tableSpecOf(stream), input.connection, snapshotRunId(input));
}
