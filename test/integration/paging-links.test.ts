/**
 * Paging that never ends or ends early, end to end on the real Temporal dev server, real
 * simulators over HTTP and real SQLite:
 *  - a LivePerson endpoint that ignores `offset` hands back the same `refs.next` link: the window
 *    fails with MalformedResponse instead of paging forever;
 *  - an absolute `refs.next` link on another host: followed when the host is the vendor's own
 *    domain, refused (credentials never sent there) otherwise;
 *  - CCAI Platform teams and user statuses come in a different order on every request unless
 *    sorted: asked for sorted by id, paging them never marks a live row deleted.
 * Run: npm test -- paging-links
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { SourceRegistry } from '../../core/connections';
import { SOURCES } from '../../sources';
import { liveperson } from '../../sources/liveperson';
import { DEFAULT_METRICS } from '../../sources/liveperson/connection';
import { INTERVAL_METRICS_KEY } from '../../sources/liveperson/streams';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import { DEMO_LIVEPERSON, LivePersonSimulator, demoLivePersonOptions } from '../../simulators/liveperson';
import { startStack, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const LP_TABLE = { name: 'liveperson_interval_metrics', keyColumns: INTERVAL_METRICS_KEY };
/** Yesterday, midnight to midnight: one LivePerson window, well within 14 days. */
const DAY_FROM = Math.floor(Date.now() / DAY) * DAY - DAY;

const lpRefs = new LivePersonSimulator(demoLivePersonOptions({ processingAgeMs: 0, paging: 'refs' }));
const ccaip = new CcaipSimulator(demoCcaipOptions({ unsortedOrder: 'unstable' }));

/**
 * The product's LivePerson source, and the same source under another name whose own domains also
 * take in `localhost` (so that a link to a second local host plays the part of another
 * liveperson.net host: the link-following code under test is the product's).
 */
const registry: SourceRegistry = {
  ...SOURCES,
  lplocal: { ...liveperson, name: 'lplocal', ownDomains: ['liveperson.net', 'localhost'] },
};

const lp = (name: string, source: string) => `  - name: ${name}
    source: ${source}
    settings: { accountId: "${DEMO_LIVEPERSON.accountId}", baseUrl: "${lpRefs.url}", grouping: [skill], pageSize: 25 }
    credentials: { bearerToken: "\${TEST_LP_BEARER}" }
    streams: [interval_metrics]
`;

let stack: Stack;
let ledger: WriteLedger;

async function failureOf(p: Promise<unknown>, ms: number): Promise<{ type?: string; message: string }> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no outcome within ${ms} ms: still paging?`)), ms).unref());
  try {
    await Promise.race([p, timeout]);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause as { type?: string; message: string };
    return { type: cause.type, message: cause.message };
  }
  assert.fail('the workflow was expected to fail');
}

before(async () => {
  await lpRefs.start();
  await ccaip.start();
  const yaml =
    lp('lp-plain', 'liveperson') +
    lp('lp-local', 'lplocal') +
    `  - name: cc-snap
    source: ccaip
    settings: { baseUrl: "${ccaip.apiUrl}", pageSize: 2 }
    credentials: { username: acme-demo, password: "\${TEST_CCAIP_TOKEN}" }
    streams: [teams, user_statuses]
`;
  stack = await startStack({
    destination: 'sqlite',
    extraConnectionsYaml: yaml,
    extraEnv: { TEST_LP_BEARER: DEMO_LIVEPERSON.bearerToken, TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken },
    extraSecrets: [DEMO_LIVEPERSON.bearerToken, DEMO_CCAIP.apiToken],
    sources: registry,
  });
  ledger = await installWriteLedger(stack.destinationUrl, stack.destination, [LP_TABLE]);
});
after(async () => {
  await ledger?.close();
  await stack?.close();
  await lpRefs.stop();
  await ccaip.stop();
});

describe('LivePerson refs.next', () => {
  it('a link that repeats (the endpoint ignores offset) fails the window with MalformedResponse, not a loop', async () => {
    lpRefs.setRefs({ ignoreOffset: true });
    const logStart = lpRefs.requests().length;
    const handle = await stack.start('backfill', { connection: 'lp-plain', from: iso(DAY_FROM), to: iso(DAY_FROM + DAY) });
    try {
      const f = await failureOf(handle.result(), 60_000);
      assert.equal(f.type, 'MalformedResponse');
      assert.match(f.message, /same next-page link it was given \(\/api\/account\/\S+\/interval-metrics\?offset=25&limit=25\)/);
      const sent = lpRefs.requests().slice(logStart);
      assert.ok(sent.length <= 10, `stopped after ${sent.length} requests`);
      assert.deepEqual(await stack.destination.completedIntervals('lp-plain', 'interval_metrics'), [], 'nothing recorded complete');
    } finally {
      // A backfill still paging (the guard broken) must not reach into the next test.
      await handle.terminate('test over').catch(() => undefined);
      lpRefs.setRefs({});
    }
  });

  it("an absolute link on another host is followed when the host is the vendor's own, and refused otherwise", async () => {
    // The simulator's links name localhost; the connections' baseUrl is 127.0.0.1.
    lpRefs.setRefs({ origin: lpRefs.url.replace('127.0.0.1', 'localhost') });
    const logStart = lpRefs.requests().length;
    try {
      const refused = await failureOf(
        (await stack.start('backfill', { connection: 'lp-plain', from: iso(DAY_FROM), to: iso(DAY_FROM + DAY), force: true })).result(),
        60_000,
      );
      assert.equal(refused.type, 'VendorRejected');
      assert.match(
        refused.message,
        /pointed the next page at http:\/\/localhost:\d+, not http:\/\/127\.0\.0\.1:\d+ or a host of liveperson\.net; refusing to send credentials there/,
      );
      // The first page was asked for; the link to the other host never was (refused before sending, not retried).
      assert.equal(lpRefs.requests().slice(logStart).length, 1, 'no request followed the link');

      const followedStart = lpRefs.requests().length;
      const ok = (await (await stack.start('backfill', { connection: 'lp-local', from: iso(DAY_FROM), to: iso(DAY_FROM + DAY) })).result()) as {
        windows: { failed: number; done: number };
      };
      assert.deepEqual([ok.windows.failed, ok.windows.done], [0, 1]);
      const truth = lpRefs.groundTruth({
        fromMs: DAY_FROM,
        toMs: DAY_FROM + DAY,
        intervalDuration: 15,
        grouping: ['skill'],
        metrics: DEFAULT_METRICS,
        handleTimeModel: 'IFT',
        includeBotSkills: false,
      });
      assert.ok(truth.length > 50, `several pages of records (${truth.length})`);
      const rows = await stack.destination.readAll(LP_TABLE, 'lp-local');
      assert.equal(rows.length, truth.length, 'every record, through the links on the other host');
      const writes = await ledger.counts(LP_TABLE.name, 'lp-local');
      assert.deepEqual([writes.inserted, writes.updated], [truth.length, 0]);
      assert.ok(
        lpRefs
          .requests()
          .slice(followedStart)
          .filter((e) => e.page === 'refs').length >= 2,
        'the refs links were followed',
      );
    } finally {
      lpRefs.setRefs({});
    }
  });
});

describe('CCAI Platform snapshots in an unstable order', () => {
  it('teams and user statuses are asked for sorted by id, so paging never marks a live row deleted', async () => {
    const tables = { teams: { name: 'ccaip_teams', keyColumns: ['id'] }, user_statuses: { name: 'ccaip_user_statuses', keyColumns: ['id'] } };
    const truth = { teams: ccaip.data.teams(), user_statuses: ccaip.data.userStatuses() };
    const logStart = ccaip.requests().length;
    // Two runs: the second one's finishSnapshot would mark deleted whatever its pages missed.
    for (let run = 0; run < 2; run++) {
      const r = (await (await stack.start('incrementalSync', { connection: 'cc-snap' })).result()) as { windows: { failed: number } };
      assert.equal(r.windows.failed, 0);
    }
    for (const name of ['teams', 'user_statuses'] as const) {
      assert.ok(truth[name].length > 4, `${name}: more than two pages of 2 (${truth[name].length})`);
      const rows = await stack.destination.readAll(tables[name], 'cc-snap');
      const live = rows.filter((r) => r.deletedAt === null).map((r) => Number(r.key.id));
      assert.deepEqual(
        live.sort((a, b) => a - b),
        truth[name].map((t) => Number(t.id)).sort((a, b) => a - b),
        `${name}: every row live, none marked deleted`,
      );
    }
    const sent = ccaip.requests().slice(logStart);
    assert.ok(
      sent.every((e) => e.query.sort_column === 'id' && e.query.sort_direction === 'ASC'),
      'every list asked for sorted by id',
    );
  });
});
