/**
 * The engine end to end on its first stream: `backfill` of Kore.ai call volume on the real
 * Temporal dev server, against the Kore.ai simulator over real HTTP, into real SQLite and
 * PostgreSQL. Each assertion compares with the simulator's ground truth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { callVolumeGroundTruth } from '../../simulators/kore';
import { CONNECTION, historyJson, safeJson, startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';
import { readAll } from '../helpers/destination-access';
import { queryRows, sumBy } from '../helpers/sql';

const logs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('INFO', (entry) => logs.push(entry)) });

const TABLE = { name: 'kore_callvolume', keyColumns: ['_id'] };
const FROM = '2026-10-01T00:00:00Z';
const TO = '2026-10-08T00:00:00Z';
const range = [Date.parse(FROM), Date.parse(TO)] as const;

/**
 * The table equals the vendor's records of the range, and the database's own ledger shows each was
 * inserted exactly once and never rewritten (the ground truth does not change during these runs):
 * `inserted` counts every committed insert, retries and re-reads included.
 */
async function assertEqualsGroundTruth(stack: Stack, ledger: WriteLedger, from = range[0], to = range[1], before = { inserted: 0, updated: 0 }) {
  const truth = callVolumeGroundTruth(stack.kore.data, from, to);
  const rows = await readAll(stack.destination, TABLE, CONNECTION);
  const writes = await ledger.counts(TABLE.name, CONNECTION);
  assert.equal(writes.inserted - before.inserted, truth.length, 'each record of the range inserted once, whatever was retried');
  assert.equal(writes.updated - before.updated, 0, 'no record rewritten: the vendor changed none');
  assert.deepEqual(writes.reinserted, [], 'no key inserted twice');
  assert.equal(rows.length, truth.length, 'every record of the range, no more');
  const byId = new Map(rows.map((r) => [r.key._id, r.record]));
  for (const t of truth) assert.deepEqual(byId.get(t._id), t, `record ${t._id} equals the vendor's`);
  return rows;
}

/**
 * A workforce-management engineer's first query, on typed columns (no JSON functions): offered
 * contacts per queue per day, equal to the simulator's ground truth summed the same way.
 */
async function assertOfferedPerQueuePerDay(stack: Stack, from = range[0], to = range[1]) {
  const truth = callVolumeGroundTruth(stack.kore.data, from, to);
  const expected = sumBy(
    truth,
    (t) => `${t.queueId}|${t.intervalStartTimeStamp.slice(0, 10)}`,
    (t) => Number(t.offeredContacts ?? 0),
  );
  const rows = await queryRows(
    stack.destinationUrl,
    {
      sqlite:
        `SELECT queue_id, substr(interval_start_time_stamp, 1, 10) AS day, SUM(offered_contacts) AS offered FROM kore_callvolume ` +
        `WHERE _connection = ? GROUP BY queue_id, day ORDER BY queue_id, day`,
      postgres:
        `SELECT queue_id, to_char(interval_start_time_stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, SUM(offered_contacts) AS offered ` +
        `FROM kore_callvolume WHERE _connection = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    },
    [CONNECTION],
  );
  assert.ok(expected.size >= 7 * 4 && [...expected.values()].some((n) => n > 0), 'enough data to mean something');
  assert.deepEqual(new Map(rows.map((r) => [`${String(r.queue_id)}|${String(r.day)}`, Number(r.offered)])), expected);
}

async function failureOf(promise: Promise<unknown>): Promise<{ message: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected a workflow failure, got ${String(err)}`);
    const cause = err.cause as { message: string; type?: string };
    return { message: cause.message, type: cause.type };
  }
  assert.fail('the workflow was expected to fail');
}

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`backfill of Kore.ai call volume into ${kind}`, () => {
    let stack: Stack;
    let ledger: WriteLedger;
    before(async () => {
      stack = await startStack({ destination: kind, settings: { pageSize: 100 } });
      ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [TABLE]);
    });
    after(async () => {
      await ledger?.close();
      await stack?.close();
    });

    it('a 7-day backfill in 1-day windows leaves exactly the ground truth', async () => {
      const handle = await stack.start('backfill', { connection: CONNECTION, streams: ['callvolume'], from: FROM, to: TO, windowSize: 'P1D' });
      const result = (await handle.result()) as {
        windows: { total: number; done: number };
        records: number;
        inserted: number;
        updated: number;
        unchanged: number;
      };
      assert.equal(result.windows.total, 7);
      assert.equal(result.windows.done, 7);
      const rows = await assertEqualsGroundTruth(stack, ledger);
      await assertOfferedPerQueuePerDay(stack);
      assert.equal(result.records, rows.length);
      // The run's own figures, summed over its pages, agree with the ground truth: all new, none changed.
      assert.deepEqual([result.inserted, result.updated, result.unchanged], [rows.length, 0, 0]);
      // 4 queues x 96 intervals a day = 384 records a day: 4 pages of 100 per window.
      const pages = stack.kore.requests().filter((r) => r.status === 200);
      assert.equal(pages.length, 7 * 4);
      const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
      assert.deepEqual(state, [{ start: range[0], end: range[1] }], 'the windows merged into one completed interval');
    });

    it('running it again changes nothing, and a complete range is not fetched again', async () => {
      const before = await readAll(stack.destination, TABLE, CONNECTION);
      stack.kore.resetLog();
      const handle = await stack.start('backfill', { connection: CONNECTION, from: FROM, to: TO });
      const result = (await handle.result()) as { windows: { total: number; skipped: number; done: number }; inserted: number };
      assert.equal(result.windows.skipped, 7);
      assert.equal(result.windows.done, 0);
      assert.equal(stack.kore.requests().length, 0, 'no request for a complete range');
      assert.deepEqual(await readAll(stack.destination, TABLE, CONNECTION), before, 'tables identical, _synced_at included');

      const forced = await stack.start('backfill', { connection: CONNECTION, from: FROM, to: '2026-10-03T00:00:00Z', force: true });
      const again = (await forced.result()) as { windows: { done: number }; inserted: number; updated: number; unchanged: number };
      assert.equal(again.windows.done, 2);
      assert.equal(again.inserted + again.updated, 0, 'a forced re-sync writes nothing new');
      assert.equal(again.unchanged, 2 * 384);
      assert.deepEqual(await readAll(stack.destination, TABLE, CONNECTION), before);
      const writes = await ledger.counts(TABLE.name, CONNECTION);
      assert.deepEqual([writes.inserted, writes.updated], [7 * 384, 0], 'the re-reads wrote nothing: the ledger still shows one insert per record');
    });

    it('schema drift mid-backfill: a new field gets its column; wrong-typed values, in it and in a declared field, are NULL there, kept in record, and the run reports both', async () => {
      const from = Date.parse('2026-09-01T00:00:00Z');
      const to = Date.parse('2026-09-04T00:00:00Z');
      const count = async () =>
        (await readAll(stack.destination, TABLE, CONNECTION)).filter(
          (r) =>
            Date.parse(String((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp)) < to &&
            Date.parse(String((r.record as { intervalStartTimeStamp: string }).intervalStartTimeStamp)) >= from,
        ).length;
      const waitFor = async (rows: number) => {
        const deadline = Date.now() + 120_000;
        while ((await count()) < rows) {
          assert.ok(Date.now() < deadline, `timed out waiting for ${rows} rows`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      // One window at a time: 3 days x 4 pages; the vendor starts sending the field after two pages,
      // later sends text in it, and later still text in a declared numeric field (offeredContacts).
      const handle = await stack.start('backfill', {
        connection: CONNECTION,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        maxParallelWindows: 1,
      });
      await waitFor(200);
      stack.kore.failNext({ kind: 'schema-drift', field: 'sentimentScore', value: 0.8 });
      await waitFor(600);
      stack.kore.failNext({ kind: 'schema-drift', field: 'sentimentScore', value: 'high' });
      await waitFor(800);
      stack.kore.failNext({ kind: 'schema-drift', field: 'offeredContacts', value: 'lots' });
      type Report = { windows: { done: number; failed: number }; records: number; addedColumns?: string[]; misfits?: Record<string, number> };
      const result = (await handle.result()) as Report;
      assert.equal(stack.kore.pendingFaults(), 0, 'every drifted page was served');
      assert.deepEqual([result.windows.done, result.windows.failed], [3, 0], 'the sync completed');
      assert.equal(result.records, 3 * 384, 'every record of the range was written, the drifted ones included');
      assert.deepEqual(result.addedColumns, ['kore_callvolume.sentiment_score numeric'], 'the run reports the new column');
      const misfits = { 'kore_callvolume.offeredContacts': 1, 'kore_callvolume.sentimentScore': 1 };
      assert.deepEqual(result.misfits, misfits, 'the run reports each field and the rows that did not fit');
      const progress = await handle.query<Report>('progress');
      assert.deepEqual([progress.addedColumns, progress.misfits], [result.addedColumns, misfits], 'and so does its progress');
      assert.equal(await count(), 3 * 384);
      const rows = await readAll(stack.destination, TABLE, CONNECTION);
      const sent = rows.map((r) => (r.record as { sentimentScore?: unknown }).sentimentScore).filter((v) => v !== undefined);
      assert.deepEqual(sent.sort(), [0.8, 'high'], 'every value the vendor sent is in record');
      const lots = rows.filter((r) => (r.record as { offeredContacts?: unknown }).offeredContacts === 'lots');
      assert.equal(lots.length, 1, 'the wrong-typed declared value is in record');
      // The rest of that record is the vendor's, as sent.
      const truth = callVolumeGroundTruth(stack.kore.data, from, to).find((t) => t._id === lots[0]!.key._id)!;
      assert.deepEqual(lots[0]!.record, { ...truth, offeredContacts: 'lots' });
      const typed = await queryRows(
        stack.destinationUrl,
        {
          sqlite: `SELECT sentiment_score FROM kore_callvolume WHERE _connection = ? AND record LIKE '%sentimentScore%' ORDER BY sentiment_score IS NULL, sentiment_score`,
          postgres: `SELECT sentiment_score FROM kore_callvolume WHERE _connection = $1 AND record ? 'sentimentScore' ORDER BY sentiment_score IS NULL, sentiment_score`,
        },
        [CONNECTION],
      );
      assert.deepEqual(
        typed.map((r) => (r.sentiment_score === null ? null : Number(r.sentiment_score))),
        [0.8, null],
        'the column holds the number; the text is NULL there',
      );
      const declared = await queryRows(
        stack.destinationUrl,
        {
          sqlite: `SELECT _id, offered_contacts FROM kore_callvolume WHERE _connection = ? AND offered_contacts IS NULL AND record LIKE '%offeredContacts%'`,
          postgres: `SELECT _id, offered_contacts FROM kore_callvolume WHERE _connection = $1 AND offered_contacts IS NULL AND record ? 'offeredContacts'`,
        },
        [CONNECTION],
      );
      assert.deepEqual(
        declared.map((r) => [r._id, r.offered_contacts]),
        [[lots[0]!.key._id, null]],
        'the declared column is NULL for that row only',
      );
      // Announced in the worker log too.
      assert.ok(logs.some((e) => /new columns for fields the vendor started sending: kore_callvolume\.sentiment_score numeric/.test(e.message)));
      assert.ok(logs.some((e) => /kore_callvolume\.sentimentScore in 1 rows/.test(e.message)));
      assert.ok(logs.some((e) => /kore_callvolume\.offeredContacts in 1 rows/.test(e.message)));
    });
  });
}

describe('backfill under vendor trouble (SQLite)', () => {
  let stack: Stack;
  let ledger: WriteLedger;
  before(async () => {
    // faultSeed 7: a seed whose first requests already draw 5xx and 429 (the PRNG is deterministic).
    stack = await startStack({
      destination: 'sqlite',
      simulator: { faultSeed: 7 },
      settings: { pageSize: 100 },
      connectionExtra: '    requestTimeout: PT2S',
    });
    ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [TABLE]);
  });
  after(async () => {
    await ledger?.close();
    await stack?.close();
  });

  it('completes with exact data through 20% 5xx, 429s and a timeout, showing retries as attempts', async () => {
    stack.kore.setFaults({ serverErrorRate: 0.2, rateLimitRate: 0.05 });
    stack.kore.failNext({ kind: 'timeout', ms: 4000 }, { status: 429, retryAfter: 1 });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-09-01T00:00:00Z', to: '2026-09-06T00:00:00Z', maxParallelWindows: 3 });
    await handle.result();
    stack.kore.clearFaults();
    await assertEqualsGroundTruth(stack, ledger, Date.parse('2026-09-01T00:00:00Z'), Date.parse('2026-09-06T00:00:00Z'));
    const faults = stack.kore.requests().filter((r) => r.fault !== undefined);
    assert.ok(faults.length >= 3, `faults were injected (${faults.length})`);
    assert.ok(
      faults.some((r) => r.status >= 500),
      'among them 5xx',
    );

    // Retries live in the children's histories: an activity started with attempt > 1, carrying the last failure.
    const children = stack.client.workflow.list({ query: `WorkflowType = 'syncWindow' AND TaskQueue = '${stack.taskQueue}'` });
    let retried = 0;
    const lastFailures: string[] = [];
    for await (const info of children) {
      const h = await stack.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      for (const e of h.events ?? []) {
        const started = e.activityTaskStartedEventAttributes;
        if (started && (started.attempt ?? 1) > 1) {
          retried++;
          if (started.lastFailure?.message) lastFailures.push(started.lastFailure.message);
        }
      }
    }
    assert.ok(retried >= 1, 'at least one page shows a retried attempt in history');
    assert.ok(
      lastFailures.some((m) => /failed with 50\d|rate limit|did not answer/.test(m)),
      `the attempts carry the cause: ${lastFailures.join(' | ')}`,
    );
  });

  it('a 401 fails fast with the vendor message and no retry storm', async () => {
    stack.kore.resetLog();
    stack.kore.failNext({ status: 401 });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-08-01T00:00:00Z', to: '2026-08-02T00:00:00Z' });
    const started = Date.now();
    const f = await failureOf(handle.result());
    assert.ok(Date.now() - started < 15_000, 'fails within seconds');
    assert.equal(f.type, 'VendorRejected');
    assert.match(f.message, /Kore\.ai rejected the request with 401 \(the credentials were not accepted\)/);
    assert.equal(stack.kore.requests().length, 1, 'exactly one request: no retry');
    assert.deepEqual(
      (await stack.destination.completedIntervals(CONNECTION, 'callvolume')).filter(
        (i) => i.start < Date.parse('2026-08-02T00:00:00Z') && i.end > Date.parse('2026-08-01T00:00:00Z'),
      ),
      [],
      'the failed window is not marked complete',
    );
  });

  it('a 400 fails fast with the vendor message', async () => {
    stack.kore.resetLog();
    stack.kore.failNext({ status: 400, body: { errors: [{ msg: 'toTimeStamp is invalid', code: 400 }] } });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-08-05T00:00:00Z', to: '2026-08-06T00:00:00Z' });
    const f = await failureOf(handle.result());
    assert.match(f.message, /400 \(the request is invalid\): toTimeStamp is invalid/);
    assert.equal(stack.kore.requests().length, 1);
  });

  it('a record whose key or version changed type fails non-retryably, naming the field and what was found', async () => {
    // A declared field of the wrong type is stored around (the drift test above); a key or the
    // version the row is protected by cannot be: the page fails and nothing of it is written.
    for (const [field, value, says] of [
      ['_id', 12345, /CallVolumeUpdate\[0\]\._id: .*\(got number 12345\)/],
      ['__v', 'two', /CallVolumeUpdate\[0\]\.__v: expected a number \(got string "two"\)/],
    ] as const) {
      stack.kore.resetLog();
      stack.kore.failNext({ kind: 'schema-drift', field, value });
      const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-08-10T00:00:00Z', to: '2026-08-11T00:00:00Z' });
      const f = await failureOf(handle.result());
      assert.equal(f.type, 'SchemaMismatch');
      assert.match(f.message, says);
      assert.equal(stack.kore.requests().length, 1, 'no retry');
    }
  });

  it('a declared field that changed type does not fail the sync: NULL in its column, kept in record, reported', async () => {
    stack.kore.resetLog();
    stack.kore.failNext({ kind: 'schema-drift', field: 'offeredContacts', value: 'lots' });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-08-11T00:00:00Z', to: '2026-08-11T06:00:00Z' });
    const result = (await handle.result()) as { misfits?: Record<string, number> };
    assert.deepEqual(result.misfits, { 'kore_callvolume.offeredContacts': 1 });
    const rows = await readAll(stack.destination, TABLE, CONNECTION);
    assert.equal(rows.filter((r) => (r.record as { offeredContacts?: unknown }).offeredContacts === 'lots').length, 1);
  });

  it('a new field is kept', async () => {
    stack.kore.failNext({ kind: 'schema-drift', field: 'brandNewMetric', value: 7 });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-08-12T00:00:00Z', to: '2026-08-12T01:00:00Z' });
    await handle.result();
    const rows = await readAll(stack.destination, TABLE, CONNECTION);
    assert.ok(rows.some((r) => (r.record as Record<string, unknown>).brandNewMetric === 7));
  });

  it('invalid inputs fail at once in plain words and write nothing', async () => {
    stack.kore.resetLog();
    const before = await readAll(stack.destination, TABLE, CONNECTION);
    const cases: [unknown, RegExp][] = [
      [{ from: FROM, to: TO }, /connection: is required/],
      [{ connection: CONNECTION, from: TO, to: FROM }, /"to" must be later than "from"/],
      [{ connection: CONNECTION, streams: ['callvolumes'], from: FROM, to: TO }, /"callvolumes" is not a Kore\.ai stream/],
      [{ connection: CONNECTION, from: '2026-10-01', to: TO }, /from: must be an ISO-8601 date-time/],
      [{ connection: 'nope', from: FROM, to: TO }, /there is no connection named "nope"/],
      [{ connection: CONNECTION, from: FROM, to: TO, windowSize: 'P40D' }, /windowSize: P40D is larger than callvolume allows/],
    ];
    for (const [input, expected] of cases) {
      const started = Date.now();
      const f = await failureOf((await stack.start('backfill', input)).result());
      assert.match(f.message, expected);
      assert.ok(Date.now() - started < 10_000, `failed at once: ${f.message}`);
    }
    assert.equal(stack.kore.requests().length, 0, 'no vendor request');
    assert.deepEqual(await readAll(stack.destination, TABLE, CONNECTION), before, 'nothing written');
  });

  it('cancelling a backfill cancels its children and marks no cancelled window complete', async () => {
    stack.kore.setFaults({ serverErrorRate: 1 });
    const handle = await stack.start('backfill', { connection: CONNECTION, from: '2026-07-01T00:00:00Z', to: '2026-07-04T00:00:00Z', maxParallelWindows: 2 });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const p = await handle.query<{ windows: { running: number } }>('progress');
      if (p.windows.running === 2) break;
      // Cancelling before both windows run would test nothing: fail rather than carry on.
      assert.ok(Date.now() < deadline, `two windows were never running at once within 15 s: ${JSON.stringify(p.windows)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.cancel();
    await assert.rejects(handle.result(), /cancel/i);
    stack.kore.clearFaults();
    const child = stack.client.workflow.getHandle(`${CONNECTION}/callvolume/2026-07-01T00:00:00.000Z`);
    assert.equal((await child.describe()).status.name, 'CANCELLED');
    const state = await stack.destination.completedIntervals(CONNECTION, 'callvolume');
    assert.ok(!state.some((i) => i.start < Date.parse('2026-07-04T00:00:00Z') && i.end > Date.parse('2026-07-01T00:00:00Z')), 'no July window marked complete');
  });

  it('leaves no credential in any exported history or log line', async () => {
    const all = stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` });
    let histories = 0;
    for await (const info of all) {
      const json = await historyJson(stack.client.workflow.getHandle(info.workflowId, info.runId));
      for (const secret of stack.secrets) assert.ok(!json.includes(secret), `secret found in the history of ${info.workflowId}`);
      assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(json), `a JWT found in the history of ${info.workflowId}`);
      histories++;
    }
    assert.ok(histories > 5, `checked ${histories} histories`);
    const text = safeJson(logs);
    assert.ok(logs.length > 0);
    for (const secret of stack.secrets) assert.ok(!text.includes(secret), 'secret found in a log line');
  });
});
