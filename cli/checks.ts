/**
 * What the CLI checks before it starts a workflow, so bad input is exit 2 with or without --wait:
 * the input against the very schema the workflow uses (core/inputs.ts), the connection and its
 * streams against the connections file (the same `describeConnection` the workflow's first
 * activity runs), and a backfill's range against each stream's window rules (the workflow's own
 * planner). Nothing is started when any of it fails.
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { ConnectionsStore } from '../activities/connections';
import type { Runtime } from '../activities/runtime';
import { type ConnectionPlan, describeConnection } from '../activities/state';
import { isCcsyncError } from '../core/errors';
import { type BackfillInput, checkInput } from '../core/inputs';
import { formatDuration, parseDuration, parseInstant, toIso } from '../core/time';
import { planBackfill } from '../core/windows';
import { type BackfillEstimate, estimateBackfill } from '../core/estimate';
export { type BackfillEstimate, describeEstimate, humanDuration } from '../core/estimate';
import { CliError, EXIT } from './output';
import type { z } from 'zod';

/** commander parser for `--max-parallel` and friends: `abc`, `1.5` or `-1` is an error, never dropped. */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`must be a whole number (got "${value}")`);
  return Number(value);
}

/** The workflow's own schema; every problem named, exit 2. */
export function checkedInput<T>(schema: z.ZodType<T>, raw: unknown, workflow: string): T {
  const r = checkInput(schema, raw);
  if (!r.ok) throw new CliError(`invalid ${workflow} input, nothing started:\n  - ${r.problems.join('\n  - ')}`, EXIT.usage);
  return r.value;
}

/**
 * The connection as the worker will see it, from the connections file this CLI is given
 * (--file, CCSYNC_CONNECTIONS, connections.yaml, connections.demo.yaml). When there is no file at
 * all here (the CLI runs on another machine than the worker), says so and checks nothing more.
 */
export function checkedConnection(
  file: string,
  connection: string,
  streams: string[] | undefined,
  quiet = false,
): { plan: ConnectionPlan; store: ConnectionsStore } | undefined {
  if (!existsSync(file)) {
    if (!quiet) console.error(`ccsync: note: no connections file at ${file}; "${connection}" is not checked here (pass --file to check it)`);
    return undefined;
  }
  const store = new ConnectionsStore(file);
  try {
    const plan = describeConnection({ connections: store } as unknown as Runtime, { connection, streams });
    return { plan, store };
  } catch (err) {
    if (isCcsyncError(err)) throw new CliError(`${err.message}; nothing started`, EXIT.usage);
    throw err;
  }
}

/**
 * Runs the workflow's planner on the range (as if nothing were synced yet) and turns its refusals
 * into exit 2. A range with no window at all (entirely in the future, or younger than the
 * stream's lag) is refused too: it would "complete" having done nothing.
 */
export function checkedBackfillPlan(input: BackfillInput, checked: { plan: ConnectionPlan; store: ConnectionsStore }, now = Date.now()): BackfillEstimate {
  const from = parseInstant(input.from)!;
  const to = input.to ? parseInstant(input.to)! : now;
  if (from >= now) throw new CliError(`invalid backfill input, nothing started: from: ${input.from} is in the future; nothing to backfill`, EXIT.usage);
  const planned = planBackfill({
    streams: checked.plan.streams,
    requested: input.streams,
    windowSize: input.windowSize === undefined ? undefined : { text: input.windowSize, ms: parseDuration(input.windowSize)! },
    force: input.force,
    range: { from, to },
    completed: {},
    resumeFrom: {},
    now,
    // As the workflow plans: the connection's schedule.lag, when set.
    lagMs: checked.plan.schedule?.lagMs,
  });
  if (planned.problems.length) throw new CliError(`Invalid backfill input: ${planned.problems.join('; ')}; nothing started`, EXIT.usage);
  const todo = planned.todo;
  const windowed = checked.plan.streams.filter((s) => s.kind === 'windowed');
  if (todo.length === 0) {
    const lag = checked.plan.schedule?.lagMs ?? Math.max(...windowed.map((s) => s.window.defaultLag), 0);
    throw new CliError(
      `invalid backfill input, nothing started: [${input.from}, ${input.to ?? toIso(to)}) has no window to sync: data is final at the vendor only up to now minus the stream's lag (${formatDuration(lag)})`,
      EXIT.usage,
    );
  }
  const { config, source } = checked.store.get(checked.plan.connection);
  // The same estimate the workflow's first progress report carries (core/estimate.ts).
  return estimateBackfill(todo, checked.plan.streams, input.windowSize, source.rateLimit(config.settings));
}
