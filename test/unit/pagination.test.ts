import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayFollow } from '../../activities/page/request';
import { cursorPaging, describeCursor, followLink, linkTarget, offsetLimit, pagePer, singlePage, skipLimit, timeTail } from '../../core/pagination';

const page = (recordCount: number, body: unknown = {}, headers: Record<string, string> = {}) => ({ recordCount, body, headers });

describe('pagination styles', () => {
  it('skip/limit follows hasMore and stops on an empty page even if hasMore lies', () => {
    const p = skipLimit({ hasMore: (b) => (b as { hasMore: boolean }).hasMore });
    const c = p.first(100);
    assert.deepEqual(p.next(c, page(100, { hasMore: true })), { skip: 100, limit: 100 });
    assert.equal(p.next(c, page(40, { hasMore: false })), null);
    assert.equal(p.next(c, page(0, { hasMore: true })), null);
  });
  it('offset/limit stops on a short page', () => {
    const p = offsetLimit();
    assert.deepEqual(p.next({ offset: 200, limit: 100 }, page(100)), { offset: 300, limit: 100 });
    assert.equal(p.next({ offset: 200, limit: 100 }, page(99)), null);
  });
  it('page/per follows Link, and stops by Total or a short page when the link is missing', () => {
    const p = pagePer();
    assert.deepEqual(
      p.next({ page: 1, per: 100 }, page(100, {}, { link: '<https://x/calls?page=2>; rel="next", <https://x/calls?page=9>; rel="last"', total: '900' })),
      { page: 2, per: 100 },
    );
    assert.equal(p.next({ page: 9, per: 100 }, page(100, {}, { link: '<https://x/calls?page=1>; rel="first"', total: '900' })), null);
    assert.equal(p.next({ page: 3, per: 100 }, page(100, {}, { total: '300' })), null, 'page*per >= Total');
    assert.deepEqual(p.next({ page: 2, per: 100 }, page(100, {}, { total: '300' })), { page: 3, per: 100 });
    assert.equal(p.next({ page: 2, per: 100 }, page(37, {}, {})), null, 'short page');
  });
  it('cursor paging continues through empty pages while a key is given', () => {
    const p = cursorPaging({
      nextKey: (b) => (b as { metadata?: { paging?: { nextPageKey?: string } } }).metadata?.paging?.nextPageKey,
      nextUrl: (b) => (b as { metadata?: { paging?: { refs?: { next?: string } } } }).metadata?.paging?.refs?.next,
    });
    assert.deepEqual(p.next({ pageSize: 500 }, page(0, { metadata: { paging: { nextPageKey: 'k2' } } })), { pageSize: 500, pageKey: 'k2' });
    assert.deepEqual(p.next({ pageSize: 500 }, page(3, { metadata: { paging: { refs: { next: 'https://d/x?offset=3' } } } })), {
      pageSize: 500,
      url: 'https://d/x?offset=3',
    });
    assert.equal(p.next({ pageSize: 500, pageKey: 'k2' }, page(0, { metadata: { paging: {} } })), null);
  });
  it('reads rel="next" among several relations', () => {
    assert.equal(linkTarget('<a>; rel="prev", <b>; rel="next"', 'next'), 'b');
    assert.equal(linkTarget('<a>; rel="prev"', 'next'), undefined);
  });
  it('labels cursors for the UI without page sizes', () => {
    assert.equal(describeCursor(null), 'first page');
    assert.equal(describeCursor({ skip: 200, limit: 100 }), 'skip=200');
    assert.equal(describeCursor({ page: 3, per: 100 }), 'page=3');
    assert.equal(describeCursor({ pageSize: 5, url: 'https://x' }), 'next link');
  });
});

describe('cursor paging guard', () => {
  it('refuses a next-page key equal to the one it was given', () => {
    const p = cursorPaging({ nextKey: (b) => (b as { k?: string }).k });
    assert.throws(() => p.next({ pageSize: 5, pageKey: 'same' }, { recordCount: 0, body: { k: 'same' }, headers: {} }), /same next-page key/);
  });
  it('refuses a next-page link equal to the one it was followed on (an endpoint ignoring offset), as MalformedResponse', () => {
    const p = cursorPaging({ nextUrl: (b) => (b as { next?: string }).next });
    const link = '/api/account/1/interval-metrics?v=1&source=x&limit=100&offset=100&fromL=1&toL=2';
    const second = p.next({ pageSize: 100 }, page(100, { next: link }));
    assert.deepEqual(second, { pageSize: 100, url: link }, 'the first link is followed');
    assert.throws(
      () => p.next(second, page(100, { next: link })),
      (err: Error & { type?: string }) =>
        err.type === 'MalformedResponse' && /same next-page link it was given \(\/api\/account\/1\/interval-metrics\?offset=100&limit=100\)/.test(err.message),
    );
    // A link that moves on is followed.
    assert.deepEqual(p.next(second, page(100, { next: link.replace('offset=100', 'offset=200') })), {
      pageSize: 100,
      url: link.replace('offset=100', 'offset=200'),
    });
  });
});

describe('offset/limit options', () => {
  it('with hasMore, the flag decides rather than a short page; an empty page still ends the walk', () => {
    const p = offsetLimit({ hasMore: (b) => (b as { hasMore: boolean }).hasMore });
    assert.deepEqual(p.next({ offset: 0, limit: 50 }, page(3, { hasMore: true })), { offset: 3, limit: 50 }, 'a short page with hasMore goes on');
    assert.equal(p.next({ offset: 0, limit: 50 }, page(50, { hasMore: false })), null, 'a full page without hasMore ends');
    assert.equal(p.next({ offset: 0, limit: 50 }, page(0, { hasMore: true })), null);
  });
  it('with count, the offset advances by what the vendor counts (agents), not by the records (their segments)', () => {
    const p = offsetLimit({ hasMore: (b) => (b as { hasMore: boolean }).hasMore, count: (b) => (b as { agents: unknown[] }).agents.length });
    assert.deepEqual(p.next({ offset: 0, limit: 2 }, page(17, { hasMore: true, agents: [1, 2] })), { offset: 2, limit: 2 });
    assert.deepEqual(p.next({ offset: 2, limit: 2 }, page(0, { hasMore: true, agents: [3, 4] })), { offset: 4, limit: 2 }, 'a page of agents without records');
    const short = offsetLimit({ count: (b) => (b as { agents: unknown[] }).agents.length });
    assert.equal(short.next({ offset: 0, limit: 2 }, page(9, { agents: [1] })), null, 'without hasMore, a short page by the count ends it');
    assert.deepEqual(offsetLimit().next({ offset: 0, limit: 2 }, page(2)), { offset: 2, limit: 2 }, 'no options: as before');
  });
});

describe('each style places its own parameters', () => {
  const get = { method: 'GET' as const, path: '/api/list', query: { from: 'a', sort: 'id' } };
  it("skip/limit in the body, after the vendor's fields; offset/limit in the query", () => {
    const body = skipLimit({ hasMore: () => true, place: 'body' }).apply({ method: 'POST', path: '/x', body: { orgId: 'o' } }, { skip: 200, limit: 100 });
    assert.deepEqual(body, { method: 'POST', path: '/x', body: { orgId: 'o', skip: 200, limit: 100 } });
    assert.deepEqual(Object.keys(body.body as object), ['orgId', 'skip', 'limit']);
    assert.deepEqual(offsetLimit().apply(get, { offset: 300, limit: 100 }).query, { from: 'a', sort: 'id', limit: 100, offset: 300 });
  });
  it('page/per in the query; a single page adds nothing', () => {
    assert.deepEqual(pagePer().apply(get, { page: 3, per: 50, seen: '1..9' }).query, { from: 'a', sort: 'id', page: 3, per: 50 });
    assert.deepEqual(singlePage().apply(get, {}), get);
  });
  it("a time tail moves its [from] to the cursor's time, in place", () => {
    const tail = timeTail({ records: () => [], time: () => undefined, field: 'updated_at' });
    const req = { method: 'GET' as const, path: '/calls', query: { 'updated_at[from]': 'W', 'updated_at[to]': 'E' } };
    assert.deepEqual(tail.apply(req, { page: 1, per: 5 }).query, { 'updated_at[from]': 'W', 'updated_at[to]': 'E', page: 1, per: 5 });
    const moved = tail.apply(req, { since: '2026-11-20T10:15:00.123Z', page: 2, per: 5 }).query!;
    assert.deepEqual(Object.entries(moved), [
      ['updated_at[from]', '2026-11-20T10:15:00.123Z'],
      ['updated_at[to]', 'E'],
      ['page', 2],
      ['per', 5],
    ]);
  });
  it('a key goes in the query with the page size; a next link replaces the path and gets only what it lacks', () => {
    const p = cursorPaging({ nextKey: () => undefined, pageKeyParam: 'key', linkEquivalents: { from: ['from', 'fromL'] } });
    assert.deepEqual(p.apply(get, { pageSize: 5, pageKey: 'k' }).query, { from: 'a', sort: 'id', pageSize: 5, key: 'k' });
    assert.deepEqual(p.apply(get, { pageSize: 5, url: '/api/list?fromL=1&pageSize=5' }), {
      method: 'GET',
      path: '/api/list?fromL=1&pageSize=5',
      query: { sort: 'id' },
    });
    assert.equal(p.apply(get, { pageSize: 5, url: 'list?offset=5' }).path, '/api/list?offset=5', 'relative to the request path');
    assert.equal(followLink('https://h/y', get).path, 'https://h/y');
  });
});

describe('where a next-page link may take the credentials', () => {
  const lp = { ownDomains: ['liveperson.net'] };
  const base = new URL('https://va.agentactivity.liveperson.net');
  const may = (source: { ownDomains?: string[] }, url: string, b = base) => mayFollow(source, new URL(url), b);
  it("the API's own origin, always", () => {
    assert.ok(may({}, 'https://va.agentactivity.liveperson.net/api/account/1/interval-metrics?offset=100'));
    assert.ok(may({}, 'http://127.0.0.1:4020/x', new URL('http://127.0.0.1:4020')));
  });
  it("another host of the vendor's own domain, over https", () => {
    assert.ok(may(lp, 'https://lo.agentactivity.liveperson.net/api/account/1/interval-metrics?offset=100'));
    assert.ok(may(lp, 'https://LIVEPERSON.NET./x'));
    assert.ok(!may({}, 'https://lo.agentactivity.liveperson.net/x'), 'a source without own domains: its origin only');
  });
  it('nowhere else: look-alike domains, other vendors, a downgrade to http', () => {
    assert.ok(!may(lp, 'https://liveperson.net.evil.example/x'));
    assert.ok(!may(lp, 'https://evilliveperson.net/x'));
    assert.ok(!may(lp, 'https://api.example.com/x'));
    assert.ok(!may(lp, 'http://lo.agentactivity.liveperson.net/x'), 'https base, http link');
  });
});
