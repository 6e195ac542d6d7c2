/**
 * Operating ccsync, all real: the worker process (`workers/main.ts`, metrics on
 * CCSYNC_METRICS_ADDRESS, JSON logs), a real Prometheus server (Debian's package) scraping it with
 * deploy/prometheus/alerts.yml loaded, the Kore.ai simulator, a SQLite destination and the real
 * `ccsync status` command. What Prometheus reads through its HTTP API must equal the simulator's
 * ground truth and the sync state.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { findFreePort } from '../../dev/dev-server';
import { openDestination, type Destination } from '../../destinations';
import { callVolumeGroundTruth, DEMO_KORE, demoKoreOptions, KoreSimulator } from '../../simulators/kore';
import { ccsync } from '../helpers/cli';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { WorkerProcess } from '../helpers/worker-process';
import { readAll } from '../helpers/destination-access';
import { koreConnection, writeConnectionsFile } from '../helpers/connections-file';

const CONN = 'kore-obs';
const FRESH = 'kore-fresh';
const FROM = '2026-10-01T00:00:00Z';
const TO = '2026-10-04T00:00:00Z';
const RULES = resolve(__dirname, '../../deploy/prometheus/alerts.yml');
const TABLE = { name: 'kore_callvolume', keyColumns: ['_id'] };

describe('metrics, freshness, alerts, status and logs on a real Prometheus', () => {
  let temporal: TestTemporal;
  let kore: KoreSimulator;
  let worker: WorkerProcess;
  let prometheus: PrometheusServer;
  let destination: Destination;
  let metricsAddress: string;
  let env: Record<string, string>;
  let taskQueue: string;
  const secrets = [DEMO_KORE.clientSecret];

  before(async () => {
    temporal = await testTemporal();
    kore = new KoreSimulator(demoKoreOptions());
    const koreUrl = await kore.start(0);
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-obs-'));
    const connection = (name: string, extra: string) =>
      koreConnection({
        name,
        baseUrl: koreUrl,
        settings: { pageSize: 100 },
        credentials: { clientId: '${OBS_KORE_CLIENT_ID}', clientSecret: '${OBS_KORE_CLIENT_SECRET}' },
        extra,
      });
    const connectionsFile = writeConnectionsFile(
      [
        connection(CONN, '    schedule: { every: 15m }'),
        connection(FRESH, `    start: ${new Date(Date.now() - 3 * 3600_000).toISOString()}\n    schedule: { every: 15m }`),
      ],
      { dir },
    );
    const destinationUrl = `sqlite:${join(dir, 'ccsync.db')}`;
    taskQueue = uniqueTaskQueue('obs');
    metricsAddress = `127.0.0.1:${await findFreePort()}`;
    env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      CCSYNC_TASK_QUEUE: taskQueue,
      CCSYNC_CONNECTIONS: connectionsFile,
      CCSYNC_DESTINATION: destinationUrl,
      OBS_KORE_CLIENT_ID: DEMO_KORE.clientId,
      OBS_KORE_CLIENT_SECRET: DEMO_KORE.clientSecret,
    };
    worker = new WorkerProcess({ ...env, CCSYNC_METRICS_ADDRESS: metricsAddress, CCSYNC_LOG_FORMAT: 'json' });
    await worker.start(180_000);
    prometheus = await startPrometheus({ targets: [metricsAddress], ruleFiles: [RULES] });
    destination = openDestination(destinationUrl);
  });

  after(async () => {
    await worker?.stop();
    await prometheus?.stop();
    await destination?.close();
    await kore?.stop();
    await temporal?.close();
  });

  it('Prometheus reads records written, pages, windows, vendor statuses and the freshness gauge equal to the ground truth and the sync state', async () => {
    // One 429 and one 503 on the way: retried, and counted by status.
    kore.failNext({ status: 429, retryAfter: 1 }, { status: 503 });
    const handle = await temporal.client.workflow.start('backfill', {
      taskQueue,
      workflowId: `obs-${randomBytes(4).toString('hex')}`,
      args: [{ connection: CONN, streams: ['callvolume'], from: FROM, to: TO, windowSize: 'P1D' }],
    });
    await handle.result();

    const truth = callVolumeGroundTruth(kore.data, Date.parse(FROM), Date.parse(TO));
    const rows = await readAll(destination, TABLE, CONN);
    assert.equal(rows.length, truth.length, 'the destination holds the ground truth');
    const state = await destination.completedIntervals(CONN, 'callvolume');
    assert.deepEqual(state, [{ start: Date.parse(FROM), end: Date.parse(TO) }]);

    const scalar = (expr: string, expected: number) =>
      prometheus.waitFor(expr, (r) => (r.length === 1 && Number(r[0]!.value[1]) === expected ? Number(r[0]!.value[1]) : undefined), 90_000);
    assert.equal(await scalar(`sum(ccsync_records_written_total{connection="${CONN}",stream="callvolume",outcome="inserted"})`, truth.length), truth.length);
    assert.equal(await scalar(`sum(ccsync_records_written_total{connection="${CONN}",outcome=~"updated|unchanged"})`, 0), 0);
    // 4 queues × 96 intervals a day, pages of 100: 4 pages a day.
    assert.equal(await scalar(`sum(ccsync_pages_total{connection="${CONN}"})`, 3 * 4), 12);
    assert.equal(await scalar(`sum(ccsync_windows_total{connection="${CONN}",outcome="completed"})`, 3), 3);
    assert.equal(await scalar(`sum(ccsync_windows_total{connection="${CONN}",outcome="failed"})`, 0), 0);
    const until = Date.parse(TO) / 1000;
    assert.equal(
      await scalar(`ccsync_stream_complete_until_seconds{connection="${CONN}",stream="callvolume"}`, until),
      until,
      'the freshness gauge is the sync state',
    );

    // Vendor answers by status: exactly the simulator's request log.
    const byStatus = new Map<string, number>();
    for (const r of kore.requests()) byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
    assert.equal(byStatus.get('429'), 1);
    assert.equal(byStatus.get('503'), 1);
    for (const [status, n] of byStatus)
      assert.equal(await scalar(`sum(ccsync_vendor_responses_total{connection="${CONN}",status="${status}"})`, n), n, `status ${status}`);
    assert.equal(await scalar(`sum(ccsync_vendor_request_duration_seconds_count{connection="${CONN}"})`, kore.requests().length), kore.requests().length);
    assert.equal(await scalar(`sum(ccsync_rate_limit_wait_seconds_count{connection="${CONN}"})`, kore.requests().length), kore.requests().length);

    // The SDK's own worker metrics come through the same port.
    const pollers = await prometheus.waitFor(`sum(temporal_num_pollers{job="ccsync-worker",task_queue="${taskQueue}"})`, (r) =>
      r.length && Number(r[0]!.value[1]) > 0 ? Number(r[0]!.value[1]) : undefined,
    );
    assert.ok(pollers > 0);

    // The rules, loaded in the real server: October data is stale today, on purpose.
    const behind = await prometheus.waitFor(`ccsync:stream_behind_intervals{connection="${CONN}",stream="callvolume"}`, (r) =>
      r.length === 1 ? Number(r[0]!.value[1]) : undefined,
    );
    assert.ok(behind > 2 * 24 * 4, `weeks behind: ${behind} intervals`);
    const alerts = await prometheus.waitFor(`ALERTS{alertname="CcsyncStreamStale",connection="${CONN}"}`, (r) => (r.length ? r : undefined));
    assert.ok(['pending', 'firing'].includes(alerts[0]!.metric.alertstate!));
  });

  it('label values are bounded and never secret: names from the file, fixed outcomes, status codes', async () => {
    const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    for (const s of secrets) assert.ok(!text.includes(s), 'no secret in the scrape');
    const allowed: Record<string, (v: string) => boolean> = {
      connection: (v) => [CONN, FRESH].includes(v),
      stream: (v) => v === 'callvolume',
      outcome: (v) => ['inserted', 'updated', 'unchanged', 'completed', 'failed', 'cancelled'].includes(v),
      status: (v) => /^[1-5]\d\d$/.test(v) || v === 'network_error',
      le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
      namespace: (v) => v === temporal.namespace,
      taskQueue: (v) => v === taskQueue,
      workflowType: (v) => ['syncWindow', 'backfill', 'incrementalSync'].includes(v),
      service_name: (v) => v === 'temporal-core-sdk',
    };
    let series = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('ccsync_')) continue;
      series++;
      const labels = /\{(.*)\}/.exec(line)?.[1] ?? '';
      for (const m of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        const [, key, value] = m as unknown as [string, string, string];
        assert.ok(allowed[key], `unexpected label ${key} in ${line}`);
        assert.ok(allowed[key](value), `label ${key}="${value}" is not a bounded value (${line})`);
        assert.doesNotMatch(value, /\d{4}-\d\d-\d\dT/, 'no timestamps in labels');
      }
    }
    assert.ok(series > 20, `ccsync series scraped: ${series}`);
  });

  it('ccsync status: complete until, behind, exit 1 on the stale stream; exit 0 on a fresh one; a failed window with its cause', async () => {
    const stale = await ccsync(['status', '--json', '-c', CONN], env);
    assert.equal(stale.code, 1, stale.stdout + stale.stderr);
    const out = JSON.parse(stale.stdout) as {
      streams: { completeUntil: string; behindIntervals: number; verdict: string; gaps: unknown[] }[];
      healthy: boolean;
    };
    assert.equal(out.streams[0]!.completeUntil, new Date(TO).toISOString(), 'complete until the sync state');
    assert.ok(out.streams[0]!.behindIntervals > 2);
    assert.equal(out.streams[0]!.verdict, 'behind');
    assert.deepEqual(out.streams[0]!.gaps, []);
    assert.equal(out.healthy, false);
    // A year of allowance: healthy.
    assert.equal((await ccsync(['status', '-c', CONN, '--max-behind', 'P365D', '--no-temporal'], env)).code, 0);

    // The fresh connection, brought up to now by one incremental run.
    const sync = await temporal.client.workflow.start('incrementalSync', {
      taskQueue,
      workflowId: `obs-inc-${randomBytes(4).toString('hex')}`,
      args: [{ connection: FRESH }],
    });
    await sync.result();
    const fresh = await ccsync(['status', '-c', FRESH], env);
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, /✓ callvolume: complete until \S+, (on time|\S+ behind) \(0(\.\d+)? × PT15M\)/);

    // A window that fails (the vendor rejects the credentials): its cause in plain words.
    kore.failNext({ status: 401 });
    const failing = await temporal.client.workflow.start('backfill', {
      taskQueue,
      workflowId: `obs-fail-${randomBytes(4).toString('hex')}`,
      args: [{ connection: CONN, from: '2026-09-01T00:00:00Z', to: '2026-09-02T00:00:00Z' }],
    });
    await assert.rejects(failing.result());
    let failure: { cause: string; workflowId: string } | null = null;
    for (let i = 0; i < 30 && !failure; i++) {
      const r = await ccsync(['status', '--json', '-c', CONN], env);
      failure = (JSON.parse(r.stdout) as { streams: { lastFailure: { cause: string; workflowId: string } | null }[] }).streams[0]!.lastFailure;
      if (!failure) await new Promise((res) => setTimeout(res, 1000));
    }
    assert.ok(failure, 'the failed window is found through visibility');
    assert.equal(failure.workflowId, `${CONN}/callvolume/2026-09-01T00:00:00.000Z`);
    assert.match(failure.cause, /Kore\.ai rejected the request with 401 \(the credentials were not accepted\)/);
    // And Prometheus counts it.
    await prometheus.waitFor(
      `sum(ccsync_windows_total{connection="${CONN}",outcome="failed"})`,
      (r) => (r.length && Number(r[0]!.value[1]) === 1 ? true : undefined),
      90_000,
    );
  });

  it('ccsync status never creates a missing database, and says so', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'ccsync-none-')), 'sub', 'none.db');
    const r = await ccsync(['status', '--no-temporal', '-c', CONN], { ...env, CCSYNC_DESTINATION: `sqlite:${missing}` });
    assert.equal(r.code, 1, 'nothing synced there: unhealthy');
    assert.match(r.stdout, /does not exist yet: nothing has been synced there/);
    assert.ok(!existsSync(missing) && !existsSync(join(missing, '..')), 'neither the file nor its folder was created');
  });

  it('logs: one JSON line per event, connection, stream, window and page on every line of a page, no secret', () => {
    const lines = worker
      .logs()
      .split('\n')
      .filter((l) => l.trim());
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
    const pages = parsed.filter((l) => l.msg === 'page synced');
    assert.ok(pages.length >= 12, `page lines: ${pages.length}`);
    for (const p of pages) {
      assert.equal(typeof p.connection, 'string');
      assert.equal(p.stream, 'callvolume');
      assert.match(String(p.window), /^\d{4}-\d\d-\d\dT[\d:.]+Z\/\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      assert.ok(Number.isInteger(p.page) && (p.page as number) >= 1);
    }
    // The SDK's own lines of a page activity (its failure on the injected 503) carry them too.
    const sdkActivity = parsed.filter((l) => l.sdkComponent === 'activity' && l.activityType === 'syncPage');
    assert.ok(sdkActivity.length > 0, 'the SDK logged activity lines through our logger');
    for (const l of sdkActivity) for (const k of ['connection', 'stream', 'window', 'page']) assert.ok(k in l, `${k} in ${JSON.stringify(l)}`);
    const sdkWorkflow = parsed.filter((l) => l.sdkComponent === 'workflow' && l.workflowType === 'syncWindow');
    for (const l of sdkWorkflow) for (const k of ['connection', 'stream', 'window']) assert.ok(k in l, `${k} in ${JSON.stringify(l)}`);
    for (const s of secrets) assert.ok(!worker.logs().includes(s), 'no secret in the worker logs');
  });
});
