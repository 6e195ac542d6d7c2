/**
 * Deploy while running, on the self-hosted cluster with Worker Versioning: three workers of
 * build A (deployment `ccsync`, CCSYNC_BUILD_ID=build-a) run backfills of all three sources; in
 * the middle, three workers of build B start, B becomes the deployment's current version, and the
 * A workers are stopped one by one (SIGTERM: they drain). Build B carries a deliberately
 * incompatible workflow change (a new timer at the top of `syncWindow`) guarded with `patched()`.
 *
 * Shown: the backfills finish on build B (their last workflow tasks were completed by B), windows
 * started after the switch took the new path (their histories hold the patch marker), windows
 * started on A replayed on B without a nondeterminism error, every table equals the ground truth
 * with each key inserted once. And, as the replay test predicts: build A's histories replay on the
 * guarded code, and are rejected by the same change without the guard.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WorkerProcess } from '../helpers/worker-process';
import { allDone, DAY, SOURCES, sleep, startWorld, waitFor, type ClusterWorld, type Range, type Source } from './harness';
import { PATCH_ID } from './variant/workflows-guarded';

const TODAY = Math.floor(Date.now() / DAY) * DAY;
const RANGES: Record<Source, Range> = {
  kore: { from: Date.parse('2026-09-01T00:00:00Z'), to: Date.parse('2026-09-07T00:00:00Z') },
  liveperson: { from: TODAY - 13 * DAY, to: TODAY - 8 * DAY },
  ccaip: { from: TODAY - 16 * DAY, to: TODAY - 12 * DAY },
};
const DEPLOYMENT = 'ccsync';

interface HistoryEvent {
  eventType?: string | number;
  workflowTaskCompletedEventAttributes?: { deploymentVersion?: { buildId?: string }; identity?: string };
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: unknown }[] }> };
}

async function setCurrent(world: ClusterWorld, buildId: string): Promise<void> {
  // The version exists once one of its workers has polled: retry until the server knows it.
  await waitFor(
    `build ${buildId} to become current`,
    async () => {
      try {
        await world.client.connection.workflowService.setWorkerDeploymentCurrentVersion({
          namespace: world.cluster.namespace,
          deploymentName: DEPLOYMENT,
          buildId,
          identity: 'rolling-deploy-test',
        });
        return true;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
}

describe('rolling deploy with Worker Versioning on the cluster', { timeout: 20 * 60_000 }, () => {
  let world: ClusterWorld;
  const buildB: WorkerProcess[] = [];
  const report: Record<string, unknown> = {};

  before(async () => {
    world = await startWorld({
      workers: 3,
      vendorLatencyMs: 300,
      tags: ['roll'],
      workerEnv: { CCSYNC_DEPLOYMENT_NAME: DEPLOYMENT, CCSYNC_BUILD_ID: 'build-a' },
    });
    await setCurrent(world, 'build-a');
    // Build B's workers come up first, as a deploy brings up the new build before switching to it:
    // polling but not current, they get no task until the switch (each bundles its workflow code for
    // 20 to 60 s on a loaded machine, longer than a short backfill lasts).
    const envB = { ...world.workerEnv, CCSYNC_BUILD_ID: 'build-b' };
    for (let i = 0; i < 3; i++) buildB.push(new WorkerProcess(envB, 'test/cluster/variant/worker-b.ts'));
    await Promise.all(buildB.map((w) => w.start(180_000)));
  });
  after(async () => {
    await Promise.all(buildB.map((w) => w.stop()));
    if (report.recordsChecked)
      writeFileSync(join(__dirname, 'last-deploy.json'), `${JSON.stringify({ recordedAt: new Date().toISOString(), ...report }, null, 2)}\n`);
    await world?.close();
  });

  it('every worker is replaced by build B mid-backfill; the backfills finish on B with nothing lost', async () => {
    const started = Date.now();
    const handles = await world.startBackfills(RANGES, 'roll');
    await waitFor('page activities in flight on build A', async () => ((await world.inFlight()).length >= 2 ? true : undefined));
    await sleep(2000);

    // Build B (same environment but the build id, and the guarded workflow change) becomes current.
    const runningAtSwitch = (await Promise.all(SOURCES.map(async (s) => ((await handles[s].describe()).status.name === 'RUNNING' ? s : undefined)))).filter(
      Boolean,
    );
    await setCurrent(world, 'build-b');
    const switchedAt = Date.now();
    // The old build drains one worker at a time, as a rolling deploy does.
    for (const w of world.workers) {
      await w.stop();
      await sleep(1000);
    }
    // Every backfill was running at the switch; some may finish while build A drains. What counts is
    // that every backfill's last workflow task ran on build B (checked below), so none finished on A.
    assert.deepEqual(runningAtSwitch, SOURCES, 'every backfill was running when build B became current');
    const runningWhenAGone = (await Promise.all(SOURCES.map(async (s) => ((await handles[s].describe()).status.name === 'RUNNING' ? s : undefined)))).filter(
      Boolean,
    );

    await allDone(handles, 600_000);
    const v = await world.verify(RANGES, 'roll');
    assert.ok(v.checked > 1000);
    assert.equal(v.lost, 0, JSON.stringify(v.perTable));
    assert.equal(v.duplicated, 0, JSON.stringify(v.perTable));
    assert.equal(v.inserts, v.checked, 'each key inserted exactly once');
    assert.equal(v.extraWrites, 0, 'no row rewritten or deleted after its insert');

    // Which build completed which workflow task, and who took the patched path.
    const identitiesB = new Set(buildB.map((w) => world.identityOf(w)));
    let backfillsFinishedOnB = 0;
    let windowsOnA = 0;
    let windowsMovedToB = 0;
    let windowsPatched = 0;
    let nondeterminism = 0;
    for await (const w of world.client.workflow.list({ query: `TaskQueue = '${world.taskQueue}'` })) {
      const history = await world.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      const events = (history.events ?? []) as HistoryEvent[];
      const builds = events.map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId).filter((b): b is string => !!b);
      const json = JSON.stringify(history, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
      if (/nondetermin/i.test(json)) nondeterminism++;
      if (w.type === 'backfill' && builds.at(-1) === 'build-b') backfillsFinishedOnB++;
      if (w.type === 'syncWindow') {
        // The patch marker's id is inside a payload (bytes), so it is decoded, not searched for in the JSON.
        const patchedHere = events.some(
          (e) =>
            e.markerRecordedEventAttributes?.markerName === 'core_patch' &&
            Object.values(e.markerRecordedEventAttributes.details ?? {}).some((d) =>
              (d.payloads ?? []).some((p) => p.data instanceof Uint8Array && Buffer.from(p.data).toString('utf8').includes(PATCH_ID)),
            ),
        );
        if (patchedHere) windowsPatched++;
        if (builds[0] === 'build-a') {
          windowsOnA++;
          if (builds.includes('build-b')) windowsMovedToB++;
          assert.ok(!patchedHere, `${w.workflowId} started on build A must not take the new path`);
        }
      }
    }
    const lastBackfills = [...new Set((await Promise.all(SOURCES.map((s) => handles[s].describe()))).map((d) => d.runId))].length;
    assert.ok(backfillsFinishedOnB >= SOURCES.length, `the backfills' last workflow tasks ran on build B (${backfillsFinishedOnB} of ${lastBackfills})`);
    assert.ok(windowsOnA >= 1, 'some windows started on build A');
    assert.ok(windowsPatched >= 1, 'windows started on build B took the patched path');
    assert.equal(nondeterminism, 0, 'no nondeterminism error anywhere');
    assert.ok(identitiesB.size === 3);
    Object.assign(report, {
      recordsChecked: v.checked,
      inserts: v.inserts,
      extraWrites: v.extraWrites,
      lost: v.lost,
      duplicated: v.duplicated,
      backfillsFinishedOnB,
      windowsStartedOnA: windowsOnA,
      windowsStartedOnAMovedToB: windowsMovedToB,
      windowsTakingThePatchedPath: windowsPatched,
      runningAtSwitch,
      runningWhenAGone,
      secondsToSwitch: Math.round((switchedAt - started) / 1000),
      seconds: Math.round((Date.now() - started) / 1000),
    });
    console.log(`rolling deploy: ${JSON.stringify(report)}`);
  });

  it("build A's histories replay on the guarded change and are rejected without the guard", async () => {
    const histories = [];
    for await (const w of world.client.workflow.list({ query: `TaskQueue = '${world.taskQueue}' AND WorkflowType = 'syncWindow'` })) {
      const history = await world.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      const events = (history.events ?? []) as HistoryEvent[];
      const firstBuild = events.map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId).find(Boolean);
      if (firstBuild === 'build-a') histories.push({ workflowId: w.workflowId, history });
      if (histories.length >= 3) break;
    }
    assert.ok(histories.length >= 1, 'histories recorded on build A');
    const bundle = (file: string) =>
      bundleWorkflowCode({ workflowsPath: require.resolve(file), logger: { trace() {}, debug() {}, info() {}, log() {}, warn() {}, error: console.error } });
    const guarded = await bundle('./variant/workflows-guarded');
    const unguarded = await bundle('./variant/workflows-unguarded');
    for (const h of histories) {
      await Worker.runReplayHistory({ workflowBundle: guarded }, h.history, h.workflowId);
      await assert.rejects(Worker.runReplayHistory({ workflowBundle: unguarded }, h.history, h.workflowId), DeterminismViolationError);
    }
  });
});
