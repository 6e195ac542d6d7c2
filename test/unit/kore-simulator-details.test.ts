/**
 * The Kore.ai simulator's call-details and agent-status endpoints over real HTTP: what a client of
 * `v2/calldetails`, `v2/interactionDetails` and `agentstatusdetails` will meet.
 * Run: npx tsx --test test/unit/kore-simulator-details.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AGENT_STATUS_MAX_LIMIT,
  CALL_DETAILS_RANGE_MESSAGE,
  DEMO_KORE,
  KoreSimulator,
  type KoreSimulatorOptions,
  agentStatusGroundTruth,
  conversationsGroundTruth,
  demoKoreOptions,
  formatKoreDuration,
  koreLocalTime,
} from '../../simulators/kore';
import { Clock, type Reply, simulatorHarness } from '../helpers/simulator';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ms = (iso: string) => Date.parse(iso);

/** A Thursday morning: day-shift agents are at work, the night shift has not started. */
const NOW = ms('2025-03-13T10:30:00Z');
const DATA_START = '2025-03-01T00:00:00Z';
const PREFIX = `/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}`;
const AUTH = { auth: DEMO_KORE.staticToken, iId: DEMO_KORE.iId };
const V2_AUTH = { ...AUTH, accountId: DEMO_KORE.accountId };

const { start: startSim, send } = simulatorHarness(
  NOW,
  (overrides: Partial<KoreSimulatorOptions>, clock) => new KoreSimulator(demoKoreOptions({ now: clock.now, dataStart: DATA_START, ...overrides })),
);

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = V2_AUTH): Promise<Reply> {
  return send(base + PREFIX + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const errorMessages = (r: Reply): string[] => {
  assert.ok(Array.isArray(r.json?.errors), `expected a Kore error body, got ${r.text}`);
  for (const e of r.json.errors) assert.equal(e.code, r.status);
  return r.json.errors.map((e: { msg: string }) => e.msg);
};

const range = (startDate: string, endDate: string, extra: Record<string, unknown> = {}) => ({ startDate, endDate, timeZoneOffset: 0, ...extra });
const day = (date: string, extra: Record<string, unknown> = {}) => ({
  filter: { dateFilter: { startDate: date, endDate: date, timeZoneOffSet: 0, ...extra } },
});

/** Numbers as the client stores them: the wire sometimes sends counts as text. */
function canonical(record: any): any {
  const r = structuredClone(record);
  if (typeof r.csatScore === 'string') r.csatScore = Number(r.csatScore);
  for (const d of r.destinations ?? []) {
    for (const [k, v] of Object.entries(d.respondingAgent ?? {})) if (typeof v === 'string' && /Duration$/.test(k)) d.respondingAgent[k] = Number(v);
  }
  return r;
}

async function walkConversations(url: string, path: string, body: unknown, limit: number) {
  const records: any[] = [];
  const pages: Array<{ numResults: unknown; size: number }> = [];
  for (let offset = 0; ; offset += limit) {
    const r = await post(url, `${path}?limit=${limit}&offset=${offset}`, body);
    assert.equal(r.status, 200, r.text);
    pages.push({ numResults: r.json.numResults, size: r.json.data.length });
    records.push(...r.json.data);
    if (r.json.data.length < limit) break;
    assert.ok(pages.length < 100, 'paging does not end');
  }
  return { records, pages };
}

describe('call details: paging and the range', () => {
  test('walking a week page by page yields the ground truth once each, ordered, with bot sessions and both Reason spellings', async () => {
    const { sim, url } = await startSim();
    const { records, pages } = await walkConversations(url, '/v2/calldetails', range('2025-03-03 00:00:00', '2025-03-09 23:59:59'), 10);
    const truth = sim.conversationsGroundTruth(ms('2025-03-03T00:00:00Z'), ms('2025-03-10T00:00:00Z'));
    assert.ok(truth.length > 20, `a week has a few sessions a day (${truth.length})`);
    assert.deepEqual(records.map(canonical), truth);
    assert.equal(new Set(records.map((r) => r.sessionId)).size, records.length, 'a sessionId repeated across pages');
    assert.deepEqual(
      pages.map((p) => p.size),
      [...Array(Math.floor(truth.length / 10)).fill(10), truth.length % 10],
    );
    assert.deepEqual(
      pages.map((p) => Number(p.numResults)),
      pages.map((p) => p.size),
      'numResults counts the page',
    );
    assert.ok(
      pages.slice(1).every((p) => typeof p.numResults === 'string'),
      'later pages send numResults as text',
    );

    const bots = records.filter((r) => r.conversationId === undefined);
    assert.ok(
      bots.length > 0 && bots.every((r) => 'reason' in r && !('Reason' in r) && r.finalStatus === 'BotResolved'),
      'bot sessions: no conversationId, "reason"',
    );
    const queued = records.filter((r) => r.conversationId !== undefined);
    assert.ok(
      queued.length > 0 && queued.every((r) => 'Reason' in r && !('reason' in r) && Array.isArray(r.destinations)),
      'queued sessions: "Reason" and destinations',
    );
    assert.ok(
      records.some((r) => typeof r.csatScore === 'string' || r.destinations?.some((d: any) => typeof d.respondingAgent?.interactionDuration === 'string')),
      'some counts arrive as numeric strings',
    );
    const starts = records.map((r) => r.sessionStartTime);
    assert.deepEqual(starts, [...starts].sort(), 'ordered by start');
    assert.ok(
      starts.every((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(s)),
      'times as zoneless wall time, like the sample',
    );
  });

  test('interactionDetails serves the same conversations; limit defaults to 100', async () => {
    const { sim, url } = await startSim();
    const body = range('2025-03-03 00:00:00', '2025-03-09 23:59:59');
    const r = await post(url, '/v2/interactionDetails', body);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map(canonical), sim.conversationsGroundTruth(ms('2025-03-03T00:00:00Z'), ms('2025-03-10T00:00:00Z')));
    assert.equal(sim.requests()[0]!.endpoint, 'interactiondetails');
    // More than a page's worth, so only a default of exactly 100 gives exactly 100 (45 or 150 would not).
    const many = await startSim({ seed: 'busy', dataStart: '2025-01-01T00:00:00Z', sessionsPerDay: [20, 30] }, new Clock(ms('2025-06-01T00:00:00Z')));
    const truth = many.sim.conversationsGroundTruth(ms('2025-03-01T00:00:00Z'), ms('2025-03-08T00:00:00Z'));
    assert.ok(truth.length > 100, `more sessions than one default page (${truth.length})`);
    for (const path of ['/v2/calldetails', '/v2/interactionDetails']) {
      const wide = await post(many.url, path, range('2025-03-01 00:00:00', '2025-03-07 23:59:59'));
      assert.equal(wide.json.data.length, 100, `${path}: a request without limit gets exactly 100`);
      assert.deepEqual(wide.json.data.map(canonical), truth.slice(0, 100), `${path}: the first 100 in API order`);
    }
  });

  test('endDate is inclusive to the second; one second earlier leaves the session out', async () => {
    const { sim, url } = await startSim();
    const session = sim.data.sessions(ms('2025-03-04T00:00:00Z'), ms('2025-03-05T00:00:00Z'))[0]!;
    const at = koreLocalTime(session.start).replace('T', ' ');
    const before = koreLocalTime(session.start - 1000).replace('T', ' ');
    const ids = async (b: unknown) => (await post(url, '/v2/calldetails', b)).json.data.map((r: any) => r.sessionId);
    assert.ok((await ids(range('2025-03-04 00:00:00', at))).includes(session.sessionId));
    assert.ok(!(await ids(range('2025-03-04 00:00:00', before))).includes(session.sessionId));
    assert.ok((await ids(range(at, '2025-03-04 23:59:59'))).includes(session.sessionId), 'startDate is inclusive');
  });

  test("timeZoneOffset reads the dates as that zone's wall time and answers in it (New York = 300)", async () => {
    const { sim, url } = await startSim();
    const utc = sim.conversationsGroundTruth(ms('2025-03-04T05:00:00Z'), ms('2025-03-05T05:00:00Z'));
    const r = await post(url, '/v2/calldetails', { ...range('2025-03-04 00:00:00', '2025-03-04 23:59:59'), timeZoneOffset: 300 });
    assert.deepEqual(
      r.json.data.map((x: any) => x.sessionId),
      utc.map((x) => x.sessionId),
    );
    const first = sim.data.sessions(ms('2025-03-04T05:00:00Z'), ms('2025-03-05T05:00:00Z'))[0]!;
    assert.equal(r.json.data[0].sessionStartTime, koreLocalTime(first.start - 300 * MIN));
  });

  test('channels and queues filter; empty lists do not', async () => {
    const { sim, url } = await startSim();
    const all = sim.conversationsGroundTruth(ms('2025-03-03T00:00:00Z'), ms('2025-03-10T00:00:00Z'));
    const body = (extra: Record<string, unknown>) => range('2025-03-03 00:00:00', '2025-03-09 23:59:59', extra);
    const voice = (await post(url, '/v2/calldetails', body({ channels: ['voice'] }))).json.data;
    assert.ok(voice.length > 0 && voice.length < all.length);
    assert.ok(voice.every((r: any) => r.channel === 'voice'));
    assert.deepEqual(voice.map(canonical), sim.conversationsGroundTruth(ms('2025-03-03T00:00:00Z'), ms('2025-03-10T00:00:00Z'), { channels: ['voice'] }));
    const queueId = sim.data.queues[0]!.queueId;
    const queued = (await post(url, '/v2/calldetails', body({ queues: [queueId] }))).json.data;
    assert.ok(queued.length > 0 && queued.every((r: any) => r.destinations.some((d: any) => d.queueId === queueId)));
    assert.equal((await post(url, '/v2/calldetails', body({ channels: [], queues: [] }))).json.data.length, all.length);
  });

  test("more than seven days is the vendor's 400, counted; exactly seven days is not", async () => {
    const { sim, url } = await startSim();
    const over = await post(url, '/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-08 00:00:01'));
    assert.equal(over.status, 400);
    assert.deepEqual(errorMessages(over), [CALL_DETAILS_RANGE_MESSAGE]);
    assert.equal((await post(url, '/v2/interactionDetails', range('2025-03-01 00:00:00', '2025-03-09 00:00:00'))).status, 400);
    assert.equal((await post(url, '/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-08 00:00:00'))).status, 200);
    assert.equal((await post(url, '/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-07 23:59:59'))).status, 200);
    assert.equal(sim.requestsOverSevenDays(), 2);
  });

  test('requests over seven days are counted even when the rate limit refused them', async () => {
    const { sim, url } = await startSim({ rateLimitPerMinute: 1 });
    assert.equal((await post(url, '/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-02 00:00:00'))).status, 200);
    assert.equal((await post(url, '/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-20 00:00:00'))).status, 429);
    assert.equal(sim.requestsOverSevenDays(), 1);
  });

  test('bad requests are 400s naming the field', async () => {
    const { url } = await startSim();
    const cases: Array<[string, unknown, RegExp]> = [
      ['/v2/calldetails', { endDate: '2025-03-02 00:00:00', timeZoneOffset: 0 }, /^startDate is required$/],
      ['/v2/calldetails', range('2025-03-01T00:00:00Z', '2025-03-02 00:00:00'), /startDate must be a date-time in the format yyyy-mm-dd HH:mm:ss/],
      ['/v2/calldetails', range('2025-02-30 00:00:00', '2025-03-02 00:00:00'), /startDate must be a date-time/],
      ['/v2/calldetails', { startDate: '2025-03-01 00:00:00', endDate: '2025-03-02 00:00:00' }, /^timeZoneOffset is required$/],
      ['/v2/calldetails', range('2025-03-02 00:00:00', '2025-03-01 00:00:00'), /endDate must not be before startDate/],
      ['/v2/calldetails', range('2025-03-01 00:00:00', '2025-03-02 00:00:00', { channels: 'voice' }), /channels must be a list of strings/],
      ['/v2/calldetails?limit=0', range('2025-03-01 00:00:00', '2025-03-02 00:00:00'), /limit must be at least 1/],
      ['/v2/calldetails?limit=1001', range('2025-03-01 00:00:00', '2025-03-02 00:00:00'), /limit must be at most 1000/],
      ['/v2/calldetails?offset=-1', range('2025-03-01 00:00:00', '2025-03-02 00:00:00'), /offset must be a whole number/],
    ];
    for (const [path, body, expected] of cases) {
      const r = await post(url, path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${r.text}`);
      assert.ok(
        errorMessages(r).some((m) => expected.test(m)),
        `${JSON.stringify(errorMessages(r))} should match ${expected}`,
      );
    }
  });

  test('auth, iId and the accountId header', async () => {
    const { url } = await startSim();
    const body = range('2025-03-01 00:00:00', '2025-03-02 00:00:00');
    assert.equal((await post(url, '/v2/calldetails', body, { iId: DEMO_KORE.iId, accountId: DEMO_KORE.accountId })).status, 401);
    assert.equal((await post(url, '/v2/calldetails', body, { auth: DEMO_KORE.staticToken, accountId: DEMO_KORE.accountId })).status, 400);
    const noAccount = await post(url, '/v2/calldetails', body, AUTH);
    assert.equal(noAccount.status, 400);
    assert.deepEqual(errorMessages(noAccount), ['accountId header is required']);
    const otherAccount = await post(url, '/v2/calldetails', body, { ...AUTH, accountId: 'someone-else' });
    assert.equal(otherAccount.status, 401);
    assert.match(errorMessages(otherAccount)[0]!, /accountId header does not match/);
  });

  test('a session is listed once it has ended', async () => {
    const clock = new Clock(NOW);
    const { sim, url } = await startSim({}, clock);
    const session = sim.data.sessions(ms('2025-03-12T00:00:00Z'), ms('2025-03-13T00:00:00Z')).find((s) => s.end - s.start > 60_000)!;
    clock.t = session.start + 30_000;
    const ids = async () => (await post(url, '/v2/calldetails', range('2025-03-12 00:00:00', '2025-03-12 23:59:59'))).json.data.map((r: any) => r.sessionId);
    assert.ok(!(await ids()).includes(session.sessionId), 'not while it goes on');
    clock.t = session.end;
    assert.ok((await ids()).includes(session.sessionId));
  });
});

describe('agent status', () => {
  const date = '2025-03-11';
  const from = ms(`${date}T00:00:00Z`);

  /** Every record of a day, flattened like a client stores it. */
  async function walkDay(url: string, limit: number, body: unknown = day(date)) {
    const pages: any[] = [];
    for (let offset = 0; ;) {
      const r = await post(url, `/agentstatusdetails?limit=${limit}&offset=${offset}`, body, AUTH);
      assert.equal(r.status, 200, r.text);
      pages.push(r.json);
      offset += r.json.data.length;
      if (!r.json.hasMore) break;
      assert.ok(pages.length < 100);
    }
    return pages;
  }

  function flatten(pages: any[]) {
    return pages.flatMap((p) =>
      p.data.flatMap(({ status, ...who }: any) =>
        (status ?? []).map((s: any) => {
          const open = s.endTime === '-';
          const t = (v: string) => new Date(/Z$/.test(v) ? v : `${v}Z`).toISOString();
          const [h, m, sec] = open ? [0, 0, 0] : s.duration.split(':').map(Number);
          return {
            ...who,
            primaryStatus: s.primaryStatus,
            secondaryStatus: s.secondaryStatus,
            startTime: t(s.startTime),
            endTime: open ? null : t(s.endTime),
            duration: open ? null : h * 3600 + m * 60 + sec,
            open,
          };
        }),
      ),
    );
  }

  test('pages count agents: limit 2 over 5 agents is 2 + 2 + 1 with hasMore, and the segments are the ground truth', async () => {
    const { sim, url } = await startSim();
    const pages = await walkDay(url, 2);
    assert.deepEqual(
      pages.map((p) => p.data.length),
      [2, 2, 1],
    );
    assert.deepEqual(
      pages.map((p) => p.hasMore),
      [true, true, false],
    );
    assert.deepEqual(
      pages.map((p) => [p.limit, p.offset]),
      [
        ['2', '0'],
        ['2', '2'],
        ['2', '4'],
      ],
      'limit and offset echoed as the query strings',
    );
    assert.deepEqual(
      pages.flatMap((p) => p.data.map((a: any) => a.userId)),
      sim.data.agents.map((a) => a.userId),
    );
    const records = flatten(pages);
    assert.ok(records.length > 20, `a day has segments (${records.length})`);
    assert.deepEqual(records, sim.agentStatusGroundTruth(from, from + DAY));
    assert.deepEqual(
      agentStatusGroundTruth({ ...DEMO_KORE, dataStart: DATA_START, now: () => NOW }, from, from + DAY),
      records,
      'plain options give the same ground truth',
    );
  });

  test('limit defaults to 50 and may not exceed it (it counts agents)', async () => {
    const { url } = await startSim({ agents: 60 });
    const first = await post(url, '/agentstatusdetails', day(date), AUTH);
    assert.equal(first.json.data.length, AGENT_STATUS_MAX_LIMIT);
    assert.equal(first.json.hasMore, true);
    assert.equal(first.json.limit, 50);
    const over = await post(url, '/agentstatusdetails?limit=51', day(date), AUTH);
    assert.equal(over.status, 400);
    assert.deepEqual(errorMessages(over), ['limit must be at most 50']);
    const rest = await post(url, '/agentstatusdetails?limit=50&offset=50', day(date), AUTH);
    assert.equal(rest.json.data.length, 10);
    assert.equal(rest.json.hasMore, false);
  });

  test('segments: HH:MM:SS durations, zoneless wall time, agents without segments have no status', async () => {
    const { sim, url } = await startSim();
    const sunday = await post(url, '/agentstatusdetails', day('2025-03-09'), AUTH);
    assert.ok(
      sunday.json.data.some((a: any) => !('status' in a)),
      'an agent off that day has no status field',
    );
    const [page] = await walkDay(url, 50);
    const seg = page.data.find((a: any) => a.status?.length).status[0];
    assert.match(seg.startTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.match(seg.duration, /^\d{2,}:[0-5]\d:[0-5]\d$/);
    assert.equal(formatKoreDuration(32 * HOUR + 17 * MIN + 4000), '32:17:04', 'hours run past 24, as in the sample');
    assert.ok(sim.data.agents.some((a) => a.customId) && page.data.some((a: any) => 'customId' in a), 'some agents carry customId');
  });

  test('a segment across midnight is listed for both days, spelled as ISO UTC on the second', async () => {
    const { sim, url } = await startSim();
    const night = sim.data.agents.find((a) => a.nightShift)!;
    const first = (await post(url, '/agentstatusdetails', day('2025-03-10'), AUTH)).json.data.find((a: any) => a.userId === night.userId).status;
    const second = (await post(url, '/agentstatusdetails', day('2025-03-11'), AUTH)).json.data.find((a: any) => a.userId === night.userId).status;
    const last = first[first.length - 1];
    assert.ok(last.endTime > '2025-03-11', `the night shift's last segment of the 10th ends on the 11th (${last.endTime})`);
    const carried = second[0];
    assert.equal(carried.startTime, `${last.startTime}.000Z`, 'the same instant, the other spelling');
    assert.equal(carried.endTime, `${last.endTime}.000Z`);
    assert.equal(carried.duration, last.duration);
  });

  test('the segment going on is open ("-"), later ones do not exist yet; moving the clock closes it', async () => {
    const clock = new Clock(NOW);
    const { sim, url } = await startSim({}, clock);
    const today = '2025-03-13';
    const openNow = (await post(url, '/agentstatusdetails', day(today), AUTH)).json.data.filter((a: any) => a.status?.length);
    assert.ok(openNow.length > 0, 'agents at work at 10:30');
    const working = openNow.filter((a: any) => a.status[a.status.length - 1].endTime === '-');
    assert.ok(working.length > 0, 'someone is in a status right now');
    for (const a of working) {
      const cur = a.status[a.status.length - 1];
      assert.equal(cur.duration, '-');
      assert.ok(
        a.status.slice(0, -1).every((s: any) => s.endTime !== '-'),
        'only the current segment is open',
      );
      assert.ok(ms(`${cur.startTime}Z`) <= NOW);
    }
    const truthNow = sim.agentStatusGroundTruth(ms(`${today}T00:00:00Z`), ms(`${today}T00:00:00Z`) + DAY);
    assert.ok(truthNow.some((r) => r.open === true && r.endTime === null && r.duration === null));

    clock.t = ms(`${today}T23:59:00Z`);
    const later = (await post(url, '/agentstatusdetails', day(today), AUTH)).json.data;
    for (const a of working) {
      const was = a.status[a.status.length - 1];
      const now = later.find((x: any) => x.userId === a.userId).status.find((s: any) => s.startTime === was.startTime);
      assert.notEqual(now.endTime, '-', 'closed once its end has passed');
      assert.match(now.duration, /^\d{2}:\d{2}:\d{2}$/);
      assert.ok(later.find((x: any) => x.userId === a.userId).status.length >= a.status.length);
    }
  });

  test('date (as in the sample) equals startDate = endDate; a range of days; the agents filter; timeZoneOffSet', async () => {
    const { sim, url } = await startSim();
    const byRange = (await walkDay(url, 50))[0].data;
    const byDate = (await post(url, '/agentstatusdetails', { filter: { dateFilter: { date, timeZoneOffSet: 0 } } }, AUTH)).json.data;
    assert.deepEqual(byDate, byRange);
    const two = await walkDay(url, 50, { filter: { dateFilter: { startDate: '2025-03-10', endDate: '2025-03-11', timeZoneOffSet: 0 } } });
    assert.deepEqual(flatten(two), sim.agentStatusGroundTruth(ms('2025-03-10T00:00:00Z'), ms('2025-03-12T00:00:00Z')));
    const who = sim.data.agents[1]!;
    const one = (await post(url, '/agentstatusdetails', { filter: { agents: [who.email.toUpperCase()], dateFilter: { date, timeZoneOffSet: 0 } } }, AUTH)).json
      .data;
    assert.deepEqual(
      one.map((a: any) => a.userId),
      [who.userId],
    );
    const india = (await post(url, '/agentstatusdetails', { filter: { dateFilter: { date, timeZoneOffSet: -330 } } }, AUTH)).json.data;
    const utcIds = sim.data.agentStatus(ms(`${date}T00:00:00Z`) - 330 * MIN, ms(`${date}T00:00:00Z`) - 330 * MIN + DAY);
    assert.deepEqual(
      india.flatMap((a: any) => (a.status ?? []).length),
      utcIds.map((x) => x.segments.length),
      "the day is India's day",
    );
  });

  test('bad requests are 400s naming the field', async () => {
    const { url } = await startSim();
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^filter is required$/],
      [{ filter: {} }, /^filter\.dateFilter is required$/],
      [{ filter: { dateFilter: { timeZoneOffSet: 0 } } }, /needs startDate and endDate \(or date\)/],
      [{ filter: { dateFilter: { date: '2025-03-11', timeZoneOffset: 0 } } }, /filter\.dateFilter\.timeZoneOffSet is required/],
      [{ filter: { dateFilter: { date: '11/03/2025', timeZoneOffSet: 0 } } }, /date must be a date in the format yyyy-mm-dd/],
      [{ filter: { dateFilter: { startDate: '2025-03-12', endDate: '2025-03-11', timeZoneOffSet: 0 } } }, /endDate must not be before startDate/],
    ];
    for (const [body, expected] of cases) {
      const r = await post(url, '/agentstatusdetails', body, AUTH);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(
        errorMessages(r).some((m) => expected.test(m)),
        `${JSON.stringify(errorMessages(r))} should match ${expected}`,
      );
    }
    const misspelt = await post(url, '/agentstatusdetails', { filter: { dateFilter: { date: '2025-03-11', timeZoneOffset: 0 } } }, AUTH);
    assert.ok(errorMessages(misspelt).some((m) => /spelled timeZoneOffSet/.test(m)));
    assert.equal((await post(url, '/agentstatusdetails', day(date), { iId: DEMO_KORE.iId })).status, 401);
  });
});

describe('faults and the shared account limit', () => {
  test('scripted faults target an endpoint; schema drift changes the first status segment', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ endpoint: 'agentstatus', status: 503 }, { endpoint: 'calldetails', kind: 'malformed' });
    const cd = await post(url, '/v2/calldetails', range('2025-03-03 00:00:00', '2025-03-03 23:59:59'));
    assert.equal(cd.status, 200);
    assert.equal(cd.json, undefined, 'a truncated body');
    assert.equal((await post(url, '/agentstatusdetails', day('2025-03-11'), AUTH)).status, 503);
    sim.failNext({ endpoint: 'agentstatus', kind: 'schema-drift', field: 'duration', value: 42 });
    const drifted = (await post(url, '/agentstatusdetails', day('2025-03-11'), AUTH)).json.data;
    assert.equal(drifted.find((a: any) => a.status?.length).status[0].duration, 42);
    sim.failNext({ endpoint: 'interactiondetails', kind: 'schema-drift', field: 'sessionId', value: 7 });
    assert.equal((await post(url, '/v2/interactionDetails', range('2025-03-03 00:00:00', '2025-03-03 23:59:59'))).json.data[0].sessionId, 7);
    assert.equal(sim.pendingFaults(), 0);
  });

  test('every endpoint draws on one budget of 60 requests a minute per account', async () => {
    const { sim, url } = await startSim();
    const calls = [
      () => post(url, '/v2/calldetails', range('2025-03-03 00:00:00', '2025-03-03 01:00:00')),
      () => post(url, '/v2/interactionDetails', range('2025-03-03 00:00:00', '2025-03-03 01:00:00')),
      () => post(url, '/agentstatusdetails', day('2025-03-03'), AUTH),
      () => post(url, '/callvolume', { orgId: DEMO_KORE.orgId, fromTimeStamp: '2025-03-03T00:00:00Z', toTimeStamp: '2025-03-03T01:00:00Z' }, AUTH),
    ];
    for (let i = 0; i < 60; i++) assert.equal((await calls[i % 4]!()).status, 200, `request ${i + 1}`);
    for (const call of calls) {
      const r = await call();
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    assert.equal(sim.maxRequestsInAnyMinute(), 64);
    assert.deepEqual(new Set(sim.requests().map((r) => r.endpoint)), new Set(['calldetails', 'interactiondetails', 'agentstatus', 'callvolume']));
  });
});

describe('ground truth without a server', () => {
  test('is deterministic per seed and differs across seeds', () => {
    const opts = { ...DEMO_KORE, dataStart: DATA_START, now: () => NOW };
    const a = conversationsGroundTruth(opts, ms('2025-03-03T00:00:00Z'), ms('2025-03-05T00:00:00Z'));
    assert.deepEqual(conversationsGroundTruth(opts, ms('2025-03-03T00:00:00Z'), ms('2025-03-05T00:00:00Z')), a);
    const b = conversationsGroundTruth({ ...opts, seed: 'other' }, ms('2025-03-03T00:00:00Z'), ms('2025-03-05T00:00:00Z'));
    assert.notDeepEqual(
      b.map((r) => r.sessionId),
      a.map((r) => r.sessionId),
    );
    assert.deepEqual(conversationsGroundTruth(opts, ms('2025-02-01T00:00:00Z'), ms('2025-03-01T00:00:00Z')), [], 'nothing before dataStart');
    assert.deepEqual(agentStatusGroundTruth(opts, ms('2025-02-01T00:00:00Z'), ms('2025-03-01T00:00:00Z')), []);
    assert.deepEqual(agentStatusGroundTruth(opts, NOW + HOUR, NOW + DAY), [], 'nothing after the clock');
  });
});
