/**
 * The page activity's steps on their own, against a tiny real HTTP server: the discovery lookup
 * maps statuses like every other call.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VendorHttp } from '../../activities/http/client';
import { lookupJson } from '../../activities/http/lookup';
import { RateLimiter } from '../../activities/http/rate-limit';
import { type FetchRuntime, SecretRegistry } from '../../activities/runtime';
import type { ConnectionsStore } from '../../activities/connections';
import { CcsyncError } from '../../core/errors';
import { liveperson } from '../../sources/liveperson';

let server: Server;
let base = '';
const rt: FetchRuntime = { connections: {} as ConnectionsStore, http: new VendorHttp(), limiter: new RateLimiter(), secrets: new SecretRegistry() };

before(async () => {
  server = createServer((req, res) => {
    const status = Number(req.url!.slice(1).split('?')[0]);
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '7' } : {}) });
    res.end(status < 300 ? JSON.stringify({ baseURI: 'va.example' }) : JSON.stringify({ message: 'no' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await rt.http.close();
  await new Promise((r) => server.close(r));
});

const lookup = (status: number) => lookupJson(rt, liveperson, 'lp', `${base}/${status}`, 5_000);
const failsWith = (type: string, test?: (e: CcsyncError) => boolean) => (e: unknown) => e instanceof CcsyncError && e.type === type && (test?.(e) ?? true);

describe('the discovery lookup', () => {
  it('reads a 2xx answer as JSON', async () => {
    assert.deepEqual(await lookup(200), { baseURI: 'va.example' });
    assert.deepEqual(await lookup(203), { baseURI: 'va.example' });
  });
  it('maps statuses as every other call does: 429 with its Retry-After, 202 still processing, 5xx unavailable, 4xx rejected', async () => {
    await assert.rejects(
      lookup(429),
      failsWith('VendorRateLimited', (e) => e.retryAfterMs === 7_000 && /LivePerson's lookup at 127\.0\.0\.1/.test(e.message)),
    );
    await assert.rejects(lookup(202), failsWith('VendorStillProcessing'));
    await assert.rejects(lookup(503), failsWith('VendorUnavailable'));
    await assert.rejects(
      lookup(404),
      failsWith('VendorRejected', (e) => /404 \(the account or endpoint was not found/.test(e.message)),
    );
  });
});
