/**
 * Continuous sync: Temporal Schedules created from the connections file run `incrementalSync`;
 * successive runs fetch only new data plus the lookback; late revisions land; a schedule's own
 * backfill equals a plain backfill; `schedules apply` is idempotent. All through the real `ccsync`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_KORE, callVolumeGroundTruth } from '../../simulators/kore';
import { ccsync } from '../helpers/cli';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';
import { readAll } from '../helpers/destination-access';

const TABLE = { name: 'kore_callvolume', keyColumns: ['_id'] };
const MIN15 = 15 * 60_000;
const floor15 = (ms: number) => Math.floor(ms / MIN15) * MIN15;
const START = floor15(Date.now() - 3 * 3600_000);
const DAY_D = Date.parse('2026-10-20T00:00:00Z');

const twin = (name: string, extra: string) => (url: string) => `  - name: ${name}
    source: kore
    settings: { baseUrl: ${url}, accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId}, pageSize: 500 }
    credentials: { token: \${TEST_KORE_TOKEN} }
    streams: [callvolume]
${extra}`;

interface RunResult {
  scheduledAt: string;
  windows: { done: number };
  plan: { stream: string; from: string; to: string; windows: number; lookback?: string }[];
}

async function rowsOf(stack: Stack, connection: string, from: number, to: number) {
  return (await readAll(stack.destination, TABLE, connection))
    .filter((r) => {
      const t = Date.parse((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp);
      return t >= from && t < to;
    })
    .map((r) => r.record);
}

async function completedRuns(stack: Stack, workflowIdPrefix: string): Promise<RunResult[]> {
  const out: { start: number; result: RunResult }[] = [];
  for await (const w of stack.client.workflow.list({
    query: `WorkflowType = 'incrementalSync' AND ExecutionStatus = 'Completed' AND TaskQueue = '${stack.taskQueue}'`,
  })) {
    if (!w.workflowId.startsWith(workflowIdPrefix)) continue;
    out.push({ start: w.startTime.getTime(), result: (await stack.client.workflow.getHandle(w.workflowId, w.runId).result()) as RunResult });
  }
  return out.sort((a, b) => Date.parse(a.result.scheduledAt) - Date.parse(b.result.scheduledAt)).map((r) => r.result);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('schedules and incremental sync', () => {
  let stack: Stack;
  let env: Record<string, string>;
  before(async () => {
    stack = await startStack({
      destination: 'sqlite',
      settings: { pageSize: 500 },
      connectionExtra: `    start: ${new Date(START).toISOString()}\n    schedule: { every: 3s, lag: 10m, lookback: 1h }`,
      extraConnectionsYaml: (url) =>
        twin('kore-sched', `    start: ${new Date(DAY_D).toISOString()}\n    schedule: { every: 6h, lag: 10m, lookback: 1h }\n`)(url) +
        twin('kore-plain', '')(url),
    });
    env = {
      TEMPORAL_ADDRESS: stack.temporal.address,
      CCSYNC_TASK_QUEUE: stack.taskQueue,
      CCSYNC_CONNECTIONS: stack.connectionsFile,
      CCSYNC_DESTINATION: stack.destinationUrl,
      ...stack.env,
    };
  });
  after(async () => {
    await ccsync(['schedules', 'pause', CONNECTION], env);
    await stack?.close();
  });

  it('`schedules apply` creates one schedule per scheduled connection, and a second apply changes nothing', async () => {
    const first = await ccsync(['schedules', 'apply', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const changes = JSON.parse(first.stdout).changes as { scheduleId: string; change: string }[];
    assert.deepEqual(changes.map((c) => `${c.change} ${c.scheduleId}`).sort(), [`created ccsync/${CONNECTION}`, 'created ccsync/kore-sched'].sort());
    const second = await ccsync(['schedules', 'apply', '--json'], env);
    assert.deepEqual(
      (JSON.parse(second.stdout).changes as { change: string }[]).map((c) => c.change),
      ['unchanged', 'unchanged'],
    );
    const described = await stack.client.schedule.getHandle(`ccsync/${CONNECTION}`).describe();
    assert.equal(described.policies.overlap, 'SKIP');
    assert.equal(described.spec.intervals?.[0]?.every, 3000);
    assert.ok(described.policies.catchupWindow > 0, 'an explicit catch-up window');
  });

  it('runs incrementalSync at its interval; each later run reads only new data plus the lookback; tables equal ground truth', async () => {
    const runs = await until('two scheduled runs', async () => {
      const r = await completedRuns(stack, `incremental/${CONNECTION}`);
      return r.length >= 2 ? r : undefined;
    });
    const [first, second] = runs as [RunResult, RunResult];
    const plan1 = first.plan[0]!;
    assert.equal(plan1.from, new Date(START).toISOString(), 'the first run reaches back to the connection start');
    const end1 = Date.parse(plan1.to);
    assert.equal(end1, floor15(Date.parse(first.scheduledAt) - 10 * 60_000), 'up to the scheduled time minus the lag');
    const plan2 = second.plan[0]!;
    const end2 = Date.parse(plan2.to);
    assert.equal(
      plan2.lookback,
      `${new Date(end1 - 3600_000).toISOString()}/${new Date(end1).toISOString()}`,
      'the second run re-reads the lookback before the frontier',
    );
    assert.equal(Date.parse(plan2.from) <= end1 - 3600_000, true);
    const truth = callVolumeGroundTruth(stack.kore.data, START, Math.max(end1, end2));
    assert.deepEqual(
      (await rowsOf(stack, CONNECTION, START, Math.max(end1, end2))).sort((a, b) =>
        String((a as { _id: string })._id).localeCompare((b as { _id: string })._id),
      ),
      [...truth].sort((a, b) => a._id.localeCompare(b._id)),
    );
  });

  it('a record revised inside the lookback ends up in its latest form after the next run', async () => {
    const frontier = floor15(Date.now() - 10 * 60_000);
    const revisedInterval = frontier - 2 * MIN15;
    const [revised] = stack.kore.reviseCallVolume(revisedInterval, stack.kore.data.queues[0]!.queueId);
    const before = Date.now();
    await until('a run after the revision', async () => {
      const runs = await completedRuns(stack, `incremental/${CONNECTION}`);
      return runs.some((r) => Date.parse(r.scheduledAt) > before) ? true : undefined;
    });
    const stored = (await readAll(stack.destination, TABLE, CONNECTION)).find((r) => r.key._id === revised!._id);
    assert.deepEqual(stored?.record, revised, 'the table holds the revised record');
    assert.ok((revised as { __v: number }).__v > 0);
  });

  it("a schedule's own backfill over a past day yields the same table as a backfill workflow over that day", async () => {
    await ccsync(['schedules', 'pause', CONNECTION], env);
    const r = await ccsync(
      [
        'schedules',
        'backfill',
        'kore-sched',
        '--from',
        new Date(DAY_D + 6 * 3600_000).toISOString(),
        '--to',
        new Date(DAY_D + 30 * 3600_000 + 5 * 60_000).toISOString(),
      ] /* past the 1-minute jitter */,
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const runs = await until(
      'five schedule-backfill runs',
      async () => {
        const done = await completedRuns(stack, 'incremental/kore-sched');
        return done.length >= 5 ? done : undefined;
      },
      120_000,
    );
    assert.deepEqual(
      runs.map((x) => x.scheduledAt),
      [6, 12, 18, 24, 30].map((h) => new Date(DAY_D + h * 3600_000).toISOString()),
      'each run works from its own nominal time',
    );
    const plain = await ccsync(
      [
        'backfill',
        'start',
        '-c',
        'kore-plain',
        '--from',
        new Date(DAY_D).toISOString(),
        '--to',
        new Date(DAY_D + 86_400_000).toISOString(),
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(plain.code, 0, plain.stderr);
    const bySchedule = await rowsOf(stack, 'kore-sched', DAY_D, DAY_D + 86_400_000);
    const byBackfill = await rowsOf(stack, 'kore-plain', DAY_D, DAY_D + 86_400_000);
    assert.equal(bySchedule.length, 4 * 96);
    assert.deepEqual(bySchedule, byBackfill);
  });

  it('`sync now` and `state show` report through the real command', async () => {
    const now = await ccsync(['sync', 'now', 'kore-plain', '--wait', '--json'], env);
    assert.equal(now.code, 0, now.stderr);
    assert.equal(JSON.parse(now.stdout).status, 'COMPLETED');
    const state = await ccsync(['state', 'show', 'kore-sched', '--json'], env);
    assert.equal(state.code, 0, state.stderr);
    const s = JSON.parse(state.stdout).streams[0];
    assert.equal(s.stream, 'callvolume');
    assert.deepEqual(s.gaps, []);
    assert.equal(s.completed[0].start, new Date(DAY_D).toISOString());
  });

  it('a connection missing from the file pauses its schedule by default, and only --prune deletes it', async () => {
    const original = readFileSync(stack.connectionsFile, 'utf8');
    const withoutSched = original.replace(/ {2}- name: kore-sched[\s\S]*?(?= {2}- name: kore-plain)/, '');
    assert.ok(!withoutSched.includes('kore-sched'));
    writeFileSync(stack.connectionsFile, withoutSched);
    // The wrong file, applied with no flag, must not delete anything: it pauses, and says so.
    const text = await ccsync(['schedules', 'apply', '--dry-run'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /paused +ccsync\/kore-sched \(its connection is not in .*; `--prune` deletes it\)/);
    const paused = await ccsync(['schedules', 'apply', '--json'], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.deepEqual(JSON.parse(paused.stdout).changes.find((c: { connection: string }) => c.connection === 'kore-sched')?.change, 'paused');
    assert.equal((await stack.client.schedule.getHandle('ccsync/kore-sched').describe()).state.paused, true);
    const removed = await ccsync(['schedules', 'apply', '--prune', '--json'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout).changes.find((c: { connection: string }) => c.connection === 'kore-sched')?.change, 'deleted');
    await assert.rejects(stack.client.schedule.getHandle('ccsync/kore-sched').describe(), /not found/i);
    writeFileSync(stack.connectionsFile, original);
  });
});
