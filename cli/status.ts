/**
 * `ccsync status [--json] [-c CONN] [--max-behind N|DURATION]`: per connection and stream, the
 * instant up to which the data is complete, how far behind the schedule that is, the gaps, and the
 * last failure with its cause (from Temporal visibility). A health check: exit 1 when a scheduled
 * stream is behind by more than --max-behind (default 2 schedule intervals), or never synced.
 *
 * Read-only: the destination is opened read-only (a SQLite file that does not exist is reported,
 * not created), and Temporal is only listed and read.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { connectionsFilePath, ConnectionsStore } from '../activities/connections';
import type { ConnectionConfig } from '../core/connections';
import { isCcsyncError } from '../core/errors';
import { windowRulesOf } from '../core/source';
import { behindMs, completeUntil, expectedUntil, freshnessFacts, gapsOf, type FreshnessFacts } from '../core/freshness';
import { formatDuration, parseDuration, toIso, type Interval } from '../core/time';
import { describeDestinationUrl, destinationUrlFromEnv, openDestination, SqliteDestination, type Destination } from '../destinations';
import { CliError, EXIT, printJson, temporalClient } from './output';

interface Failure {
  workflowId: string;
  type: string;
  closedAt: string | null;
  cause: string;
}

interface StreamStatus {
  connection: string;
  stream: string;
  kind: 'windowed' | 'snapshot';
  completeUntil: string | null;
  /** What the schedule could have completed by now (now − lag, down to the alignment). */
  expectedUntil: string | null;
  behindSeconds: number | null;
  /** behind / the schedule's `every`, when the connection has a schedule. */
  behindIntervals: number | null;
  every: string | null;
  gaps: { start: string; end: string }[];
  lastFailure: Failure | null;
  verdict: 'ok' | 'behind' | 'never synced' | 'not judged';
}

/** `--max-behind`: a number of schedule intervals (`2`, `1.5`) or a duration (`PT1H`, `45m`). */
export function parseMaxBehind(text: string): { intervals: number } | { ms: number } {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return { intervals: Number(t) };
  const ms = parseDuration(t);
  if (ms === undefined || !(ms > 0))
    throw new CliError(`--max-behind must be a number of schedule intervals (2) or a duration (PT1H, 45m); got ${JSON.stringify(text)}`, EXIT.usage);
  return { ms };
}

/** Whether a stream is too far behind; streams of unscheduled connections are judged only against a duration. */
export function verdictOf(
  intervals: readonly Interval[],
  now: number,
  facts: FreshnessFacts,
  max: { intervals: number } | { ms: number },
): StreamStatus['verdict'] {
  const limit = 'ms' in max ? max.ms : facts.everyMs === undefined ? undefined : max.intervals * facts.everyMs;
  if (limit === undefined) return 'not judged';
  const behind = behindMs(intervals, now, facts);
  if (behind === undefined) return 'never synced';
  return behind > limit ? 'behind' : 'ok';
}

/** The cause of a failed run in plain words: its failure message, and its cause's when it adds to it. */
async function failureCause(client: Client, workflowId: string, runId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const last = history.events?.at(-1);
  let f = last?.workflowExecutionFailedEventAttributes?.failure ?? undefined;
  if (!f) return 'the run failed (no failure recorded)';
  const parts: string[] = [];
  while (f) {
    if (f.message && !parts.some((p) => p.includes(f!.message!))) parts.push(f.message);
    f = f.cause ?? undefined;
  }
  return parts.join(': ');
}

async function lastFailure(client: Client, query: string): Promise<Failure | null> {
  let best: { workflowId: string; runId: string; type: string; closeTime?: Date } | undefined;
  let seen = 0;
  for await (const info of client.workflow.list({ query })) {
    if (!best || (info.closeTime && (!best.closeTime || info.closeTime > best.closeTime))) {
      best = { workflowId: info.workflowId, runId: info.runId, type: info.type, closeTime: info.closeTime };
    }
    // Visibility lists the newest first; a few more guard against ties in start order.
    if (++seen >= 20) break;
  }
  if (!best) return null;
  return {
    workflowId: best.workflowId,
    type: best.type,
    closedAt: best.closeTime?.toISOString() ?? null,
    cause: await failureCause(client, best.workflowId, best.runId),
  };
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Read-only: a SQLite file is opened read-only and never created; PostgreSQL is only read. */
function openReadOnly(url: string): { destination?: Destination; missing?: string } {
  if (/^sqlite:/i.test(url.trim())) {
    const path = resolve(url.trim().slice('sqlite:'.length));
    if (!existsSync(path)) return { missing: `the SQLite destination ${path} does not exist yet: nothing has been synced there (the worker creates it)` };
    return { destination: new SqliteDestination(path, { readOnly: true }) };
  }
  return { destination: openDestination(url) };
}

export function statusCommands(program: Command): void {
  program
    .command('status')
    .description('per connection and stream: complete until, how far behind the schedule, gaps, the last failure; exit 1 when a stream is too far behind')
    .option('-c, --connection <name>', 'only this connection')
    .option('--file <path>', 'the connections file')
    .option('--max-behind <n|duration>', 'exit 1 when a scheduled stream is more than this many schedule intervals (or this duration) behind', '2')
    .option('--no-temporal', 'skip the last failures (do not contact Temporal)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { connection?: string; file?: string; maxBehind: string; temporal: boolean; json?: boolean }) => {
      const max = parseMaxBehind(opts.maxBehind);
      let configs: ConnectionConfig[];
      let store: ConnectionsStore;
      try {
        store = new ConnectionsStore(opts.file ?? connectionsFilePath());
        configs = opts.connection ? [store.get(opts.connection).config] : store.all();
      } catch (err) {
        if (isCcsyncError(err)) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      const url = destinationUrlFromEnv();
      const { destination, missing } = openReadOnly(url);
      let temporal: Awaited<ReturnType<typeof temporalClient>> | undefined;
      let temporalProblem: string | undefined;
      if (opts.temporal) {
        try {
          temporal = await temporalClient();
        } catch (err) {
          temporalProblem = err instanceof Error ? err.message : String(err);
        }
      }
      const now = Date.now();
      const streams: StreamStatus[] = [];
      const connectionFailures: Record<string, Failure | null> = {};
      try {
        for (const config of configs) {
          const { source } = store.get(config.name);
          if (temporal) {
            connectionFailures[config.name] = await lastFailure(
              temporal.client,
              `WorkflowType IN ('backfill', 'incrementalSync') AND ExecutionStatus = 'Failed' AND CcsyncConnection = ${quote(config.name)}`,
            );
          }
          for (const choice of config.streams) {
            const decl = source.streams[choice.name]!;
            const schedule = config.schedule?.paused ? undefined : config.schedule;
            const facts = freshnessFacts(schedule, windowRulesOf(decl, config.settings));
            const intervals = destination ? await destination.completedIntervals(config.name, decl.name) : [];
            const windowed = decl.kind === 'windowed';
            const until = completeUntil(intervals);
            const behind = windowed ? behindMs(intervals, now, facts) : undefined;
            const failure = temporal
              ? await lastFailure(
                  temporal.client,
                  `WorkflowType = 'syncWindow' AND ExecutionStatus = 'Failed' AND CcsyncConnection = ${quote(config.name)} AND CcsyncStream = ${quote(decl.name)}`,
                )
              : null;
            streams.push({
              connection: config.name,
              stream: decl.name,
              kind: decl.kind,
              completeUntil: until === undefined ? null : toIso(until),
              expectedUntil: windowed ? toIso(expectedUntil(now, facts)) : null,
              behindSeconds: behind === undefined ? null : Math.round(behind / 1000),
              behindIntervals: behind === undefined || facts.everyMs === undefined ? null : Math.round((behind / facts.everyMs) * 100) / 100,
              every: facts.everyMs === undefined ? null : formatDuration(facts.everyMs),
              gaps: gapsOf(intervals).map((g) => ({ start: toIso(g.start), end: toIso(g.end) })),
              lastFailure: failure,
              // Snapshot streams are read whole on every run: no "complete until" to judge.
              verdict: windowed ? verdictOf(intervals, now, facts, max) : 'not judged',
            });
          }
        }
      } finally {
        await destination?.close();
        await temporal?.close();
      }

      const unhealthy = streams.filter((s) => s.verdict === 'behind' || s.verdict === 'never synced');
      if (opts.json) {
        printJson({
          now: toIso(now),
          destination: describeDestinationUrl(url),
          ...(missing ? { destinationMissing: missing } : {}),
          maxBehind: opts.maxBehind,
          temporal: temporal ? 'read' : (temporalProblem ?? 'skipped (--no-temporal)'),
          connections: Object.fromEntries(Object.entries(connectionFailures).map(([c, f]) => [c, { lastFailure: f }])),
          streams,
          healthy: unhealthy.length === 0,
        });
      } else {
        console.log(`ccsync status at ${toIso(now)}: ${describeDestinationUrl(url)}`);
        if (missing) console.log(`  ${missing}`);
        if (temporalProblem) console.log(`  last failures unknown: ${temporalProblem}`);
        let current = '';
        for (const s of streams) {
          if (s.connection !== current) {
            current = s.connection;
            const f = connectionFailures[current];
            console.log(`${current}${f ? `  (last failed ${f.type} ${f.workflowId} at ${f.closedAt}: ${f.cause})` : ''}`);
          }
          const mark = s.verdict === 'behind' || s.verdict === 'never synced' ? '✗' : s.verdict === 'ok' ? '✓' : '·';
          const when =
            s.kind === 'snapshot'
              ? 'snapshot (read whole every run)'
              : s.completeUntil
                ? `complete until ${s.completeUntil}, ${s.behindSeconds ? `${formatDuration(s.behindSeconds * 1000)} behind` : 'on time'}` +
                  (s.behindIntervals !== null ? ` (${s.behindIntervals} × ${s.every})` : ' (no schedule)')
                : 'nothing synced yet';
          console.log(`  ${mark} ${s.stream}: ${when}${s.verdict === 'behind' ? ' — too far behind' : ''}`);
          for (const g of s.gaps) console.log(`      gap ${g.start} → ${g.end}`);
          if (s.lastFailure) console.log(`      last failure ${s.lastFailure.closedAt} (${s.lastFailure.workflowId}): ${s.lastFailure.cause}`);
        }
        if (unhealthy.length)
          console.log(
            `${unhealthy.length} stream(s) never synced or behind by more than --max-behind ${opts.maxBehind}: ${unhealthy.map((s) => `${s.connection}/${s.stream}`).join(', ')}`,
          );
      }
      if (unhealthy.length) process.exitCode = EXIT.failed;
    });
}
