/**
 * What a Web UI user sees and does: starting `backfill` with the Temporal CLI exactly as documented,
 * finding windows by search attribute, readable summaries on children and page activities, the
 * progress query, and bounded histories through continue-as-new.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { callVolumeGroundTruth } from '../../simulators/kore';
import { resolveTemporalCli } from '../../dev/temporal-cli';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';
import { readAll } from '../helpers/destination-access';

const TABLE = { name: 'kore_callvolume', keyColumns: ['_id'] };

function run(file: string, args: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout))),
  );
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the Web UI experience', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite', settings: { pageSize: 100 } });
  });
  after(async () => stack?.close());

  it('starts from `temporal workflow start` with one JSON input, and shows summaries, search attributes and progress', async () => {
    const cli = await resolveTemporalCli();
    const input = JSON.stringify({ connection: CONNECTION, streams: ['callvolume'], from: '2026-10-01T00:00:00Z', to: '2026-10-03T00:00:00Z' });
    await run(cli.path, [
      'workflow',
      'start',
      '--address',
      stack.temporal.address,
      '--type',
      'backfill',
      '--task-queue',
      stack.taskQueue,
      '--workflow-id',
      'ui-bf-1',
      '--input',
      input,
    ]);
    const handle = stack.client.workflow.getHandle('ui-bf-1');
    await handle.result();

    const progress = await handle.query<{ phase: string; windows: { total: number; done: number }; records: number }>('progress');
    assert.equal(progress.phase, 'done');
    assert.deepEqual([progress.windows.total, progress.windows.done], [2, 2]);
    assert.equal(progress.records, callVolumeGroundTruth(stack.kore.data, Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-10-03T00:00:00Z')).length);

    const found = await eventually('windows by search attribute', async () => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({
        query: `CcsyncConnection = '${CONNECTION}' AND CcsyncStream = 'callvolume' AND CcsyncWindowStart >= '2026-10-02T00:00:00Z' AND TaskQueue = '${stack.taskQueue}'`,
      })) {
        ids.push(w.workflowId);
      }
      return ids.length ? ids : undefined;
    });
    assert.deepEqual(found, [`${CONNECTION}/callvolume/2026-10-02T00:00:00.000Z`]);

    const child = stack.client.workflow.getHandle(`${CONNECTION}/callvolume/2026-10-01T00:00:00.000Z`);
    assert.equal(await (await child.describe()).staticSummary(), `${CONNECTION} · callvolume · 2026-10-01 → 2026-10-02`);

    const history = await child.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => (e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never) : undefined));
    assert.deepEqual(summaries, [
      // One activity walks the window's 4 pages (activities/walk.ts); its heartbeat details name the page it is on.
      'pages 1… · first page',
      `commit ${CONNECTION} · callvolume · 2026-10-01 → 2026-10-02`,
    ]);
  });

  it('a backfill continues as new to keep its history bounded, and the data stays exact', async () => {
    const from = Date.parse('2026-09-10T00:00:00Z');
    const to = Date.parse('2026-09-15T00:00:00Z');
    const handle = await stack.start('backfill', {
      connection: CONNECTION,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      windowsPerRun: 2,
      maxParallelWindows: 2,
    });
    const result = (await handle.result()) as { continuedRuns: number; windows: { total: number; done: number } };
    assert.equal(result.continuedRuns, 2, '5 windows at 2 per run: three runs');
    assert.deepEqual([result.windows.total, result.windows.done], [5, 5]);
    const truth = callVolumeGroundTruth(stack.kore.data, from, to);
    const rows = (await readAll(stack.destination, TABLE, CONNECTION)).filter((r) => {
      const t = Date.parse((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp);
      return t >= from && t < to;
    });
    assert.equal(rows.length, truth.length);
    let runs = 0;
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      const h = await stack.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      assert.ok((h.events?.length ?? 0) < 200, 'each run keeps a short history');
      runs++;
    }
    assert.equal(runs, 3);
  });

  it('a window started by hand walks its pages across runs and commits once at the end', async () => {
    const handle = await stack.start(
      'syncWindow',
      { connection: CONNECTION, stream: 'callvolume', start: '2026-08-20T00:00:00Z', end: '2026-08-21T00:00:00Z', pagesPerRun: 1 },
      'by-hand-window',
    );
    const totals = (await handle.result()) as { pages: number; records: number };
    assert.deepEqual([totals.pages, totals.records], [4, 384]);
    const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
    assert.ok(state.some((i) => i.start <= Date.parse('2026-08-20T00:00:00Z') && i.end >= Date.parse('2026-08-21T00:00:00Z')));
    let runs = 0;
    for await (const _ of stack.client.workflow.list({ query: `WorkflowId = 'by-hand-window'` })) runs++;
    assert.equal(runs, 4, 'one page per run: four runs');
  });
});
