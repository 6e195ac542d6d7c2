/**
 * The LivePerson source on its own: settings and credentials, request building, OAuth 1.0a
 * signatures against the RFC's vectors, key normalisation, paging (through empty pages), status
 * meanings, domain discovery — and the real page activity walking the simulator into SQLite.
 * Run: npx tsx --test test/unit/liveperson-source.test.ts
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConnectionsStore } from '../../activities/connections';
import type { HttpAnswer } from '../../activities/http/client';
import { errorForStatus } from '../../activities/http/status';
import { closeRuntime, createRuntime, type Runtime } from '../../activities/runtime';
import { syncPage } from '../../activities/sync-page';
import { parseConnections } from '../../core/connections';
import { CcsyncError } from '../../core/errors';
import { toApplicationFailure } from '../../core/failures';
import type { Cursor } from '../../core/pagination';
import { pageRequest } from '../../core/source';
import { openDestination } from '../../destinations';
import { SOURCES } from '../../sources';
import { clearDomainCache, describeProcessing, liveperson, livepersonErrorMessage, livepersonRetryPause } from '../../sources/liveperson';
import { livepersonAuthorization, oauth1BaseString, oauth1Header, oauth1Signature } from '../../sources/liveperson/auth';
import { DEFAULT_DOMAIN_LOOKUP_URL, livepersonCredentials, livepersonSettings, type LivePersonSettings } from '../../sources/liveperson/connection';
import { canonicalGrouping, INTERVAL_METRICS_KEY, interval_metrics as stream, REQUEST_SOURCE } from '../../sources/liveperson/streams';
import { DEMO_LIVEPERSON, type IntervalMetricsRecord, LivePersonSimulator, demoLivePersonOptions, parseOAuthHeader } from '../../simulators/liveperson';
import { ApplicationFailureCategory } from '@temporalio/common';
import { readAll } from '../helpers/destination-access';
import { writeConnectionsFile } from '../helpers/connections-file';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const ms = (iso: string) => Date.parse(iso);

const settings = (extra: Record<string, unknown> = {}): LivePersonSettings =>
  livepersonSettings.parse({ accountId: '17434331', baseUrl: 'https://va.agentactivity.liveperson.net', grouping: ['skill', 'agent'], ...extra });

const window = { start: ms('2026-11-18T00:00:00Z'), end: ms('2026-11-19T00:00:00Z') };

describe('settings and credentials', () => {
  it('applies the defaults and keeps a numeric account id as text', () => {
    const s = livepersonSettings.parse({ accountId: 17434331 });
    assert.equal(s.accountId, '17434331');
    assert.equal(s.baseUrl, undefined);
    assert.equal(s.domainLookupUrl, DEFAULT_DOMAIN_LOOKUP_URL);
    assert.deepEqual(s.metrics, ['handleTime', 'handledConversations', 'repliedConversations', 'workTime']);
    assert.deepEqual(s.grouping, ['skill']);
    assert.equal(s.intervalDuration, 15);
    assert.equal(s.handleTimeModel, 'IFT');
    assert.equal(s.includeBotSkills, false);
  });

  it("takes the API's comma lists, numeric filters as text, and refuses what the API would", () => {
    const s = livepersonSettings.parse({
      accountId: '1',
      metrics: 'handleTime, arrivals',
      grouping: 'skill',
      skillId: 456,
      agentId: '123',
      intervalDuration: 60,
      pageSize: 500,
    });
    assert.deepEqual(s.metrics, ['handleTime', 'arrivals']);
    assert.equal(s.skillId, '456');
    assert.equal(s.agentId, '123');
    const bad = (v: Record<string, unknown>) => {
      const r = livepersonSettings.safeParse({ accountId: '1', ...v });
      assert.equal(r.success, false, JSON.stringify(v));
      return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.match(bad({ intervalDuration: 45 }), /intervalDuration: must be 15, 30, 60 or 1440/);
    assert.match(bad({ pageSize: 501 }), /pageSize: must be at most 500/);
    assert.match(bad({ metrics: ['speed'] }), /metrics.0: must be one of handleTime/);
    assert.match(bad({ metrics: ['arrivals'], grouping: ['agent'] }), /metrics: arrivals need "skill" in grouping/);
    assert.match(bad({ baseUrl: 'https://host.example/api' }), /baseUrl: must be the API domain only/);
    assert.match(bad({ handleTimeModel: 'AHT' }), /handleTimeModel: must be IFT/);
    assert.match(bad({ grouping: ['skill', 'skill'] }), /grouping: names a value twice/);
    assert.match(bad({ agentId: 'abc' }), /agentId: must be a numeric agent id/);
    assert.match(bad({ surprise: 1 }), /Unrecognized key/);
  });

  it('needs a bearer token or all four OAuth fields, and says which are missing', () => {
    assert.ok(livepersonCredentials.safeParse({ bearerToken: 't' }).success);
    assert.ok(livepersonCredentials.safeParse({ consumerKey: 'k', consumerSecret: 's', token: 't', tokenSecret: 'ts' }).success);
    const partial = livepersonCredentials.safeParse({ consumerKey: 'k', token: 't' });
    assert.match(partial.error!.issues[0]!.message, /missing: consumerSecret, tokenSecret/);
    assert.match(livepersonCredentials.safeParse({}).error!.issues[0]!.message, /give either "bearerToken", or "consumerKey"/);
    assert.match(
      livepersonCredentials.safeParse({ bearerToken: 't', consumerKey: 'k', consumerSecret: 's', token: 't', tokenSecret: 'ts' }).error!.issues[0]!.message,
      /not both/,
    );
  });

  it('is registered: the connections file accepts source liveperson and names its problems', () => {
    const yaml = (settingsYaml: string, creds = '{ bearerToken: "${LP_TOKEN}" }') => `
connections:
  - name: lp
    source: liveperson
    settings: ${settingsYaml}
    credentials: ${creds}
    streams: [interval_metrics]
`;
    const [c] = parseConnections(
      yaml('{ accountId: "17434331", metrics: [handleTime, handledConversations], grouping: [skill, agent], intervalDuration: 15, handleTimeModel: IFT }'),
      'c.yaml',
      SOURCES,
    );
    assert.equal(c!.source, 'liveperson');
    assert.deepEqual(c!.settings.grouping, ['skill', 'agent']);
    assert.throws(
      () => parseConnections(yaml('{ accountId: "1", intervalDuration: 20 }', '{ consumerKey: k }'), 'c.yaml', SOURCES),
      (err: unknown) =>
        err instanceof CcsyncError &&
        /connection "lp" \(connections\[0\]\): settings\.intervalDuration: must be 15, 30, 60 or 1440/.test(err.message) &&
        /credentials: OAuth 1\.0a needs all four/.test(err.message),
    );
  });
});

describe('requests', () => {
  it('a first page carries every documented parameter, source within 20 characters, RFC 3339 times', () => {
    const s = settings({
      metrics: ['handleTime', 'workTime'],
      grouping: ['agent', 'skill'],
      skillId: '456',
      includeBotSkills: true,
      intervalDuration: 30,
      handleTimeModel: 'EHT',
    });
    const spec = pageRequest(stream, { settings: s, window, options: {} }, stream.pagination.first(50));
    assert.equal(spec.method, 'GET');
    assert.equal(spec.path, '/api/account/17434331/interval-metrics');
    assert.deepEqual(spec.query, {
      v: 1,
      source: 'ccsync',
      from: '2026-11-18T00:00:00Z',
      to: '2026-11-19T00:00:00Z',
      handleTimeModel: 'EHT',
      metrics: 'handleTime,workTime',
      grouping: 'skill,agent',
      intervalDuration: 30,
      pageSize: 50,
      agentId: undefined,
      skillId: '456',
      agentGroupId: undefined,
      conversationId: undefined,
      includeBotSkills: true,
      pageKey: undefined,
    });
    assert.ok(REQUEST_SOURCE.length <= 20);
  });

  it('a pageKey page repeats the query with the key', () => {
    const s = settings();
    const spec = pageRequest(stream, { settings: s, window, options: {} }, { pageSize: 50, pageKey: 'abc' });
    assert.equal(spec.query!.pageKey, 'abc');
    assert.equal(spec.query!.from, '2026-11-18T00:00:00Z');
    assert.equal(spec.query!.grouping, 'skill,agent');
  });

  it('a refs.next link is followed as given, with only our missing parameters added', () => {
    const s = settings();
    const link = '/api/account/17434331/interval-metrics?v=1&source=ccsync&limit=50&offset=50&handleTimeModel=IFT&fromL=1795046400000&toL=1795132800000';
    const spec = pageRequest(stream, { settings: s, window, options: {} }, { pageSize: 50, url: link });
    assert.equal(spec.path, link);
    assert.deepEqual(spec.query, {
      metrics: 'handleTime,handledConversations,repliedConversations,workTime',
      grouping: 'skill,agent',
      intervalDuration: 15,
      includeBotSkills: false,
    });
    // A complete absolute link gets nothing added; a relative one without a slash is resolved under the API path.
    const full = `https://va.agentactivity.liveperson.net${link}&metrics=handleTime&grouping=skill&intervalDuration=15&includeBotSkills=false`;
    assert.deepEqual(pageRequest(stream, { settings: s, window, options: {} }, { pageSize: 50, url: full }).query, {});
    assert.equal(
      pageRequest(stream, { settings: s, window, options: {} }, { pageSize: 50, url: 'interval-metrics?offset=5' }).path,
      '/api/account/17434331/interval-metrics?offset=5',
    );
  });

  it('groupings are canonical, whatever order they were given in', () => {
    assert.equal(canonicalGrouping(['conversation', 'agent', 'skill', 'agentGroup']), 'skill,agentGroup,agent,conversation');
    assert.equal(canonicalGrouping('agent, skill'), 'skill,agent');
  });
});

describe('OAuth 1.0a signatures', () => {
  const rfc = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' };
  const photos = new URL('http://photos.example.net/photos?file=vacation.jpg&size=original');

  it('reproduces RFC 5849 section 1.2 (no oauth_version) and OAuth Core 1.0 appendix A (with it)', () => {
    assert.equal(oauth1Signature('GET', photos, rfc, { timestamp: 137131202, nonce: 'chapoH', omitVersion: true }), 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    assert.equal(
      oauth1BaseString('GET', photos, rfc, { timestamp: 1191242096, nonce: 'kllo9940pd9333jh' }),
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    assert.equal(oauth1Signature('GET', photos, rfc, { timestamp: 1191242096, nonce: 'kllo9940pd9333jh' }), 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });

  it('the header carries the signature percent-encoded, and a comma list is signed double-encoded', () => {
    const header = oauth1Header('GET', photos, rfc, { timestamp: 137131202, nonce: 'chapoH', omitVersion: true, realm: 'Photos' });
    assert.match(header, /^OAuth realm="Photos", /);
    assert.match(header, /oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"/);
    assert.equal(parseOAuthHeader(header)!.oauth_signature, 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    const url = new URL('https://x.example/api?metrics=handleTime%2CworkTime&source=a+b');
    const base = oauth1BaseString('GET', url, rfc, { timestamp: 1, nonce: 'n' });
    assert.match(base, /metrics%3DhandleTime%252CworkTime/);
    assert.match(base, /source%3Da%2520b/, 'a + in a query is a space, signed as %20');
  });

  it('every request gets a fresh nonce; a bearer token is sent as is', () => {
    const keys = { consumerKey: 'k', consumerSecret: 's', token: 't', tokenSecret: 'ts' };
    const a = parseOAuthHeader(livepersonAuthorization(keys, 'GET', photos))!;
    const b = parseOAuthHeader(livepersonAuthorization(keys, 'GET', photos))!;
    assert.notEqual(a.oauth_nonce, b.oauth_nonce);
    assert.equal(a.oauth_signature_method, 'HMAC-SHA1');
    assert.equal(a.oauth_version, '1.0');
    assert.ok(Math.abs(Number(a.oauth_timestamp) - Date.now() / 1000) < 5);
    assert.equal(livepersonAuthorization({ bearerToken: 'tok' }, 'GET', photos), 'Bearer tok');
  });
});

const rec = (extra: Record<string, unknown>) => ({
  timeframe: { from: '2026-11-18T13:15:00Z', fromL: 1795094100000, to: '2026-11-18T13:30:00Z', toL: 1795095000000 },
  metrics: { handleTime: 240, handledConversations: '20' },
  ...extra,
});

const page = (
  intervals: unknown[],
  paging: Record<string, unknown> = {},
  query: Record<string, unknown> | null = { intervalDuration: 15, grouping: 'agent,skill', handleTimeModel: 'IFT' },
) => ({
  metadata: { paging, ...(query ? { query } : {}), count: intervals.length },
  intervals,
});

function parseRecords(body: unknown): Record<string, unknown>[] {
  const env = stream.responseSchema.parse(body);
  return stream.records(env).map((r) => stream.recordSchema.parse(r) as Record<string, unknown>);
}

describe('records and keys', () => {
  it('ids as numbers or strings give one key and one stored record', () => {
    const [a, b] = parseRecords(page([rec({ skillId: 456, agentId: 123, skillName: 'Sales' }), rec({ skillId: '456', agentId: '123', skillName: 'Sales' })]));
    assert.deepEqual(stream.key(a!), stream.key(b!));
    assert.deepEqual(a, b);
    assert.equal(a!.skillId, '456');
    assert.deepEqual((a!.metrics as Record<string, unknown>).handledConversations, 20, 'numeric strings in metrics become numbers');
    assert.deepEqual(stream.key(a!), {
      grouping: 'skill,agent',
      fromL: '1795094100000',
      skillId: '456',
      agentGroupId: '',
      agentId: '123',
      conversationId: '',
      intervalDuration: '15',
      handleTimeModel: 'IFT',
    });
    assert.deepEqual(Object.keys(stream.key(a!)), [...INTERVAL_METRICS_KEY]);
    assert.deepEqual(stream.primaryKey, INTERVAL_METRICS_KEY);
  });

  it('keeps unknown fields; records the query it answers as _query', () => {
    const [r] = parseRecords(page([rec({ skillId: 1, brandNew: { x: 1 } })], {}, { intervalDuration: 60, grouping: ['skill'], handleTimeModel: 'EHT' }));
    assert.deepEqual(r!.brandNew, { x: 1 });
    assert.deepEqual(r!._query, { grouping: 'skill', intervalDuration: 60, handleTimeModel: 'EHT' });
  });

  it('without metadata.query: the duration from the timeframe, the grouping from the ids; fromL from `from`', () => {
    const body = page([{ timeframe: { from: '2026-11-18T13:15:00Z', to: '2026-11-18T14:15:00Z' }, agentId: 7, metrics: {} }], {}, null);
    const [r] = parseRecords(body);
    const key = stream.key(r!);
    assert.equal(key.fromL, String(ms('2026-11-18T13:15:00Z')));
    assert.equal(key.grouping, 'agent');
    assert.equal(key.handleTimeModel, '');
    assert.equal(key.intervalDuration, '60');
  });

  it('a record whose id changed type names the field', () => {
    const env = stream.responseSchema.parse(page([rec({ skillId: { a: 1 } })]));
    const parsed = stream.recordSchema.safeParse(stream.records(env)[0]);
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error.issues[0]!.path, ['skillId']);
  });
});

describe('paging', () => {
  const first = stream.pagination.first(50);

  it('follows nextPageKey, even from an empty page, and prefers it to refs.next', () => {
    const empty = page([], { nextPageKey: 'k2' });
    assert.deepEqual(stream.pagination.next(first, { body: stream.responseSchema.parse(empty), headers: {}, recordCount: 0 }), { pageSize: 50, pageKey: 'k2' });
    const both = page([], { nextPageKey: 'k3', refs: { next: '/x?offset=1' } });
    assert.deepEqual(stream.pagination.next(first, { body: both, headers: {}, recordCount: 0 }), { pageSize: 50, pageKey: 'k3' });
  });

  it('follows refs.next, even from an empty page, and stops when neither is present', () => {
    const refs = page([], { limit: 50, offset: 0, refs: { current: '/c', next: '/n?offset=50' } });
    assert.deepEqual(stream.pagination.next(first, { body: refs, headers: {}, recordCount: 0 }), { pageSize: 50, url: '/n?offset=50' });
    for (const last of [page([rec({})], { refs: { current: '/c' } }), page([rec({})]), { intervals: [] }, page([], { nextPageKey: null, refs: null })]) {
      assert.equal(stream.pagination.next(first, { body: stream.responseSchema.parse(last), headers: {}, recordCount: 1 }), null);
    }
    assert.equal(stream.records(stream.responseSchema.parse({ metadata: { count: 0 } })).length, 0, 'a page may leave intervals out');
  });
});

describe('status meanings', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({ status, headers, text: JSON.stringify(body), ms: 1 });
  const processing = {
    intervals: [
      { from: '2023-02-07T13:15:00Z', fromL: 1675775700000, to: '2023-02-07T13:30:00Z', toL: 1675776600000, status: 'Done' },
      { from: '2023-02-07T13:30:00Z', fromL: 1675776600000, to: '2023-02-07T13:45:00Z', toL: 1675777500000, status: 'In Progress' },
    ],
  };

  it('202 is a benign, retried wait that says which intervals are not done', () => {
    const err = errorForStatus(liveperson, answer(202, processing), 'lp.example', 1)!;
    assert.equal(err.type, 'VendorStillProcessing');
    assert.match(
      err.message,
      /LivePerson is still processing data for this window \(202\); waiting for it: 1 of 2 intervals not done yet: 2023-02-07T13:30:00Z → 2023-02-07T13:45:00Z In Progress/,
    );
    assert.deepEqual(err.details, { vendor: processing });
    const failure = toApplicationFailure(err, 1);
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.category, ApplicationFailureCategory.BENIGN);
    assert.ok(Number(failure.nextRetryDelay) >= 5000);
    assert.equal(errorForStatus(liveperson, answer(202, processing), 'lp.example', 3)!.retryAfterMs, 15_000, 'the pause grows');
    assert.match(
      describeProcessing({ intervals: new Array(9).fill({ fromL: 0, toL: 1, status: 'In Progress' }) })!,
      /9 of 9 intervals not done yet: .*, \.\.\.$/,
    );
  });

  it("500 and 503 pause at least 5, 10, 15 s, then keep backing off; 502 gets the engine's backoff", () => {
    for (const status of [500, 503]) {
      const pauses = [1, 2, 3, 4, 5, 9].map((attempt) => errorForStatus(liveperson, answer(status, {}), 'lp.example', attempt)!.retryAfterMs);
      assert.deepEqual(pauses, [5_000, 10_000, 15_000, 30_000, 60_000, 300_000]);
      assert.equal(errorForStatus(liveperson, answer(status, {}), 'lp.example', 1)!.type, 'VendorUnavailable');
    }
    assert.equal(livepersonRetryPause(502, 1), undefined);
  });

  it('429 waits for Retry-After, at least a second', () => {
    assert.equal(errorForStatus(liveperson, answer(429, {}, { 'retry-after': '3' }), 'lp.example', 1)!.retryAfterMs, 3000);
    const plain = errorForStatus(liveperson, answer(429, {}), 'lp.example', 1)!;
    assert.equal(plain.type, 'VendorRateLimited');
    assert.equal(plain.retryAfterMs, 1000);
  });

  it("400 and 401 fail at once with LivePerson's message", () => {
    const e400 = errorForStatus(liveperson, answer(400, { code: 400, message: "'from' must be within the past two weeks" }), 'lp.example', 1)!;
    assert.equal(e400.type, 'VendorRejected');
    assert.match(e400.message, /LivePerson rejected the request with 400 \(the request is invalid\): 'from' must be within the past two weeks/);
    assert.equal(toApplicationFailure(e400, 1).nonRetryable, true);
    const e401 = errorForStatus(liveperson, answer(401, { error: { message: 'invalid OAuth signature' } }), 'lp.example', 1)!;
    assert.match(e401.message, /401 \(the credentials were not accepted\): invalid OAuth signature/);
    assert.equal(livepersonErrorMessage(400, { errors: ['a', { message: 'b' }] }), 'a; b');
    assert.equal(livepersonErrorMessage(400, { reason: 'r', details: ['d1'] }), 'r; d1');
    assert.equal(livepersonErrorMessage(400, 'not an object'), undefined);
  });
});

describe('domain discovery', () => {
  beforeEach(() => clearDomainCache());
  const s = (extra: Record<string, unknown> = {}) =>
    livepersonSettings.parse({
      accountId: '17434331',
      domainLookupUrl: 'https://api.liveperson.net/api/account/{accountId}/service/agentActivityDomain/baseURI.json?version=1.0',
      ...extra,
    });

  it("looks the domain up once per account, with the lookup's scheme, and caches it", async () => {
    const asked: string[] = [];
    const lookup = async (url: string) => {
      asked.push(url);
      await new Promise((r) => setTimeout(r, 20));
      return { service: 'agentActivityDomain', account: '17434331', baseURI: 'va.agentactivity.liveperson.net' };
    };
    const results = await Promise.all([liveperson.baseUrl(s(), lookup), liveperson.baseUrl(s(), lookup), liveperson.baseUrl(s(), lookup)]);
    assert.deepEqual(results, new Array(3).fill('https://va.agentactivity.liveperson.net'));
    assert.equal(await liveperson.baseUrl(s(), lookup), 'https://va.agentactivity.liveperson.net');
    assert.deepEqual(asked, ['https://api.liveperson.net/api/account/17434331/service/agentActivityDomain/baseURI.json?version=1.0']);
    await liveperson.baseUrl(s({ accountId: '999' }), lookup);
    assert.equal(asked.length, 2, 'another account is another lookup');
    const local = await liveperson.baseUrl(
      s({ accountId: '5', domainLookupUrl: 'http://127.0.0.1:4020/api/account/{accountId}/service/agentActivityDomain/baseURI.json' }),
      () => Promise.resolve({ baseURI: '127.0.0.1:4020' }),
    );
    assert.equal(local, 'http://127.0.0.1:4020');
  });

  it('an explicit baseUrl needs no lookup; a bad answer is refused and not cached', async () => {
    assert.equal(await liveperson.baseUrl(s({ baseUrl: 'https://x.example/' }), () => assert.fail('no lookup')), 'https://x.example');
    await assert.rejects(
      Promise.resolve(liveperson.baseUrl(s(), () => Promise.resolve({ service: 'agentActivityDomain' }))),
      (err: unknown) => err instanceof CcsyncError && err.type === 'VendorRejected' && /without a baseURI/.test(err.message),
    );
    await assert.rejects(
      Promise.resolve(liveperson.baseUrl(s(), () => Promise.resolve({ service: 'msgHist', baseURI: 'x' }))),
      /answered for service "msgHist"/,
    );
    assert.equal(await liveperson.baseUrl(s(), () => Promise.resolve({ baseURI: 'ok.example' })), 'https://ok.example');
  });
});

describe('the page activity against the simulator (no Temporal)', () => {
  let sim: LivePersonSimulator;
  let rt: Runtime;
  const now = Date.now();
  const dayStart = Math.floor(now / DAY) * DAY - 2 * DAY;
  const win = { start: new Date(dayStart).toISOString(), end: new Date(dayStart + DAY).toISOString() };

  before(async () => {
    clearDomainCache();
    sim = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 0, emptyPages: 1 }));
    await sim.start();
    const file = writeConnectionsFile(
      `  - name: lp-oauth
    source: liveperson
    settings:
      accountId: "${DEMO_LIVEPERSON.accountId}"
      domainLookupUrl: ${sim.domainLookupUrl}
      grouping: [skill, agent]
      pageSize: 40
    credentials:
      consumerKey: \${K}
      consumerSecret: \${S}
      token: \${T}
      tokenSecret: \${TS}
`,
      { prefix: 'lp-unit-' },
    );
    const dir = dirname(file);
    const env = { K: DEMO_LIVEPERSON.consumerKey, S: DEMO_LIVEPERSON.consumerSecret, T: DEMO_LIVEPERSON.token, TS: DEMO_LIVEPERSON.tokenSecret };
    rt = createRuntime({ connections: new ConnectionsStore(file, env), destination: openDestination(`sqlite:${join(dir, 'db.sqlite')}`) });
  });
  after(async () => {
    await closeRuntime(rt);
    await sim.stop();
  });

  async function walk(): Promise<{ pages: number; records: number; cursors: (Cursor | null)[] }> {
    let cursor: Cursor | null = null;
    let pages = 0;
    let records = 0;
    const cursors: (Cursor | null)[] = [];
    do {
      const r = await syncPage(rt, { connection: 'lp-oauth', stream: 'interval_metrics', ...win, cursor }, 1);
      cursors.push(cursor);
      pages++;
      records += r.records;
      cursor = r.next;
    } while (cursor && pages < 200);
    return { pages, records, cursors };
  }

  const truth = () =>
    sim.groundTruth({
      fromMs: dayStart,
      toMs: dayStart + DAY,
      intervalDuration: 15,
      grouping: ['skill', 'agent'],
      metrics: ['handleTime', 'handledConversations', 'repliedConversations', 'workTime'],
      handleTimeModel: 'IFT',
    });

  async function assertStoredTruth() {
    const rows = await readAll(rt.destination, { name: 'liveperson_interval_metrics', keyColumns: INTERVAL_METRICS_KEY }, 'lp-oauth');
    const expected = truth();
    assert.equal(rows.length, expected.length);
    const byKey = new Map(rows.map((r) => [`${r.key.fromL}|${r.key.skillId}|${r.key.agentId}`, r]));
    for (const t of expected) {
      const row = byKey.get(`${t.timeframe.fromL}|${t.skillId}|${t.agentId}`);
      assert.ok(row, `row for ${t.timeframe.from} ${t.skillId} ${t.agentId}`);
      assert.deepEqual(row.record, { ...normalise(t), _query: { grouping: 'skill,agent', intervalDuration: 15, handleTimeModel: 'IFT' } });
      assert.equal(row.key.grouping, 'skill,agent');
    }
  }

  it('discovers the domain, signs with OAuth, and pages through empty pages to exactly the truth', async () => {
    const { pages, records } = await walk();
    const expected = truth();
    assert.equal(records, expected.length);
    assert.equal(pages, Math.ceil(expected.length / 40) * 2, 'every empty page was requested too');
    await assertStoredTruth();
    const log = sim.requests();
    assert.equal(log.filter((e) => e.endpoint === 'domain-lookup').length, 1, 'one lookup, then the cache');
    assert.ok(log.filter((e) => e.endpoint === 'interval-metrics').every((e) => e.auth === 'oauth' && e.status === 200));
    assert.equal(sim.ruleBreakingRequests().total, 0);
  });

  it('pages by refs.next just as well, re-adding the parameters the links drop', async () => {
    sim.setPaging('refs');
    sim.resetLog();
    const { pages, records, cursors } = await walk();
    assert.equal(records, truth().length);
    assert.ok(cursors.slice(1).every((c) => typeof c?.url === 'string'));
    assert.equal(pages, Math.ceil(records / 40) + 1, 'data pages and the trailing empty one');
    assert.ok(sim.requests().every((e) => e.status === 200 && e.query.grouping === 'skill,agent'));
    await assertStoredTruth();
    sim.setPaging('pageKey');
  });

  it('a window older than 14 days is refused before any request', async () => {
    sim.resetLog();
    const old = { start: new Date(dayStart - 15 * DAY).toISOString(), end: new Date(dayStart - 14 * DAY).toISOString() };
    await assert.rejects(syncPage(rt, { connection: 'lp-oauth', stream: 'interval_metrics', ...old, cursor: null }, 1), /serves only the last P14D/);
    await assert.rejects(
      syncPage(
        rt,
        { connection: 'lp-oauth', stream: 'interval_metrics', start: win.start, end: new Date(dayStart + DAY + 15 * MIN).toISOString(), cursor: null },
        1,
      ),
      /at most P1D/,
    );
    assert.equal(sim.requests().length, 0);
  });
});

/** A record as we store it: ids as strings. */
export function normalise(r: IntervalMetricsRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const k of ['skillId', 'agentGroupId', 'agentId', 'conversationId'] as const) if (r[k] !== undefined) out[k] = String(r[k]);
  return out;
}
