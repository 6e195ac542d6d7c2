/**
 * The newcomer's first command: the `temporal workflow start ...` line `npm start` prints works
 * when pasted into a shell whose PATH has no `temporal` on it (it lives in .tools/bin), and starts
 * the backfill on the server `npm start` runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveTemporalCli } from '../../dev/temporal-cli';
import { tryCommands } from '../../dev/try-commands';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const sh = (command: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile('/bin/sh', ['-c', command], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );

describe('the command npm start prints', () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => temporal?.close());

  it('starts a backfill as printed, with no temporal on PATH', async () => {
    const cli = await resolveTemporalCli();
    const taskQueue = uniqueTaskQueue('quickstart');
    const { temporal: command } = tryCommands({ cliPath: cli.path, address: temporal.address, taskQueue });
    const bare = { PATH: '/usr/bin:/bin', HOME: process.env.HOME };
    assert.notEqual((await sh('command -v temporal', bare)).code, 0, 'the test shell has no temporal on PATH');
    const run = await sh(command, bare);
    assert.equal(run.code, 0, `the printed command failed: ${command}\n${run.out}`);
    // Visibility lags the start by a moment: wait for it, failing after 15 s.
    let found: string[] = [];
    for (const deadline = Date.now() + 15_000; found.length === 0; await new Promise((r) => setTimeout(r, 300))) {
      assert.ok(Date.now() < deadline, 'no workflow appeared on the task queue');
      found = [];
      for await (const w of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) found.push(w.type);
    }
    assert.deepEqual(found, ['backfill'], 'a backfill was started on the task queue');
    for await (const w of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
      await temporal.client.workflow.getHandle(w.workflowId).terminate('test done');
  });

  it('the README quickstart spells the CLI by a path that exists in a checkout, not a bare `temporal`', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const quick = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('## Workflows'));
    assert.doesNotMatch(quick, /^temporal workflow start/m, "a bare temporal is not on a new user's PATH");
    assert.match(quick, /^\.tools\/bin\/temporal workflow start/m);
    assert.match(quick, /^npx ccsync backfill start/m);
  });
});
