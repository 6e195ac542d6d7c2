/** The real `ccsync` command, run as a user runs it, against the real dev server and a real worker. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ccsync } from '../helpers/cli';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';

describe('ccsync connections check', () => {
  it('names the file, the connection and the field of a broken file, with exit code 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccsync-cli-')), 'connections.yaml');
    writeFileSync(file, 'connections:\n  - name: kore-x\n    source: kore\n    settings: { baseUrl: https://k.example, orgId: o, iId: i }\n    credentials: { token: t }\n');
    const r = await ccsync(['connections', 'check', '--file', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid`));
    assert.match(r.stderr, /connection "kore-x" \(connections\[0\]\): settings\.accountId: is required/);
  });
  it('reports unset credential variables per connection, with exit code 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccsync-cli-')), 'connections.yaml');
    writeFileSync(file, 'connections:\n  - name: kore-y\n    source: kore\n    settings: { baseUrl: https://k.example, accountId: a, orgId: o, iId: i }\n    credentials: { token: "${CCSYNC_TEST_UNSET_TOKEN}" }\n');
    const r = await ccsync(['connections', 'check', '--file', file, '--json', '--offline'], { CCSYNC_TEST_UNSET_TOKEN: undefined });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.connections[0].missingVariables, ['CCSYNC_TEST_UNSET_TOKEN']);
  });
});

describe('ccsync backfill', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite' });
  });
  after(async () => stack?.close());

  const env = () => ({ TEMPORAL_ADDRESS: stack.temporal.address, CCSYNC_TASK_QUEUE: stack.taskQueue });

  it('start --wait runs the backfill workflow and reports its result', async () => {
    const r = await ccsync(['backfill', 'start', '-c', CONNECTION, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-03T00:00:00Z', '--wait', '--json', '--id', 'cli-bf-1'], env());
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.result.windows.done, 2);
    assert.equal(out.result.records, 2 * 384);
    const status = await ccsync(['backfill', 'status', 'cli-bf-1', '--json'], env());
    assert.equal(JSON.parse(status.stdout).status, 'COMPLETED');
  });
  it('a failing backfill exits 1 with the reason in plain words', async () => {
    const r = await ccsync(['backfill', 'start', '-c', 'no-such-connection', '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z', '--wait'], env());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /there is no connection named "no-such-connection"/);
  });
  it('an unreachable Temporal exits 3', async () => {
    const r = await ccsync(['backfill', 'status', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });
});
