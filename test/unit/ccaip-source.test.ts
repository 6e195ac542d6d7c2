/**
 * The CCAI Platform source on its own: settings and credentials, request building, schemas, child
 * streams and the flattened team tree, status meanings — and the real page fetcher (`fetchPage`:
 * auth, rate limit, validation, paging) walking the simulator, including a call updated while a
 * window is being paged.
 * Run: npx tsx --test test/unit/ccaip-source.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import type { ConnectionsStore } from '../../activities/connections';
import type { HttpAnswer } from '../../activities/http/client';
import { VendorHttp } from '../../activities/http/client';
import { RateLimiter } from '../../activities/http/rate-limit';
import { errorForStatus } from '../../activities/http/status';
import { SecretRegistry } from '../../activities/runtime';
import { fetchPage, type FetchRuntime, type FetchedPage } from '../../activities/sync-page';
import { type ConnectionConfig, parseConnections, resolveCredentials } from '../../core/connections';
import { CcsyncError } from '../../core/errors';
import { type Cursor, pagePer, type PagePerCursor } from '../../core/pagination';
import { pageRequest } from '../../core/source';
import type { Row } from '../../destinations/destination';
import { SOURCES } from '../../sources';
import { ccaip, ccaipErrorMessage, RATE_WINDOW_MS } from '../../sources/ccaip';
import { basicAuthorization } from '../../sources/ccaip/auth';
import { ccaipCredentials, ccaipSettings, DEFAULT_PATHS, pathFor, type CcaipSettings } from '../../sources/ccaip/connection';
import { callRecord, agentActivityLogRecord, teamRecord } from '../../sources/ccaip/schemas';
import {
  agent_activity_logs,
  agents,
  call_participants,
  call_photos,
  call_transfers,
  calls,
  chat_videos,
  flattenTeamTree,
  team_tree,
  teams,
} from '../../sources/ccaip/streams';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions, TEAM_ID_BASE } from '../../simulators/ccaip';
import { Clock } from '../helpers/simulator';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const DATA_START = Date.parse('2026-11-17T00:00:00.000Z');
const REGISTRY = { ...SOURCES, ccaip };

const settings = (extra: Record<string, unknown> = {}): CcaipSettings =>
  ccaipSettings.parse({ baseUrl: 'https://acme.uc1.ccaiplatform.com/manager/api/v1', ...extra });
const window = { start: Date.parse('2026-11-19T00:00:00Z'), end: Date.parse('2026-11-20T00:00:00Z') };

describe('settings and credentials', () => {
  it('applies the defaults: the documented paths, 10 requests per second', () => {
    const s = settings();
    assert.equal(s.baseUrl, 'https://acme.uc1.ccaiplatform.com/manager/api/v1');
    assert.equal(s.rateLimitPerSecond, 10);
    assert.equal(s.pageSize, undefined);
    assert.equal(pathFor(s, 'teams'), '/team');
    assert.equal(pathFor(s, 'team_tree'), '/team/tree');
    assert.equal(pathFor(settings({ paths: { teams: '/teams/', team_tree: '/teams/tree' } }), 'teams'), '/teams', 'a trailing slash is dropped');
    assert.equal(Object.keys(DEFAULT_PATHS).length, 7);
    assert.equal(settings({ baseUrl: 'https://x.example/manager/api/v1/' }).baseUrl, 'https://x.example/manager/api/v1');
  });

  it('refuses what the API or the vendor limit would', () => {
    const bad = (v: Record<string, unknown>) => {
      const r = ccaipSettings.safeParse({ baseUrl: 'https://x.example/manager/api/v1', ...v });
      assert.equal(r.success, false, JSON.stringify(v));
      return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.match(bad({ pageSize: 101 }), /pageSize: must be at most 100/);
    assert.match(bad({ rateLimitPerSecond: 11 }), /rateLimitPerSecond: must be at most 10/);
    assert.match(bad({ paths: { teams: 'teams' } }), /paths.teams: must be a path under baseUrl starting with "\/"/);
    assert.match(bad({ paths: { menus: '/menus' } }), /Unrecognized key/);
    assert.match(bad({ baseUrl: 'ftp://x.example/api' }), /baseUrl: must be an http\(s\) URL/);
    assert.match(bad({ baseUrl: 'https://x.example/api?tenant=1' }), /baseUrl: must not have a query string/);
  });

  it('takes subdomain + API token or company key + secret, and says what is missing', () => {
    assert.ok(ccaipCredentials.safeParse({ username: 'acme', password: 't' }).success);
    assert.ok(ccaipCredentials.safeParse({ companyKey: 'k', companySecret: 's' }).success);
    const msg = (v: Record<string, unknown>) =>
      ccaipCredentials
        .safeParse(v)
        .error!.issues.map((i) => i.message)
        .join('; ');
    assert.match(msg({}), /give "username" \(the subdomain\) and "password" \(an API token\), or "companyKey" and "companySecret"/);
    assert.match(msg({ username: 'acme' }), /missing: password/);
    assert.match(msg({ companySecret: 's' }), /missing: companyKey/);
    assert.match(msg({ username: 'a', password: 'b', companyKey: 'k', companySecret: 's' }), /not both/);
    assert.match(msg({ username: 'a:b', password: 'c' }), /must not contain ":"/);
  });

  it('builds the RFC 7617 Basic header', () => {
    assert.equal(basicAuthorization({ username: 'Aladdin', password: 'open sesame' }), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    assert.equal(basicAuthorization({ companyKey: 'k', companySecret: 'ü' }), `Basic ${Buffer.from('k:ü', 'utf8').toString('base64')}`);
  });

  it('is accepted by the connections file, naming its problems', () => {
    const yaml = (s: string, c = '{ username: acme, password: "${CCAIP_API_TOKEN}" }') => `
connections:
  - name: ccaip-prod
    source: ccaip
    settings: ${s}
    credentials: ${c}
    streams: [calls, agents]
`;
    const [c] = parseConnections(yaml('{ baseUrl: https://acme.uc1.ccaiplatform.com/manager/api/v1, paths: { teams: /teams } }'), 'c.yaml', REGISTRY);
    assert.equal(c!.source, 'ccaip');
    assert.equal(c!.settings.paths.teams, '/teams');
    assert.deepEqual(
      c!.streams.map((s) => s.name),
      ['calls', 'agents'],
    );
    assert.throws(
      () => parseConnections(yaml('{ baseUrl: https://x.example/api, pageSize: 500 }', '{ companyKey: k }'), 'c.yaml', REGISTRY),
      (err: unknown) =>
        err instanceof CcsyncError &&
        /settings\.pageSize: must be at most 100/.test(err.message) &&
        /credentials: "companyKey" and "companySecret" go together/.test(err.message),
    );
  });
});

describe('requests', () => {
  it('a windowed first page: the time filter (ISO-8601 UTC with milliseconds), the sort, page and per', () => {
    const spec = pageRequest(calls, { settings: settings(), window, options: {} }, calls.pagination.first(100));
    assert.deepEqual(spec, {
      method: 'GET',
      path: '/calls',
      query: {
        'updated_at[from]': '2026-11-19T00:00:00.000Z',
        'updated_at[to]': '2026-11-20T00:00:00.000Z',
        sort_column: 'updated_at',
        sort_direction: 'ASC',
        page: 1,
        per: 100,
      },
    });
    const url = VendorHttp.url('https://acme.uc1.ccaiplatform.com/manager/api/v1', spec);
    assert.match(url.href, /\/manager\/api\/v1\/calls\?updated_at%5Bfrom%5D=2026-11-19T00%3A00%3A00\.000Z&/);
  });

  it("a tailing page moves [from] to the cursor's time; activity logs filter and sort by started_at", () => {
    const spec = pageRequest(calls, { settings: settings(), window, options: {} }, { since: '2026-11-19T08:00:00.123Z', page: 1, per: 50 });
    assert.equal(spec.query!['updated_at[from]'], '2026-11-19T08:00:00.123Z');
    assert.equal(spec.query!['updated_at[to]'], '2026-11-20T00:00:00.000Z');
    const logs = pageRequest(agent_activity_logs, { settings: settings(), window, options: {} }, { page: 1, per: 100 });
    assert.equal(logs.path, '/agent_activity_logs');
    assert.equal(logs.query!['started_at[from]'], '2026-11-19T00:00:00.000Z');
    assert.equal(logs.query!.sort_column, 'started_at');
  });

  it('snapshots: agents sorted by id (a stable order), teams at the configured path, the tree in one request', () => {
    const snap = { start: NOW, end: NOW + 1000 };
    assert.deepEqual(pageRequest(agents, { settings: settings(), window: snap, options: {} }, agents.pagination.first(100)).query, {
      sort_column: 'id',
      sort_direction: 'ASC',
      page: 1,
      per: 100,
    });
    assert.equal(teams.request({ settings: settings({ paths: { teams: '/teams' } }), window: snap, options: {} }).path, '/teams');
    const tree = pageRequest(team_tree, { settings: settings(), window: snap, options: {} }, team_tree.pagination.first(100));
    assert.equal(tree.path, '/team/tree');
    assert.deepEqual(tree.query, {}, 'no page or per: the tree comes whole');
  });

  it('declares what the engine needs: kinds, tables, children', () => {
    assert.deepEqual(
      Object.entries(ccaip.streams).map(([k, s]) => `${k}:${s.kind}:${s.table}`),
      [
        'calls:windowed:ccaip_calls',
        'chats:windowed:ccaip_chats',
        'agent_activity_logs:windowed:ccaip_agent_activity_logs',
        'agents:snapshot:ccaip_agents',
        'teams:snapshot:ccaip_teams',
        'team_tree:snapshot:ccaip_team_tree',
        'user_statuses:snapshot:ccaip_user_statuses',
      ],
    );
    assert.deepEqual(
      calls.children!.map((c) => c.table),
      ['ccaip_call_participants', 'ccaip_call_transfers', 'ccaip_photos', 'ccaip_videos'],
    );
    assert.deepEqual(
      ccaip.streams.chats!.children!.map((c) => c.table),
      ['ccaip_chat_participants', 'ccaip_photos', 'ccaip_videos'],
    );
    for (const s of Object.values(ccaip.streams))
      for (const c of s.children ?? []) assert.ok(c.primaryKey.includes(c.parentKey), `${c.name} keys include its parent`);
    assert.deepEqual(
      ccaip.rateLimit(settings()),
      { key: 'ccaip:acme.uc1.ccaiplatform.com', limit: 10, perMs: 1_000 },
      '10 in any second, counted from each answer (no sub-window: it capped the rate below 90%)',
    );
    assert.deepEqual(
      ccaip.rateLimit(settings({ rateLimitPerSecond: 1 })),
      { key: 'ccaip:acme.uc1.ccaiplatform.com', limit: 1, perMs: RATE_WINDOW_MS },
      "the older docs' 1 per second",
    );
    assert.notEqual(
      ccaip.rateLimit(settings({ baseUrl: 'https://other.uc1.ccaiplatform.com/manager/api/v1' })).key,
      ccaip.rateLimit(settings()).key,
      'per tenant',
    );
  });
});

describe('records, child streams and the tree', () => {
  const call = {
    id: '1001',
    updated_at: '2026-11-19T10:00:00.000Z',
    sentiment: { score: 0.4 },
    participants: [
      { id: 11, type: 'end_user' },
      { id: 12, type: 'agent', user_id: 901, call_id: 999 },
    ],
    transfers: [{ id: 21, status: 'connected' }],
    photos: [{ id: 31, url: 'https://x/p.jpg' }],
    videos: null,
  };

  it('keeps unknown fields and stores numeric-string ids as numbers', () => {
    const parsed = callRecord.parse(call) as Record<string, unknown>;
    assert.equal(parsed.id, 1001);
    assert.deepEqual(parsed.sentiment, { score: 0.4 });
    assert.deepEqual(calls.key(parsed), { id: '1001' });
  });

  it('refuses what the sync relies on, naming the field', () => {
    const issues = (schema: typeof callRecord, v: unknown) => schema.safeParse(v).error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues(callRecord, { ...call, updated_at: 1234 }), ['updated_at: expected an ISO-8601 date-time']);
    assert.deepEqual(issues(callRecord, { ...call, id: 'abc' }), ['id: expected an integer id']);
    assert.deepEqual(issues(callRecord, { ...call, participants: { id: 1 } }), ['participants: expected a list']);
    assert.ok(agentActivityLogRecord.safeParse({ id: 1, started_at: '2026-11-19T10:00:00Z', ended_at: null, duration: null }).success);
    assert.ok(!teamRecord.safeParse({ id: 1, assignees: [{ name: 'no id' }] }).success);
  });

  it("children carry their parent's id (the parent wins over a stale one) and are keyed by it", () => {
    const parent = callRecord.parse(call) as Record<string, unknown>;
    const participants = call_participants.extract(parent).map((p) => call_participants.recordSchema.parse(p) as Record<string, unknown>);
    assert.deepEqual(
      participants.map((p) => call_participants.key(p)),
      [
        { call_id: '1001', id: '11' },
        { call_id: '1001', id: '12' },
      ],
    );
    assert.equal(call_participants.parentId(parent), '1001');
    const transfers = call_transfers.extract(parent).map((t) => call_transfers.recordSchema.parse(t) as Record<string, unknown>);
    assert.deepEqual(transfers, [{ id: 21, status: 'connected', call_id: 1001 }]);
    const photos = call_photos.extract(parent).map((p) => call_photos.recordSchema.parse(p) as Record<string, unknown>);
    assert.deepEqual(photos, [{ id: 31, url: 'https://x/p.jpg', parent_type: 'call', call_id: 1001 }]);
    assert.deepEqual(call_photos.key(photos[0]!), { parent: 'call:1001', id: '31' });
    assert.equal(call_photos.parentId(parent), 'call:1001');
    assert.deepEqual(chat_videos.extract({ id: 7, videos: [{ id: 8 }] }), [{ id: 8, parent_type: 'chat', chat_id: 7 }]);
    assert.equal(
      chat_videos.key(chat_videos.recordSchema.parse({ id: 8, parent_type: 'chat', chat_id: 7 }) as Record<string, unknown>).parent,
      'chat:7',
      'chat 7 and call 7 never share a row',
    );
    assert.deepEqual(call_photos.extract({ id: 5, photos: null }), []);
  });

  it('flattens the team tree in pre-order, with the parent from the tree and the depth', () => {
    const flat = flattenTeamTree([
      {
        id: 1,
        name: 'US',
        parent_id: null,
        children: [
          { id: 2, name: 'East', children: [{ id: 4, name: 'NYC', children: [] }] },
          { id: 3, name: 'West' },
        ],
      },
      { id: 9, name: 'EMEA', extra: true },
    ]);
    assert.deepEqual(flat, [
      { id: 1, name: 'US', parent_id: null, depth: 0 },
      { id: 2, name: 'East', parent_id: 1, depth: 1 },
      { id: 4, name: 'NYC', parent_id: 2, depth: 2 },
      { id: 3, name: 'West', parent_id: 1, depth: 1 },
      { id: 9, name: 'EMEA', extra: true, parent_id: null, depth: 0 },
    ]);
    assert.ok(flat.every((n) => team_tree.recordSchema.safeParse(n).success));
    assert.deepEqual(flattenTeamTree({ not: 'a list' }), []);
  });
});

describe("statuses and the vendor's error body", () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({ status, headers, text: JSON.stringify(body), ms: 1 });

  it('reads {error, message, status}', () => {
    assert.equal(
      ccaipErrorMessage(400, { error: 'Bad Request', message: 'per must be between 1 and 100', status: 400 }),
      'Bad Request: per must be between 1 and 100',
    );
    assert.equal(ccaipErrorMessage(401, { message: 'invalid API token' }), 'invalid API token');
    assert.equal(ccaipErrorMessage(404, { error: 'Not Found' }), 'Not Found');
    assert.equal(ccaipErrorMessage(500, ['not', 'an', 'object']), undefined);
  });

  it("401/400 fail at once with the vendor's words; 429 and 5xx are retried", () => {
    const rejected = errorForStatus(ccaip, answer(401, { error: 'Unauthorized', message: 'invalid API token', status: 401 }), 'acme', 1)!;
    assert.equal(rejected.type, 'VendorRejected');
    assert.equal(rejected.message, 'CCAI Platform rejected the request with 401 (the credentials were not accepted): Unauthorized: invalid API token');
    const limited = errorForStatus(ccaip, answer(429, { error: 'Too Many Requests' }, { 'retry-after': '2' }), 'acme', 1)!;
    assert.equal(limited.type, 'VendorRateLimited');
    assert.equal(limited.retryAfterMs, 2000);
    assert.equal(errorForStatus(ccaip, answer(503, {}), 'acme', 1)!.type, 'VendorUnavailable');
    assert.equal(errorForStatus(ccaip, answer(200, []), 'acme', 1), undefined);
  });
});

// --- the page fetcher against the simulator ---------------------------------------------------

function connectionsYaml(url: string, extra = '', credentials = '{ username: acme-demo, password: "${TOKEN}" }') {
  return `
connections:
  - name: cc
    source: ccaip
    settings: { baseUrl: "${url}", pageSize: 10${extra} }
    credentials: ${credentials}
`;
}

function runtimeFor(yaml: string): FetchRuntime {
  const configs = parseConnections(yaml, 'test.yaml', REGISTRY);
  const env = { TOKEN: DEMO_CCAIP.apiToken, WRONG: 'not-the-token', KEY: DEMO_CCAIP.companyKey, SECRET: DEMO_CCAIP.companySecret };
  const store = {
    all: () => configs,
    get: (name: string) => ({ config: configs.find((c) => c.name === name)!, source: ccaip }),
    credentials: (c: ConnectionConfig) => resolveCredentials(c, env),
  } as unknown as ConnectionsStore;
  return { connections: store, http: new VendorHttp(), limiter: new RateLimiter(), secrets: new SecretRegistry() };
}

interface Walk {
  rows: Map<string, Row>;
  children: Map<string, Map<string, Row>>;
  pages: FetchedPage[];
  cursors: (Cursor | null)[];
}

async function walk(rt: FetchRuntime, stream: string, start: number, end: number, hook?: (page: number) => void): Promise<Walk> {
  const rows = new Map<string, Row>();
  const children = new Map<string, Map<string, Row>>();
  const pages: FetchedPage[] = [];
  const cursors: (Cursor | null)[] = [];
  let cursor: Cursor | null = null;
  do {
    cursors.push(cursor);
    const page = await fetchPage(rt, { connection: 'cc', stream, start: iso(start), end: iso(end), cursor }, 1);
    pages.push(page);
    for (const r of page.rows) rows.set(JSON.stringify(r.key), r);
    for (const w of page.children) {
      const table = children.get(w.spec.name) ?? new Map<string, Row>();
      children.set(w.spec.name, table);
      // The destination replaces a parent's children with the page's: do the same here.
      for (const [k, r] of table) if (w.replaceChildrenOf!.parents.includes(r.key[w.replaceChildrenOf!.column]!)) table.delete(k);
      for (const r of w.rows) table.set(JSON.stringify(r.key), r);
    }
    hook?.(pages.length);
    cursor = page.next;
    assert.ok(pages.length < 500, 'the walk ends');
  } while (cursor);
  return { rows, children, pages, cursors };
}

const sortedIds = (records: Iterable<Record<string, unknown>>) => [...records].map((r) => Number(r.id)).sort((a, b) => a - b);

describe('fetchPage walking the simulator', () => {
  let sim: CcaipSimulator;
  let rt: FetchRuntime;
  const clock = new Clock(NOW);
  const from = NOW - DAY;
  const to = NOW - 2 * HOUR;

  before(async () => {
    // No vendor limit here: the test's own requests (the naive walk) and several runtimes share this
    // simulator. The limit is checked on a simulator of its own below.
    sim = new CcaipSimulator(demoCcaipOptions({ now: clock.now, dataStart: DATA_START, rateLimitPerSecond: 0 }));
    await sim.start();
    rt = runtimeFor(connectionsYaml(sim.apiUrl));
  });
  after(async () => {
    await rt.http.close();
    await sim.stop();
  });
  beforeEach(() => {
    sim.setLinkMode('full');
    sim.setTotalHeader(true);
    sim.resetLog();
    sim.clearFaults();
  });

  it('a window of calls is exactly the ground truth, with participants, transfers and media as children', async () => {
    const truth = sim.data.calls({ from, to });
    assert.ok(truth.length > 30, `enough calls (${truth.length})`);
    const w = await walk(rt, 'calls', from, to);
    assert.deepEqual(sortedIds([...w.rows.values()].map((r) => r.record as Record<string, unknown>)), sortedIds(truth));
    for (const t of truth) assert.deepEqual(w.rows.get(JSON.stringify({ id: String(t.id) }))!.record, t);
    const participants = truth.flatMap((c) => c.participants as Record<string, unknown>[]);
    assert.equal(w.children.get('ccaip_call_participants')!.size, participants.length);
    const transfers = truth.flatMap((c) => c.transfers as unknown[]);
    assert.equal(w.children.get('ccaip_call_transfers')!.size, transfers.length);
    assert.ok(transfers.length > 0, 'some transfers');
    const photos = truth.flatMap((c) => c.photos as Record<string, unknown>[]);
    assert.deepEqual(
      [...w.children.get('ccaip_photos')!.keys()].sort(),
      photos.map((p) => JSON.stringify({ parent: `call:${String(p.call_id)}`, id: String(p.id) })).sort(),
    );
    // Tailing: every page after the first starts again at the previous page's last time.
    assert.ok(w.cursors.slice(1).every((c) => typeof c?.since === 'string' && c.page === 1));
    const log = sim.requests();
    assert.ok(log.every((e) => e.status === 200 && e.auth === 'api-token' && e.query.per === '10' && e.query.sort_column === 'updated_at'));
  });

  it('a call updated while its window is paged is not a reason to lose another one (the naive page walk does lose one)', async () => {
    const truth = sim.data.calls({ from, to });
    const victim = truth[4]!.id as number;
    // The naive way, with the engine's own pagePer: page 2, 3, ... of the same query.
    const naive = pagePer();
    const naiveIds = new Set<number>();
    sim.afterRequests('calls', 1, () => sim.data.updateCall(victim, { set: { note: 'moved' } }, NOW + 1));
    let cursor: PagePerCursor | null = naive.first(10);
    const query = { 'updated_at[from]': iso(from), 'updated_at[to]': iso(to), sort_column: 'updated_at', sort_direction: 'ASC', per: '10' };
    const auth = { authorization: basicAuthorization({ username: DEMO_CCAIP.subdomain, password: DEMO_CCAIP.apiToken }) };
    while (cursor) {
      const res = await fetch(`${sim.apiUrl}/calls?${new URLSearchParams({ ...query, page: String(cursor.page) }).toString()}`, { headers: auth });
      const body = (await res.json()) as Record<string, unknown>[];
      for (const r of body) naiveIds.add(r.id as number);
      cursor = naive.next(cursor, { body, headers: Object.fromEntries(res.headers), recordCount: body.length });
    }
    const lost = truth.filter((t) => !naiveIds.has(t.id as number));
    assert.equal(lost.length, 1, 'the record that crossed the page boundary is lost');
    assert.equal(lost[0]!.id, truth[10]!.id);

    // Ours: same window, same kind of update (another call, on page 1) between page 1 and page 2.
    const truth2 = sim.data.calls({ from, to });
    const victim2 = truth2[3]!.id as number;
    sim.afterRequests('calls', 1, () =>
      sim.data.updateCall(victim2, { removeParticipant: (sim.data.call(victim2)!.participants as { id: number }[])[0]!.id }, NOW + 2),
    );
    const w = await walk(rt, 'calls', from, to);
    assert.equal(sim.pendingActions(), 0, 'the update happened mid-walk');
    assert.deepEqual(
      sortedIds([...w.rows.values()].map((r) => r.record as Record<string, unknown>)),
      sortedIds(truth2),
      'nothing lost: every call of the window as it was when paging began',
    );
    assert.equal(sim.data.calls({ from, to }).length, truth2.length - 1, 'the updated call has left the window (the next window takes it)');
  });

  it('an update that lands inside the window being paged is read again at the end, in its latest form', async () => {
    const wideTo = NOW + HOUR;
    const truth = sim.data.calls({ from, to: wideTo });
    const moving = truth[2]!.id as number;
    sim.afterRequests('calls', 2, () => sim.data.updateCall(moving, { set: { note: 'latest' } }, NOW + 10));
    const w = await walk(rt, 'calls', from, wideTo);
    assert.equal((w.rows.get(JSON.stringify({ id: String(moving) }))!.record as Record<string, unknown>).note, 'latest');
    assert.deepEqual(sortedIds([...w.rows.values()].map((r) => r.record as Record<string, unknown>)), sortedIds(sim.data.calls({ from, to: wideTo })));
  });

  it('many calls sharing one updated_at (a bulk update) are all read: the walk pages within the tie', async () => {
    const stamp = NOW - 3 * HOUR + 123;
    const bulk = sim.data
      .calls({ from: DATA_START, to: from - HOUR })
      .slice(0, 25)
      .map((c) => c.id as number);
    sim.data.updateCalls(bulk, { set: { tag: 'bulk' } }, stamp);
    const w = await walk(rt, 'calls', stamp - HOUR, stamp + HOUR);
    const got = [...w.rows.values()].map((r) => r.record as Record<string, unknown>);
    assert.deepEqual(sortedIds(got), sortedIds(sim.data.calls({ from: stamp - HOUR, to: stamp + HOUR })));
    assert.ok(bulk.every((id) => got.some((r) => r.id === id && r.tag === 'bulk')));
    assert.ok(
      w.cursors.some((c) => c?.since === iso(stamp) && Number(c.page) >= 2),
      'paged by number under the shared time',
    );
  });

  for (const mode of ['no-next', 'none'] as const) {
    it(`with Link mode "${mode}" and no Total header, the walk still ends exactly at the end of the window`, async () => {
      sim.setLinkMode(mode);
      sim.setTotalHeader(false);
      const truth = sim.data.chats({ from, to });
      const w = await walk(rt, 'chats', from, to);
      assert.deepEqual(sortedIds([...w.rows.values()].map((r) => r.record as Record<string, unknown>)), sortedIds(truth));
      const last = sim.requests().at(-1)!;
      assert.ok(last.count! < 10, 'the last request was a short page, not one past it');
      assert.equal(w.children.get('ccaip_chat_participants')!.size, truth.flatMap((c) => c.participants as unknown[]).length);
    });
  }

  it('agent activity logs: open segments are reported as open from their start', async () => {
    // Our clock agrees with the simulator's: an open log holds its window only within the stream's
    // openHold of now (1 day), so a vendor "now" weeks ago would hold nothing.
    mock.timers.enable({ apis: ['Date'], now: NOW });
    const w = await walk(rt, 'agent_activity_logs', NOW - 3 * HOUR, NOW).finally(() => mock.timers.reset());
    const truth = sim.data.activityLogs({ from: NOW - 3 * HOUR, to: NOW });
    assert.equal(w.rows.size, truth.length);
    const open = truth.filter((l) => l.ended_at === null);
    assert.ok(open.length > 0);
    const openFrom = Math.min(...w.pages.map((p) => p.openFrom ?? Infinity));
    assert.equal(openFrom, Math.min(...open.map((l) => Date.parse(l.started_at as string))));
  });

  it('snapshots: agents over several pages, teams with assignees, the flattened tree, user statuses', async () => {
    const snap = { start: NOW, end: NOW + 1000 };
    const small = runtimeFor(connectionsYaml(sim.apiUrl).replace('pageSize: 10', 'pageSize: 4'));
    try {
      const a = await walk(small, 'agents', snap.start, snap.end);
      assert.equal(a.pages.length, 2);
      assert.deepEqual(
        [...a.rows.values()].map((r) => r.record),
        sim.data.agents(),
      );
      assert.ok(a.pages.every((p) => p.snapshot));
      const t = await walk(small, 'teams', snap.start, snap.end);
      assert.deepEqual(
        [...t.rows.values()].map((r) => r.record),
        sim.data.teams(),
      );
      const tree = await walk(small, 'team_tree', snap.start, snap.end);
      assert.equal(tree.pages.length, 1);
      const nodes = [...tree.rows.values()].map((r) => r.record as Record<string, unknown>);
      assert.equal(nodes.length, 8);
      assert.deepEqual(
        nodes.filter((n) => n.depth === 2).map((n) => n.name),
        ['Billing', 'Technical'],
      );
      assert.ok(nodes.every((n) => !('children' in n)));
      assert.equal(nodes.find((n) => n.name === 'Billing')!.parent_id, TEAM_ID_BASE + 2);
      const statuses = await walk(small, 'user_statuses', snap.start, snap.end);
      assert.equal(statuses.rows.size, 6);
    } finally {
      await small.http.close();
    }
  });

  it('a team path override reaches a tenant that serves /teams', async () => {
    const other = new CcaipSimulator(demoCcaipOptions({ now: clock.now, dataStart: DATA_START, teamPaths: 'teams', rateLimitPerSecond: 0 }));
    await other.start();
    const plain = runtimeFor(connectionsYaml(other.apiUrl));
    const moved = runtimeFor(connectionsYaml(other.apiUrl, ', paths: { teams: /teams, team_tree: /teams/tree }'));
    try {
      await assert.rejects(
        fetchPage(plain, { connection: 'cc', stream: 'teams', start: iso(NOW), end: iso(NOW + 1000), cursor: null }, 1),
        /404 \(the account or endpoint was not found/,
      );
      assert.equal((await walk(moved, 'teams', NOW, NOW + 1000)).rows.size, 8);
      assert.equal((await walk(moved, 'team_tree', NOW, NOW + 1000)).rows.size, 8);
    } finally {
      await plain.http.close();
      await moved.http.close();
      await other.stop();
    }
  });

  it("the company key and secret authenticate too; a wrong token fails with the vendor's message and never leaks", async () => {
    const company = runtimeFor(connectionsYaml(sim.apiUrl, '', '{ companyKey: "${KEY}", companySecret: "${SECRET}" }'));
    const wrong = runtimeFor(connectionsYaml(sim.apiUrl, '', '{ username: acme-demo, password: "${WRONG}" }'));
    try {
      await fetchPage(company, { connection: 'cc', stream: 'user_statuses', start: iso(NOW), end: iso(NOW + 1000), cursor: null }, 1);
      assert.equal(sim.requests().at(-1)!.auth, 'company-key');
      const err = await fetchPage(wrong, { connection: 'cc', stream: 'calls', start: iso(from), end: iso(to), cursor: null }, 1).catch((e: unknown) => e);
      assert.ok(err instanceof CcsyncError);
      assert.equal(err.type, 'VendorRejected');
      assert.match(err.message, /401 \(the credentials were not accepted\): Unauthorized: invalid API token/);
      const header = basicAuthorization({ username: 'acme-demo', password: 'not-the-token' });
      assert.ok([...wrong.secrets].includes(header), 'the Authorization value is registered for redaction');
      assert.ok([...wrong.secrets].includes('not-the-token'));
    } finally {
      await company.http.close();
      await wrong.http.close();
    }
  });

  it('schema drift: a changed type fails naming the field; a new key is kept', async () => {
    sim.failNext({ endpoint: 'calls', kind: 'schema-drift', field: 'updated_at', value: 1700000000 });
    const err = await fetchPage(rt, { connection: 'cc', stream: 'calls', start: iso(from), end: iso(to), cursor: null }, 1).catch((e: unknown) => e);
    assert.ok(err instanceof CcsyncError);
    assert.equal(err.type, 'SchemaMismatch');
    assert.match(err.message, /calls\[0\]\.updated_at: expected an ISO-8601 date-time \(got number 1700000000\)/);
    sim.failNext({ endpoint: 'calls', kind: 'schema-drift', field: 'sentiment_score', value: 0.87 });
    const page = await fetchPage(rt, { connection: 'cc', stream: 'calls', start: iso(from), end: iso(to), cursor: null }, 1);
    assert.equal((page.rows[0]!.record as Record<string, unknown>).sentiment_score, 0.87);
    sim.failNext({ kind: 'malformed' });
    await assert.rejects(
      fetchPage(rt, { connection: 'cc', stream: 'chats', start: iso(from), end: iso(to), cursor: null }, 1),
      (e: unknown) => e instanceof CcsyncError && e.type === 'ResponseCutShort',
    );
    sim.failNext({ status: 503 });
    await assert.rejects(
      fetchPage(rt, { connection: 'cc', stream: 'chats', start: iso(from), end: iso(to), cursor: null }, 1),
      (e: unknown) => e instanceof CcsyncError && e.type === 'VendorUnavailable',
    );
  });

  it('never sends more than 10 requests in any second to a tenant, so its limit is never hit', async () => {
    const limited = new CcaipSimulator(demoCcaipOptions({ now: clock.now, dataStart: DATA_START, rateLimitPerSecond: 10 }));
    await limited.start();
    const fast = runtimeFor(connectionsYaml(limited.apiUrl));
    try {
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 25 }, () =>
          fetchPage(fast, { connection: 'cc', stream: 'user_statuses', start: iso(NOW), end: iso(NOW + 1000), cursor: null }, 1),
        ),
      );
      const elapsed = Date.now() - started;
      assert.ok(
        limited.requests().every((e) => e.status === 200),
        'no 429',
      );
      assert.ok(limited.maxRequestsInAnySecond() <= 10, `${limited.maxRequestsInAnySecond()} in one second`);
      // 25 requests at 10 per second: the last five wait two windows.
      assert.ok(elapsed >= 2 * RATE_WINDOW_MS - 50, `25 requests took ${elapsed} ms`);
      // A second's 10 may go at once (the vendor allows it): the budget is used, not spread thinner.
      assert.ok(elapsed < 2 * RATE_WINDOW_MS + 1_000, `the budget was used: 25 requests took ${elapsed} ms`);
    } finally {
      await fast.http.close();
      await limited.stop();
    }
  });
});
