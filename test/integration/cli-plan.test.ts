/**
 * The backfill's plan, said before it happens, twice from one computation (core/estimate.ts): the
 * CLI prints it before starting, and the workflow's own progress query carries it from its first
 * report on (windows, requests at least, and how long they take at the account's limit).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BackfillEstimate } from '../../core/estimate';
import type { BackfillProgress } from '../../workflows/backfill';
import { ccsync } from '../helpers/cli';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';

describe("the backfill workflow's first progress report states the plan", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite' });
  });
  after(async () => stack?.close());

  /**
   * A terminated backfill only asks its windows to cancel (ParentClosePolicy.REQUEST_CANCEL): wait
   * until this worker has cancelled them, so no window of this connection is left running on the
   * shared dev server for a later test file that backfills the same dates.
   */
  async function windowsClosed(): Promise<void> {
    const query = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'`;
    for (let i = 0; i < 150; i++) {
      const running: string[] = [];
      for await (const w of stack.client.workflow.list({ query })) running.push(w.workflowId);
      const open = [];
      for (const id of running) {
        const d = await stack.client.workflow.getHandle(id).describe();
        if (d.status.name === 'RUNNING') open.push(id);
      }
      if (open.length === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the terminated backfill left windows running');
  }

  it('windows, requests and time at the limit, the very figures and words `ccsync backfill start` printed', async () => {
    const env = { TEMPORAL_ADDRESS: stack.temporal.address, CCSYNC_TASK_QUEUE: stack.taskQueue, CCSYNC_CONNECTIONS: stack.connectionsFile };
    const args = ['backfill', 'start', '-c', CONNECTION, '--from', '2026-09-01T00:00:00Z', '--to', '2026-11-30T00:00:00Z', '--window-size', 'P1D'];
    const firstPlan = async (id: string) => {
      const handle = stack.client.workflow.getHandle(id);
      // The first report that has planned (the query answers from the start, while the connection is read).
      let progress: BackfillProgress | undefined;
      for (let i = 0; i < 100 && !progress?.plan; i++) {
        progress = await handle.query<BackfillProgress>('progress');
        if (!progress.plan) await new Promise((r) => setTimeout(r, 100));
      }
      await handle.terminate('plan seen');
      await windowsClosed();
      assert.ok(progress?.plan, `${id}: the progress query states the plan`);
      assert.ok(progress.windows.done < progress.windows.total, `${id}: stated before the work is done`);
      return progress.plan;
    };

    const json = await ccsync([...args, '--id', 'plan-json', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const estimate = (JSON.parse(json.stdout) as { estimate: BackfillEstimate }).estimate;
    assert.equal(estimate.windows, 90);
    const { summary: jsonSummary, ...figures } = await firstPlan('plan-json');
    assert.deepEqual(figures, estimate, 'the same estimate the CLI printed');

    // --force: the windows the first run completed before it was stopped are planned again.
    const text = await ccsync([...args, '--force', '--id', 'plan-text'], env);
    assert.equal(text.code, 0, text.stderr);
    const printed = /^ {2}(plan: .*)$/m.exec(text.stdout)?.[1];
    assert.ok(printed, text.stdout);
    assert.match(
      printed,
      /plan: 90 window\(s\) \(callvolume: 90 × P1D from 2026-09-01T00:00:00.000Z to 2026-11-30T00:00:00.000Z\); at least 90 request\(s\), at least 2 min at Kore.ai's limit of \d+\/min/,
    );
    assert.equal((await firstPlan('plan-text')).summary, printed, 'the same words');
    assert.equal(jsonSummary, printed);
  });
});
