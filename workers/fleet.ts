/**
 * Workers on one task queue must run the same connections file: Temporal hands any task to any
 * poller, so a worker whose file lacks a connection would otherwise fail that connection's windows
 * (as happens during every config rollout). Each worker carries the fingerprint of its file in its
 * Temporal identity (`ccsync <pid>@<host> connections:<fingerprint>`), visible in the Web UI's
 * pollers list and in `ccsync workers`. The watcher here asks Temporal who polls the queue, tells
 * the worker's ConnectionsStore (so an unknown connection is retried while peers differ, and fails
 * at once when every worker agrees it does not exist), and says loudly in the log when files differ.
 */
import { hostname } from 'node:os';
import { temporal } from '@temporalio/proto';
import type { ConnectionsStore } from '../activities/connections';

export const FINGERPRINT_TAG = 'connections:';

/** The worker's identity: what Temporal shows as the poller, with the file's fingerprint. */
export function workerIdentity(fingerprint: string, pid = process.pid, host = hostname()): string {
  return `ccsync ${pid}@${host} ${FINGERPRINT_TAG}${fingerprint}`;
}

/** The fingerprint in a poller's identity, if it is a ccsync worker that carries one. */
export function fingerprintOf(identity: string): string | undefined {
  const i = identity.indexOf(FINGERPRINT_TAG);
  return i < 0 ? undefined : identity.slice(i + FINGERPRINT_TAG.length).split(/\s/)[0];
}

export interface Poller {
  identity: string;
  fingerprint?: string;
  lastAccessTime?: string;
  /** The task types it was seen polling for. */
  types: string[];
}

interface DescribeTaskQueueService {
  describeTaskQueue(req: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest): Promise<temporal.api.workflowservice.v1.IDescribeTaskQueueResponse>;
}

/** Every poller Temporal has seen on the queue lately (workflow and activity tasks), one row per identity. */
export async function describePollers(service: DescribeTaskQueueService, namespace: string, taskQueue: string): Promise<Poller[]> {
  const byIdentity = new Map<string, Poller>();
  const types = [
    ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
    ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
  ] as const;
  for (const [name, type] of types) {
    const res = await service.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    for (const p of res.pollers ?? []) {
      const identity = p.identity ?? '';
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      const at = seconds ? new Date(seconds * 1000).toISOString() : undefined;
      const row = byIdentity.get(identity) ?? { identity, fingerprint: fingerprintOf(identity), lastAccessTime: at, types: [] };
      row.types.push(name);
      if (at && (!row.lastAccessTime || at > row.lastAccessTime)) row.lastAccessTime = at;
      byIdentity.set(identity, row);
    }
  }
  return [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}

export interface FleetWatch {
  /** Asks Temporal once more (the worker awaits the first answer before polling). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Keeps `store.peers` up to date every `everyMs`, and logs when the fingerprints on the queue
 * differ (once per distinct situation, not every time it looks).
 */
export function watchFleet(opts: {
  service: DescribeTaskQueueService;
  namespace: string;
  taskQueue: string;
  identity: string;
  store: ConnectionsStore;
  everyMs?: number;
  log?: (line: string) => void;
}): FleetWatch {
  const log = opts.log ?? ((line: string) => console.error(line));
  let lastSaid = '';
  const refresh = async () => {
    let pollers: Poller[];
    try {
      pollers = await describePollers(opts.service, opts.namespace, opts.taskQueue);
    } catch {
      // Temporal did not answer: keep what we knew.
      return;
    }
    const others = pollers.filter((p) => p.identity !== opts.identity);
    opts.store.setPeers(others.map((p) => p.fingerprint ?? 'unknown'));
    const mine = opts.store.fingerprint();
    const differing = others.filter((p) => p.fingerprint !== mine);
    const said = differing.map((p) => `${p.identity}`).join(', ');
    if (said && said !== lastSaid) {
      log(
        `ccsync worker: WARNING: the workers on task queue "${opts.taskQueue}" run different connections files. ` +
          `This worker's ${opts.store.path} has fingerprint ${mine}; ${differing.map((p) => `${p.identity} has ${p.fingerprint ?? 'none'}`).join('; ')}. ` +
          'A window of a connection one of them lacks is retried until a worker that knows it takes it; roll the same file out to every worker (`ccsync workers` lists them).',
      );
    } else if (!said && lastSaid) {
      log(`ccsync worker: every worker on task queue "${opts.taskQueue}" now runs connections file fingerprint ${mine}`);
    }
    lastSaid = said;
  };
  const timer = setInterval(() => void refresh(), opts.everyMs ?? 10_000);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
