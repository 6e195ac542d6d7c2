/**
 * The Kore.ai simulator over real HTTP: what a client of the Contact Volume API will meet.
 * Run: npx tsx --test test/unit/kore-simulator.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import {
  CALL_VOLUME_INTERVAL_MS,
  type CallVolumeUpdate,
  DEMO_KORE,
  KoreSimulator,
  type KoreSimulatorOptions,
  callVolumeGroundTruth,
  demoKoreOptions,
} from '../../simulators/kore';
import { type Reply, simulatorHarness } from '../helpers/simulator';

const MIN = 60_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

/** 2025-03-05T10:07Z: the 10:00 interval has started, 10:15 has not. */
const NOW = ms('2025-03-05T10:07:00Z');
const DATA_START = '2025-03-01T00:00:00Z';

const { start: startSim, send } = simulatorHarness(
  NOW,
  (overrides: Partial<KoreSimulatorOptions>, clock) => new KoreSimulator(demoKoreOptions({ now: clock.now, dataStart: DATA_START, ...overrides })),
);

const AUTH = { auth: DEMO_KORE.staticToken, iId: DEMO_KORE.iId };

async function post(
  base: string,
  body: unknown,
  opts: { headers?: Record<string, string>; account?: string; rawBody?: string; path?: string } = {},
): Promise<Reply> {
  const path = opts.path ?? `/agentassist/api/public/analytics/account/${opts.account ?? DEMO_KORE.accountId}/callvolume`;
  return send(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.headers ?? AUTH) },
    body: opts.rawBody ?? JSON.stringify(body),
  });
}

const window = (from: string | undefined, to: string, extra: Record<string, unknown> = {}) => ({
  orgId: DEMO_KORE.orgId,
  ...(from === undefined ? {} : { fromTimeStamp: from }),
  toTimeStamp: to,
  ...extra,
});

/** Walks every page like a client would, returning the records and each page's envelope. */
async function walk(base: string, from: string, to: string, limit: number) {
  const records: CallVolumeUpdate[] = [];
  const pages: Array<{ hasMore: boolean; totalCount: number; size: number }> = [];
  for (let skip = 0; ;) {
    const r = await post(base, window(from, to, { skip, limit }));
    assert.equal(r.status, 200, r.text);
    pages.push({ hasMore: r.json.hasMore, totalCount: r.json.totalCount, size: r.json.CallVolumeUpdate.length });
    records.push(...r.json.CallVolumeUpdate);
    skip += r.json.CallVolumeUpdate.length;
    if (!r.json.hasMore) break;
    assert.ok(pages.length < 1000, 'paging does not end');
  }
  return { records, pages };
}

const errorMessages = (r: Reply): string[] => {
  assert.ok(Array.isArray(r.json?.errors), `expected a Kore error body, got ${r.text}`);
  for (const e of r.json.errors) assert.equal(e.code, r.status);
  return r.json.errors.map((e: { msg: string }) => e.msg);
};

describe('call volume paging', () => {
  test('walking a day page by page yields exactly the ground truth, once each', async () => {
    const { sim, url } = await startSim();
    const from = '2025-03-03T00:00:00Z';
    const to = '2025-03-04T00:00:00Z';
    const { records, pages } = await walk(url, from, to, 50);

    const truth = callVolumeGroundTruth(sim.data, ms(from), ms(to));
    assert.equal(truth.length, 96 * 4);
    assert.deepEqual(records, truth);
    assert.equal(new Set(records.map((r) => r._id)).size, records.length, 'an _id repeated across pages');
    assert.deepEqual(
      pages.map((p) => p.size),
      [50, 50, 50, 50, 50, 50, 50, 34],
    );
    assert.deepEqual(
      pages.map((p) => p.hasMore),
      [true, true, true, true, true, true, true, false],
    );
    for (const p of pages) assert.equal(p.totalCount, 384);

    // When the last page is exactly full, hasMore must still say false (no extra empty request).
    const even = await walk(url, from, to, 96);
    assert.deepEqual(
      even.pages.map((p) => [p.size, p.hasMore]),
      [
        [96, true],
        [96, true],
        [96, true],
        [96, false],
      ],
    );
    assert.deepEqual(even.records, truth);
  });

  test('records are ordered by interval start, then queueId', async () => {
    const { sim } = await startSim();
    const truth = sim.callVolumeGroundTruth(ms('2025-03-02T00:00:00Z'), ms('2025-03-02T06:00:00Z'));
    const resorted = [...truth].sort((a, b) => a.intervalStartTimeStamp.localeCompare(b.intervalStartTimeStamp) || a.queueId.localeCompare(b.queueId));
    assert.deepEqual(
      truth.map((r) => r._id),
      resorted.map((r) => r._id),
    );
    assert.equal(new Set(truth.map((r) => r.queueId)).size, 4);
  });

  test('the window is half-open on interval start, and an unaligned from skips the interval it cuts', async () => {
    const { url } = await startSim();
    const r = await post(url, window('2025-03-03T00:05:00Z', '2025-03-03T01:00:00Z', { limit: 100 }));
    const starts = [...new Set(r.json.CallVolumeUpdate.map((x: CallVolumeUpdate) => x.intervalStartTimeStamp))];
    assert.deepEqual(starts, ['2025-03-03T00:15:00.000Z', '2025-03-03T00:30:00.000Z', '2025-03-03T00:45:00.000Z']);
    assert.equal(r.json.totalCount, 12);
  });

  test('limit defaults to 10; a skip past the end gives an empty last page', async () => {
    const { url } = await startSim();
    const r = await post(url, window('2025-03-03T00:00:00Z', '2025-03-03T06:00:00Z'));
    assert.equal(r.json.CallVolumeUpdate.length, 10);
    assert.equal(r.json.hasMore, true);
    const beyond = await post(url, window('2025-03-03T00:00:00Z', '2025-03-03T06:00:00Z', { skip: 500 }));
    assert.equal(beyond.status, 200);
    assert.deepEqual(beyond.json, { hasMore: false, CallVolumeUpdate: [], totalCount: 96 });
  });

  test('every record carries the documented fields, consistent with each other', async () => {
    const { sim } = await startSim();
    const truth = sim.callVolumeGroundTruth(ms('2025-03-03T00:00:00Z'), ms('2025-03-04T00:00:00Z'));
    const integerFields = [
      'offeredContacts',
      'answeredContacts',
      'maxQueueHoldTimeAnswered',
      'queueHoldTimeAnswered',
      'acwDuration',
      'completedContacts',
      'conversationHandleTime',
      'conversationTalkTime',
      'holdDuration',
      'messageCount',
      'savedMessageCount',
      'csatResponses',
      'csatScore',
      'abandonedContacts',
      'maxqueueHoldTimeAbandoned',
      'queueHoldTimeAbandoned',
    ] as const;
    for (const r of truth) {
      assert.match(r._id, /^[0-9a-f]{24}$/);
      assert.match(r.queueId, /^qu-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(r.intervalStartTimeStamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
      assert.equal(ms(r.intervalEndTimeStamp) - ms(r.intervalStartTimeStamp), CALL_VOLUME_INTERVAL_MS);
      assert.equal(r.source, 'rtm');
      assert.equal(r.__v, 0);
      assert.equal(r.orgId, DEMO_KORE.orgId);
      assert.equal(r.iId, DEMO_KORE.iId);
      assert.ok(r.queueName.length > 0);
      for (const f of integerFields) assert.ok(Number.isInteger(r[f]) && r[f] >= 0, `${f} = ${r[f]}`);
      assert.equal(r.answeredContacts + r.abandonedContacts, r.offeredContacts);
      assert.ok(r.completedContacts <= r.answeredContacts);
      assert.ok(r.maxQueueHoldTimeAnswered <= r.queueHoldTimeAnswered);
      assert.equal(r.conversationHandleTime, r.conversationTalkTime + r.holdDuration + r.acwDuration);
      assert.ok(r.csatResponses <= r.completedContacts);
    }
    // Counts vary with the hour and the queue, so a client that mixes up records would be caught.
    assert.ok(new Set(truth.map((r) => r.offeredContacts)).size > 5);
    assert.ok(truth.some((r) => r.abandonedContacts > 0));
  });
});

describe('determinism and the clock', () => {
  test('two simulators with the same seed serve the same ids; another seed serves others', async () => {
    const a = await startSim();
    const b = await startSim();
    const c = await startSim({ seed: 'another-seed' });
    const body = window('2025-03-02T00:00:00Z', '2025-03-02T02:00:00Z', { limit: 100 });
    const [ra, rb, rc] = await Promise.all([post(a.url, body), post(b.url, body), post(c.url, body)]);
    const ids = (r: Reply) => r.json.CallVolumeUpdate.map((x: CallVolumeUpdate) => x._id);
    assert.equal(ids(ra).length, 32);
    assert.deepEqual(ids(ra), ids(rb));
    assert.deepEqual(ra.json, rb.json);
    assert.equal(ids(ra).filter((id: string) => ids(rc).includes(id)).length, 0);
    // Ground truth from plain options (no server at all) agrees with the server.
    const fromOptions = callVolumeGroundTruth(
      { ...DEMO_KORE, queues: 4, dataStart: DATA_START, now: () => NOW },
      ms('2025-03-02T00:00:00Z'),
      ms('2025-03-02T02:00:00Z'),
    );
    assert.deepEqual(ra.json.CallVolumeUpdate, fromOptions);
  });

  test('intervals that have not started are absent, and appear once the clock reaches them', async () => {
    const { sim, url, clock } = await startSim({ rateLimitPerMinute: 0 });
    const body = window('2025-03-05T09:00:00Z', '2025-03-06T00:00:00Z', { limit: 100 });
    const before = await post(url, body);
    const starts = (r: Reply) => [...new Set(r.json.CallVolumeUpdate.map((x: CallVolumeUpdate) => x.intervalStartTimeStamp))];
    assert.deepEqual(starts(before), [
      '2025-03-05T09:00:00.000Z',
      '2025-03-05T09:15:00.000Z',
      '2025-03-05T09:30:00.000Z',
      '2025-03-05T09:45:00.000Z',
      '2025-03-05T10:00:00.000Z',
    ]);
    assert.equal(before.json.totalCount, 20);

    clock.t = ms('2025-03-05T10:15:00Z'); // exactly on the boundary: 10:15 has not started before now
    assert.equal((await post(url, body)).json.totalCount, 20);
    clock.t += 1;
    const later = await post(url, body);
    assert.equal(later.json.totalCount, 24);
    assert.equal(starts(later).at(-1), '2025-03-05T10:15:00.000Z');
    assert.equal(sim.callVolumeGroundTruth(ms('2025-03-05T09:00:00Z'), ms('2025-03-06T00:00:00Z')).length, 24);
  });

  test('without fromTimeStamp the data starts at dataStart, and nothing exists before it', async () => {
    const { url } = await startSim();
    const r = await post(url, window(undefined, '2025-03-01T01:00:00Z', { limit: 100 }));
    assert.equal(r.status, 200);
    assert.equal(r.json.totalCount, 16);
    assert.equal(r.json.CallVolumeUpdate[0].intervalStartTimeStamp, '2025-03-01T00:00:00.000Z');
    const early = await post(url, window('2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z'));
    assert.deepEqual(early.json, { hasMore: false, CallVolumeUpdate: [], totalCount: 0 });
  });
});

describe('auth', () => {
  const mint = (claims: { appId?: string; exp?: number }, secret: string = DEMO_KORE.clientSecret) => {
    const jwt = new SignJWT({ appId: claims.appId ?? DEMO_KORE.clientId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(Math.floor(NOW / 1000) - 60);
    if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
    return jwt.sign(new TextEncoder().encode(secret));
  };
  const body = window('2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z');

  test('a request without auth, or with an unknown token, is 401 and the token is not echoed', async () => {
    const { url } = await startSim();
    const none = await post(url, body, { headers: { iId: DEMO_KORE.iId } });
    assert.equal(none.status, 401);
    assert.deepEqual(errorMessages(none), ['auth header is required']);
    const bad = await post(url, body, { headers: { auth: 'not-the-token-SECRET123', iId: DEMO_KORE.iId } });
    assert.equal(bad.status, 401);
    assert.ok(!bad.text.includes('SECRET123'), bad.text);
    const forgedJwt = await mint({ exp: Math.floor(NOW / 1000) + 3600 }, 'some-other-secret-of-enough-length!!');
    const forged = await post(url, body, { headers: { auth: forgedJwt, iId: DEMO_KORE.iId } });
    assert.equal(forged.status, 401);
    assert.ok(!forged.text.includes(forgedJwt.split('.')[2]!));
  });

  test('the static token and a JWT signed with the client secret are accepted', async () => {
    const { url } = await startSim();
    assert.equal((await post(url, body)).status, 200);
    const jwt = await mint({ exp: Math.floor(NOW / 1000) + 3600 });
    const r = await post(url, body, { headers: { auth: jwt, iId: DEMO_KORE.iId } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.totalCount, 16);
  });

  test('an expired JWT, or one for another app, is 401 (expiry judged by the simulator clock)', async () => {
    const { url, clock } = await startSim();
    const jwt = await mint({ exp: Math.floor(NOW / 1000) + 60 });
    assert.equal((await post(url, body, { headers: { auth: jwt, iId: DEMO_KORE.iId } })).status, 200);
    clock.t = NOW + 2 * MIN;
    const expired = await post(url, body, { headers: { auth: jwt, iId: DEMO_KORE.iId } });
    assert.equal(expired.status, 401);
    assert.deepEqual(errorMessages(expired), ['token expired']);
    const otherApp = await mint({ appId: 'cs-someone-else', exp: Math.floor(clock.t / 1000) + 3600 });
    const r = await post(url, body, { headers: { auth: otherApp, iId: DEMO_KORE.iId } });
    assert.equal(r.status, 401);
    assert.match(errorMessages(r)[0]!, /appId/);
  });

  test('iId is required (400) and must be the configured stream (401)', async () => {
    const { url } = await startSim();
    const missing = await post(url, body, { headers: { auth: DEMO_KORE.staticToken } });
    assert.equal(missing.status, 400);
    assert.deepEqual(errorMessages(missing), ['iId header is required']);
    const wrong = await post(url, body, { headers: { auth: DEMO_KORE.staticToken, iId: 'st-00000000-0000-0000-0000-000000000000' } });
    assert.equal(wrong.status, 401);
    assert.match(errorMessages(wrong)[0]!, /iId/);
  });
});

describe('bad requests', () => {
  test('each bad field is named in plain words', async () => {
    const { url } = await startSim({ rateLimitPerMinute: 0 });
    const cases: Array<[unknown, RegExp]> = [
      [{ orgId: DEMO_KORE.orgId }, /^toTimeStamp is required$/],
      [{ toTimeStamp: '2025-03-02T00:00:00Z' }, /^orgId is required$/],
      [window(undefined, 'yesterday'), /toTimeStamp must be a valid ISO-8601/],
      [window('2025-02-30T00:00:00Z', '2025-03-02T00:00:00Z'), /fromTimeStamp must be a valid ISO-8601/],
      [window(undefined, '2025-03-02T00:00:00'), /toTimeStamp .*with a zone/],
      [window(undefined, '2025-03-02T00:00:00Z', { limit: 1001 }), /^limit must be at most 1000$/],
      [window(undefined, '2025-03-02T00:00:00Z', { limit: 0 }), /^limit must be at least 1$/],
      [window(undefined, '2025-03-02T00:00:00Z', { skip: -1 }), /^skip must be 0 or more$/],
      [window(undefined, '2025-03-02T00:00:00Z', { skip: '10' }), /^skip must be a number$/],
      [window(undefined, '2025-03-02T00:00:00Z', { limit: 2.5 }), /^limit must be a whole number$/],
      [window('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z'), /^toTimeStamp must not be before fromTimeStamp$/],
      [{ ...window(undefined, '2025-03-02T00:00:00Z'), orgId: 'o-someone-else' }, /^orgId does not belong to this account$/],
      [[1, 2], /^the request body must be a JSON object$/],
    ];
    for (const [body, expected] of cases) {
      const r = await post(url, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
      const msgs = errorMessages(r);
      assert.equal(msgs.length, 1, r.text);
      assert.match(msgs[0]!, expected);
    }
    const many = await post(url, { skip: -1, limit: 5000 });
    assert.deepEqual(errorMessages(many).sort(), ['limit must be at most 1000', 'orgId is required', 'skip must be 0 or more', 'toTimeStamp is required']);
  });

  test('limit 1000 is allowed; bad JSON and a non-JSON content type are 400', async () => {
    const { url } = await startSim();
    const max = await post(url, window('2025-03-01T00:00:00Z', '2025-03-05T00:00:00Z', { limit: 1000 }));
    assert.equal(max.status, 200);
    assert.equal(max.json.CallVolumeUpdate.length, 1000);
    assert.equal(max.json.totalCount, 4 * 96 * 4);
    assert.equal(max.json.hasMore, true);
    const badJson = await post(url, undefined, { rawBody: '{"orgId": ' });
    assert.equal(badJson.status, 400);
    assert.deepEqual(errorMessages(badJson), ['request body is not valid JSON']);
    const form = await post(url, undefined, { rawBody: 'orgId=x', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 400);
    assert.match(errorMessages(form)[0]!, /Content-Type/);
  });

  test('a wrong account in the path is 404, an unknown API too, a GET is 405', async () => {
    const { url } = await startSim();
    const r = await post(url, window(undefined, '2025-03-02T00:00:00Z'), { account: '000000000000000000000000' });
    assert.equal(r.status, 404);
    assert.deepEqual(errorMessages(r), ['account not found']);
    const unknown = await post(url, {}, { path: `/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}/nosuchthing` });
    assert.equal(unknown.status, 404);
    const get = await send(`${url}/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}/callvolume`, { headers: AUTH });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
  });
});

describe('faults', () => {
  const body = window('2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z');

  test('scripted statuses are consumed in order, then requests succeed again', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ status: 503 }, { status: 429, retryAfter: 7 }, { status: 202 }, { status: 502, body: { message: 'upstream' } });
    assert.equal(sim.pendingFaults(), 4);
    const r1 = await post(url, body);
    assert.equal(r1.status, 503);
    assert.equal(errorMessages(r1).length, 1);
    const r2 = await post(url, body);
    assert.equal(r2.status, 429);
    assert.equal(r2.headers['retry-after'], '7');
    assert.equal((await post(url, body)).status, 202);
    const r4 = await post(url, body);
    assert.equal(r4.status, 502);
    assert.deepEqual(r4.json, { message: 'upstream' });
    assert.equal(sim.pendingFaults(), 0);
    assert.equal((await post(url, body)).status, 200);
    assert.deepEqual(
      sim.requests().map((e) => [e.status, e.fault]),
      [
        [503, 'status'],
        [429, 'status'],
        [202, 'status'],
        [502, 'status'],
        [200, undefined],
      ],
    );
  });

  test('a scripted 429 without retryAfter still says Retry-After: 1', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ status: 429 });
    const r = await post(url, body);
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '1');
  });

  test('a fault aimed at another endpoint is not consumed by callvolume', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ status: 500, endpoint: 'calldetails' });
    assert.equal((await post(url, body)).status, 200);
    assert.equal(sim.pendingFaults(), 1);
  });

  test('timeout: the request hangs for ms, then the socket closes without an answer', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ kind: 'timeout', ms: 200 });
    const started = Date.now();
    await assert.rejects(post(url, body));
    assert.ok(Date.now() - started >= 190, `closed after ${Date.now() - started} ms`);
    assert.equal(sim.requests()[0]!.status, 0);
    assert.equal(sim.requests()[0]!.fault, 'timeout');
    assert.equal((await post(url, body)).status, 200);
  });

  test('reset: the connection is dropped at once', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ kind: 'reset' });
    const started = Date.now();
    await assert.rejects(post(url, body));
    assert.ok(Date.now() - started < 2000);
    assert.equal((await post(url, body)).status, 200);
  });

  test('malformed: a 200 whose body is cut short', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ kind: 'malformed' });
    const r = await post(url, body);
    assert.equal(r.status, 200);
    assert.equal(r.json, undefined, 'the body parsed as JSON');
    assert.ok(r.text.startsWith('{"hasMore":'), r.text.slice(0, 40));
  });

  test('schema drift: the first record has the field replaced or added, the rest is intact', async () => {
    const { sim, url } = await startSim();
    const truth = sim.callVolumeGroundTruth(ms('2025-03-02T00:00:00Z'), ms('2025-03-02T01:00:00Z')).slice(0, 10);
    sim.failNext({ kind: 'schema-drift', field: 'offeredContacts', value: 'twelve' }, { kind: 'schema-drift', field: 'newField', value: { a: 1 } });
    const replaced = await post(url, body);
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.json.CallVolumeUpdate[0], { ...truth[0], offeredContacts: 'twelve' });
    assert.deepEqual(replaced.json.CallVolumeUpdate.slice(1), truth.slice(1));
    const added = await post(url, body);
    assert.deepEqual(added.json.CallVolumeUpdate[0], { ...truth[0], newField: { a: 1 } });
    // The drift is in the answer only: the data behind it is unchanged.
    assert.deepEqual((await post(url, body)).json.CallVolumeUpdate, truth);
  });

  test('serverErrorRate 1 alternates 500 and 503 with a JSON error body', async () => {
    const { sim, url } = await startSim();
    sim.setFaults({ serverErrorRate: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(url, body);
      errorMessages(r);
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [500, 503, 500, 503]);
    sim.clearFaults();
    assert.equal((await post(url, body)).status, 200);
  });

  test('rateLimitRate 1 gives 429 with Retry-After: 1; malformedRate 1 gives broken bodies', async () => {
    const { sim, url } = await startSim();
    sim.setFaults({ rateLimitRate: 1 });
    const limited = await post(url, body);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '1');
    sim.setFaults({ malformedRate: 1 });
    const broken = await post(url, body);
    assert.equal(broken.status, 200);
    assert.equal(broken.json, undefined);
  });

  test('random faults are repeatable: the same seed fails the same requests', async () => {
    const a = await startSim({ rateLimitPerMinute: 0 });
    const b = await startSim({ rateLimitPerMinute: 0 });
    const rates = { serverErrorRate: 0.3, rateLimitRate: 0.1, malformedRate: 0.1 };
    a.sim.setFaults(rates);
    b.sim.setFaults(rates);
    const run = async (url: string) => {
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await post(url, body);
        out.push(r.status === 200 && r.json === undefined ? 'malformed' : String(r.status));
      }
      return out;
    };
    const sa = await run(a.url);
    assert.deepEqual(sa, await run(b.url));
    for (const kind of ['200', '500', '503', '429', 'malformed']) assert.ok(sa.includes(kind), `no ${kind} in ${sa.join(' ')}`);
    // setFaults restarts the sequence.
    a.sim.setFaults(rates);
    assert.deepEqual(await run(a.url), sa);
  });

  test('invalid fault settings are refused', async () => {
    const { sim } = await startSim();
    assert.throws(() => sim.setFaults({ serverErrorRate: 1.5 }), RangeError);
    assert.throws(() => sim.setFaults({ serverErrorRate: 0.6, malformedRate: 0.6 }), RangeError);
    assert.throws(() => sim.failNext({ status: 418 as 500 }), RangeError);
  });

  test('stop() does not wait for a request held by a timeout fault', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ kind: 'timeout', ms: 60_000 });
    const pending = post(url, body).then(
      () => 'answered',
      () => 'failed',
    );
    while (sim.requests().length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await sim.stop();
    assert.equal(await pending, 'failed');
    assert.ok(Date.now() - started < 2000);
  });
});

describe('account rate limit', () => {
  const body = window('2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z');

  test('60 requests in a rolling minute pass, the 61st is 429 with Retry-After until a slot frees', async () => {
    const { sim, url, clock } = await startSim();
    const t0 = clock.t;
    for (let i = 0; i < 60; i++) {
      clock.t = t0 + i * 500; // 60 requests over 30 s
      const r = await post(url, body);
      assert.equal(r.status, 200, `request ${i + 1}: ${r.text}`);
    }
    clock.t = t0 + 30_000;
    const limited = await post(url, body);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '30'); // the first request leaves the window at t0+60s
    assert.match(errorMessages(limited)[0]!, /60 requests per minute/);

    clock.t = t0 + 59_500;
    const stillLimited = await post(url, body);
    assert.equal(stillLimited.status, 429);
    assert.equal(stillLimited.headers['retry-after'], '1');

    clock.t = t0 + 60_000; // the first request has left the window: exactly one slot
    assert.equal((await post(url, body)).status, 200);
    assert.equal((await post(url, body)).status, 429);

    // What the client sent, refused ones included: [t0+0.5s, t0+60.5s) holds 59 + 4 = 63 of the 64.
    assert.equal(sim.maxRequestsInAnyMinute(), 63);
    assert.equal(sim.maxRequestsInAnyMinute('someone-else'), 0);
  });

  test('refused requests neither consume scripted faults nor count against the limit', async () => {
    const { sim, url, clock } = await startSim({ rateLimitPerMinute: 2 });
    assert.equal((await post(url, body)).status, 200);
    assert.equal((await post(url, body)).status, 200);
    sim.failNext({ status: 500 });
    assert.equal((await post(url, body)).status, 429);
    assert.equal(sim.pendingFaults(), 1);
    clock.t += MIN;
    assert.equal((await post(url, body)).status, 500);
  });

  test('rateLimitPerMinute 0 disables the limit', async () => {
    const { url } = await startSim({ rateLimitPerMinute: 0 });
    const statuses = new Set<number>();
    for (let i = 0; i < 70; i++) statuses.add((await post(url, body)).status);
    assert.deepEqual([...statuses], [200]);
  });

  test('maxRequestsInAnyMinute finds the busiest 60 seconds', async () => {
    const { sim, url, clock } = await startSim({ rateLimitPerMinute: 0 });
    const t0 = clock.t;
    for (const offset of [0, 10_000, 50_000, 59_999, 60_000, 61_000, 130_000]) {
      clock.t = t0 + offset;
      await post(url, body);
    }
    // [10s, 70s) holds 10, 50, 59.999, 60, 61 → 5; [0, 60s) holds 4.
    assert.equal(sim.maxRequestsInAnyMinute(DEMO_KORE.accountId), 5);
  });
});

describe('revisions (late data)', () => {
  test('a revised record shows a bumped __v and new counts, in ground truth and over HTTP', async () => {
    const { sim, url } = await startSim();
    const from = ms('2025-03-03T12:00:00Z');
    const to = from + 2 * CALL_VOLUME_INTERVAL_MS;
    const before = sim.callVolumeGroundTruth(from, to);
    const target = before[1]!;

    const revised = sim.reviseCallVolume(from, target.queueId);
    assert.equal(revised.length, 1);
    const after1 = sim.callVolumeGroundTruth(from, to);
    const changed = after1[1]!;
    assert.equal(changed._id, target._id, 'a revision keeps the record id');
    assert.equal(changed.__v, 1);
    assert.ok(changed.offeredContacts > target.offeredContacts, 'late contacts add to the counts');
    assert.deepEqual(revised[0], changed);
    assert.deepEqual(
      after1.filter((_, i) => i !== 1),
      before.filter((_, i) => i !== 1),
      'other records are untouched',
    );

    const r = await post(url, window(iso(from), iso(to), { limit: 100 }));
    assert.deepEqual(r.json.CallVolumeUpdate, after1);

    sim.reviseCallVolume(from); // every queue of the interval
    const after2 = sim.callVolumeGroundTruth(from, to);
    assert.deepEqual(
      after2.slice(0, 4).map((x) => x.__v),
      [1, 2, 1, 1],
    );
    assert.deepEqual(after2.slice(4), before.slice(4));
    // Plain options describe the unrevised dataset.
    assert.deepEqual(callVolumeGroundTruth({ ...DEMO_KORE, dataStart: DATA_START, now: () => NOW }, from, to), before);
  });

  test('a revision must name an interval start and a known queue', async () => {
    const { sim } = await startSim();
    assert.throws(() => sim.reviseCallVolume(ms('2025-03-03T12:05:00Z')), /15-minute interval/);
    assert.throws(() => sim.reviseCallVolume(ms('2025-03-03T12:00:00Z'), 'qu-nope'), /unknown queueId/);
    assert.throws(() => sim.reviseCallVolume(ms('2025-02-01T00:00:00Z')), /dataStart/);
  });
});

describe('request log', () => {
  test('records time, method, path, account, status and body; resetLog clears it', async () => {
    const { sim, url, clock } = await startSim();
    const body = window('2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z', { skip: 0, limit: 5 });
    await post(url, body);
    clock.t += 1000;
    await post(url, body, { headers: { iId: DEMO_KORE.iId } });
    const log = sim.requests();
    assert.deepEqual(log, [
      {
        at: NOW,
        method: 'POST',
        path: `/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}/callvolume`,
        accountId: DEMO_KORE.accountId,
        endpoint: 'callvolume',
        status: 200,
        body,
      },
      {
        at: NOW + 1000,
        method: 'POST',
        path: `/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}/callvolume`,
        accountId: DEMO_KORE.accountId,
        endpoint: 'callvolume',
        status: 401,
        body,
      },
    ]);
    assert.ok(!JSON.stringify(log).includes(DEMO_KORE.staticToken), 'the log holds no credentials');
    sim.resetLog();
    assert.deepEqual(sim.requests(), []);
  });
});
