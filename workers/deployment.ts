/**
 * Worker Versioning, from the environment: CCSYNC_DEPLOYMENT_NAME and CCSYNC_BUILD_ID (both or
 * neither) put the worker in a Worker Deployment version `<name>.<build id>`; unset, the worker is
 * unversioned, as on the dev server.
 *
 * Default versioning behaviour AUTO_UPGRADE (CCSYNC_VERSIONING_BEHAVIOR=PINNED to change it). Why:
 * a backfill runs for hours or days and continues as new every 250 windows, and incremental runs
 * come every 15 minutes. PINNED would keep each of them on the build that started it, so an old
 * build would have to keep running until its last backfill drained, which a rolling deploy that
 * replaces every worker cannot wait for. AUTO_UPGRADE moves running workflows to the deployment's
 * current version at their next workflow task; the price is that every change to workflow code must
 * replay old histories (test/unit/replay.test.ts guards that, and an incompatible change is guarded
 * with `patched()`), exactly the discipline unversioned workers already need.
 */
import type { WorkerOptions } from '@temporalio/worker';

export type VersioningBehaviorName = 'AUTO_UPGRADE' | 'PINNED';

export interface DeploymentSettings {
  deploymentName: string;
  buildId: string;
  behavior: VersioningBehaviorName;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function deploymentSettingsFromEnv(env: Record<string, string | undefined> = process.env): DeploymentSettings | undefined {
  const deploymentName = env.CCSYNC_DEPLOYMENT_NAME?.trim();
  const buildId = env.CCSYNC_BUILD_ID?.trim();
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName || !buildId) {
    throw new Error('CCSYNC_DEPLOYMENT_NAME and CCSYNC_BUILD_ID must be set together (Worker Versioning), or both left unset');
  }
  for (const [name, value] of [
    ['CCSYNC_DEPLOYMENT_NAME', deploymentName],
    ['CCSYNC_BUILD_ID', buildId],
  ] as const) {
    if (!NAME.test(value)) throw new Error(`${name}: must be letters, digits, '.', '_' or '-' (got ${JSON.stringify(value)})`);
  }
  const behavior = (env.CCSYNC_VERSIONING_BEHAVIOR?.trim() || 'AUTO_UPGRADE').toUpperCase();
  if (behavior !== 'AUTO_UPGRADE' && behavior !== 'PINNED') {
    throw new Error(`CCSYNC_VERSIONING_BEHAVIOR: must be AUTO_UPGRADE or PINNED (got ${JSON.stringify(env.CCSYNC_VERSIONING_BEHAVIOR)})`);
  }
  return { deploymentName, buildId, behavior };
}

/** The Worker.create options for it: nothing when unversioned. */
export function deploymentWorkerOptions(env: Record<string, string | undefined> = process.env): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const s = deploymentSettingsFromEnv(env);
  if (!s) return {};
  return {
    workerDeploymentOptions: {
      version: { deploymentName: s.deploymentName, buildId: s.buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: s.behavior,
    },
  };
}
