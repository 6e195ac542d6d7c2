/**
 * One Temporal Schedule per connection that has a `schedule:` in the connections file, id
 * `ccsync/<connection>`, running `incrementalSync`. `applySchedules` makes the cluster match the
 * file and says what it changed; running it twice changes nothing the second time. Used by
 * `ccsync schedules apply` and by `npm start` (demo schedules).
 */
import { type Client, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { ConnectionConfig } from '../core/connections';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/search-attributes';
import { HOUR, MINUTE, parseDuration } from '../core/time';

export const SCHEDULE_PREFIX = 'ccsync/';
export const scheduleIdFor = (connection: string) => `${SCHEDULE_PREFIX}${connection}`;

export type ScheduleChangeKind = 'created' | 'updated' | 'unchanged' | 'deleted' | 'paused';
export interface ScheduleChange {
  scheduleId: string;
  connection: string;
  change: ScheduleChangeKind;
  /** What differed, for `updated`. */
  differences?: string[];
}

/** The parts of a schedule we manage, normalised so a desired and a described schedule compare. */
interface ManagedShape {
  everyMs: number;
  jitterMs: number;
  overlap: string;
  catchupWindowMs: number;
  workflowType: string;
  taskQueue: string;
  workflowId: string;
  args: unknown;
}

export function desiredShape(c: ConnectionConfig, taskQueue: string): ManagedShape {
  const every = parseDuration(c.schedule!.every)!;
  return {
    everyMs: every,
    jitterMs: c.schedule!.jitter ? parseDuration(c.schedule!.jitter)! : Math.min(Math.round(every / 10), MINUTE),
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindowMs: c.schedule!.catchupWindow ? parseDuration(c.schedule!.catchupWindow)! : HOUR,
    workflowType: 'incrementalSync',
    taskQueue,
    workflowId: `incremental/${c.name}`,
    args: [{ connection: c.name }],
  };
}

function scheduleOptions(c: ConnectionConfig, shape: ManagedShape): ScheduleOptions {
  return {
    scheduleId: scheduleIdFor(c.name),
    spec: { intervals: [{ every: shape.everyMs }], jitter: shape.jitterMs },
    action: {
      type: 'startWorkflow',
      workflowType: shape.workflowType,
      taskQueue: shape.taskQueue,
      workflowId: shape.workflowId,
      args: shape.args as unknown[],
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.CcsyncConnection, value: c.name }],
      staticSummary: `incremental sync of ${c.name}`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: shape.catchupWindowMs },
    state: { paused: c.schedule!.paused ?? false, note: 'managed by `ccsync schedules apply`' },
    memo: { managedBy: 'ccsync' },
  };
}

function differences(want: ManagedShape, have: ManagedShape): string[] {
  return (Object.keys(want) as (keyof ManagedShape)[])
    .filter((k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]))
    .map((k) => `${k}: ${JSON.stringify(have[k])} → ${JSON.stringify(want[k])}`);
}

export interface ApplyOptions {
  taskQueue: string;
  /**
   * Delete schedules whose connection is not in the file. Off by default: applying the wrong file
   * must not wipe every schedule, so they are paused (and can be unpaused, or pruned on purpose).
   */
  prune?: boolean;
  dryRun?: boolean;
}

export async function applySchedules(client: Client, connections: ConnectionConfig[], opts: ApplyOptions): Promise<ScheduleChange[]> {
  const changes: ScheduleChange[] = [];
  const wanted = connections.filter((c) => c.schedule);
  for (const c of wanted) {
    const id = scheduleIdFor(c.name);
    const want = desiredShape(c, opts.taskQueue);
    const handle = client.schedule.getHandle(id);
    let described;
    try {
      described = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!described) {
      if (!opts.dryRun) await client.schedule.create(scheduleOptions(c, want));
      changes.push({ scheduleId: id, connection: c.name, change: 'created' });
      continue;
    }
    const action = described.action as { workflowType?: string; taskQueue?: string; workflowId?: string; args?: unknown };
    const have: ManagedShape = {
      everyMs: described.spec.intervals?.[0]?.every ?? 0,
      jitterMs: described.spec.jitter ?? 0,
      overlap: described.policies.overlap ?? '',
      catchupWindowMs: described.policies.catchupWindow,
      workflowType: action.workflowType ?? '',
      taskQueue: action.taskQueue ?? '',
      workflowId: action.workflowId ?? '',
      args: action.args,
    };
    const diff = differences(want, have);
    if (diff.length === 0) {
      changes.push({ scheduleId: id, connection: c.name, change: 'unchanged' });
      continue;
    }
    if (!opts.dryRun) {
      const { spec, action: newAction, policies } = scheduleOptions(c, want);
      // Pausing is left as it is: a pause set in the Web UI survives an apply.
      await handle.update((prev) => ({ ...prev, spec, action: newAction, policies }));
    }
    changes.push({ scheduleId: id, connection: c.name, change: 'updated', differences: diff });
  }

  const keep = new Set(wanted.map((c) => scheduleIdFor(c.name)));
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX) || keep.has(s.scheduleId)) continue;
    const connection = s.scheduleId.slice(SCHEDULE_PREFIX.length);
    const handle = client.schedule.getHandle(s.scheduleId);
    if (opts.prune) {
      if (!opts.dryRun) await handle.delete();
      changes.push({ scheduleId: s.scheduleId, connection, change: 'deleted' });
    } else {
      if (s.state.paused) continue;
      if (!opts.dryRun) await handle.pause(`connection "${connection}" is not in the connections file applied; \`ccsync schedules apply --prune\` deletes it`);
      changes.push({ scheduleId: s.scheduleId, connection, change: 'paused' });
    }
  }
  return changes;
}
