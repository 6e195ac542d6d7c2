/**
 * One page activity walks several pages of a window (activities/walk.ts), recording its cursor in
 * heartbeat details after each page. Killed mid-walk (worker SIGKILL) or failing mid-walk (a 503
 * after page k), the retry resumes after the last page written, not at the window's first page:
 * the vendor is asked for each page once (at most one more after a kill), and the database's own
 * ledger shows every record inserted exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { callVolumeGroundTruth } from '../../simulators/kore';
import { chaosStack, CONNECTION, exportHistories, retriedPages, verify, type ChaosStack } from '../chaos/scenarios';
import type { LedgerCounts } from '../helpers/write-ledger';
import { WorkerProcess } from '../helpers/worker-process';

const DAY = 86_400_000;
const WINDOW_DAYS = 3;
/** Windows are aligned to their size since the epoch: two separate 3-day windows, one per test. */
const aligned = (iso: string) => Math.ceil(Date.parse(iso) / (WINDOW_DAYS * DAY)) * WINDOW_DAYS * DAY;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Progress {
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  windows: { total: number; done: number; failed: number };
}

describe('a window walked by one multi-page activity', { timeout: 600_000 }, () => {
  let stack: ChaosStack;
  let worker: WorkerProcess;
  before(async () => {
    // 300 ms per request: a 3-day window (12 pages of 100) takes seconds, so a kill lands mid-walk.
    stack = await chaosStack({ latencyMs: 300 });
    stack.kore.clearFaults();
    worker = new WorkerProcess(stack.workerEnv);
    await worker.start(180_000);
  });
  after(async () => {
    await worker?.stop();
    await stack?.close();
  });

  const backfill = (from: number): Promise<WorkflowHandle> =>
    stack.client.workflow.start('backfill', {
      taskQueue: stack.taskQueue,
      workflowId: `page-walk-${from}-${Date.now().toString(36)}`,
      args: [
        {
          connection: CONNECTION,
          from: new Date(from).toISOString(),
          to: new Date(from + WINDOW_DAYS * DAY).toISOString(),
          windowSize: `P${WINDOW_DAYS}D`,
        },
      ],
    });
  /** Call-volume requests the vendor answered with a page (200), since `mark`. */
  const pagesServed = (mark: number) =>
    stack.kore
      .requests()
      .slice(mark)
      .filter((e) => e.endpoint === 'callvolume' && e.status === 200).length;
  const waitForPages = async (mark: number, k: number) => {
    const deadline = Date.now() + 120_000;
    while (pagesServed(mark) < k) {
      if (Date.now() > deadline) throw new Error(`fewer than ${k} pages served in 2 minutes`);
      await sleep(20);
    }
  };
  /** The database ledger's counts before a test: each test checks its own writes. */
  const ledger = () => stack.ledger.counts('kore_callvolume', CONNECTION);
  const checkExact = async (from: number, progress: Progress, base: LedgerCounts) => {
    const truth = callVolumeGroundTruth(stack.kore.data, from, from + WINDOW_DAYS * DAY);
    const v = await verify(stack, from, from + WINDOW_DAYS * DAY);
    const writes = await ledger();
    assert.equal(v.lost, 0, 'no record lost');
    assert.equal(writes.updated - base.updated, 0, 'no record written twice');
    assert.deepEqual(writes.reinserted, [], 'no record inserted twice');
    assert.equal(writes.inserted - base.inserted, truth.length, 'each record inserted exactly once (the database ledger)');
    assert.equal(progress.records, truth.length, 'the window counted each record once');
    assert.equal(progress.inserted + progress.updated + progress.unchanged, progress.records);
    assert.equal(progress.pages, Math.ceil(truth.length / 100));
    return truth;
  };

  it('killed mid-walk (SIGKILL after page k), the retry resumes at page k+1', async () => {
    const from = aligned('2026-03-01T00:00:00Z');
    const mark = stack.kore.requests().length;
    const base = await ledger();
    const handle = await backfill(from);
    await waitForPages(mark, 3);
    await worker.kill('SIGKILL');
    const beforeKill = pagesServed(mark);
    await worker.start(180_000);
    const progress = (await handle.result()) as Progress;
    assert.deepEqual([progress.windows.done, progress.windows.failed], [1, 0]);
    await checkExact(from, progress, base);
    // The retried attempt asked only for the pages after the last one it heard of (at most one
    // page again: one whose heartbeat had not left the killed worker). From the window's first page, it would be ≥ 3 more.
    const served = pagesServed(mark);
    assert.ok(beforeKill >= 3 && beforeKill < progress.pages, `the kill landed mid-walk (after ${beforeKill} of ${progress.pages} pages)`);
    assert.ok(served <= progress.pages + 1, `pages served ${served} for ${progress.pages} pages: the retry did not resume where the walk stood`);
    const retried = retriedPages(await exportHistories(stack)).filter((p) => p.lastType === 'timeout');
    assert.equal(retried.length, 1, 'one walk died with the worker and was retried after its heartbeat timeout');
  });

  it('failing mid-walk (a 503 after page k), the retry resumes at page k+1', async () => {
    const from = aligned('2026-03-20T00:00:00Z');
    const mark = stack.kore.requests().length;
    const base = await ledger();
    const handle = await backfill(from);
    await waitForPages(mark, 3);
    // The next page's request fails once: the attempt fails with the walk's cursor in its heartbeat.
    stack.kore.failNext({ endpoint: 'callvolume', status: 503 });
    const progress = (await handle.result()) as Progress;
    assert.deepEqual([progress.windows.done, progress.windows.failed], [1, 0]);
    await checkExact(from, progress, base);
    const failed = stack.kore
      .requests()
      .slice(mark)
      .filter((e) => e.endpoint === 'callvolume' && e.status === 503).length;
    assert.equal(failed, 1, 'the 503 hit the walk');
    assert.equal(pagesServed(mark), progress.pages, 'each page asked for once: the retry resumed after the last page written');
    assert.ok(progress.inserted === progress.records, 'every insert counted once by the window');
  });
});
