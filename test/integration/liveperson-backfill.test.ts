/**
 * LivePerson interval metrics end to end: `backfill` and `incrementalSync` on the real Temporal dev
 * server, against two LivePerson simulators over real HTTP (one paging by `nextPageKey`, one by
 * `refs.next`, both with empty pages), into real SQLite and PostgreSQL, compared with the
 * simulator's ground truth record by record. The 14-day rule counts from *now*, so every range is
 * built from the real clock, and the simulators run on it too.
 * Run: npx tsx --test test/integration/liveperson-backfill.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { DEFAULT_METRICS } from '../../sources/liveperson/connection';
import { INTERVAL_METRICS_KEY } from '../../sources/liveperson/streams';
import { DEMO_LIVEPERSON, LivePersonSimulator, demoLivePersonOptions } from '../../simulators/liveperson';
import { historyJson, safeJson, startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';
import { readAll } from '../helpers/destination-access';
import { queryRows, sumBy } from '../helpers/sql';
import { livePersonIntervalRows } from '../helpers/expected-rows';

const logs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('INFO', (entry) => logs.push(entry)) });

const MIN = 60_000;
const MIN15 = 15 * MIN;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const floor15 = (t: number) => Math.floor(t / MIN15) * MIN15;
const ceil15 = (t: number) => Math.ceil(t / MIN15) * MIN15;
const iso = (t: number) => new Date(t).toISOString();

const TABLE = { name: 'liveperson_interval_metrics', keyColumns: INTERVAL_METRICS_KEY };
const STREAM = 'interval_metrics';

// The ranges, from the real clock. FROM keeps 45 minutes inside the 14-day limit (the engine itself
// keeps a 30-minute margin, so a window retried a while later is still within it); the backfill stops 3 hours ago so incremental runs
// have new data to fetch.
const NOW0 = Date.now();
const FROM = ceil15(NOW0 - 14 * DAY + 45 * MIN);
const BACKFILL_TO = floor15(NOW0) - 3 * HOUR;
/** An hour inside one day (one window), two days ago at noon: for the single-window fault tests. */
const NOON = Math.floor(NOW0 / DAY) * DAY - 2 * DAY + 12 * HOUR;
const windowsOf = (from: number, to: number) => Math.ceil(to / DAY) - Math.floor(from / DAY);

// The vendor's secrets: none may appear in any history or log.
const SECRETS = {
  TEST_LP_BEARER: DEMO_LIVEPERSON.bearerToken,
  TEST_LP_KEY: DEMO_LIVEPERSON.consumerKey,
  TEST_LP_SECRET: DEMO_LIVEPERSON.consumerSecret,
  TEST_LP_TOKEN: DEMO_LIVEPERSON.token,
  TEST_LP_TOKEN_SECRET: DEMO_LIVEPERSON.tokenSecret,
  TEST_LP_WRONG_TOKEN_SECRET: 'a-wrong-token-secret-that-must-stay-hidden',
};

const pageKeySim = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 0, emptyPages: 1 }));
const refsSim = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 0, emptyPages: 1, paging: 'refs' }));

const OAUTH = `{ consumerKey: "\${TEST_LP_KEY}", consumerSecret: "\${TEST_LP_SECRET}", token: "\${TEST_LP_TOKEN}", tokenSecret: "\${TEST_LP_TOKEN_SECRET}" }`;
const lpConnection = (name: string, where: string, credentials: string, extra = '') => `  - name: ${name}
    source: liveperson
    settings: { accountId: "${DEMO_LIVEPERSON.accountId}", ${where}, grouping: [skill, agent], pageSize: 100 }
    credentials: ${credentials}
    streams: [${STREAM}]
${extra}`;

function connectionsYaml(): string {
  return [
    // Domain discovered through the (simulated) lookup service; OAuth 1.0a.
    lpConnection('lp-pagekey', `domainLookupUrl: "${pageKeySim.domainLookupUrl}"`, OAUTH),
    // Explicit domain; bearer token; pages by refs.next.
    lpConnection('lp-refs', `baseUrl: "${refsSim.url}"`, '{ bearerToken: "${TEST_LP_BEARER}" }'),
    lpConnection('lp-processing', `baseUrl: "${pageKeySim.url}"`, '{ bearerToken: "${TEST_LP_BEARER}" }'),
    lpConnection('lp-fresh', `baseUrl: "${pageKeySim.url}"`, '{ bearerToken: "${TEST_LP_BEARER}" }', `    start: ${iso(NOW0 - 20 * DAY)}\n`),
    lpConnection('lp-badauth', `baseUrl: "${pageKeySim.url}"`, OAUTH.replace('TEST_LP_TOKEN_SECRET', 'TEST_LP_WRONG_TOKEN_SECRET')),
  ].join('');
}

async function startLpStack(destination: DestinationKind): Promise<Stack> {
  return startStack({ destination, extraConnectionsYaml: connectionsYaml(), extraEnv: SECRETS, extraSecrets: Object.values(SECRETS) });
}

/**
 * The table equals the ground truth. With a ledger (for a connection synced by one run so far):
 * the database's committed writes show each record inserted once and none rewritten, whatever
 * was retried or read twice.
 */
async function assertEqualsGroundTruth(
  stack: Stack,
  connection: string,
  sim: LivePersonSimulator,
  from: number,
  to: number,
  atLeast = 100,
  ledger?: WriteLedger,
): Promise<number> {
  const rows = await readAll(stack.destination, TABLE, connection);
  const expected = livePersonIntervalRows(sim, { from, to });
  assert.ok(expected.length >= atLeast, `enough data to mean something (${expected.length})`);
  const keyOf = (k: Record<string, string>) => INTERVAL_METRICS_KEY.map((c) => k[c]).join('|');
  if (ledger) {
    const writes = await ledger.counts(TABLE.name, connection);
    assert.deepEqual(
      [writes.inserted, writes.updated, writes.reinserted.length],
      [expected.length, 0, 0],
      `${connection}: each record inserted once, none rewritten`,
    );
  }
  assert.equal(rows.length, expected.length, `${connection}: every record of the range, no more`);
  const stored = new Map(rows.map((r) => [keyOf(r.key), r.record]));
  for (const e of expected) assert.deepEqual(stored.get(keyOf(e.key)), e.record, `${connection}: record ${keyOf(e.key)}`);
  return rows.length;
}

/**
 * Handle time per skill per interval, as a user queries it: `skill_id` and the interval start
 * `from_l` are columns, the metrics one JSON column (jsonb in PostgreSQL). Equals the ground truth.
 */
async function assertHandleTimePerSkill(stack: Stack, connection: string, sim: LivePersonSimulator, from: number, to: number) {
  const truth = livePersonIntervalRows(sim, { from, to });
  const expected = sumBy(
    truth,
    (t) => `${t.key.skillId}|${t.key.fromL}`,
    (t) => Number(((t.record as { metrics?: unknown }).metrics as { handleTime?: number } | undefined)?.handleTime ?? 0),
  );
  const rows = await queryRows(
    stack.destinationUrl,
    {
      sqlite:
        `SELECT skill_id, from_l, SUM(COALESCE(json_extract(metrics, '$.handleTime'), 0)) AS handle_time FROM liveperson_interval_metrics ` +
        `WHERE _connection = ? GROUP BY skill_id, from_l`,
      postgres:
        `SELECT skill_id, from_l, SUM(COALESCE((metrics->>'handleTime')::numeric, 0)) AS handle_time FROM liveperson_interval_metrics ` +
        `WHERE _connection = $1 GROUP BY skill_id, from_l`,
    },
    [connection],
  );
  assert.ok(
    [...expected.values()].some((n) => n > 0),
    'some handle time to sum',
  );
  const got = new Map(rows.map((r) => [`${String(r.skill_id)}|${String(r.from_l)}`, Number(r.handle_time)]));
  assert.equal(got.size, expected.size, 'one row per skill and interval');
  for (const [k, v] of expected) assert.ok(Math.abs((got.get(k) ?? NaN) - v) < 1e-6, `handle time of ${k}: ${got.get(k)} = ${v}`);
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

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Progress {
  windows: { total: number; done: number; failed: number; skipped: number };
  records: number;
  inserted: number;
  updated: number;
}
interface IncrementalResult extends Progress {
  scheduledAt: string;
  plan: { stream: string; from: string; to: string; windows: number; lookback?: string; note?: string }[];
}

before(async () => {
  await pageKeySim.start();
  await refsSim.start();
});
after(async () => {
  await pageKeySim.stop();
  await refsSim.stop();
});

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`LivePerson interval metrics into ${kind}`, () => {
    let stack: Stack;
    let ledger: WriteLedger;
    before(async () => {
      stack = await startLpStack(kind);
      ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [TABLE]);
    });
    after(async () => {
      await ledger?.close();
      await stack?.close();
    });

    it('a 14-day backfill, then incremental runs, equal the ground truth with nextPageKey and refs.next paging', async () => {
      const pkBefore = pageKeySim.requests().length;
      const refsBefore = refsSim.requests().length;
      const started = Date.now();
      const [pk, refs] = await Promise.all(
        ['lp-pagekey', 'lp-refs'].map(
          async (connection) => (await stack.start('backfill', { connection, from: iso(FROM), to: iso(BACKFILL_TO) })).result() as Promise<Progress>,
        ),
      );
      const backfillMs = Date.now() - started;
      for (const p of [pk!, refs!]) {
        assert.equal(p.windows.total, windowsOf(FROM, BACKFILL_TO));
        assert.equal(p.windows.done, p.windows.total);
        assert.equal(p.windows.failed, 0);
      }
      const n = await assertEqualsGroundTruth(stack, 'lp-pagekey', pageKeySim, FROM, BACKFILL_TO, 100, ledger);
      assert.equal(await assertEqualsGroundTruth(stack, 'lp-refs', refsSim, FROM, BACKFILL_TO, 100, ledger), n);
      await assertHandleTimePerSkill(stack, 'lp-pagekey', pageKeySim, FROM, BACKFILL_TO);
      // The runs' own figures, summed over their pages, agree: all new, none changed.
      assert.deepEqual([pk!.inserted, pk!.updated, refs!.inserted, refs!.updated], [n, 0, n, 0]);
      assert.equal(pk!.records, n);

      const pkLog = pageKeySim
        .requests()
        .slice(pkBefore)
        .filter((e) => e.endpoint === 'interval-metrics');
      const refsLog = refsSim.requests().slice(refsBefore);
      assert.ok(
        pkLog.some((e) => e.page === 'pageKey' && e.count === 0),
        'empty pages with a nextPageKey were followed',
      );
      assert.ok(pkLog.every((e) => e.status === 200 && e.auth === 'oauth'));
      assert.ok(
        refsLog.some((e) => e.page === 'refs' && e.count === 0),
        'the empty last refs page was fetched',
      );
      assert.ok(
        refsLog.filter((e) => e.page === 'refs').every((e) => e.query.grouping === 'skill,agent' && e.query.metrics === DEFAULT_METRICS.join(',')),
        'grouping and metrics re-added to every refs.next link',
      );
      assert.ok(refsLog.every((e) => e.status === 200 && e.auth === 'bearer'));
      for (const e of [...pkLog, ...refsLog]) assert.ok(Date.parse(e.query.from ?? iso(Number(e.query.fromL))) >= e.at - 14 * DAY, 'within 14 days');
      const state = await stack.destination.completedIntervals('lp-pagekey', STREAM);
      assert.deepEqual(state, [{ start: FROM, end: BACKFILL_TO }]);
      console.log(
        `[liveperson ${kind}] 14-day backfill x2: ${n} records each, ${pkLog.length} + ${refsLog.length} requests, ${(backfillMs / 1000).toFixed(1)} s`,
      );

      // Incremental runs by hand (nominal time = now): the first brings the tables up to now - lag.
      const incStarted = Date.now();
      const first = await Promise.all(
        ['lp-pagekey', 'lp-refs'].map(async (connection) => (await stack.start('incrementalSync', { connection })).result() as Promise<IncrementalResult>),
      );
      for (const r of first) {
        const plan = r.plan[0]!;
        assert.equal(Date.parse(plan.to), floor15(Date.parse(r.scheduledAt) - 30 * MIN), 'up to the nominal time minus the 30-minute default lag');
        assert.equal(plan.lookback, `${iso(BACKFILL_TO - HOUR)}/${iso(BACKFILL_TO)}`, 'the last hour before the frontier is read again');
        assert.equal(r.windows.failed, 0);
      }
      const incTo = Date.parse(first[0]!.plan[0]!.to);
      await assertEqualsGroundTruth(stack, 'lp-pagekey', pageKeySim, FROM, incTo);
      await assertEqualsGroundTruth(stack, 'lp-refs', refsSim, FROM, Date.parse(first[1]!.plan[0]!.to));
      // A second run only re-reads the lookback: nothing changes.
      const second = await Promise.all(
        ['lp-pagekey', 'lp-refs'].map(
          async (connection) =>
            (await stack.start('incrementalSync', { connection })).result() as Promise<IncrementalResult & { inserted: number; updated: number }>,
        ),
      );
      for (const r of second) {
        assert.ok(r.plan[0]!.lookback, 'a lookback');
        assert.equal(r.inserted + r.updated, 0, 'the lookback brings nothing new');
      }
      await assertEqualsGroundTruth(stack, 'lp-pagekey', pageKeySim, FROM, Math.max(incTo, Date.parse(second[0]!.plan[0]!.to)));
      console.log(`[liveperson ${kind}] two incremental runs x2: ${((Date.now() - incStarted) / 1000).toFixed(1)} s`);
    });
  });
}

describe('LivePerson under vendor trouble and limits (SQLite)', () => {
  let stack: Stack;
  let ledger: WriteLedger;
  before(async () => {
    stack = await startLpStack('sqlite');
    ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [TABLE]);
  });
  after(async () => {
    await ledger?.close();
    await stack?.close();
  });

  it('a window whose latest interval answers 202 waits (benign, visible on the pending activity) and completes once it is done', async () => {
    // Backfills stop at now minus the stream's lag (30 minutes): the newest interval a backfill reads ends there.
    const T = floor15(Date.now() - 30 * MIN);
    const from = T - HOUR;
    const lastWindowStart = Math.max(from, Math.floor((T - MIN15) / DAY) * DAY);
    const intervalsInWindow = (T - lastWindowStart) / MIN15;
    // The newest interval [T-15m, T) is "In Progress" for ten more minutes; the ones before are Done.
    pageKeySim.setProcessingAge(Date.now() - T + 10 * MIN);
    const logStart = pageKeySim.requests().length;
    try {
      const handle = await stack.start('backfill', { connection: 'lp-processing', from: iso(from), to: iso(T) });
      const child = stack.client.workflow.getHandle(`lp-processing/${STREAM}/${iso(lastWindowStart)}`);
      const pending = await until('the pending page activity to show the 202', async () => {
        const d = await child.describe().catch(() => undefined);
        const p = d?.raw.pendingActivities?.[0];
        return p?.lastFailure?.message ? p : undefined;
      });
      const failure = pending.lastFailure!;
      assert.equal(failure.applicationFailureInfo?.type, 'VendorStillProcessing');
      assert.equal(Number(failure.applicationFailureInfo?.category), 1, 'benign (APPLICATION_ERROR_CATEGORY_BENIGN)');
      assert.match(
        failure.message!,
        new RegExp(
          `LivePerson is still processing data for this window \\(202\\); waiting for it: 1 of ${intervalsInWindow} intervals not done yet: ${iso(T - MIN15).replace('.000Z', 'Z')} → ${iso(T).replace('.000Z', 'Z')} In Progress`,
        ),
      );
      const progress = await handle.query<Progress>('progress');
      assert.equal(progress.windows.failed, 0, 'the backfill is waiting, not failing');
      // LivePerson finishes the interval; the next retry gets it.
      pageKeySim.setProcessingAge(0);
      const result = (await handle.result()) as Progress;
      assert.equal(result.windows.failed, 0);
      assert.equal(result.windows.done, result.windows.total);
      await assertEqualsGroundTruth(stack, 'lp-processing', pageKeySim, from, T, 0, ledger);
      const statuses = pageKeySim
        .requests()
        .slice(logStart)
        .filter((e) => e.endpoint === 'interval-metrics')
        .map((e) => e.status);
      assert.ok(statuses.filter((s) => s === 202).length >= 1 && statuses.at(-1) === 200, `202, then 200: ${statuses.join(',')}`);
      // The history keeps the wait: the page activity started again, carrying the benign 202.
      const history = await child.fetchHistory();
      const retried = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes).filter((a) => a && (a.attempt ?? 1) > 1);
      assert.ok(retried.length >= 1);
      assert.equal(retried[0]!.lastFailure?.applicationFailureInfo?.type, 'VendorStillProcessing');
    } finally {
      pageKeySim.setProcessingAge(0);
    }
  });

  it('a 15-day backfill is refused at once, naming the earliest allowed from, with no request', async () => {
    const logStart = pageKeySim.requests().length;
    const before = Date.now();
    const handle = await stack.start('backfill', {
      connection: 'lp-processing',
      from: iso(floor15(Date.now() - 15 * DAY)),
      to: iso(floor15(Date.now()) - HOUR),
    });
    const f = await failureOf(handle.result());
    const afterMs = Date.now();
    assert.ok(afterMs - before < 10_000, 'refused at once');
    assert.equal(f.type, 'InvalidInput');
    const m = /from: interval_metrics serves only the last P14D; the earliest possible "from" is (\S+)/.exec(f.message);
    assert.ok(m, f.message);
    const earliest = Date.parse(m[1]!);
    // The engine keeps a 30-minute margin inside the limit (AGE_LIMIT_MARGIN).
    assert.ok(
      earliest >= ceil15(before - 14 * DAY + 30 * MIN) && earliest <= ceil15(afterMs - 14 * DAY + 30 * MIN),
      `${m[1]} is now - 14 days + 30 min, on a 15-minute boundary`,
    );
    assert.equal(pageKeySim.requests().length, logStart, 'no request reached LivePerson');
  });

  it('an incremental run whose connection starts 20 days ago asks only for the last 14 days', async () => {
    const logStart = pageKeySim.requests().length;
    const r = (await (await stack.start('incrementalSync', { connection: 'lp-fresh' })).result()) as IncrementalResult;
    const plan = r.plan[0]!;
    assert.match(plan.note ?? '', /serves only recent data/);
    assert.ok(Date.parse(plan.from) >= Date.now() - 14 * DAY, `starts within 14 days: ${plan.from}`);
    assert.equal(r.windows.failed, 0);
    await assertEqualsGroundTruth(stack, 'lp-fresh', pageKeySim, Date.parse(plan.from), Date.parse(plan.to));
    const sent = pageKeySim.requests().slice(logStart);
    assert.ok(sent.length >= 14);
    assert.ok(
      sent.every((e) => !e.broken),
      'no request broke a rule',
    );
  });

  it("500, 503 and 429 are retried with LivePerson's pauses (at least 5 s, 10 s, then 1 s) and the window completes", async () => {
    const logStart = refsSim.requests().length;
    refsSim.failNext({ status: 500 }, { status: 503 }, { status: 429 });
    const handle = await stack.start('backfill', { connection: 'lp-refs', from: iso(NOON), to: iso(NOON + HOUR), force: true });
    const result = (await handle.result()) as Progress;
    assert.equal(result.windows.failed, 0);
    const log = refsSim.requests().slice(logStart);
    assert.deepEqual(
      log.slice(0, 4).map((e) => e.status),
      [500, 503, 429, 200],
    );
    const gaps = log.slice(1, 4).map((e, i) => e.at - log[i]!.at);
    assert.ok(gaps[0]! >= 4_900, `500 → at least 5 s (${gaps[0]} ms)`);
    assert.ok(gaps[1]! >= 9_900, `503 → at least 10 s (${gaps[1]} ms)`);
    assert.ok(gaps[2]! >= 950, `429 → at least 1 s (${gaps[2]} ms)`);
    assert.equal(refsSim.pendingFaults(), 0);
    await assertEqualsGroundTruth(stack, 'lp-refs', refsSim, NOON, NOON + HOUR, 1, ledger);
  });

  it("a 401 fails fast with LivePerson's message and no retry", async () => {
    const logStart = pageKeySim.requests().length;
    const started = Date.now();
    const handle = await stack.start('backfill', { connection: 'lp-badauth', from: iso(NOON), to: iso(NOON + HOUR) });
    const f = await failureOf(handle.result());
    // No retry is the point ("exactly one request" below); the bound only catches a retry pause
    // schedule. It is loose: the account's shared budget may still be recovering from the 429 above.
    assert.ok(Date.now() - started < 60_000, `fails without retrying (${Date.now() - started} ms)`);
    assert.equal(f.type, 'VendorRejected');
    assert.match(f.message, /LivePerson rejected the request with 401 \(the credentials were not accepted\): invalid OAuth signature/);
    assert.equal(pageKeySim.requests().length - logStart, 1, 'exactly one request');
    assert.deepEqual(await stack.destination.completedIntervals('lp-badauth', STREAM), [], 'nothing marked complete');
  });

  it("a 400 fails fast with LivePerson's message", async () => {
    const logStart = refsSim.requests().length;
    refsSim.failNext({ status: 400, body: { code: 400, message: 'metrics: unsupported value "speed"' } });
    const handle = await stack.start('backfill', { connection: 'lp-refs', from: iso(NOON), to: iso(NOON + HOUR), force: true });
    const f = await failureOf(handle.result());
    assert.equal(f.type, 'VendorRejected');
    assert.match(f.message, /400 \(the request is invalid\): metrics: unsupported value "speed"/);
    assert.equal(refsSim.requests().length - logStart, 1);
  });

  it('leaves no credential in any exported history or log line', async () => {
    let histories = 0;
    for await (const info of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      const json = await historyJson(stack.client.workflow.getHandle(info.workflowId, info.runId));
      for (const secret of stack.secrets) assert.ok(!json.includes(secret), `a secret found in the history of ${info.workflowId}`);
      assert.ok(!/oauth_signature=|Bearer\s+\S/.test(json), `an Authorization header in the history of ${info.workflowId}`);
      histories++;
    }
    assert.ok(histories > 10, `checked ${histories} histories`);
    const text = safeJson(logs);
    assert.ok(logs.length > 0);
    for (const secret of stack.secrets) assert.ok(!text.includes(secret), 'a secret found in a log line');
  });
});

describe('the vendor rules, over this whole file', () => {
  it('no request broke the 14-day or the 1-day rule', () => {
    const total = pageKeySim.requests().length + refsSim.requests().length;
    assert.ok(total > 100, `the simulators saw the whole file's requests (${total})`);
    assert.deepEqual(pageKeySim.ruleBreakingRequests(), { total: 0, fourteenDay: 0, oneDay: 0 });
    assert.deepEqual(refsSim.ruleBreakingRequests(), { total: 0, fourteenDay: 0, oneDay: 0 });
  });
});
