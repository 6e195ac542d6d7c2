/**
 * A backfill started from the cluster's Web UI completes: a scripted check, and the README's
 * screenshot (docs/cluster-ui-backfill.png). All real: the self-hosted cluster (dev/cluster.ts, free
 * ports, private databases dropped afterwards) with its standalone Web UI, the Kore.ai simulator, a
 * ccsync worker process, and Debian's Chromium driven by playwright-core filling the UI's own
 * "Start a Workflow" form (workflow id, task queue `ccsync`, type `backfill`, the JSON input) and
 * pressing "Start Workflow". Then the backfill's result is awaited through the client, the rows are
 * compared with the simulator's ground truth, and the workflow's page is captured once it shows
 * Completed (docs/cluster-ui-backfill.json records the run). Exit code 1 when any of it fails.
 *
 *   npx tsx docs/cluster-ui-backfill.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findFreeLowPort, startTemporalCluster, uniqueClusterName } from '../dev/cluster';
import { openDestination } from '../destinations';
import { callVolumeGroundTruth, DEMO_KORE, demoKoreOptions, KoreSimulator } from '../simulators/kore';
import { WorkerProcess } from '../test/helpers/worker-process';
import { TEMPORAL_UI_VERSION } from '../dev/temporal-server';
import { launchChromium } from './browser';

const OUT = resolve(__dirname, 'cluster-ui-backfill.png');
const RESULT = resolve(__dirname, 'cluster-ui-backfill.json');
const FROM = '2026-11-01T00:00:00Z';
const TO = '2026-11-04T00:00:00Z';

async function main(): Promise<void> {
  const name = uniqueClusterName('ccsync_cluster_ui');
  const uiPort = await findFreeLowPort();
  const cluster = await startTemporalCluster({
    ports: 'free',
    uiPort,
    dbName: name,
    visibilityDbName: `${name}_vis`,
    logDir: mkdtempSync(join(tmpdir(), 'ccsync-ui-logs-')),
    dropDatabasesOnStop: true,
  });
  const kore = new KoreSimulator(demoKoreOptions());
  const koreUrl = await kore.start(0);
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-ui-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    `connections:
  - name: kore-demo
    source: kore
    settings: { baseUrl: ${koreUrl}, accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId} }
    credentials: { clientId: "\${UI_KORE_ID}", clientSecret: "\${UI_KORE_SECRET}" }
    streams: [callvolume]
`,
  );
  const destinationUrl = `sqlite:${join(dir, 'ccsync.db')}`;
  const worker = new WorkerProcess({
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    CCSYNC_TASK_QUEUE: 'ccsync',
    CCSYNC_CONNECTIONS: file,
    CCSYNC_DESTINATION: destinationUrl,
    UI_KORE_ID: DEMO_KORE.clientId,
    UI_KORE_SECRET: DEMO_KORE.clientSecret,
  });
  const connection = await Connection.connect({ address: cluster.address });
  const browser = await launchChromium();
  try {
    await worker.start(180_000);
    const client = new Client({ connection, namespace: cluster.namespace });
    const workflowId = `ui-backfill-${Date.now().toString(36)}`;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // What the UI said to its server, for the failure message: a refused start names its cause here.
    const apiLog: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/') && r.request().method() !== 'GET') apiLog.push(`${r.request().method()} ${new URL(r.url()).pathname} -> ${r.status()}`);
    });
    page.on('requestfailed', (r) => apiLog.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
    page.on('console', (m) => {
      if (m.type() === 'error') apiLog.push(`console: ${m.text()}`);
    });
    // The UI's own form, as a person fills it in.
    await page.goto(`${cluster.uiUrl!}/namespaces/${cluster.namespace}/workflows/start-workflow`, { waitUntil: 'networkidle' });
    await page.fill('#workflowId', workflowId);
    await page.fill('#taskQueue', 'ccsync');
    await page.fill('#workflowType', 'backfill');
    await page.click('.cm-content');
    await page.keyboard.insertText(JSON.stringify({ connection: 'kore-demo', streams: ['callvolume'], from: FROM, to: TO }));
    // Leave the editor before pressing the button: on blur the UI pretty-prints the JSON, the editor
    // grows and the button moves down. Clicking the button while the editor still had the focus
    // blurred it on mousedown, the mouseup landed where the button no longer was, and no click (no
    // start request at all) happened: the failure this script first met.
    await page.click('h1[data-testid="start-workflow"]');
    await page.waitForTimeout(500);
    await page.click('[data-testid="start-workflow-button"]');
    const started = Date.now();
    // The UI started it: the workflow exists, with the type and queue typed into the form.
    const handle = client.workflow.getHandle(workflowId);
    let described;
    for (let i = 0; ; i++) {
      described = await handle.describe().catch(() => undefined);
      if (described) break;
      if (i > 100) {
        const shot = join(tmpdir(), 'ccsync-ui-not-started.png');
        await page.screenshot({ path: shot, fullPage: true });
        throw new Error(`the Web UI did not start ${workflowId} (the page as it was: ${shot}; requests: ${apiLog.join('; ') || 'none'})`);
      }
      await page.waitForTimeout(300);
    }
    assert.equal(described.type, 'backfill');
    assert.equal(described.taskQueue, 'ccsync');
    const result = (await handle.result()) as { windows: { total: number; done: number; failed: number } };
    assert.equal(result.windows.failed, 0);
    assert.equal(result.windows.done, result.windows.total);
    const destination = openDestination(destinationUrl);
    const rows = await destination.readAll({ name: 'kore_callvolume', keyColumns: ['_id'] }, 'kore-demo');
    await destination.close();
    const truth = callVolumeGroundTruth(kore.data, Date.parse(FROM), Date.parse(TO));
    assert.equal(rows.length, truth.length, 'every record of the range, no more');
    // Field by field (the destination hands a record back with its keys in its own order).
    const stored = new Map(rows.map((r) => [r.key._id, r.record]));
    for (const t of truth) assert.deepStrictEqual(stored.get(t._id), t, `record ${t._id}`);
    // The workflow's page in the UI, once it says Completed.
    await page.goto(`${cluster.uiUrl!}/namespaces/${cluster.namespace}/workflows/${workflowId}`, { waitUntil: 'networkidle' });
    await page.getByText('Completed').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: OUT });
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    // The recorded proof next to the screenshot (what the README may cite).
    writeFileSync(
      RESULT,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          ui: TEMPORAL_UI_VERSION,
          workflowId,
          startedFrom: 'Web UI start-workflow form',
          windows: result.windows,
          records: rows.length,
          equalToGroundTruth: true,
          seconds,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(
      `${workflowId} started from the Web UI completed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.windows.done} windows, ${rows.length} records equal to the ground truth; wrote ${OUT}`,
    );
  } finally {
    await browser.close();
    await worker.stop();
    await connection.close();
    await kore.stop();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
