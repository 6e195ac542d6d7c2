/**
 * The Kore.ai source's call-details, interaction-details and agent-status streams on their own:
 * request building, schemas against every sample of the vendor's docs, normalisation (durations,
 * times, open segments), paging by agents, stream options — and the real page fetch against the
 * simulator (no destination).
 * Run: npx tsx --test test/unit/kore-source.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { ConnectionsStore } from '../../activities/connections';
import { VendorHttp } from '../../activities/http/client';
import { RateLimiter } from '../../activities/http/rate-limit';
import { SecretRegistry } from '../../activities/runtime';
import { fetchPage, type FetchRuntime } from '../../activities/sync-page';
import { checkWindow } from '../../core/windows';
import { parseConnections } from '../../core/connections';
import { CcsyncError } from '../../core/errors';
import type { Cursor } from '../../core/pagination';
import { pageRequest, type RequestContext, type StreamDeclaration } from '../../core/source';
import { DAY } from '../../core/time';
import { SOURCES } from '../../sources';
import { kore } from '../../sources/kore';
import { koreSettings, type KoreSettings } from '../../sources/kore/connection';
import { agentStatusResponse, koreInstant, parseKoreDuration } from '../../sources/kore/schemas';
import { agentstatus, calldetails, callDetailsRange, interactiondetails } from '../../sources/kore/streams';
import { DEMO_KORE, KoreSimulator, demoKoreOptions } from '../../simulators/kore';
import { AGENT_STATUS_SAMPLE_FIXED_TEXT, AGENT_STATUS_SAMPLE_TEXT, CALL_DETAILS_SAMPLE_TEXT } from '../helpers/kore-doc-samples';
import { koreConnection, writeConnectionsFile } from '../helpers/connections-file';

const ms = (iso: string) => Date.parse(iso);
const settings: KoreSettings = koreSettings.parse({
  baseUrl: 'https://platform.kore.ai',
  accountId: DEMO_KORE.accountId,
  orgId: DEMO_KORE.orgId,
  iId: DEMO_KORE.iId,
});
const PREFIX = `/agentassist/api/public/analytics/account/${DEMO_KORE.accountId}`;

function req(stream: StreamDeclaration, window: { start: number; end: number }, options: Record<string, unknown> = {}, cursor?: Cursor) {
  // As the connections file's loader does: the options the request sees are the parsed ones.
  const ctx: RequestContext<KoreSettings> = { settings, window, options: stream.optionsSchema ? stream.optionsSchema.parse(options) : options };
  return pageRequest(stream, ctx, cursor ?? stream.pagination.first(stream.pageSize.default));
}

/** What the page activity does with a body: envelope, then each record (throws like a failed parse). */
function parse(stream: StreamDeclaration, body: unknown): Record<string, unknown>[] {
  const env = stream.responseSchema.parse(body);
  return stream.records(env).map((r) => stream.recordSchema.parse(r) as Record<string, unknown>);
}

describe('requests', () => {
  const day = { start: ms('2026-11-18T00:00:00Z'), end: ms('2026-11-19T00:00:00Z') };

  it('call details: offset/limit in the query, the accountId header, dates as yyyy-mm-dd HH:mm:ss ending a second early, offset 0', () => {
    const r = req(calldetails, day);
    assert.deepEqual(r, {
      method: 'POST',
      path: `${PREFIX}/v2/calldetails`,
      query: { limit: 100, offset: 0 },
      headers: { accountId: DEMO_KORE.accountId, iId: DEMO_KORE.iId },
      body: { startDate: '2026-11-18 00:00:00', endDate: '2026-11-18 23:59:59', timeZoneOffset: 0 },
    });
    assert.deepEqual(req(calldetails, day, {}, { offset: 300, limit: 100 }).query, { limit: 100, offset: 300 });
    assert.equal(req(interactiondetails, day).path, `${PREFIX}/v2/interactionDetails`);
  });

  it('a 7-day window asks for 7 days less a second; windows off the second keep to the seconds inside them', () => {
    const week = req(calldetails, { start: ms('2026-11-12T00:00:00Z'), end: ms('2026-11-19T00:00:00Z') }).body as Record<string, string>;
    assert.deepEqual([week.startDate, week.endDate], ['2026-11-12 00:00:00', '2026-11-18 23:59:59']);
    assert.deepEqual(callDetailsRange({ start: ms('2026-11-18T10:00:00.500Z'), end: ms('2026-11-18T11:00:00.500Z') }), {
      startDate: '2026-11-18 10:00:01',
      endDate: '2026-11-18 11:00:00',
    });
    // Consecutive windows never share a second.
    const a = callDetailsRange({ start: ms('2026-11-18T00:00:00Z'), end: ms('2026-11-18T12:00:00Z') });
    const b = callDetailsRange({ start: ms('2026-11-18T12:00:00Z'), end: ms('2026-11-19T00:00:00Z') });
    assert.equal(a.endDate, '2026-11-18 11:59:59');
    assert.equal(b.startDate, '2026-11-18 12:00:00');
  });

  it('channels and queues come from the stream options; a single name is a list of one', () => {
    const body = req(calldetails, day, { channels: ['voice', 'rtm'], queues: 'qu-1' }).body as Record<string, unknown>;
    assert.deepEqual(body.channels, ['voice', 'rtm']);
    assert.deepEqual(body.queues, ['qu-1']);
    assert.ok(!('channels' in (req(calldetails, day).body as object)), 'no filter unless configured');
  });

  it('bad stream options are a ConfigError naming the connection and the option, when the file loads', () => {
    const bad = (stream: string, options: string) => {
      const text = `connections:
  - name: k
    source: kore
    settings: { baseUrl: https://platform.kore.ai, accountId: a, orgId: o, iId: i }
    credentials: { token: t }
    streams: [callvolume, { name: ${stream}, options: ${options} }]
`;
      try {
        parseConnections(text, 'c.yaml', SOURCES);
      } catch (err) {
        assert.ok(err instanceof CcsyncError);
        assert.equal(err.type, 'ConfigError');
        return err.message;
      }
      assert.fail(`accepted ${options}`);
    };
    assert.match(
      bad('calldetails', '{ channel: [voice] }'),
      /c\.yaml is not valid:\n {2}- connection "k" \(connections\[0\]\): streams\[1\]\.options: unknown option "channel"/,
    );
    assert.match(bad('calldetails', '{ channels: [] }'), /streams\[1\]\.options\.channels: must name at least one channel/);
    assert.match(bad('calldetails', '{ queues: [7] }'), /streams\[1\]\.options\.queues/);
    assert.match(bad('agentstatus', '{ channels: [voice] }'), /streams\[1\]\.options: unknown option "channels"/);
  });

  it('agent status: one day through dateFilter (timeZoneOffSet, as spelled), limit counts agents, optional agents', () => {
    const r = req(agentstatus, day, { agents: ['a@example.com'] });
    assert.deepEqual(r, {
      method: 'POST',
      path: `${PREFIX}/agentstatusdetails`,
      query: { limit: 50, offset: 0 },
      headers: { iId: DEMO_KORE.iId },
      body: { filter: { agents: ['a@example.com'], dateFilter: { startDate: '2026-11-18', endDate: '2026-11-18', timeZoneOffSet: 0 } } },
    });
    // The rest of a day after an open segment: still that one day.
    const rest = req(agentstatus, { start: ms('2026-11-18T13:41:07Z'), end: ms('2026-11-19T00:00:00Z') }).body as { filter: { dateFilter: unknown } };
    assert.deepEqual(rest.filter.dateFilter, { startDate: '2026-11-18', endDate: '2026-11-18', timeZoneOffSet: 0 });
    assert.deepEqual(req(agentstatus, day, {}, { offset: 50, limit: 50 }).query, { limit: 50, offset: 50 });
  });

  it('window rules: call details at most 7 days (1 by default), agent status exactly one day; the engine refuses more', () => {
    assert.deepEqual([calldetails.window.maxSize, calldetails.window.defaultSize], [7 * DAY, DAY]);
    assert.deepEqual([agentstatus.window.maxSize, agentstatus.window.defaultSize, agentstatus.window.alignment], [DAY, DAY, DAY]);
    assert.deepEqual([calldetails.window.defaultLookback, agentstatus.window.defaultLookback], [2 * 3_600_000, DAY], 'late sessions; the last complete day');
    assert.deepEqual(
      [calldetails.pageSize, agentstatus.pageSize],
      [
        { default: 100, max: 100 },
        { default: 50, max: 50 },
      ],
    );
    const now = ms('2026-11-20T00:00:00Z');
    assert.doesNotThrow(() => checkWindow(kore, calldetails, { start: ms('2026-11-01T00:00:00Z'), end: ms('2026-11-08T00:00:00Z') }, now));
    assert.throws(
      () => checkWindow(kore, calldetails, { start: ms('2026-11-01T00:00:00Z'), end: ms('2026-11-08T00:00:01Z') }, now),
      /Kore\.ai calldetails windows may span at most P7D/,
    );
    assert.throws(() => checkWindow(kore, agentstatus, { start: ms('2026-11-01T00:00:00Z'), end: ms('2026-11-02T01:00:00Z') }, now), /at most P1D/);
  });

  it('every stream of a connection shares one rate budget per account, with a margin under 60 a minute', () => {
    assert.deepEqual(Object.keys(kore.streams), ['callvolume', 'calldetails', 'interactiondetails', 'agentstatus']);
    const rule = kore.rateLimit(settings);
    assert.equal(rule.key, `kore:platform.kore.ai:${DEMO_KORE.accountId}`);
    assert.equal(rule.limit, 60);
    assert.ok(rule.perMs >= 60_000);
    assert.equal(kore.rateLimit({ ...settings, iId: 'st-other' }).key, rule.key, 'another app of the same account shares it');
  });
});

describe('call details schema', () => {
  const sample = JSON.parse(CALL_DETAILS_SAMPLE_TEXT) as { numResults: number; data: Record<string, unknown>[] };

  it('the documented sample parses, every record stored exactly as sent (bot session, reason and Reason, unknown fields)', () => {
    const records = parse(calldetails, sample);
    assert.equal(records.length, 3);
    assert.deepEqual(records, sample.data, 'nothing dropped or changed');
    assert.deepEqual(
      records.map((r) => calldetails.key(r)),
      sample.data.map((r) => ({ sessionId: r.sessionId })),
    );
    assert.equal(records[0]!.conversationId, undefined, 'a bot session has no conversationId');
    assert.equal(records[0]!.reason, '');
    assert.equal(records[1]!.Reason, 'Default Queue:John Steve');
    assert.deepEqual((records[2]!.metaInfo as { agentTransferConfig: { skillsIds: string[] } }).agentTransferConfig.skillsIds, ['660515c38dbf527036d1xxxx']);
  });

  it('counts as numeric strings become numbers; null is taken as absent; numResults may be text', () => {
    const body = {
      numResults: '1',
      data: [
        {
          sessionId: 's1',
          csatScore: '4',
          reason: null,
          destinations: [{ destinationType: 'QueueEntry', respondingAgent: { interactionDuration: '34', holdDuration: 15, afterCallWorkDuration: '4' } }],
          brandNew: { nested: [1, 2] },
        },
      ],
    };
    const [r] = parse(calldetails, body);
    assert.equal(r!.csatScore, 4);
    const agent = (r!.destinations as Array<{ respondingAgent: Record<string, unknown> }>)[0]!.respondingAgent;
    assert.deepEqual([agent.interactionDuration, agent.holdDuration, agent.afterCallWorkDuration], [34, 15, 4]);
    assert.deepEqual(r!.brandNew, { nested: [1, 2] });
  });

  it('a changed type fails, at the path of the field', () => {
    const issue = (record: Record<string, unknown>) => {
      const parsed = calldetails.recordSchema.safeParse(record);
      assert.equal(parsed.success, false, JSON.stringify(record));
      return { path: parsed.error.issues[0]!.path.join('.'), message: parsed.error.issues[0]!.message };
    };
    assert.deepEqual(issue({ sessionId: 12 }), { path: 'sessionId', message: 'expected text' });
    assert.deepEqual(issue({ channel: 'voice' }).path, 'sessionId', 'the key is required');
    assert.deepEqual(issue({ sessionId: 's', destinations: [{ respondingAgent: { interactionDuration: 'long' } }] }), {
      path: 'destinations.0.respondingAgent.interactionDuration',
      message: 'expected a number',
    });
    assert.deepEqual(issue({ sessionId: 's', dispositions: 'DROP-OFF' }).path, 'dispositions');
    assert.throws(() => calldetails.responseSchema.parse({ numResults: 3 }), /data/);
  });

  it('pages until a short or empty page: numResults is never trusted', () => {
    const p = calldetails.pagination;
    assert.deepEqual(p.next({ offset: 0, limit: 100 }, { body: { numResults: 100, data: [] }, headers: {}, recordCount: 100 }), { offset: 100, limit: 100 });
    assert.equal(p.next({ offset: 100, limit: 100 }, { body: { numResults: 500, data: [] }, headers: {}, recordCount: 37 }), null);
    assert.equal(p.next({ offset: 100, limit: 100 }, { body: { numResults: 500, data: [] }, headers: {}, recordCount: 0 }), null);
  });
});

describe('agent status schema', () => {
  it("the published sample is missing a comma; with it, every segment parses into a record with the agent's name and email", () => {
    assert.throws(() => JSON.parse(AGENT_STATUS_SAMPLE_TEXT), SyntaxError);
    const body = JSON.parse(AGENT_STATUS_SAMPLE_FIXED_TEXT);
    const records = parse(agentstatus, body);
    assert.equal(records.length, 8, 'two agents without status give no records; the third has 8 segments');
    for (const r of records) {
      assert.deepEqual(
        [r.userId, r.firstName, r.lastName, r.email, r.customId],
        ['u-fdc72ca0-a35d-57ff-bcb3-a33904a4xxxx', 'gaumur', 'gaumur', 'gaumur@abc.com', '123456'],
      );
      assert.ok(!('status' in r));
    }
    assert.deepEqual(records[0], {
      userId: 'u-fdc72ca0-a35d-57ff-bcb3-a33904a4xxxx',
      firstName: 'gaumur',
      lastName: 'gaumur',
      email: 'gaumur@abc.com',
      customId: '123456',
      primaryStatus: 'AVAILABLE',
      secondaryStatus: 'AVAILABLE',
      startTime: '2023-03-09T13:20:38.000Z',
      endTime: '2023-03-10T21:37:42.000Z',
      duration: 32 * 3600 + 17 * 60 + 4,
      open: false,
    });
    assert.deepEqual(
      records.map((r) => r.duration),
      [116224, 70, 55, 11, 76, 21, 260, null],
      "the vendor's durations, in seconds",
    );
    assert.deepEqual(records[7], {
      ...records[7],
      primaryStatus: 'BUSY',
      secondaryStatus: 'NBK',
      startTime: '2023-03-10T21:51:02.000Z',
      endTime: null,
      duration: null,
      open: true,
    });
    assert.deepEqual(agentstatus.key(records[7]), { userId: 'u-fdc72ca0-a35d-57ff-bcb3-a33904a4xxxx', startTime: '2023-03-10T21:51:02.000Z' });
    assert.equal(agentstatus.openSince!(records[7]), ms('2023-03-10T21:51:02Z'), 'the open segment holds its window open from its start');
    assert.deepEqual(
      records.slice(0, 7).map((r) => agentstatus.openSince!(r)),
      Array(7).fill(undefined),
    );
    assert.equal(
      agentstatus.pagination.next({ offset: 2, limit: 3 }, { body: agentstatus.responseSchema.parse(body), headers: {}, recordCount: 8 }),
      null,
      'hasMore false ends it',
    );
  });

  it('one segment is one key and one record however its times are spelled', () => {
    const page = (startTime: string, endTime: string) => ({
      hasMore: 'false',
      limit: '50',
      offset: '0',
      data: [
        {
          userId: 'u-1',
          firstName: 'A',
          lastName: 'B',
          email: 'a@b.c',
          status: [{ primaryStatus: 'BUSY', secondaryStatus: 'BUSY', startTime, endTime, duration: '00:10:00' }],
        },
      ],
    });
    const [a] = parse(agentstatus, page('2026-11-18T23:55:00', '2026-11-19T00:05:00'));
    const [b] = parse(agentstatus, page('2026-11-18T23:55:00.000Z', '2026-11-19T00:05:00.000Z'));
    const [c] = parse(agentstatus, page('2026-11-19 05:25:00+05:30', '2026-11-19T05:35:00+0530'));
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.deepEqual(agentstatus.key(a!), { userId: 'u-1', startTime: '2026-11-18T23:55:00.000Z' });
  });

  it('parses HH:MM:SS durations (hours past 24) and times with or without a zone; refuses anything else', () => {
    assert.equal(parseKoreDuration('00:00:55'), 55);
    assert.equal(parseKoreDuration('32:17:04'), 116224);
    assert.equal(parseKoreDuration('100:00:00'), 360000);
    for (const bad of ['-', '', '1:2:3', '00:60:00', '00:00:60', '00:01:10.5', '55', '-00:01:00']) assert.equal(parseKoreDuration(bad), undefined, bad);
    assert.equal(koreInstant('2023-03-10T21:37:42'), ms('2023-03-10T21:37:42Z'), 'no zone: UTC, as we ask with timeZoneOffSet 0');
    assert.equal(koreInstant('2023-03-10 21:37:42'), ms('2023-03-10T21:37:42Z'));
    assert.equal(koreInstant('2023-03-10T21:37:42.250Z'), ms('2023-03-10T21:37:42.250Z'));
    assert.equal(koreInstant('2023-03-11T03:07:42+05:30'), ms('2023-03-10T21:37:42Z'));
    for (const bad of ['2023-02-30T00:00:00', '2023-03-10T24:00:00', '2023-03-10', '21:37:42', '10/03/2023 21:37:42', '-'])
      assert.equal(koreInstant(bad), undefined, bad);
  });

  it('a closed segment sent without a duration gets it from its times; counts and the flag may be text', () => {
    const env = agentStatusResponse.parse({
      hasMore: 'true',
      limit: '2',
      offset: '0',
      data: [{ userId: 'u-1', status: [{ startTime: '2026-11-18T10:00:00', endTime: '2026-11-18T10:01:30', duration: '-' }] }, { userId: 'u-2' }],
    });
    assert.equal(env.hasMore, true);
    assert.deepEqual([env.limit, env.offset], [2, 0]);
    const [r] = agentstatus.records(env).map((x) => agentstatus.recordSchema.parse(x) as Record<string, unknown>);
    assert.deepEqual([r!.duration, r!.open], [90, false]);
  });

  it('a changed type fails at the path of the segment field, saying what was expected', () => {
    const body = JSON.parse(AGENT_STATUS_SAMPLE_FIXED_TEXT);
    body.data[2].status[7].duration = 42;
    const parsed = agentstatus.responseSchema.safeParse(body);
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error.issues[0]!.path, ['data', 2, 'status', 7, 'duration']);
    assert.match(parsed.error.issues[0]!.message, /expected a duration such as "00:01:10" \(HH:MM:SS\), or "-" while open/);
    body.data[2].status[7].duration = '-';
    body.data[2].status[3].startTime = 'yesterday';
    assert.deepEqual(agentstatus.responseSchema.safeParse(body).error!.issues[0]!.path, ['data', 2, 'status', 3, 'startTime']);
    assert.equal(agentstatus.responseSchema.safeParse({ data: [] }).success, false, 'hasMore is required');
  });

  it('pages by agents, not by records: the offset advances by the agents of the page while hasMore is true', () => {
    const p = agentstatus.pagination;
    const first = p.first(2);
    assert.deepEqual(first, { offset: 0, limit: 2 });
    const page = (hasMore: boolean, agents: number) =>
      agentstatus.responseSchema.parse({ hasMore, data: Array.from({ length: agents }, (_, i) => ({ userId: `u-${i}` })) });
    assert.deepEqual(p.next(first, { body: page(true, 2), headers: {}, recordCount: 17 }), { offset: 2, limit: 2 }, '17 segments, 2 agents');
    assert.deepEqual(
      p.next({ offset: 2, limit: 2 }, { body: page(true, 2), headers: {}, recordCount: 0 }),
      { offset: 4, limit: 2 },
      'agents without segments still count',
    );
    assert.equal(p.next({ offset: 4, limit: 2 }, { body: page(false, 1), headers: {}, recordCount: 9 }), null);
    assert.equal(
      p.next({ offset: 4, limit: 2 }, { body: page(true, 0), headers: {}, recordCount: 0 }),
      null,
      'an empty page ends the walk even if hasMore lies',
    );
  });
});

describe('fetching pages from the simulator', () => {
  let sim: KoreSimulator;
  let rt: FetchRuntime;
  let url: string;
  before(async () => {
    sim = new KoreSimulator(demoKoreOptions({ dataStart: '2026-09-01T00:00:00Z' }));
    url = await sim.start();
    const file = writeConnectionsFile(
      koreConnection({
        name: 'kore-unit',
        baseUrl: url,
        settings: { pageSize: 3 },
        credentials: { token: '${K_TOKEN}' },
        streams: ['calldetails', 'agentstatus', '{ name: interactiondetails, options: { channels: [voice] } }'],
      }),
      { prefix: 'kore-source-' },
    );
    rt = {
      connections: new ConnectionsStore(file, { K_TOKEN: DEMO_KORE.staticToken }),
      http: new VendorHttp(),
      limiter: new RateLimiter(),
      secrets: new SecretRegistry(),
    };
  });
  after(async () => {
    await rt.http.close();
    await sim.stop();
  });

  async function walk(stream: string, start: string, end: string) {
    const rows: Record<string, unknown>[] = [];
    let cursor: Cursor | null = null;
    let pages = 0;
    let openFrom: number | undefined;
    do {
      const page = await fetchPage(rt, { connection: 'kore-unit', stream, start, end, cursor }, 1);
      rows.push(...page.rows.map((r) => r.record as Record<string, unknown>));
      if (page.openFrom !== undefined) openFrom = Math.min(openFrom ?? Infinity, page.openFrom);
      cursor = page.next;
      pages++;
      assert.ok(pages < 200);
    } while (cursor);
    return { rows, pages, openFrom };
  }

  it('a week of call details, 3 per page, equals the ground truth; requests as documented', async () => {
    sim.resetLog();
    const { rows, pages } = await walk('calldetails', '2026-10-05T00:00:00Z', '2026-10-12T00:00:00Z');
    const truth = sim.conversationsGroundTruth(ms('2026-10-05T00:00:00Z'), ms('2026-10-12T00:00:00Z'));
    assert.deepEqual(rows, truth);
    assert.equal(pages, Math.floor(truth.length / 3) + 1, 'the short (or empty) last page ends it');
    const log = sim.requests();
    assert.ok(log.every((e) => e.status === 200 && e.path === `${PREFIX}/v2/calldetails`));
    assert.deepEqual(log[0]!.body, { startDate: '2026-10-05 00:00:00', endDate: '2026-10-11 23:59:59', timeZoneOffset: 0 });
    assert.equal(sim.requestsOverSevenDays(), 0);
  });

  it("interaction details with the connection's channel filter", async () => {
    const { rows } = await walk('interactiondetails', '2026-10-05T00:00:00Z', '2026-10-07T00:00:00Z');
    assert.ok(rows.length > 0);
    assert.deepEqual(rows, sim.conversationsGroundTruth(ms('2026-10-05T00:00:00Z'), ms('2026-10-07T00:00:00Z'), { channels: ['voice'] }));
  });

  it('a day of agent status, 3 agents a page, equals the ground truth (a night segment from the day before included)', async () => {
    sim.resetLog();
    const { rows, pages, openFrom } = await walk('agentstatus', '2026-10-07T00:00:00Z', '2026-10-08T00:00:00Z');
    assert.equal(pages, 2, '5 agents, 3 a page');
    assert.deepEqual(rows, sim.agentStatusGroundTruth(ms('2026-10-07T00:00:00Z'), ms('2026-10-08T00:00:00Z')));
    assert.ok(
      rows.some((r) => String(r.startTime) < '2026-10-07'),
      'a segment carried over from the 6th',
    );
    assert.equal(openFrom, undefined, 'nothing open in the past');
    assert.deepEqual(
      sim.requests().map((e) => e.path.split('?')[0]),
      [`${PREFIX}/agentstatusdetails`, `${PREFIX}/agentstatusdetails`],
    );
  });

  it('refuses an 8-day call-details window before any request', async () => {
    sim.resetLog();
    await assert.rejects(
      fetchPage(rt, { connection: 'kore-unit', stream: 'calldetails', start: '2026-10-01T00:00:00Z', end: '2026-10-09T00:00:00Z', cursor: null }, 1),
      /at most P7D/,
    );
    assert.equal(sim.requests().length, 0);
  });

  it("a vendor 400 carries the vendor's words; a drifted field is a SchemaMismatch naming its path", async () => {
    sim.failNext({ endpoint: 'calldetails', status: 400, body: { errors: [{ msg: 'The days range cannot be more than seven days', code: 400 }] } });
    await assert.rejects(
      fetchPage(rt, { connection: 'kore-unit', stream: 'calldetails', start: '2026-10-05T00:00:00Z', end: '2026-10-06T00:00:00Z', cursor: null }, 1),
      (err: CcsyncError) => {
        assert.equal(err.type, 'VendorRejected');
        assert.match(err.message, /400 \(the request is invalid\): The days range cannot be more than seven days/);
        return true;
      },
    );
    sim.failNext({ endpoint: 'calldetails', kind: 'schema-drift', field: 'destinations', value: 'queue' });
    await assert.rejects(
      fetchPage(rt, { connection: 'kore-unit', stream: 'calldetails', start: '2026-10-05T00:00:00Z', end: '2026-10-06T00:00:00Z', cursor: null }, 1),
      (err: CcsyncError) => {
        assert.equal(err.type, 'SchemaMismatch');
        assert.match(
          err.message,
          /Kore\.ai calldetails: a record does not match the stream's schema: data\[0\]\.destinations: expected a list \(got string "queue"\)/,
        );
        return true;
      },
    );
    sim.failNext({ endpoint: 'agentstatus', kind: 'schema-drift', field: 'duration', value: 42 });
    await assert.rejects(
      fetchPage(rt, { connection: 'kore-unit', stream: 'agentstatus', start: '2026-10-07T00:00:00Z', end: '2026-10-08T00:00:00Z', cursor: null }, 1),
      (err: CcsyncError) => {
        assert.equal(err.type, 'SchemaMismatch');
        assert.match(
          err.message,
          /Kore\.ai agentstatus: the response does not have the documented shape: data\[0\]\.status\[0\]\.duration: expected a duration such as "00:01:10" \(HH:MM:SS\), or "-" while open \(got number 42\)/,
        );
        return true;
      },
    );
  });

  it('open segments: the page reports the earliest open start', async () => {
    const clockSim = new KoreSimulator(demoKoreOptions({ dataStart: '2026-09-01T00:00:00Z', now: () => ms('2026-10-07T10:30:00Z') }));
    const clockUrl = await clockSim.start();
    try {
      const file = writeConnectionsFile(
        koreConnection({ name: 'k', baseUrl: clockUrl, credentials: { token: DEMO_KORE.staticToken }, streams: ['agentstatus'] }),
        {
          prefix: 'kore-source-',
        },
      );
      const local: FetchRuntime = { ...rt, connections: new ConnectionsStore(file, {}) };
      // Our clock agrees with the simulator's: an open record holds its window only within the
      // stream's openHold of now (2 days), so a vendor "now" months ago would hold nothing.
      mock.timers.enable({ apis: ['Date'], now: ms('2026-10-07T10:30:00Z') });
      const page = await fetchPage(
        local,
        { connection: 'k', stream: 'agentstatus', start: '2026-10-07T00:00:00Z', end: '2026-10-08T00:00:00Z', cursor: null },
        1,
      ).finally(() => mock.timers.reset());
      const open = page.rows.map((r) => r.record as Record<string, unknown>).filter((r) => r.open === true);
      assert.ok(open.length > 0, 'someone is mid-status at 10:30');
      assert.equal(page.openFrom, Math.min(...open.map((r) => Date.parse(String(r.startTime)))));
      assert.ok(page.openFrom <= ms('2026-10-07T10:30:00Z') && page.openFrom > ms('2026-10-07T00:00:00Z'));
      assert.ok(open.every((r) => r.endTime === null && r.duration === null));
    } finally {
      await clockSim.stop();
    }
  });
});
