/**
 * Kore.ai allows 60 requests a minute per account, whatever the endpoint. Two streams of one
 * connection backfilling at once (call details and agent status, two backfill workflows, several
 * windows each in parallel) share our client-side budget: the simulator, which logs every arrival,
 * never sees more than 60 in any 60 seconds, and answers no 429. The work needs more than 60
 * requests, so this test takes a little over a minute by design.
 * Run: npx tsx --test test/integration/kore-rate-limit-streams.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTION, startStack, type Stack } from '../helpers/stack';
import { readAll } from '../helpers/destination-access';

const FROM = '2026-09-01T00:00:00Z';
const TO = '2026-09-26T00:00:00Z';

describe('the Kore.ai account limit across streams', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ destination: 'sqlite', koreStreams: ['calldetails', 'agentstatus'], settings: { pageSize: 4 } });
  });
  after(async () => stack?.close());

  it('two streams backfilling at once never exceed 60 requests in any minute at the vendor, and finish with exact data', async () => {
    const started = Date.now();
    const handles = await Promise.all([
      stack.start('backfill', { connection: CONNECTION, streams: ['calldetails'], from: FROM, to: TO, maxParallelWindows: 4 }),
      stack.start('backfill', { connection: CONNECTION, streams: ['agentstatus'], from: FROM, to: TO, maxParallelWindows: 4 }),
    ]);
    await Promise.all(handles.map((h) => h.result()));
    const elapsed = Date.now() - started;

    const log = stack.kore.requests();
    assert.ok(log.length > 60, `the work needs more than a minute's budget (${log.length} requests)`);
    const firstMinute = log.filter((e) => e.at < log[0]!.at + 60_000);
    assert.ok(firstMinute.some((e) => e.endpoint === 'calldetails') && firstMinute.some((e) => e.endpoint === 'agentstatus'), 'both streams ran at once');
    const busiest = stack.kore.maxRequestsInAnyMinute();
    assert.ok(busiest <= 60, `the vendor saw ${busiest} requests in one minute`);
    assert.ok(busiest >= 50, `the budget was used, not wasted (${busiest} in the busiest minute)`);
    assert.deepEqual(
      log.filter((e) => e.status !== 200).map((e) => e.status),
      [],
      'no 429 (nor anything else)',
    );
    assert.ok(elapsed >= 60_000, `waiting for the budget took time (${elapsed} ms)`);

    const from = Date.parse(FROM);
    const to = Date.parse(TO);
    const calls = await readAll(stack.destination, { name: 'kore_calldetails', keyColumns: ['sessionId'] }, CONNECTION);
    assert.deepEqual(
      calls.map((r) => r.record).sort((a, b) => String((a as { sessionId: string }).sessionId).localeCompare(String((b as { sessionId: string }).sessionId))),
      stack.kore.conversationsGroundTruth(from, to).sort((a, b) => String(a.sessionId).localeCompare(String(b.sessionId))),
    );
    const segments = await readAll(stack.destination, { name: 'kore_agentstatus', keyColumns: ['userId', 'startTime'] }, CONNECTION);
    assert.equal(segments.length, stack.kore.agentStatusGroundTruth(from, to).length);
    assert.equal(stack.kore.requestsOverSevenDays(), 0);
  });
});
