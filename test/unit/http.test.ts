import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VendorHttp } from '../../activities/http/client';
import { RateLimiter } from '../../activities/http/rate-limit';
import { errorForStatus, retryAfterMs } from '../../activities/http/status';
import { CcsyncError } from '../../core/errors';
import { kore } from '../../sources/kore';

describe('rate limiter', () => {
  it('admits at most `limit` requests in any window, in order', async () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const rule = { key: 'acct', limit: 3, perMs: 1000 };
    for (let i = 0; i < 3; i++) await limiter.acquire(rule);
    assert.equal(limiter.delayFor(rule), 1000);
    now = 400;
    assert.equal(limiter.delayFor(rule), 600);
    now = 1000;
    assert.equal(limiter.delayFor(rule), 0);
  });
  it('really waits with the real clock', async () => {
    const limiter = new RateLimiter();
    const rule = { key: 'k', limit: 2, perMs: 300 };
    const started = Date.now();
    await Promise.all([0, 1, 2, 3].map(() => limiter.acquire(rule)));
    assert.ok(Date.now() - started >= 290, 'the third and fourth request waited for the window');
  });
});

describe('status meanings', () => {
  const answer = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => ({ status, headers, text: JSON.stringify(body), ms: 1 });
  it('maps statuses to the taxonomy with the vendor message', () => {
    assert.equal(errorForStatus(kore, answer(200), 'h', 1), undefined);
    const e401 = errorForStatus(kore, answer(401, { errors: [{ msg: 'Invalid token', code: 401 }] }), 'h', 1)!;
    assert.equal(e401.type, 'VendorRejected');
    assert.match(e401.message, /401.*Invalid token/);
    assert.equal(errorForStatus(kore, answer(503), 'h', 1)!.type, 'VendorUnavailable');
    assert.equal(errorForStatus(kore, answer(202), 'h', 1)!.type, 'VendorStillProcessing');
    const e429 = errorForStatus(kore, answer(429, {}, { 'retry-after': '3' }), 'h', 1)!;
    assert.equal(e429.type, 'VendorRateLimited');
    assert.equal(e429.retryAfterMs, 3000);
    assert.equal(errorForStatus(kore, answer(302, {}, { location: 'https://login.example/x?token=abc' }), 'h', 1)!.message.includes('token=abc'), false);
  });
  it('reads Retry-After as seconds or a date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString())! > 3000, true);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});

describe('vendor HTTP client', () => {
  let url = '';
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return; // never answers
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, auth: req.headers.auth }));
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  it('sends JSON with the auth headers and reads the answer', async () => {
    const http = new VendorHttp();
    const spec = { method: 'POST' as const, path: '/x', body: { a: 1 } };
    const a = await http.send('c', VendorHttp.url(url, spec), spec, { auth: 'tok' }, { timeoutMs: 2000 });
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.text), { method: 'POST', auth: 'tok' });
    await http.close();
  });
  it('turns a silent server into VendorUnavailable naming only the host', async () => {
    const http = new VendorHttp();
    const spec = { method: 'GET' as const, path: '/hang', query: { token: 'supersecret' } };
    await assert.rejects(http.send('c', VendorHttp.url(url, spec), spec, {}, { timeoutMs: 300 }), (err: CcsyncError) => {
      assert.equal(err.type, 'VendorUnavailable');
      assert.match(err.message, /did not answer within/);
      assert.doesNotMatch(err.message, /supersecret/);
      return true;
    });
    await http.close();
  });
  it('turns a refused connection into VendorUnavailable', async () => {
    const http = new VendorHttp();
    const spec = { method: 'GET' as const, path: '/' };
    await assert.rejects(
      http.send('c', VendorHttp.url('http://127.0.0.1:1', spec), spec, {}, { timeoutMs: 1000 }),
      (err: CcsyncError) => err.type === 'VendorUnavailable' && /could not be reached/.test(err.message),
    );
    await http.close();
  });
});
