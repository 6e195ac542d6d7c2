/** The real `ccsync` command, run as a user runs it, against the real dev server and a real worker. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteDestination } from '../../destinations';
import { ccsync } from '../helpers/cli';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';

describe('ccsync connections check', () => {
  it('names the file, the connection and the field of a broken file, with exit code 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccsync-cli-')), 'connections.yaml');
    writeFileSync(
      file,
      'connections:\n  - name: kore-x\n    source: kore\n    settings: { baseUrl: https://k.example, orgId: o, iId: i }\n    credentials: { token: t }\n',
    );
    const r = await ccsync(['connections', 'check', '--file', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid`));
    assert.match(r.stderr, /connection "kore-x" \(connections\[0\]\): settings\.accountId: is required/);
  });
  it('reports unset credential variables per connection, with exit code 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccsync-cli-')), 'connections.yaml');
    writeFileSync(
      file,
      'connections:\n  - name: kore-y\n    source: kore\n    settings: { baseUrl: https://k.example, accountId: a, orgId: o, iId: i }\n    credentials: { token: "${CCSYNC_TEST_UNSET_TOKEN}" }\n',
    );
    const r = await ccsync(['connections', 'check', '--file', file, '--json', '--offline'], { CCSYNC_TEST_UNSET_TOKEN: undefined });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.connections[0].missingVariables, ['CCSYNC_TEST_UNSET_TOKEN']);
  });
});

describe('ccsync state show', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ccsync-cli-')), 'connections.yaml');
  writeFileSync(
    file,
    'connections:\n  - name: kore-s\n    source: kore\n    settings: { baseUrl: https://k.example, accountId: a, orgId: o, iId: i }\n    credentials: { token: "${CCSYNC_TEST_UNSET_TOKEN}" }\n    streams: [callvolume]\n',
  );
  it('opens the destination read-only: a missing database is reported (exit 2) and nothing is created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ccsync-ro-'));
    const r = await ccsync(['state', 'show', 'kore-s', '--file', file], { CCSYNC_DESTINATION: `sqlite:${join(root, 'nonexistent', 'dir', 'x.db')}` });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /the destination sqlite:.*x\.db does not exist/);
    assert.doesNotMatch(r.stdout, /nothing synced yet/);
    assert.equal(existsSync(join(root, 'nonexistent')), false, 'no directory was created');
    const scheme = await ccsync(['state', 'show', 'kore-s', '--file', file], { CCSYNC_DESTINATION: 'mysql://u:secretpw@h/db' });
    assert.equal(scheme.code, 2, scheme.stderr);
    assert.match(scheme.stderr, /is not supported/);
    assert.doesNotMatch(scheme.stderr, /secretpw/);
  });
  it('does not call a range "synced" when part of it is a gap', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ccsync-st-')), 'x.db');
    const d = new SqliteDestination(path);
    const day = Date.parse('2026-10-01T00:00:00Z');
    await d.markCompleted('kore-s', 'callvolume', { start: day, end: day + 86_400_000 });
    await d.markCompleted('kore-s', 'callvolume', { start: day + 3 * 86_400_000, end: day + 4 * 86_400_000 });
    await d.close();
    const r = await ccsync(['state', 'show', 'kore-s', '--file', file], { CCSYNC_DESTINATION: `sqlite:${path}` });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /callvolume: 50% complete between 2026-10-01T00:00:00.000Z and 2026-10-05T00:00:00.000Z, 1 gap\(s\)/);
    assert.doesNotMatch(r.stdout, /callvolume: synced/);
    assert.match(r.stdout, /gap 2026-10-02T00:00:00.000Z → 2026-10-04T00:00:00.000Z/);
  });
});

describe('ccsync backfill', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite' });
  });
  after(async () => stack?.close());

  const env = () => ({ TEMPORAL_ADDRESS: stack.temporal.address, CCSYNC_TASK_QUEUE: stack.taskQueue, CCSYNC_CONNECTIONS: stack.connectionsFile });
  const notStarted = async (id: string) => {
    await assert.rejects(stack.client.workflow.getHandle(id).describe(), /not found/i, `${id} must not have been started`);
  };

  it('start --wait runs the backfill workflow and reports its result', async () => {
    const r = await ccsync(
      ['backfill', 'start', '-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-03T00:00:00Z', '--wait', '--json', '--id', 'cli-bf-1'],
      env(),
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.result.windows.done, 2);
    assert.equal(out.result.records, 2 * 384);
    const status = await ccsync(['backfill', 'status', 'cli-bf-1', '--json'], env());
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status, 'COMPLETED');
  });
  it('without --wait, bad input is checked before anything starts: exit 2 naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['-c', 'nope', '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z'], /there is no connection named "nope"/],
      [['-c', CONNECTION, '--from', '2026-11-01'], /from: must be an ISO-8601 date-time/],
      [['-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z', '--max-parallel', 'abc'], /--max-parallel.*must be a whole number/],
      [['-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z', '--max-parallel', '0'], /maxParallelWindows: must be at least 1/],
      [
        ['-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z', '-s', 'calldetails'],
        /"calldetails" is not enabled for connection "kore-test"/,
      ],
      [
        ['-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z', '--window-size', 'PT7M'],
        /windowSize: PT7M must be a multiple of callvolume's interval, PT15M/,
      ],
      [['-c', CONNECTION, '--from', '2030-01-01T00:00:00Z', '--to', '2030-01-05T00:00:00Z'], /from: 2030-01-01T00:00:00Z is in the future/],
    ];
    for (const [i, [args, expected]] of cases.entries()) {
      const id = `cli-bad-${i}`;
      const r = await ccsync(['backfill', 'start', ...args, '--id', id], env());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, expected, args.join(' '));
      assert.doesNotMatch(r.stdout, /started/);
      await notStarted(id);
    }
    const sync = await ccsync(['sync', 'now', 'nope'], env());
    assert.equal(sync.code, 2, sync.stdout + sync.stderr);
    assert.match(sync.stderr, /there is no connection named "nope"/);
    assert.doesNotMatch(sync.stdout, /started/);
  });
  it('an impossible date is one error, and nothing is written', async () => {
    const r = await ccsync(
      ['backfill', 'start', '-c', CONNECTION, '--from', '2026-02-31T00:00:00Z', '--to', '2026-03-05T00:00:00Z', '--id', 'cli-feb31'],
      env(),
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const problems = r.stderr.split('\n').filter((l) => l.trim().startsWith('- '));
    assert.equal(problems.length, 1, r.stderr);
    assert.match(problems[0]!, /from: must be an ISO-8601 date-time.*"2026-02-31T00:00:00Z"/);
    await notStarted('cli-feb31');
  });
  it("states the windows, requests and time at the account's limit before it starts", async () => {
    const r = await ccsync(
      ['backfill', 'start', '-c', CONNECTION, '--from', '2026-09-01T00:00:00Z', '--to', '2026-09-11T00:00:00Z', '--id', 'cli-plan'],
      env(),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plan: 10 window\(s\) \(callvolume: 10 × P1D from 2026-09-01T00:00:00.000Z to 2026-09-11T00:00:00.000Z\); at least 10 request\(s\)/);
    assert.match(r.stdout, /Kore\.ai's limit of 59\/min|Kore\.ai's limit of 60\/min/);
    await stack.client.workflow.getHandle('cli-plan').result();
  });
  it('status of a failed backfill exits 1 and names the first failed window and its cause, in text and --json', async () => {
    stack.kore.failNext({ status: 401 });
    const started = await ccsync(
      ['backfill', 'start', '-c', CONNECTION, '--from', '2026-08-01T00:00:00Z', '--to', '2026-08-02T00:00:00Z', '--id', 'cli-bf-failed', '--wait'],
      env(),
    );
    assert.equal(started.code, 1, started.stdout + started.stderr);
    const text = await ccsync(['backfill', 'status', 'cli-bf-failed'], env());
    assert.equal(text.code, 1, text.stdout + text.stderr);
    assert.match(text.stdout, /cli-bf-failed: FAILED/);
    assert.match(text.stdout, /first failed window: kore-test · callvolume · 2026-08-01 → 2026-08-02: VendorRejected: .*401/);
    const json = await ccsync(['backfill', 'status', 'cli-bf-failed', '--json'], env());
    assert.equal(json.code, 1);
    const out = JSON.parse(json.stdout);
    assert.equal(out.status, 'FAILED');
    assert.match(out.firstFailure.window, /2026-08-01/);
    assert.equal(out.firstFailure.type, 'VendorRejected');
    assert.match(out.message, /1 window\(s\) failed/);
  });
  it('cancel of a finished backfill says it already ended; status of a cancelled one says it was cancelled', async () => {
    const finished = await ccsync(['backfill', 'cancel', 'cli-bf-1'], env());
    assert.equal(finished.code, 1, finished.stdout + finished.stderr);
    assert.match(finished.stdout, /cli-bf-1 is not running: it already ended COMPLETED; nothing was cancelled/);
    // Hung upstream for every attempt: the backfill is still running however slowly the CLI starts.
    stack.kore.failNext(...Array.from({ length: 200 }, () => ({ kind: 'timeout' as const, ms: 120_000 })));
    const start = await ccsync(
      ['backfill', 'start', '-c', CONNECTION, '--from', '2026-07-01T00:00:00Z', '--to', '2026-07-03T00:00:00Z', '--id', 'cli-bf-cancel'],
      env(),
    );
    assert.equal(start.code, 0, start.stderr);
    const cancel = await ccsync(['backfill', 'cancel', 'cli-bf-cancel'], env());
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /cancellation requested for cli-bf-cancel/);
    await stack.client.workflow
      .getHandle('cli-bf-cancel')
      .result()
      .catch(() => undefined);
    const status = await ccsync(['backfill', 'status', 'cli-bf-cancel', '--json'], env());
    assert.equal(status.code, 1, status.stdout);
    const out = JSON.parse(status.stdout);
    assert.equal(out.status, 'CANCELLED');
    assert.match(out.message, /cancelled/);
    stack.kore.clearFaults();
  });
  it('status of an unknown id exits 2, with JSON under --json', async () => {
    const r = await ccsync(['backfill', 'status', 'no-such-backfill', '--json'], env());
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'NOT_FOUND');
  });
  it('backfill list shows recent backfills with outcome and records', async () => {
    const r = await ccsync(['backfill', 'list', '--json', '--limit', '50'], env());
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { workflowId: string; status: string; records?: number }[];
    const done = rows.find((x) => x.workflowId === 'cli-bf-1');
    assert.equal(done?.status, 'COMPLETED');
    assert.equal(done?.records, 2 * 384);
    assert.equal(rows.find((x) => x.workflowId === 'cli-bf-failed')?.status, 'FAILED');
  });
  it("syncWindow by hand with a window off the stream's grid is refused naming the grid, and nothing is recorded", async () => {
    const handle = await stack.start(
      'syncWindow',
      { connection: CONNECTION, stream: 'callvolume', start: '2017-03-20T00:07:00Z', end: '2017-03-21T00:00:00Z' },
      'cli-offgrid',
    );
    const err = await handle.result().then(
      () => assert.fail('an off-grid window must not complete'),
      (e: Error & { cause?: Error }) => e,
    );
    assert.match(
      err.cause?.message ?? '',
      /Invalid syncWindow input: start: 2017-03-20T00:07:00.000Z is not on callvolume's grid of PT15M; use 2017-03-20T00:00:00.000Z/,
    );
    assert.deepEqual(
      await stack.destination.completedIntervals(CONNECTION, 'callvolume').then((c) => c.filter((i) => i.start < Date.parse('2017-03-22T00:00:00Z'))),
      [],
    );
  });
  it('an unreachable Temporal exits 3', async () => {
    const r = await ccsync(['backfill', 'status', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });
});
