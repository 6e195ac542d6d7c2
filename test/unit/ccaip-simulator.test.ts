/**
 * The CCAI Platform simulator over real HTTP: what a client of the Manager API will meet (auth,
 * page/per with Link/Total/Per-Page in every tenant mode, time filters and sort, records that change
 * as the clock moves or by hand, teams as a tree, removals, faults, the rate limit).
 * Run: npx tsx --test test/unit/ccaip-simulator.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkTarget } from '../../core/pagination';
import {
  AGENT_ID_BASE,
  CcaipSimulator,
  type CcaipSimulatorOptions,
  DEMO_CCAIP,
  MAX_LIFECYCLE_MS,
  TEAM_ID_BASE,
  demoCcaipOptions,
  parseIsoInstant,
} from '../../simulators/ccaip';
import { Clock, type Reply, simulatorHarness } from '../helpers/simulator';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const DATA_START = Date.parse('2026-11-17T00:00:00.000Z');

const { start: startSim, send } = simulatorHarness(
  NOW,
  (overrides: Partial<CcaipSimulatorOptions>, clock) =>
    new CcaipSimulator(demoCcaipOptions({ now: clock.now, dataStart: DATA_START, rateLimitPerSecond: 0, ...overrides })),
);

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const TOKEN_AUTH = basic(DEMO_CCAIP.subdomain, DEMO_CCAIP.apiToken);

async function get(sim: CcaipSimulator, path: string, query: Record<string, string | number> = {}, authorization: string | null = TOKEN_AUTH): Promise<Reply> {
  const url = new URL(sim.apiUrl + path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return send(url, { headers: authorization ? { authorization } : {} });
}

/** Every page of a list, following the Link header's next. */
async function allPages(sim: CcaipSimulator, path: string, query: Record<string, string | number>): Promise<{ records: any[]; pages: number }> {
  const records: any[] = [];
  let page = 1;
  for (;;) {
    const r = await get(sim, path, { ...query, page });
    assert.equal(r.status, 200, r.text);
    records.push(...r.json);
    const next = linkTarget(r.headers.link as string | undefined, 'next');
    if (!next) return { records, pages: page };
    assert.equal(new URL(next).searchParams.get('page'), String(page + 1));
    page++;
  }
}

describe('authentication (HTTP Basic)', () => {
  it('accepts the subdomain with the API token, or the company key and secret', async () => {
    const { sim } = await startSim();
    assert.equal((await get(sim, '/user_statuses')).status, 200);
    assert.equal((await get(sim, '/user_statuses', {}, basic(DEMO_CCAIP.companyKey, DEMO_CCAIP.companySecret))).status, 200);
    const log = sim.requests();
    assert.deepEqual(
      log.map((e) => e.auth),
      ['api-token', 'company-key'],
    );
  });

  it('answers 401 with WWW-Authenticate and the vendor error body, saying what was wrong but no secret', async () => {
    const { sim } = await startSim();
    const none = await get(sim, '/calls', {}, null);
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
    assert.deepEqual(none.json, { error: 'Unauthorized', message: 'HTTP Basic authentication is required', status: 401 });
    const wrong = await get(sim, '/calls', {}, basic(DEMO_CCAIP.subdomain, 'nope'));
    assert.equal(wrong.json.message, 'invalid API token');
    const stranger = await get(sim, '/calls', {}, basic('someone', DEMO_CCAIP.apiToken));
    assert.match(stranger.json.message, /unknown user/);
    assert.ok(!stranger.text.includes(DEMO_CCAIP.apiToken));
    assert.equal((await get(sim, '/calls', {}, 'Bearer x')).json.message, 'malformed Authorization header (expected HTTP Basic)');
  });

  it('routes only GET under the base path', async () => {
    const { sim } = await startSim();
    assert.equal((await get(sim, '/nothing')).status, 404);
    const post = await send(`${sim.apiUrl}/calls`, { method: 'POST', headers: { authorization: TOKEN_AUTH } });
    assert.equal(post.status, 405);
  });
});

describe('page/per, Link, Total and Per-Page', () => {
  const window = { 'updated_at[from]': iso(NOW - DAY), 'updated_at[to]': iso(NOW), sort_column: 'updated_at', sort_direction: 'ASC' };

  it('pages like api-pagination: Total, Per-Page, and first/prev/next/last links that keep the query', async () => {
    const { sim } = await startSim();
    const truth = sim.data.calls({ from: NOW - DAY, to: NOW });
    assert.ok(truth.length > 25, `enough calls (${truth.length})`);
    const first = await get(sim, '/calls', { ...window, per: 10 });
    assert.equal(first.headers.total, String(truth.length));
    assert.equal(first.headers['per-page'], '10');
    const link = String(first.headers.link);
    const next = new URL(linkTarget(link, 'next')!);
    assert.equal(next.searchParams.get('page'), '2');
    assert.equal(next.searchParams.get('updated_at[from]'), window['updated_at[from]'], 'the filter is kept');
    assert.equal(new URL(linkTarget(link, 'last')!).searchParams.get('page'), String(Math.ceil(truth.length / 10)));
    assert.equal(linkTarget(link, 'prev'), undefined, 'no prev on page 1');
    const pages = Math.ceil(truth.length / 10);
    const last = await get(sim, '/calls', { ...window, per: 10, page: pages });
    assert.equal(linkTarget(String(last.headers.link), 'next'), undefined);
    assert.ok(linkTarget(String(last.headers.link), 'first'));
    const { records } = await allPages(sim, '/calls', { ...window, per: 10 });
    assert.deepEqual(records, truth, 'the pages put together are the ground truth');
    assert.deepEqual((await get(sim, '/calls', { ...window, per: 10, page: pages + 1 })).json, [], 'past the end: an empty page');
  });

  it('in "no-next" mode the Link lacks rel="next" (last is still there); in "none" there is no Link; Total can be left out', async () => {
    const { sim } = await startSim({ linkMode: 'no-next' });
    const r = await get(sim, '/calls', { ...window, per: 10 });
    assert.equal(linkTarget(String(r.headers.link), 'next'), undefined);
    assert.ok(linkTarget(String(r.headers.link), 'last'));
    sim.setLinkMode('none');
    sim.setTotalHeader(false);
    const bare = await get(sim, '/calls', { ...window, per: 10 });
    assert.equal(bare.headers.link, undefined);
    assert.equal(bare.headers.total, undefined);
    assert.equal(bare.headers['per-page'], '10');
    assert.equal(bare.json.length, 10);
  });

  it('per above 100, page 0, a bad time, [from] after [to], an unknown sort: 400 with the vendor error body', async () => {
    const { sim } = await startSim();
    const per = await get(sim, '/calls', { per: 101 });
    assert.equal(per.status, 400);
    assert.deepEqual(per.json, { error: 'Bad Request', message: 'per must be between 1 and 100', status: 400 });
    assert.equal((await get(sim, '/calls', { per: 100 })).status, 200, '100 is allowed');
    assert.match((await get(sim, '/calls', { page: 0 })).json.message, /page must be at least 1/);
    assert.match((await get(sim, '/calls', { 'updated_at[from]': '2026-11-20 10:00' })).json.message, /updated_at\[from\] must be an ISO-8601 date-time/);
    assert.match((await get(sim, '/calls', { 'updated_at[from]': '2026-02-30T00:00:00Z' })).json.message, /updated_at\[from\]/);
    assert.match((await get(sim, '/calls', { 'updated_at[from]': iso(NOW), 'updated_at[to]': iso(NOW - 1) })).json.message, /must not be after/);
    assert.match((await get(sim, '/calls', { sort_column: 'rating' })).json.message, /sort_column must be one of id, created_at, updated_at/);
    assert.match((await get(sim, '/calls', { sort_direction: 'up' })).json.message, /sort_direction must be ASC or DESC/);
    assert.equal(parseIsoInstant('2026-11-20T10:00:00.123456Z'), Date.parse('2026-11-20T10:00:00.123Z'));
  });

  it('time filters are inclusive at both ends; sort is by the column, ties by id; DESC reverses', async () => {
    const { sim } = await startSim();
    const all = sim.data.calls({ from: NOW - DAY, to: NOW });
    const a = Date.parse(String(all[3]!.updated_at));
    const b = Date.parse(String(all[8]!.updated_at));
    const r = await get(sim, '/calls', { 'updated_at[from]': iso(a), 'updated_at[to]': iso(b), sort_column: 'updated_at', sort_direction: 'ASC' });
    assert.deepEqual(
      r.json.map((c: any) => c.id),
      all.slice(3, 9).map((c) => c.id),
    );
    const desc = await get(sim, '/calls', { 'updated_at[from]': iso(a), 'updated_at[to]': iso(b), sort_column: 'updated_at', sort_direction: 'desc' });
    assert.deepEqual(
      desc.json.map((c: any) => c.id),
      all
        .slice(3, 9)
        .map((c) => c.id)
        .reverse(),
    );
    const byCreation = await get(sim, '/chats', { 'created_at[from]': iso(NOW - 6 * HOUR), sort_column: 'created_at' });
    const created = byCreation.json.map((c: any) => Date.parse(c.created_at));
    assert.ok(created.length > 3 && created.every((t: number, i: number) => t >= NOW - 6 * HOUR && (i === 0 || t >= created[i - 1])));
    const logs = await get(sim, '/agent_activity_logs', { 'started_at[from]': iso(NOW - 2 * HOUR), 'started_at[to]': iso(NOW), sort_column: 'started_at' });
    assert.ok(logs.json.length > 3);
    assert.ok(logs.json.every((l: any) => Date.parse(l.started_at) >= NOW - 2 * HOUR && Date.parse(l.started_at) <= NOW));
  });
});

describe('records that live in time', () => {
  it('a call changes as the clock moves: queued, answered with an agent participant, ended, surveyed later with a new participant', async () => {
    const clock = new Clock(NOW);
    const { sim } = await startSim({}, clock);
    // A call that was answered and surveyed: find one in the data as of much later.
    clock.t = NOW + 6 * HOUR;
    const surveyed = sim.data
      .calls({ from: NOW - 3 * HOUR, to: NOW + 6 * HOUR, field: 'created_at' })
      .find((c) => c.has_feedback && c.status === 'finished' && c.connected_at);
    assert.ok(surveyed, 'a surveyed call');
    const id = surveyed.id as number;
    const created = Date.parse(surveyed.created_at as string);
    const connected = Date.parse(surveyed.connected_at as string);
    const ended = Date.parse(surveyed.ended_at as string);
    clock.t = created + 1;
    const early = sim.data.call(id)!;
    assert.equal(early.status, 'selecting');
    assert.equal((early.participants as unknown[]).length, 1);
    assert.equal(early.updated_at, iso(created));
    clock.t = connected;
    const live = sim.data.call(id)!;
    assert.equal(live.status, 'connected');
    assert.ok((live.participants as any[]).some((p) => p.type === 'agent' && p.ended_at === null));
    assert.equal(live.updated_at, iso(connected));
    clock.t = ended;
    const done = sim.data.call(id)!;
    assert.equal(done.status, 'finished');
    assert.equal(done.has_feedback, false);
    assert.ok((done.participants as any[]).every((p) => p.ended_at !== null));
    clock.t = NOW + 6 * HOUR;
    const later = sim.data.call(id)!;
    assert.equal(later.has_feedback, true);
    assert.ok(
      (later.participants as any[]).some((p) => p.type === 'virtual_agent'),
      'the survey added a participant',
    );
    assert.ok(Date.parse(later.updated_at as string) > ended && Date.parse(later.updated_at as string) - created <= MAX_LIFECYCLE_MS);
    assert.equal(sim.data.call(id)!.updated_at, later.updated_at, 'the same clock, the same record');
    clock.t = created - 1;
    assert.equal(sim.data.call(id), undefined, 'not created yet');
  });

  it('a call updated by hand gets the clock as updated_at; participants can be removed and added; one stamp for a bulk update', async () => {
    const { sim } = await startSim();
    const [a, b, c] = sim.data.calls({ from: NOW - DAY, to: NOW - 12 * HOUR });
    const before = sim.data.call(a!.id as number)!;
    const removed = (before.participants as any[])[0].id;
    const after1 = sim.data.updateCall(a!.id as number, {
      removeParticipant: removed,
      addParticipant: { type: 'third_party', status: 'connected' },
      set: { out_ticket_id: 'T-1' },
    });
    assert.equal(after1.updated_at, iso(NOW));
    assert.ok(!(after1.participants as any[]).some((p) => p.id === removed));
    const added = (after1.participants as any[]).find((p) => p.type === 'third_party');
    assert.equal(added.call_id, a!.id);
    assert.equal(after1.out_ticket_id, 'T-1');
    const again = sim.data.updateCall(a!.id as number, { set: { out_ticket_id: 'T-2' } });
    assert.equal(again.updated_at, iso(NOW + 1), 'a second update at the same clock is 1 ms later');
    const served = await get(sim, '/calls', { 'updated_at[from]': iso(NOW), 'updated_at[to]': iso(NOW + 1) });
    assert.deepEqual(
      served.json.map((x: any) => x.id),
      [a!.id],
    );
    assert.equal(served.json[0].out_ticket_id, 'T-2');
    const bulk = sim.data.updateCalls([b!.id as number, c!.id as number], { set: { tag: 'bulk' } }, NOW + 5);
    assert.deepEqual(
      bulk.map((r) => r.updated_at),
      [iso(NOW + 5), iso(NOW + 5)],
    );
    assert.throws(() => sim.data.updateCall(b!.id as number, {}, NOW), /later than the records' last update/);
  });

  it('runs an action between two requests (afterRequests), e.g. an update while a client pages', async () => {
    const { sim } = await startSim();
    const q = { 'updated_at[from]': iso(NOW - DAY), 'updated_at[to]': iso(NOW), sort_column: 'updated_at', per: 5 };
    const page1 = (await get(sim, '/calls', q)).json;
    sim.afterRequests('calls', 1, () => sim.data.updateCall(page1[1].id, { set: { touched: true } }));
    assert.equal(sim.pendingActions(), 1);
    const again = (await get(sim, '/calls', q)).json;
    assert.deepEqual(
      again.map((c: any) => c.id),
      page1.map((c: any) => c.id),
      'the request that triggers it is answered first',
    );
    assert.equal(sim.pendingActions(), 0);
    const shifted = (await get(sim, '/calls', q)).json;
    assert.ok(!shifted.some((c: any) => c.id === page1[1].id), 'the updated call left the window');
    assert.equal(shifted[1].id, page1[2].id, 'everything behind it moved up one place');
  });

  it('agent status segments: the current one is open (no ended_at, no duration) until the clock passes its end', async () => {
    const clock = new Clock(NOW);
    const { sim } = await startSim({}, clock);
    const open = sim.data.activityLogs({ from: NOW - DAY }).filter((l) => l.ended_at === null);
    assert.equal(open.length, sim.data.agentIds.length, 'one open segment per agent');
    assert.ok(open.every((l) => l.duration === null && Date.parse(l.started_at as string) <= NOW));
    const agents = sim.data.agents();
    for (const l of open) assert.equal(agents.find((a) => a.id === l.agent_id)!.status_updated_at, l.started_at, "the agent's status is its open segment");
    clock.t = NOW + 2 * HOUR;
    const closed = sim.data.activityLogs({ from: NOW - DAY }).filter((l) => open.some((o) => o.id === l.id));
    assert.ok(closed.every((l) => l.ended_at !== null && typeof l.duration === 'number'));
  });

  it('is deterministic: the same seed and clock give the same records', async () => {
    const { sim: a } = await startSim();
    const { sim: b } = await startSim();
    assert.deepEqual(a.data.calls(), b.data.calls());
    assert.deepEqual(a.data.activityLogs(), b.data.activityLogs());
    const { sim: c } = await startSim({ seed: 'other' });
    assert.notDeepEqual(
      c.data.calls().map((x) => x.created_at),
      a.data.calls().map((x) => x.created_at),
    );
  });
});

describe('teams, agents and statuses', () => {
  it('serves teams with assignees and the tree with nested children, and both reflect removals', async () => {
    const { sim } = await startSim();
    const teams = (await get(sim, '/team')).json;
    assert.deepEqual(
      teams.map((t: any) => t.name),
      ['Support', 'Tier 1', 'Billing', 'Technical', 'Tier 2', 'Sales', 'Inbound', 'Outbound'],
    );
    assert.ok(teams.filter((t: any) => t.assignees.length).every((t: any) => t.agents_count === t.assignees.length));
    const tree = (await get(sim, '/team/tree')).json;
    assert.deepEqual(
      tree.map((n: any) => n.name),
      ['Support', 'Sales'],
    );
    assert.deepEqual(
      tree[0].children[0].children.map((n: any) => n.name),
      ['Billing', 'Technical'],
    );
    assert.equal((await get(sim, '/team/tree')).headers.total, undefined, 'the tree is not paged');

    const tier1 = TEAM_ID_BASE + 2;
    sim.data.removeTeam(tier1);
    const left = (await get(sim, '/team')).json.map((t: any) => t.name);
    assert.deepEqual(left, ['Support', 'Tier 2', 'Sales', 'Inbound', 'Outbound'], 'Tier 1 and its subtree are gone');
    assert.deepEqual(
      (await get(sim, '/team/tree')).json[0].children.map((n: any) => n.name),
      ['Tier 2'],
    );
    assert.ok((await get(sim, '/agents')).json.every((a: any) => a.teams.every((t: any) => !['Tier 1', 'Billing', 'Technical'].includes(t.name))));
    sim.data.restoreTeam(tier1);
    assert.equal((await get(sim, '/team')).json.length, 8);

    const gone = AGENT_ID_BASE + 1;
    sim.data.removeAgent(gone);
    assert.ok(!(await get(sim, '/agents')).json.some((a: any) => a.id === gone));
    assert.ok(!(await get(sim, '/team')).json.some((t: any) => t.assignees.some((a: any) => a.id === gone)));
  });

  it('serves /teams and /teams/tree instead when the tenant does (teamPaths)', async () => {
    const { sim } = await startSim({ teamPaths: 'teams' });
    assert.equal((await get(sim, '/teams')).status, 200);
    assert.equal((await get(sim, '/teams/tree')).status, 200);
    assert.equal((await get(sim, '/team')).status, 404);
  });

  it('agents sort by id or by status time; user statuses are the configured list', async () => {
    const { sim } = await startSim();
    const byId = (await get(sim, '/agents', { sort_column: 'id', per: 3 })).json;
    assert.deepEqual(
      byId.map((a: any) => a.id),
      [AGENT_ID_BASE + 1, AGENT_ID_BASE + 2, AGENT_ID_BASE + 3],
    );
    const byStatus = (await get(sim, '/agents', { sort_column: 'status_updated_at' })).json.map((a: any) => Date.parse(a.status_updated_at));
    assert.deepEqual(
      byStatus,
      [...byStatus].sort((x, y) => x - y),
    );
    assert.deepEqual(
      (await get(sim, '/user_statuses')).json.map((s: any) => s.name),
      ['Available', 'Break', 'Lunch', 'Meeting', 'Training', 'Offline'],
    );
  });
});

describe('faults and the rate limit', () => {
  it('scripted 5xx and 429 (with Retry-After), targeted by endpoint, then normal answers', async () => {
    const { sim } = await startSim();
    sim.failNext({ endpoint: 'chats', status: 503 }, { status: 429 });
    assert.equal((await get(sim, '/calls')).status, 429, 'the untargeted fault takes the first request');
    const r = await get(sim, '/chats');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { error: 'Service Unavailable', message: 'Service temporarily unavailable', status: 503 });
    assert.equal(sim.pendingFaults(), 0);
    assert.equal((await get(sim, '/chats')).status, 200);
    sim.failNext({ status: 429, retryAfter: 3 });
    assert.equal((await get(sim, '/agents')).headers['retry-after'], '3');
  });

  it('malformed bodies, schema drift, timeouts and resets', async () => {
    const { sim } = await startSim();
    sim.failNext({ kind: 'malformed' });
    const bad = await get(sim, '/calls', { per: 2 });
    assert.equal(bad.status, 200);
    assert.equal(bad.json, undefined, 'not JSON');
    sim.failNext({ kind: 'schema-drift', field: 'updated_at', value: 1234 });
    assert.equal((await get(sim, '/calls', { per: 2 })).json[0].updated_at, 1234);
    sim.failNext({ kind: 'timeout', ms: 300 });
    const started = Date.now();
    await assert.rejects(get(sim, '/calls'));
    assert.ok(Date.now() - started >= 250);
    sim.failNext({ kind: 'reset' });
    await assert.rejects(get(sim, '/calls'));
    assert.deepEqual(
      sim.requests().map((e) => e.fault),
      ['malformed', 'schema-drift', 'timeout', 'reset'],
    );
    assert.throws(() => sim.failNext({ status: 418 as 500 }), /must be one of/);
  });

  it('rate rates are deterministic: the same seed fails the same requests', async () => {
    const statuses = async () => {
      const { sim } = await startSim({ faultSeed: 7, faults: { serverErrorRate: 0.3, rateLimitRate: 0.2 } });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await get(sim, '/user_statuses')).status);
      return out;
    };
    const a = await statuses();
    assert.deepEqual(a, await statuses());
    assert.ok(a.some((s) => s >= 500) && a.some((s) => s === 429) && a.some((s) => s === 200), a.join(','));
  });

  it('holds a tenant to 10 requests per rolling second: the 11th gets 429 with Retry-After', async () => {
    const { sim } = await startSim({ rateLimitPerSecond: 10 });
    const replies = await Promise.all(Array.from({ length: 11 }, () => get(sim, '/user_statuses')));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
    const limited = replies.find((r) => r.status === 429)!;
    assert.equal(limited.headers['retry-after'], '1');
    assert.match(limited.json.message, /10 requests per second per tenant/);
    assert.equal(sim.maxRequestsInAnySecond(), 11);
  });
});
