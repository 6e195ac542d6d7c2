/**
 * A new stream is one declaration. `queuemetrics` is a hypothetical Kore.ai endpoint (not in the
 * vendor's docs): declared below in 18 lines, registered next to the real streams, and walked by the
 * engine's own request building and decoding (`fetchPage`) against a tiny real HTTP server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ConnectionsStore } from '../../activities/connections';
import { VendorHttp } from '../../activities/http/client';
import { RateLimiter } from '../../activities/http/rate-limit';
import { type FetchRuntime, SecretRegistry } from '../../activities/runtime';
import { fetchPage } from '../../activities/sync-page';
import { CcsyncError } from '../../core/errors';
import { type Cursor, skipLimit } from '../../core/pagination';
import { defineStream } from '../../core/source';
import { DAY, HOUR, toIso } from '../../core/time';
import { SOURCES } from '../../sources';
import { kore } from '../../sources/kore';
import type { KoreSettings } from '../../sources/kore/connection';
import { analyticsPath } from '../../sources/kore/streams';

// --- the declaration: everything a fourth Kore.ai stream needs ------------------------------------
const queuemetrics = defineStream<KoreSettings>('kore', {
  name: 'queuemetrics',
  kind: 'windowed',
  description: 'Answered and abandoned contacts per queue and day',
  primaryKey: ['queueId', 'date'],
  recordSchema: z.looseObject({ queueId: z.string(), date: z.string(), answered: z.number() }),
  responseSchema: z.looseObject({ data: z.array(z.unknown()), hasMore: z.boolean() }),
  records: (body) => body.data,
  recordsPath: 'data',
  pagination: skipLimit({ hasMore: (body) => (body as { hasMore: boolean }).hasMore, place: 'body' }),
  pageSize: { default: 2, max: 100 },
  window: { maxSize: 7 * DAY, defaultSize: DAY, alignment: DAY, defaultLag: HOUR, defaultLookback: DAY },
  request: ({ settings, window }) => ({
    method: 'POST',
    path: analyticsPath(settings, 'queuemetrics'),
    body: { orgId: settings.orgId, fromTimeStamp: toIso(window.start), toTimeStamp: toIso(window.end) },
  }),
});
// ---------------------------------------------------------------------------------------------------

const REGISTRY = { ...SOURCES, kore: { ...kore, streams: { ...kore.streams, queuemetrics } } };
const QUEUES = ['qu-1', 'qu-2', 'qu-3', 'qu-4', 'qu-5'];

let server: Server;
let dir = '';
let rt: FetchRuntime;
const seen: { url: string; auth?: string; body: Record<string, unknown> }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { skip: number; limit: number; fromTimeStamp: string };
      seen.push({ url: req.url!, auth: req.headers.auth as string | undefined, body });
      const data = QUEUES.slice(body.skip, body.skip + body.limit).map((queueId, i) => ({
        queueId,
        date: body.fromTimeStamp.slice(0, 10),
        answered: body.skip + i,
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data, hasMore: body.skip + body.limit < QUEUES.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'fourth-stream-'));
  const file = join(dir, 'connections.yaml');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    file,
    `connections:\n  - name: k\n    source: kore\n    settings: { baseUrl: ${base}, accountId: acc, orgId: o-1, iId: st-1 }\n    credentials: { token: \${K_TOKEN} }\n    streams: [queuemetrics]\n`,
  );
  rt = {
    connections: new ConnectionsStore(file, { K_TOKEN: 'jwt-for-the-test' }, REGISTRY),
    http: new VendorHttp(),
    limiter: new RateLimiter(),
    secrets: new SecretRegistry(),
  };
});
after(async () => {
  await rt.http.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('a fourth stream from one declaration', () => {
  it('derives its table and key from the declaration', () => {
    assert.equal(queuemetrics.table, 'kore_queuemetrics');
    assert.deepEqual(queuemetrics.key({ queueId: 'qu-1', date: '2026-11-20', answered: 3 }), { queueId: 'qu-1', date: '2026-11-20' });
  });

  it('is paged, authenticated, decoded and keyed by the engine', async () => {
    const rows: Record<string, unknown>[] = [];
    const cursors: (Cursor | null)[] = [];
    let cursor: Cursor | null = null;
    do {
      cursors.push(cursor);
      const page = await fetchPage(rt, { connection: 'k', stream: 'queuemetrics', start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z', cursor }, 1);
      assert.equal(page.table.name, 'kore_queuemetrics');
      rows.push(...page.rows.map((r) => ({ ...r.key, answered: (r.record as { answered: number }).answered })));
      cursor = page.next;
    } while (cursor && cursors.length < 10);
    assert.deepEqual(cursors, [null, { skip: 2, limit: 2 }, { skip: 4, limit: 2 }]);
    assert.deepEqual(
      rows.map((r) => r.queueId),
      QUEUES,
    );
    assert.deepEqual(rows[4], { queueId: 'qu-5', date: '2026-11-20', answered: 4 });
    // The pagination put skip/limit in the body, after the stream's own fields; the source added its auth.
    assert.equal(seen[0]!.url, '/agentassist/api/public/analytics/account/acc/queuemetrics');
    assert.deepEqual(
      seen.map((s) => Object.keys(s.body)),
      Array(3).fill(['orgId', 'fromTimeStamp', 'toTimeStamp', 'skip', 'limit']),
    );
    assert.deepEqual(
      seen.map((s) => s.body.skip),
      [0, 2, 4],
    );
    assert.ok(seen.every((s) => s.auth === 'jwt-for-the-test'));
  });

  it('takes no options it does not declare', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `connections:\n  - name: k\n    source: kore\n    settings: { baseUrl: http://x.example, accountId: a, orgId: o, iId: i }\n    credentials: { token: t }\n    streams: [{ name: queuemetrics, options: { queue: qu-1 } }]\n`,
    );
    assert.throws(
      () => new ConnectionsStore(file, {}, REGISTRY).all(),
      (e: unknown) => e instanceof CcsyncError && /streams\[0\]\.options: unknown option "queue"/.test(e.message),
    );
  });
});
