/**
 * The vendor budget is shared by priority, and a 429 slows the whole account:
 *  - a 30-day backfill keeps an account's budget exhausted (12 requests a minute here, 12 windows
 *    waiting); an `incrementalSync` started meanwhile (as its schedule would) gets the first slot that
 *    frees, before the backfill's pages that were waiting already, and finishes within its schedule's
 *    interval; the page results in history say what each waited and at which priority;
 *  - a 429 that gets through (another client on the account) pauses every request to the account
 *    for its Retry-After, not only the one that got it, and the backfill then finishes with exact data.
 * Run: npx tsx --test test/integration/rate-limits-priority.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';
import { readAll } from '../helpers/destination-access';

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const iso = (t: number) => new Date(t).toISOString();

interface PageBudget {
  priority: string;
  waitedMs: number;
  grantedAt: string;
  note: string;
}

/** The page results of a window's history: what each page waited for the budget. */
async function pageBudgets(stack: Stack, windowId: string): Promise<PageBudget[]> {
  const history = await stack.client.workflow.getHandle(windowId).fetchHistory();
  const out: PageBudget[] = [];
  for (const e of history.events ?? []) {
    const data = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
    // Control activities (commitWindow) return nothing: an empty payload.
    if (!data?.length) continue;
    const result = JSON.parse(Buffer.from(data).toString()) as { budget?: PageBudget } | null;
    if (result?.budget) out.push(result.budget);
  }
  return out;
}

async function childIds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const id = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    return id ? [id] : [];
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the vendor budget by priority', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      destination: 'sqlite',
      settings: { rateLimitPerMinute: 12, pageSize: 100 },
      // The first incremental run reaches back two hours: one window, one page.
      connectionExtra: `    start: ${iso(Date.now() - 2 * 3_600_000)}\n    schedule: { every: 15m, lag: 10m, lookback: 1h }`,
    });
  });
  after(async () => stack?.close());

  it('an incrementalSync started during a rate-bound backfill goes before its waiting pages and finishes within one schedule interval', async () => {
    // 30 days x 4 pages = 120 requests at 12 a minute: ten minutes of work, twelve windows waiting at once.
    const backfill = await stack.start('backfill', { connection: CONNECTION, from: iso(today - 31 * DAY), to: iso(today - DAY), maxParallelWindows: 12 });
    // The budget's first 12 go at once; then the backfill's 12 windows wait for slots (one every 5 s).
    await until('the budget to be spent', () => stack.kore.requests().length >= 12);
    await new Promise((r) => setTimeout(r, 8_000));
    const started = Date.now();
    const incremental = await stack.start('incrementalSync', { connection: CONNECTION });
    await incremental.result();
    const took = Date.now() - started;
    // Let the backfill's next waiting page through (one slot every 5 s) before stopping it: its result shows the order.
    const seen = stack.kore.requests().length;
    await until('the next backfill page', () => stack.kore.requests().length > seen);
    await new Promise((r) => setTimeout(r, 3_000));
    await backfill.cancel();

    const [window] = await childIds(incremental);
    const pages = await pageBudgets(stack, window!);
    assert.ok(pages.length >= 1, 'the incremental window made a request');
    assert.ok(
      pages.every((p) => p.priority === 'schedule'),
      `the incremental's pages ran at the schedule's priority: ${JSON.stringify(pages)}`,
    );
    console.log(`incrementalSync finished in ${took} ms during the backfill; its pages: ${pages.map((p) => p.note).join('; ')}`);
    // The schedule's interval is 15 minutes; the run needs one page, so it waits for one slot at most.
    assert.ok(took < 15 * 60_000, `the incremental run finished within one schedule interval (${took} ms)`);

    // In the backfill's windows: pages ran at backfill priority, and those already waiting when the
    // incremental page asked were granted after it: the first slot that freed went to the schedule's page.
    const backfillPages = (await Promise.all((await childIds(backfill)).map((id) => pageBudgets(stack, id)))).flat();
    assert.ok(
      backfillPages.every((p) => p.priority === 'backfill'),
      'backfill pages ran at backfill priority',
    );
    const asked = Math.min(...pages.map((p) => Date.parse(p.grantedAt) - p.waitedMs));
    const granted = Math.max(...pages.map((p) => Date.parse(p.grantedAt)));
    const waitingBefore = backfillPages.filter((p) => Date.parse(p.grantedAt) - p.waitedMs < asked && Date.parse(p.grantedAt) > granted);
    assert.ok(waitingBefore.length >= 1, 'backfill pages were waiting before the incremental page asked, and were granted after it');
    const overtook = backfillPages.filter((p) => Date.parse(p.grantedAt) > asked && Date.parse(p.grantedAt) < granted);
    assert.deepEqual(
      overtook.map((p) => p.note),
      [],
      `no backfill page was granted while the incremental page waited (${pages[0]!.note})`,
    );
  });
});

describe('a 429 that gets through', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite', settings: { pageSize: 100 } });
  });
  after(async () => stack?.close());

  it('pauses the whole account for its Retry-After, then the backfill finishes exactly', async () => {
    const from = today - 40 * DAY;
    const to = today - 36 * DAY;
    const backfill = await stack.start('backfill', { connection: CONNECTION, from: iso(from), to: iso(to), maxParallelWindows: 4 });
    await until('a few requests', () => stack.kore.requests().length >= 3);
    // Another client on the account used it up: the vendor answers the next request 429, Retry-After 4 s.
    stack.kore.failNext({ status: 429, retryAfter: 4 });
    await backfill.result();
    const log = stack.kore.requests();
    const refused = log.filter((e) => e.status === 429);
    assert.equal(refused.length, 1, 'one 429, not one per waiting window');
    const at = refused[0]!.at;
    // Requests already on their way when the 429 came may arrive within a few ms; none after, for 4 s.
    const during = log.filter((e) => e.at > at + 200 && e.at < at + 3_900);
    assert.deepEqual(
      during.map((e) => e.at - at),
      [],
      'no request to the account while it was paused',
    );
    assert.ok(
      log.some((e) => e.at >= at + 3_900 && e.status === 200),
      'requests resumed after the pause',
    );
    const rows = await readAll(stack.destination, { name: 'kore_callvolume', keyColumns: ['_id'] }, CONNECTION);
    const mine = rows.filter((r) => {
      const t = Date.parse((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp);
      return t >= from && t < to;
    });
    assert.equal(mine.length, 4 * 4 * 96, 'four days of four queues, every interval, once');
  });
});
