/**
 * Workers and their connections files, on the real dev server with real worker processes: a
 * worker whose file lacks a connection must not fail that connection's windows (another worker
 * takes them), differing files are reported (log, identity, `ccsync workers`), a broken edit to the
 * file keeps the last valid version running, and a missing credential variable stops the worker
 * from starting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackfillProgress } from '../../workflows/backfill';
import { DEMO_KORE } from '../../simulators/kore';
import { ccsync } from '../helpers/cli';
import { CONNECTION, destinationUrl, startStack, type Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';
import { WorkerProcess } from '../helpers/worker-process';

const koreConnection = (name: string, url: string, streams = 'callvolume') => `  - name: ${name}
    source: kore
    settings: { baseUrl: ${url}, accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId} }
    credentials: { token: \${TEST_KORE_TOKEN} }
    streams: [${streams}]
`;

function writeTemp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ccsync-fleet-')), name);
  writeFileSync(file, text);
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('workers with different connections files on one task queue', () => {
  let stack: Stack;
  let odd: WorkerProcess;
  before(async () => {
    stack = await startStack({ destination: 'sqlite' });
    // A second worker on the same queue whose file names only kore-x: a rollout half done.
    const oddFile = writeTemp('connections.yaml', `connections:\n${koreConnection('kore-x', stack.kore.url)}`);
    odd = new WorkerProcess({
      ...stack.env,
      TEMPORAL_ADDRESS: stack.temporal.address,
      TEMPORAL_NAMESPACE: stack.temporal.namespace,
      CCSYNC_TASK_QUEUE: stack.taskQueue,
      CCSYNC_CONNECTIONS: oddFile,
      CCSYNC_DESTINATION: destinationUrl('sqlite'),
    });
    await odd.start(300_000);
  });
  after(async () => {
    await odd?.stop();
    await stack?.close();
  });

  it('a connection unknown to the worker that took the task is retried, not failed: the backfill completes', async () => {
    const handle = await stack.start(
      'backfill',
      { connection: CONNECTION, from: '2026-10-01T00:00:00Z', to: '2026-10-07T00:00:00Z', maxParallelWindows: 4 },
      'fleet-bf',
    );
    const result = (await handle.result()) as BackfillProgress;
    assert.equal(result.windows.failed, 0, JSON.stringify(result.failures));
    assert.equal(result.windows.done, 6);
    assert.equal(result.records, 6 * 384);
    // The odd worker did take some of the tasks, and said loudly why it handed them back.
    assert.match(odd.logs(), /asked for connection "kore-test", which is not in this worker's .*connections\.yaml \(known: kore-x\)/);
    assert.match(odd.logs(), /WARNING: the workers on task queue ".*" run different connections files/);
  });

  it('`ccsync workers` lists both workers with their fingerprints and exits 1 because they differ', async () => {
    const env = { TEMPORAL_ADDRESS: stack.temporal.address, CCSYNC_TASK_QUEUE: stack.taskQueue, CCSYNC_CONNECTIONS: stack.connectionsFile };
    const r = await ccsync(['workers', '--json'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { pollers: { identity: string; fingerprint?: string }[]; fingerprints: string[]; consistent: boolean };
    assert.equal(out.consistent, false);
    assert.equal(out.fingerprints.length, 2, r.stdout);
    assert.ok(
      out.pollers.some((p) => p.identity.includes(`${odd.pid}@`)),
      'the odd worker process is listed',
    );
    const text = await ccsync(['workers'], env);
    assert.match(text.stdout, /WARNING: the workers run 2 different connections files/);
    assert.match(text.stdout, /differs from the file here/);
  });
});

describe('a broken edit to the connections file', () => {
  let stack: Stack;
  let worker: WorkerProcess;
  let file: string;
  let taskQueue: string;
  before(async () => {
    stack = await startStack({ destination: 'sqlite' });
    file = writeTemp('connections.yaml', `connections:\n${koreConnection(CONNECTION, stack.kore.url)}${koreConnection('kore-other', stack.kore.url)}`);
    taskQueue = uniqueTaskQueue('ccsync-stale');
    worker = new WorkerProcess({
      ...stack.env,
      TEMPORAL_ADDRESS: stack.temporal.address,
      TEMPORAL_NAMESPACE: stack.temporal.namespace,
      CCSYNC_TASK_QUEUE: taskQueue,
      CCSYNC_CONNECTIONS: file,
      CCSYNC_DESTINATION: destinationUrl('sqlite'),
    });
    await worker.start(300_000);
  });
  after(async () => {
    await worker?.stop();
    await stack?.close();
  });

  const run = (input: unknown, id: string) => stack.client.workflow.start('backfill', { taskQueue, workflowId: id, args: [input] });

  it('keeps running on the last valid file, logs every problem, and other connections keep working', async () => {
    const good = readFileSync(file, 'utf8');
    await sleep(50);
    // One typo in kore-other's streams, and a second mistake elsewhere: both must be logged.
    writeFileSync(
      file,
      good.replace(/(name: kore-other[\s\S]*?streams: \[)callvolume/, '$1callvolme').replace('pageSize', 'pageSize') + '  - name: broken\n    source: kore\n',
    );
    const handle = await run({ connection: CONNECTION, from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' }, 'stale-bf-1');
    const result = (await handle.result()) as BackfillProgress;
    assert.equal(result.windows.done, 1);
    assert.equal(result.records, 384);
    const logs = worker.logs();
    assert.match(
      logs,
      /the connections file .* changed and is not valid; still running on the last valid version \(fingerprint [0-9a-f]{12}, 2 connection\(s\)\)/,
    );
    assert.match(logs, /"callvolme" is not a Kore\.ai stream/);
    assert.match(logs, /connection "broken" \(connections\[2\]\): settings/);
    writeFileSync(file, good);
  });

  it('a connections-file problem is never reported as a workflow "input" error', async () => {
    const handle = await run({ connection: 'nope', from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' }, 'stale-bf-nope');
    const err = await handle.result().then(
      () => assert.fail('a backfill of an unknown connection must fail'),
      (e: Error & { cause?: Error }) => e,
    );
    const message = err.cause?.message ?? '';
    assert.match(message, /^Connections file problem: there is no connection named "nope"/);
    assert.doesNotMatch(message, /Invalid backfill input/);
  });

  it('a worker whose file refers to an unset credential variable refuses to start, naming it', async () => {
    const missing = writeTemp(
      'connections.yaml',
      `connections:\n${koreConnection('kore-m', stack.kore.url).replace('TEST_KORE_TOKEN', 'CCSYNC_TEST_NEVER_SET')}`,
    );
    const w = new WorkerProcess({
      TEMPORAL_ADDRESS: stack.temporal.address,
      CCSYNC_TASK_QUEUE: uniqueTaskQueue('ccsync-m'),
      CCSYNC_CONNECTIONS: missing,
      CCSYNC_DESTINATION: destinationUrl('sqlite'),
    });
    await assert.rejects(w.start(300_000), /exited with 1 before polling[\s\S]*credentials\.token refers to \$\{CCSYNC_TEST_NEVER_SET\}, which is not set/);
  });
});
