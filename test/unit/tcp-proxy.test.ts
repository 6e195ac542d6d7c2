import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createServer as createHttp } from 'node:http';
import { TcpProxy } from '../helpers/tcp-proxy';

describe('test TCP proxy', () => {
  const http = createHttp((_req, res) => res.end('ok'));
  let target = 0;
  before(async () => {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    target = (http.address() as AddressInfo).port;
  });
  after(() => {
    http.closeAllConnections();
    http.close();
  });

  it('passes traffic, adds latency, refuses while down and serves again on the same port', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: target });
    const port = await proxy.start();
    const get = () => request(`http://127.0.0.1:${port}/`, { reset: true }).then((r) => r.body.text());
    assert.equal(await get(), 'ok');
    proxy.setLatency(150);
    const t0 = Date.now();
    assert.equal(await get(), 'ok');
    assert.ok(Date.now() - t0 >= 140, 'latency applied');
    await proxy.goDown();
    await assert.rejects(get(), (err: { code?: string }) => err.code === 'ECONNREFUSED');
    await proxy.comeBack();
    assert.equal(proxy.port, port);
    assert.equal(await get(), 'ok');
    await proxy.stop();
  });

  it('cuts open connections when it goes down', async () => {
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const proxy = new TcpProxy({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
    const port = await proxy.start();
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await proxy.goDown();
    await closed;
    echo.close();
  });
});
