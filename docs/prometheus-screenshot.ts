/**
 * Regenerates docs/prometheus-records-written.png: a real run (Temporal dev server, the Kore.ai
 * simulator, the worker process with CCSYNC_METRICS_ADDRESS, Debian's Prometheus scraping it with
 * the rules loaded), then Prometheus's own web UI graphing ccsync_records_written_total, captured
 * with headless Chromium (Debian's `chromium`, driven by playwright-core).
 *
 *   TEMPORAL_CLI_PATH=... npx tsx docs/prometheus-screenshot.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort } from '../dev/dev-server';
import { DEMO_KORE, demoKoreOptions, KoreSimulator } from '../simulators/kore';
import { startPrometheus } from '../test/helpers/prometheus';
import { testTemporal, uniqueTaskQueue } from '../test/helpers/temporal';
import { WorkerProcess } from '../test/helpers/worker-process';
import { koreConnection, writeConnectionsFile } from '../test/helpers/connections-file';
import { launchChromium } from './browser';

const OUT = resolve(__dirname, 'prometheus-records-written.png');

async function main(): Promise<void> {
  const temporal = await testTemporal();
  const kore = new KoreSimulator(demoKoreOptions());
  const koreUrl = await kore.start(0);
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-shot-'));
  const file = writeConnectionsFile(
    koreConnection({
      name: 'kore-demo',
      baseUrl: koreUrl,
      settings: { pageSize: 100 },
      credentials: { token: DEMO_KORE.staticToken },
      streams: ['callvolume', 'calldetails'],
      extra: '    schedule: { every: 15m }',
    }),
    { dir },
  );
  const metricsAddress = `127.0.0.1:${await findFreePort()}`;
  const taskQueue = uniqueTaskQueue('shot');
  const worker = new WorkerProcess({
    TEMPORAL_ADDRESS: temporal.address,
    CCSYNC_TASK_QUEUE: taskQueue,
    CCSYNC_CONNECTIONS: file,
    CCSYNC_DESTINATION: `sqlite:${join(dir, 'ccsync.db')}`,
    CCSYNC_METRICS_ADDRESS: metricsAddress,
  });
  await worker.start(180_000);
  const prometheus = await startPrometheus({ targets: [metricsAddress], ruleFiles: [resolve(__dirname, '../deploy/prometheus/alerts.yml')] });
  try {
    // Two streams, a month of call volume and a week of call details, with a few vendor faults: a graph that rises.
    kore.setFaults({ serverErrorRate: 0.05, rateLimitRate: 0.02 });
    const runs = [
      temporal.client.workflow.start('backfill', {
        taskQueue,
        workflowId: `shot-cv-${Date.now()}`,
        args: [{ connection: 'kore-demo', streams: ['callvolume'], from: '2026-10-01T00:00:00Z', to: '2026-10-21T00:00:00Z', maxParallelWindows: 2 }],
      }),
      temporal.client.workflow.start('backfill', {
        taskQueue,
        workflowId: `shot-cd-${Date.now()}`,
        args: [{ connection: 'kore-demo', streams: ['calldetails'], from: '2026-10-01T00:00:00Z', to: '2026-10-08T00:00:00Z', maxParallelWindows: 2 }],
      }),
    ];
    for (const r of runs) await (await r).result();
    await new Promise((r) => setTimeout(r, 5000));
    const expr = 'sum by (connection, stream, outcome) (ccsync_records_written_total)';
    const url = `${prometheus.url}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.stacked=0&g0.show_exemplars=0&g0.range_input=5m`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url, { waitUntil: 'networkidle' });
      await page.waitForSelector('canvas, .graph-legend, svg', { timeout: 30_000 }).catch(() => undefined);
      await page.waitForTimeout(3000);
      await page.screenshot({ path: OUT, fullPage: false });
      console.log(`wrote ${OUT} (${url})`);
    } finally {
      await browser.close();
    }
  } finally {
    await worker.stop();
    await prometheus.stop();
    await kore.stop();
    await temporal.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
