/**
 * The freshness gauges: per connection and windowed stream, the instant up to which the data is
 * complete (from the destination's sync state), with the schedule facts the alert rules compare
 * it with. The worker refreshes them periodically (so windows finished by other workers show too)
 * and after each committed window.
 */
import { freshnessFacts } from '../core/freshness';
import { windowRulesOf } from '../core/source';
import type { Runtime } from './runtime';

/** Refreshes the gauges of every windowed stream, or only those of one connection / stream. */
export async function refreshFreshness(rt: Runtime, only?: { connection: string; stream?: string }): Promise<void> {
  if (!rt.metrics?.enabled) return;
  for (const config of rt.connections.all()) {
    if (only && config.name !== only.connection) continue;
    const { source } = rt.connections.get(config.name);
    for (const choice of config.streams) {
      if (only?.stream && choice.name !== only.stream) continue;
      const stream = source.streams[choice.name];
      // Snapshot streams (agents, teams) are read whole on every run: they have no "complete until".
      if (!stream || stream.kind !== 'windowed') continue;
      const intervals = await rt.destination.completedIntervals(config.name, stream.name);
      // A paused schedule is not expected to keep the stream fresh: no interval, no staleness alert.
      const schedule = config.schedule?.paused ? undefined : config.schedule;
      rt.metrics.streamState(config.name, stream.name, intervals, freshnessFacts(schedule, windowRulesOf(stream, config.settings)));
    }
  }
}
