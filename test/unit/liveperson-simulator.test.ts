/**
 * The LivePerson simulator over real HTTP: what a client of the interval-metrics API will meet.
 * Run: npx tsx --test test/unit/liveperson-simulator.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO_LIVEPERSON,
  type IntervalMetricsRecord,
  type IntervalQuery,
  LivePersonSimulator,
  type LivePersonSimulatorOptions,
  LP_METRICS,
  demoLivePersonOptions,
  hmacSha1Signature,
  intervalMetricsGroundTruth,
  parseOAuthHeader,
  signatureBaseString,
} from '../../simulators/liveperson';
import { oauth1Header } from '../../sources/liveperson/auth';
import { type Reply, simulatorHarness } from '../helpers/simulator';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const ms = (iso: string) => Date.parse(iso);

/** 2026-03-20T10:07Z: a Friday. The 14-day rule's earliest `from` is 2026-03-06T10:07Z. */
const NOW = ms('2026-03-20T10:07:00Z');
const D1 = '2026-03-18T00:00:00Z';
const D2 = '2026-03-19T00:00:00Z';

const { start: startSim, send } = simulatorHarness(
  NOW,
  (overrides: Partial<LivePersonSimulatorOptions>, clock) =>
    new LivePersonSimulator(demoLivePersonOptions({ now: clock.now, processingAgeMs: 0, ...overrides })),
);

const BEARER = { authorization: `Bearer ${DEMO_LIVEPERSON.bearerToken}` };
const PATH = `/api/account/${DEMO_LIVEPERSON.accountId}/interval-metrics`;

async function get(base: string, pathAndQuery: string, headers: Record<string, string> = BEARER, method: 'GET' | 'POST' = 'GET'): Promise<Reply> {
  return send(base + pathAndQuery, { method, headers });
}

type Params = Record<string, string | number | boolean | undefined>;

const baseParams = (from: string, to: string, extra: Params = {}): Params => ({
  v: 1,
  source: 'unit-test',
  from,
  to,
  handleTimeModel: 'IFT',
  metrics: 'handleTime,handledConversations,repliedConversations,workTime',
  grouping: 'skill,agent',
  ...extra,
});

function qs(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return `?${q.toString()}`;
}

const query = (from: string, to: string, extra: Partial<IntervalQuery> = {}): IntervalQuery => ({
  fromMs: ms(from),
  toMs: ms(to),
  intervalDuration: 15,
  grouping: ['skill', 'agent'],
  metrics: ['handleTime', 'handledConversations', 'repliedConversations', 'workTime'],
  handleTimeModel: 'IFT',
  ...extra,
});

/** Walks every page by nextPageKey, resending the same parameters, like a client should. */
async function walkPageKeys(base: string, params: Params) {
  const records: IntervalMetricsRecord[] = [];
  const counts: number[] = [];
  let pageKey: string | undefined;
  for (;;) {
    const r = await get(base, PATH + qs({ ...params, pageKey }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.count, r.json.intervals.length);
    counts.push(r.json.intervals.length);
    records.push(...r.json.intervals);
    pageKey = r.json.metadata.paging.nextPageKey;
    if (!pageKey) break;
    assert.ok(counts.length < 500, 'paging does not end');
  }
  return { records, counts };
}

describe('interval metrics paging', () => {
  test('pageKey paging walks a day, through empty pages, to exactly the ground truth', async () => {
    const { sim, url } = await startSim({ emptyPages: 1 });
    const { records, counts } = await walkPageKeys(url, baseParams(D1, D2, { pageSize: 40 }));
    const truth = sim.groundTruth(query(D1, D2));
    assert.ok(truth.length > 80, `a day has enough records to page (${truth.length})`);
    assert.deepEqual(records, truth);
    const dataPages = Math.ceil(truth.length / 40);
    // data, empty, data, empty, ..., data, empty: every second page is empty and still links on.
    assert.equal(counts.length, dataPages * 2);
    assert.deepEqual(
      counts.filter((_c, i) => i % 2 === 1),
      new Array(dataPages).fill(0),
    );
    // Without empty pages the walk is just the data pages.
    sim.setEmptyPages(0);
    const plain = await walkPageKeys(url, baseParams(D1, D2, { pageSize: 40 }));
    assert.deepEqual(plain.records, truth);
    assert.equal(plain.counts.length, dataPages);
  });

  test('a pageKey is bound to its query and its page size', async () => {
    const { url } = await startSim();
    const first = await get(url, PATH + qs(baseParams(D1, D2, { pageSize: 10 })));
    const key = first.json.metadata.paging.nextPageKey as string;
    assert.ok(key);
    const other = await get(url, PATH + qs(baseParams(D1, D2, { pageSize: 10, grouping: 'skill', pageKey: key })));
    assert.equal(other.status, 400);
    assert.match(other.json.message, /pageKey does not belong to this query/);
    // A different pageSize with the key keeps the sequence the key was cut with.
    const second = await get(url, PATH + qs(baseParams(D1, D2, { pageSize: 500, pageKey: key })));
    assert.equal(second.status, 200);
    assert.equal(second.json.intervals.length, 10);
    assert.equal(second.json.metadata.paging.pageKey, key);
    assert.equal((await get(url, PATH + qs(baseParams(D1, D2, { pageKey: 'garbage' })))).status, 400);
  });

  test('refs paging: links shaped like the samples lose grouping and metrics; re-adding them walks to the truth', async () => {
    const { sim, url } = await startSim({ paging: 'refs', emptyPages: 1 });
    const params = baseParams(D1, D2, { pageSize: 50 });
    const first = await get(url, PATH + qs(params));
    assert.equal(first.status, 200);
    const paging = first.json.metadata.paging;
    assert.equal(paging.nextPageKey, undefined);
    assert.deepEqual(Object.keys(paging).sort(), ['limit', 'offset', 'refs']);
    const next = new URL(paging.refs.next, url);
    assert.equal(next.pathname, PATH);
    assert.deepEqual([...next.searchParams.keys()].sort(), ['fromL', 'handleTimeModel', 'limit', 'offset', 'source', 'toL', 'v']);
    assert.equal(next.searchParams.get('offset'), '50');
    assert.equal(next.searchParams.get('fromL'), String(ms(D1)));

    // Followed verbatim, the link has no metrics: a 400, not silently other data.
    assert.equal((await get(url, paging.refs.next)).status, 400);

    const records: IntervalMetricsRecord[] = [...first.json.intervals];
    const counts = [first.json.intervals.length];
    let link: string | undefined = paging.refs.next;
    while (link) {
      const u = new URL(link, url);
      u.searchParams.set('metrics', String(params.metrics));
      u.searchParams.set('grouping', String(params.grouping));
      const r = await get(url, u.pathname + u.search);
      assert.equal(r.status, 200, r.text);
      records.push(...r.json.intervals);
      counts.push(r.json.intervals.length);
      link = r.json.metadata.paging.refs.next;
    }
    assert.deepEqual(records, sim.groundTruth(query(D1, D2)));
    assert.equal(counts.at(-1), 0, 'the walk ends with an empty page');
    assert.ok(counts.slice(0, -1).every((c) => c > 0));

    sim.setPaging('pageKey');
    const again = await get(url, PATH + qs(params));
    assert.ok(again.json.metadata.paging.nextPageKey);
  });

  test('refsCarryAllParams gives complete links', async () => {
    const { url } = await startSim({ paging: 'refs', refsCarryAllParams: true });
    const first = await get(url, PATH + qs(baseParams(D1, D2, { pageSize: 20, skillId: undefined })));
    const r = await get(url, first.json.metadata.paging.refs.next);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.query.grouping, 'skill,agent');
  });
});

describe('deterministic metrics for every grouping', () => {
  const sum = (rs: IntervalMetricsRecord[], m: string) => rs.reduce((a, r) => a + ((r.metrics as Record<string, number>)[m] ?? 0), 0);

  test('every grouping aggregates the same conversations; each record carries only its dimensions', async () => {
    const { sim } = await startSim();
    const all = ['handleTime', 'handledConversations', 'repliedConversations', 'workTime'] as const;
    const by = (grouping: IntervalQuery['grouping']) => sim.groundTruth(query(D1, D2, { grouping }));
    const groupings: IntervalQuery['grouping'][] = [
      ['skill'],
      ['agentGroup'],
      ['agent'],
      ['conversation'],
      ['skill', 'agent'],
      ['skill', 'agentGroup', 'agent', 'conversation'],
    ];
    const results = groupings.map(by);
    for (const m of all) {
      const totals = results.map((rs) => sum(rs, m));
      assert.ok(totals[0]! > 0, m);
      assert.deepEqual(totals, new Array(totals.length).fill(totals[0]), `${m} totals agree across groupings`);
    }
    const fields = (r: IntervalMetricsRecord) =>
      Object.keys(r)
        .filter((k) => k !== 'timeframe' && k !== 'metrics')
        .sort();
    assert.deepEqual([...new Set(results[0]!.map(fields).map(String))], ['skillId,skillName']);
    assert.deepEqual([...new Set(results[1]!.map(fields).map(String))], ['agentGroupId,agentGroupName']);
    assert.deepEqual([...new Set(results[2]!.map(fields).map(String))], ['agentId,agentLogin,agentName']);
    assert.deepEqual([...new Set(results[3]!.map(fields).map(String))], ['conversationId']);
    // One record per conversation and interval: as many as handled conversations.
    assert.equal(results[3]!.length, sum(results[3]!, 'handledConversations'));
    // Ids arrive as numbers and as strings, like the vendor's samples.
    const skillIds = results[0]!.map((r) => r.skillId);
    assert.ok(skillIds.some((v) => typeof v === 'number') && skillIds.some((v) => typeof v === 'string'));
  });

  test('records are ordered by interval, then skill, agent group, agent, conversation; keys are unique', async () => {
    const { sim } = await startSim();
    const rs = sim.groundTruth(query(D1, D2, { grouping: ['skill', 'agent'] }));
    const keys = rs.map((r) => `${r.timeframe.fromL}|${Number(r.skillId)}|${Number(r.agentId)}`);
    assert.equal(new Set(keys).size, keys.length);
    const sorted = [...rs].sort(
      (a, b) => a.timeframe.fromL - b.timeframe.fromL || Number(a.skillId) - Number(b.skillId) || Number(a.agentId) - Number(b.agentId),
    );
    assert.deepEqual(rs, sorted);
    for (const r of rs) {
      assert.equal(r.timeframe.toL - r.timeframe.fromL, 15 * MIN);
      assert.equal(ms(r.timeframe.from), r.timeframe.fromL);
      assert.match(r.timeframe.from, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
      assert.ok(r.metrics.handleTime! > 0 && r.metrics.workTime! >= r.metrics.handleTime!);
    }
  });

  test('longer intervals are the sums of their 15-minute intervals', async () => {
    const { sim } = await startSim();
    const q15 = sim.groundTruth(query('2026-03-18T12:00:00Z', '2026-03-18T13:00:00Z', { grouping: ['skill'] }));
    const q60 = sim.groundTruth(query('2026-03-18T12:00:00Z', '2026-03-18T13:00:00Z', { grouping: ['skill'], intervalDuration: 60 }));
    assert.ok(q60.length > 0);
    for (const r of q60) {
      assert.equal(r.timeframe.toL - r.timeframe.fromL, 60 * MIN);
      const parts = q15.filter((p) => String(p.skillId) === String(r.skillId));
      assert.equal(r.metrics.handleTime, sum(parts, 'handleTime'));
    }
    const day = sim.groundTruth(query(D1, D2, { grouping: ['skill'], intervalDuration: 1440 }));
    assert.equal(new Set(day.map((r) => r.timeframe.fromL)).size, 1);
    assert.equal(sum(day, 'handleTime'), sum(sim.groundTruth(query(D1, D2, { grouping: ['skill'] })), 'handleTime'));
  });

  test('EHT is below IFT; only requested metrics appear; skill-only metrics need skill grouping', async () => {
    const { sim, url } = await startSim();
    const ift = sim.groundTruth(query(D1, D2, { grouping: ['skill'] }));
    const eht = sim.groundTruth(query(D1, D2, { grouping: ['skill'], handleTimeModel: 'EHT' }));
    assert.equal(ift.length, eht.length);
    assert.ok(sum(eht, 'handleTime') < sum(ift, 'handleTime'));
    assert.equal(sum(eht, 'workTime'), sum(ift, 'workTime'));
    const r = await get(url, PATH + qs(baseParams(D1, D2, { grouping: 'skill', metrics: 'arrivals,closedConversations' })));
    assert.equal(r.status, 200, r.text);
    for (const rec of r.json.intervals) assert.deepEqual(Object.keys(rec.metrics).sort(), ['arrivals', 'closedConversations']);
    const bad = await get(url, PATH + qs(baseParams(D1, D2, { grouping: 'agent', metrics: 'arrivals' })));
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /arrivals are supported only when grouping includes skill/);
  });

  test('bot skills appear only with includeBotSkills, with skill-level metrics only', async () => {
    const { sim, url } = await startSim();
    const metrics = [...LP_METRICS];
    const bot = sim.data.skills.find((s) => s.bot)!;
    const without = sim.groundTruth(query(D1, D2, { grouping: ['skill'], metrics }));
    const withBots = sim.groundTruth(query(D1, D2, { grouping: ['skill'], metrics, includeBotSkills: true }));
    assert.ok(!without.some((r) => Number(r.skillId) === bot.id));
    const bots = withBots.filter((r) => Number(r.skillId) === bot.id);
    assert.ok(bots.length > 0);
    for (const b of bots) {
      for (const m of ['handleTime', 'handledConversations', 'repliedConversations', 'agentMessages', 'workTime'] as const) assert.equal(b.metrics[m], 0);
      assert.ok(b.metrics.consumerMessages! > 0);
    }
    const r = await get(url, PATH + qs(baseParams(D1, D2, { grouping: 'skill', includeBotSkills: true, pageSize: 500 })));
    assert.ok(r.json.intervals.some((x: IntervalMetricsRecord) => Number(x.skillId) === bot.id));
  });

  test('filters narrow the records; the same seed gives the same data, another seed other data', async () => {
    const { sim, url } = await startSim();
    const skill = sim.data.skills[0]!;
    const r = await get(url, PATH + qs(baseParams(D1, D2, { grouping: 'skill', skillId: skill.id, pageSize: 500 })));
    assert.equal(r.status, 200);
    assert.ok(r.json.intervals.length > 0);
    assert.ok(r.json.intervals.every((x: IntervalMetricsRecord) => Number(x.skillId) === skill.id));
    assert.deepEqual(r.json.metadata.filters, { skillId: skill.id });
    const fromOptions = intervalMetricsGroundTruth({ ...DEMO_LIVEPERSON }, query(D1, D2));
    assert.deepEqual(fromOptions, sim.groundTruth(query(D1, D2)));
    const other = intervalMetricsGroundTruth({ ...DEMO_LIVEPERSON, seed: 'another' }, query(D1, D2));
    assert.notDeepEqual(other, fromOptions);
  });
});

describe('the 14-day and 1-day rules', () => {
  test('from older than request time - 14 days is a 400, counted; the boundary itself is allowed', async () => {
    const { sim, url } = await startSim();
    const earliest = NOW - 14 * DAY;
    const old = await get(url, PATH + qs(baseParams(new Date(earliest - MIN).toISOString(), new Date(earliest + DAY - MIN).toISOString())));
    assert.equal(old.status, 400);
    assert.match(old.json.message, /'from' must be within the past two weeks: the earliest allowed is 2026-03-06T10:07:00Z/);
    const edge = await get(url, PATH + qs({ ...baseParams('', ''), from: undefined, to: undefined, fromL: earliest, toL: earliest + DAY }));
    assert.equal(edge.status, 200, edge.text);
    assert.deepEqual(sim.ruleBreakingRequests(), { total: 1, fourteenDay: 1, oneDay: 0 });
  });

  test('to more than a day after from is a 400, counted; exactly a day is allowed', async () => {
    const { sim, url } = await startSim();
    const long = await get(url, PATH + qs(baseParams(D1, '2026-03-19T00:15:00Z')));
    assert.equal(long.status, 400);
    assert.match(long.json.message, /'to' must be at most 1 day after 'from'/);
    assert.equal((await get(url, PATH + qs(baseParams(D1, D2)))).status, 200);
    // Both rules at once, and rule-breaking requests are counted even when auth fails.
    await get(url, PATH + qs(baseParams('2026-03-01T00:00:00Z', '2026-03-03T00:00:00Z')), { authorization: 'Bearer nope' });
    assert.deepEqual(sim.ruleBreakingRequests(), { total: 2, fourteenDay: 1, oneDay: 2 });
    assert.deepEqual(
      sim.requests().map((e) => e.broken ?? []),
      [['1-day'], [], ['14-day', '1-day']],
    );
    sim.resetLog();
    assert.equal(sim.ruleBreakingRequests().total, 0);
  });

  test('the clock decides: a from that was fine becomes too old', async () => {
    const { sim, url, clock } = await startSim();
    const from = '2026-03-07T00:00:00Z';
    assert.equal((await get(url, PATH + qs(baseParams(from, '2026-03-08T00:00:00Z')))).status, 200);
    clock.t = ms('2026-03-21T00:00:01Z');
    assert.equal((await get(url, PATH + qs(baseParams(from, '2026-03-08T00:00:00Z')))).status, 400);
    assert.equal(sim.ruleBreakingRequests().fourteenDay, 1);
  });

  test('other bad queries are 400 with the field named, and are not rule breaks', async () => {
    const { sim, url } = await startSim();
    const cases: [Params, RegExp][] = [
      [{ ...baseParams(D1, D2), source: 'a-source-name-longer-than-20' }, /source must not exceed 20 characters/],
      [{ ...baseParams(D1, D2), source: undefined }, /source is required/],
      [{ ...baseParams(D1, D2), fromL: ms(D1) }, /Only one pair must be included/],
      [{ ...baseParams(D1, D2), to: undefined }, /from and to must be given together/],
      [{ ...baseParams(D1, D2), from: undefined, to: undefined }, /from and to \(or fromL and toL\) are required/],
      [{ ...baseParams(D1, D2), from: '2026-03-18' }, /from must be an RFC 3339 date-time/],
      [{ ...baseParams(D1, D2), handleTimeModel: 'XYZ' }, /handleTimeModel: unsupported value "XYZ"/],
      [{ ...baseParams(D1, D2), handleTimeModel: undefined }, /handleTimeModel is required/],
      [{ ...baseParams(D1, D2), metrics: undefined }, /metrics is required/],
      [{ ...baseParams(D1, D2), metrics: 'handleTime,speed' }, /metrics: unsupported value "speed"/],
      [{ ...baseParams(D1, D2), grouping: 'team' }, /grouping: unsupported value "team"/],
      [{ ...baseParams(D1, D2), intervalDuration: 45 }, /intervalDuration: unsupported value "45"/],
      [{ ...baseParams(D1, D2), pageSize: 501 }, /pageSize must be between 1 and 500/],
      [{ ...baseParams(D1, D2), agentId: 'abc' }, /agentId must be numeric/],
      [{ ...baseParams(D1, D2), includeBotSkills: 'yes' }, /includeBotSkills must be true or false/],
      [{ ...baseParams(D1, D2), v: 2 }, /unsupported API version/],
      [baseParams(D2, D1), /to must be later than from/],
    ];
    for (const [params, expected] of cases) {
      const r = await get(url, PATH + qs(params));
      assert.equal(r.status, 400, `${JSON.stringify(params)} → ${r.status} ${r.text}`);
      assert.equal(r.json.code, 400);
      assert.match(r.json.message, expected);
    }
    assert.equal(sim.ruleBreakingRequests().total, 0);
    assert.equal((await get(url, PATH + qs({ ...baseParams(D1, D2), pageSize: 500 }))).status, 200);
  });
});

describe('202: intervals still processing', () => {
  test("intervals younger than the processing age make the whole request 202, with each interval's status", async () => {
    const { url, clock } = await startSim({ processingAgeMs: 10 * MIN });
    // 09:00-10:00: the 09:45 interval ended 7 minutes before NOW (10:07): still In Progress.
    const r = await get(url, PATH + qs(baseParams('2026-03-20T09:00:00Z', '2026-03-20T10:00:00Z')));
    assert.equal(r.status, 202);
    assert.deepEqual(
      r.json.intervals.map((i: { from: string; status: string }) => [i.from, i.status]),
      [
        ['2026-03-20T09:00:00Z', 'Done'],
        ['2026-03-20T09:15:00Z', 'Done'],
        ['2026-03-20T09:30:00Z', 'Done'],
        ['2026-03-20T09:45:00Z', 'In Progress'],
      ],
    );
    assert.deepEqual(Object.keys(r.json.intervals[0]).sort(), ['from', 'fromL', 'status', 'to', 'toL']);
    assert.equal(r.json.intervals[3].toL, ms('2026-03-20T10:00:00Z'));
    // Narrowed to the Done intervals, it is a 200 — as the vendor advises.
    assert.equal((await get(url, PATH + qs(baseParams('2026-03-20T09:00:00Z', '2026-03-20T09:45:00Z')))).status, 200);
    clock.t = ms('2026-03-20T10:10:00Z');
    assert.equal((await get(url, PATH + qs(baseParams('2026-03-20T09:00:00Z', '2026-03-20T10:00:00Z')))).status, 200);
  });

  for (const d of [15, 30, 60, 1440]) {
    test(`${d}-minute intervals: each is In Progress until it has ended and aged, Done after; asking for the Done ones alone is a 200`, async () => {
      const step = d * MIN;
      const { url, clock } = await startSim({ processingAgeMs: 10 * MIN });
      // The interval that started last before NOW - step - 10 min is the newest Done one.
      const newestDoneStart = Math.floor((NOW - 10 * MIN - step) / step) * step;
      const from = newestDoneStart - step;
      const to = newestDoneStart + 2 * step;
      const isoZ = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
      if (d === 1440) {
        // `to` may be at most a day after `from`: one daily interval per request.
        const done = await get(url, PATH + qs(baseParams(isoZ(newestDoneStart), isoZ(newestDoneStart + DAY), { intervalDuration: d })));
        assert.equal(done.status, 200);
        assert.ok(done.json.intervals.every((rec: { timeframe: { fromL: number; toL: number } }) => rec.timeframe.toL - rec.timeframe.fromL === DAY));
        const today = await get(url, PATH + qs(baseParams(isoZ(newestDoneStart + DAY), isoZ(newestDoneStart + 2 * DAY), { intervalDuration: d })));
        assert.equal(today.status, 202);
        assert.deepEqual(
          today.json.intervals.map((i: { fromL: number; toL: number; status: string }) => [i.fromL, i.toL, i.status]),
          [[newestDoneStart + DAY, newestDoneStart + 2 * DAY, 'In Progress']],
        );
        clock.t = newestDoneStart + 2 * DAY + 10 * MIN;
        const later = await get(url, PATH + qs(baseParams(isoZ(newestDoneStart + DAY), isoZ(newestDoneStart + 2 * DAY), { intervalDuration: d })));
        assert.equal(later.status, 200, 'done once the day has ended and aged');
        return;
      }
      const r = await get(url, PATH + qs(baseParams(isoZ(from), isoZ(to), { intervalDuration: d })));
      assert.equal(r.status, 202);
      assert.deepEqual(
        r.json.intervals.map((i: { fromL: number; toL: number; status: string }) => [i.fromL, i.toL - i.fromL, i.status]),
        [
          [from, step, 'Done'],
          [newestDoneStart, step, 'Done'],
          [newestDoneStart + step, step, 'In Progress'],
        ],
      );
      const narrowed = await get(url, PATH + qs(baseParams(isoZ(from), isoZ(newestDoneStart + step), { intervalDuration: d })));
      assert.equal(narrowed.status, 200);
      assert.equal(narrowed.json.metadata.query.intervalDuration, d);
      for (const rec of narrowed.json.intervals as { timeframe: { fromL: number; toL: number } }[]) {
        assert.equal(rec.timeframe.toL - rec.timeframe.fromL, step);
        assert.ok(rec.timeframe.fromL >= from && rec.timeframe.fromL <= newestDoneStart);
      }
      // Once the last interval has aged, the whole request is a 200.
      clock.t = newestDoneStart + 2 * step + 10 * MIN;
      assert.equal((await get(url, PATH + qs(baseParams(isoZ(from), isoZ(to), { intervalDuration: d })))).status, 200);
    });
  }

  test('an interval not over yet is In Progress even with age 0; the age can change at run time', async () => {
    const { sim, url } = await startSim();
    const current = await get(url, PATH + qs(baseParams('2026-03-20T09:45:00Z', '2026-03-20T10:15:00Z')));
    assert.equal(current.status, 202);
    assert.deepEqual(
      current.json.intervals.map((i: { status: string }) => i.status),
      ['Done', 'In Progress'],
    );
    sim.setProcessingAge(DAY);
    assert.equal((await get(url, PATH + qs(baseParams(D1, D2)))).status, 200, 'older than a day: done');
    assert.equal((await get(url, PATH + qs(baseParams(D2, '2026-03-20T00:00:00Z')))).status, 202);
    assert.throws(() => sim.setProcessingAge(-1), RangeError);
  });
});

describe('auth', () => {
  const u = (url: string) => new URL(url + PATH + qs(baseParams(D1, D2, { metrics: 'handleTime,workTime' })));
  const oauthKeys = {
    consumerKey: DEMO_LIVEPERSON.consumerKey,
    consumerSecret: DEMO_LIVEPERSON.consumerSecret,
    token: DEMO_LIVEPERSON.token,
    tokenSecret: DEMO_LIVEPERSON.tokenSecret,
  };

  test('a bearer token, and an OAuth 1.0a signature made by the client library, are accepted', async () => {
    const { sim, url } = await startSim();
    const target = u(url);
    assert.equal((await get(url, target.pathname + target.search)).status, 200);
    const header = oauth1Header('GET', target, oauthKeys, { timestamp: Math.floor(NOW / 1000) });
    const r = await get(url, target.pathname + target.search, { authorization: header });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      sim.requests().map((e) => e.auth),
      ['bearer', 'oauth'],
    );
  });

  test('a wrong secret, a changed query, an old timestamp, a replayed nonce, another key: 401, naming the check', async () => {
    const { url } = await startSim();
    const target = u(url);
    const path = target.pathname + target.search;
    const ts = Math.floor(NOW / 1000);
    const cases: [Record<string, string>, string, RegExp][] = [
      [{}, path, /Authorization header is required/],
      [{ authorization: 'Bearer wrong-token-SECRET' }, path, /invalid bearer token/],
      [{ authorization: 'Basic abc' }, path, /unsupported authorization scheme/],
      [{ authorization: oauth1Header('GET', target, { ...oauthKeys, tokenSecret: 'not-the-secret' }, { timestamp: ts }) }, path, /invalid OAuth signature/],
      [{ authorization: oauth1Header('GET', target, { ...oauthKeys, consumerSecret: 'not-the-secret' }, { timestamp: ts }) }, path, /invalid OAuth signature/],
      [
        { authorization: oauth1Header('GET', target, oauthKeys, { timestamp: ts }) },
        path.replace('grouping=skill%2Cagent', 'grouping=skill'),
        /invalid OAuth signature/,
      ],
      [{ authorization: oauth1Header('GET', target, oauthKeys, { timestamp: ts - 3600 }) }, path, /oauth_timestamp is too far/],
      [{ authorization: oauth1Header('GET', target, { ...oauthKeys, consumerKey: 'someone-else' }, { timestamp: ts }) }, path, /unknown app key/],
      [{ authorization: oauth1Header('GET', target, { ...oauthKeys, token: 'someone-else' }, { timestamp: ts }) }, path, /unknown access token/],
      [{ authorization: 'OAuth oauth_consumer_key="x"' }, path, /oauth_token is missing/],
      [{ authorization: 'OAuth garbage' }, path, /malformed OAuth/],
    ];
    for (const [headers, p, expected] of cases) {
      const r = await get(url, p, headers);
      assert.equal(r.status, 401, `${JSON.stringify(headers)} → ${r.text}`);
      assert.match(r.json.message, expected);
      assert.ok(!r.text.includes('SECRET') && !r.text.includes(DEMO_LIVEPERSON.tokenSecret), 'no secret echoed');
    }
    const once = oauth1Header('GET', target, oauthKeys, { timestamp: ts, nonce: 'n-123' });
    assert.equal((await get(url, path, { authorization: once })).status, 200);
    const replay = await get(url, path, { authorization: once });
    assert.equal(replay.status, 401);
    assert.match(replay.json.message, /nonce was already used/);
  });

  test('the checker reproduces the RFC 5849 section 3.4.1.1 base string and the section 1.2 signature', () => {
    // The RFC's example request, with its form body moved into the query (the API is GET-only).
    const example = new URL('http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b&c2=&a3=2+q');
    const oauth = {
      realm: 'Example',
      oauth_consumer_key: '9djdj82h48djs9d2',
      oauth_token: 'kkk9d7dh3k39sjv7',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131201',
      oauth_nonce: '7d8f3e4a',
      oauth_signature: 'ignored',
    };
    assert.equal(
      signatureBaseString('POST', example, oauth),
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
    const photos = new URL('http://photos.example.net/photos?file=vacation.jpg&size=original');
    const base = signatureBaseString('GET', photos, {
      oauth_consumer_key: 'dpf43f3p2l4k3l03',
      oauth_token: 'nnch734d00sl2jdk',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131202',
      oauth_nonce: 'chapoH',
    });
    assert.equal(hmacSha1Signature(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'), 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    assert.deepEqual(parseOAuthHeader('OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"'), {
      realm: 'Photos',
      oauth_consumer_key: 'dpf43f3p2l4k3l03',
      oauth_signature: 'MdpQcU8iPSUjWoN/UDMsK2sui9I=',
    });
  });
});

describe('domain lookup', () => {
  test('answers the agentActivityDomain service with its own host, without auth', async () => {
    const { sim, url } = await startSim();
    const r = await get(url, `/api/account/${DEMO_LIVEPERSON.accountId}/service/agentActivityDomain/baseURI.json?version=1.0`, {});
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { service: 'agentActivityDomain', account: DEMO_LIVEPERSON.accountId, baseURI: new URL(url).host });
    assert.equal(sim.domainLookupUrl, `${url}/api/account/{accountId}/service/agentActivityDomain/baseURI.json?version=1.0`);
    assert.equal((await get(url, `/api/account/${DEMO_LIVEPERSON.accountId}/service/msgHist/baseURI.json?version=1.0`, {})).status, 404);
    assert.equal((await get(url, `/api/account/999/service/agentActivityDomain/baseURI.json?version=1.0`, {})).status, 404);
    assert.deepEqual(
      sim.requests().map((e) => e.endpoint),
      ['domain-lookup', 'domain-lookup', 'domain-lookup'],
    );
  });

  test('advertisedBaseURI overrides the host', async () => {
    const { url } = await startSim({ advertisedBaseURI: 'va.agentactivity.liveperson.net' });
    const r = await get(url, `/api/account/${DEMO_LIVEPERSON.accountId}/service/agentActivityDomain/baseURI.json?version=1.0`, {});
    assert.equal(r.json.baseURI, 'va.agentactivity.liveperson.net');
  });
});

describe('routing, faults and the request log', () => {
  const params = baseParams(D1, D2);

  test('unknown account 404, unknown path 404, POST 405', async () => {
    const { url } = await startSim();
    assert.equal((await get(url, `/api/account/999/interval-metrics${qs(params)}`)).status, 404);
    assert.equal((await get(url, `/api/account/${DEMO_LIVEPERSON.accountId}/nothing`)).status, 404);
    const post = await get(url, PATH + qs(params), BEARER, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
  });

  test('scripted faults are consumed in order, by interval metrics unless aimed elsewhere', async () => {
    const { sim, url } = await startSim();
    sim.failNext(
      { status: 503 },
      { status: 429, retryAfter: 3 },
      { status: 202 },
      { status: 500, body: { message: 'boom' } },
      { status: 503, endpoint: 'domain-lookup' },
    );
    assert.equal(sim.pendingFaults(), 5);
    const r1 = await get(url, PATH + qs(params));
    assert.equal(r1.status, 503);
    assert.deepEqual(r1.json, { code: 503, message: 'Service unavailable' });
    const r2 = await get(url, PATH + qs(params));
    assert.equal(r2.status, 429);
    assert.equal(r2.headers['retry-after'], '3');
    const r3 = await get(url, PATH + qs(params));
    assert.equal(r3.status, 202);
    assert.equal(r3.json.intervals.length, 96);
    assert.ok(r3.json.intervals.every((i: { status: string }) => i.status === 'In Progress'));
    assert.deepEqual((await get(url, PATH + qs(params))).json, { message: 'boom' });
    assert.equal(sim.pendingFaults(), 1, 'the lookup fault waits for a lookup');
    assert.equal((await get(url, PATH + qs(params))).status, 200);
    assert.equal((await get(url, `/api/account/${DEMO_LIVEPERSON.accountId}/service/agentActivityDomain/baseURI.json`, {})).status, 503);
    assert.deepEqual(
      sim.requests().map((e) => [e.status, e.fault ?? null]),
      [
        [503, 'status'],
        [429, 'status'],
        [202, 'status'],
        [500, 'status'],
        [200, null],
        [503, 'status'],
      ],
    );
  });

  test('fault rates are deterministic: the same seed fails the same requests', async () => {
    const statuses = async () => {
      const { sim, url } = await startSim({ faultSeed: 42 });
      sim.setFaults({ serverErrorRate: 0.3, rateLimitRate: 0.1, malformedRate: 0.1 });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await get(url, PATH + qs(params))).status);
      const malformed = sim.requests().filter((e) => e.fault === 'malformed').length;
      sim.clearFaults();
      assert.equal((await get(url, PATH + qs(params))).status, 200);
      return { out, malformed };
    };
    const a = await statuses();
    const b = await statuses();
    assert.deepEqual(a, b);
    assert.ok(a.out.includes(500) && a.out.includes(503) && a.out.includes(429));
    assert.ok(a.malformed > 0);
  });

  test('malformed and schema-drift faults shape a real answer', async () => {
    const { sim, url } = await startSim();
    sim.failNext({ kind: 'malformed' }, { kind: 'schema-drift', field: 'skillId', value: { nested: true } });
    const m = await get(url, PATH + qs(params));
    assert.equal(m.status, 200);
    assert.equal(m.json, undefined, 'not JSON');
    const d = await get(url, PATH + qs(params));
    assert.deepEqual(d.json.intervals[0].skillId, { nested: true });
    assert.throws(() => sim.failNext({ status: 418 as 500 }), RangeError);
  });

  test('the log keeps query, auth, page kind and status, and no secret', async () => {
    const { sim, url } = await startSim();
    const first = await get(url, PATH + qs({ ...params, pageSize: 30 }));
    await get(url, PATH + qs({ ...params, pageSize: 30, pageKey: first.json.metadata.paging.nextPageKey }));
    const log = sim.requests();
    assert.deepEqual(
      log.map((e) => [e.endpoint, e.status, e.auth, e.page]),
      [
        ['interval-metrics', 200, 'bearer', 'first'],
        ['interval-metrics', 200, 'bearer', 'pageKey'],
      ],
    );
    assert.equal(log[0]!.query.grouping, 'skill,agent');
    assert.equal(log[0]!.at, NOW);
    assert.ok(!JSON.stringify(log).includes(DEMO_LIVEPERSON.bearerToken));
  });
});
