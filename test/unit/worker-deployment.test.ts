/** Worker Versioning settings from the environment: off unless both variables are set; clear errors otherwise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deploymentSettingsFromEnv, deploymentWorkerOptions } from '../../workers/deployment';

test('unset: unversioned, no worker option at all (the dev server path is unchanged)', () => {
  assert.equal(deploymentSettingsFromEnv({}), undefined);
  assert.deepEqual(deploymentWorkerOptions({}), {});
});

test('both set: a deployment version, AUTO_UPGRADE by default, PINNED on request', () => {
  assert.deepEqual(deploymentWorkerOptions({ CCSYNC_DEPLOYMENT_NAME: 'ccsync', CCSYNC_BUILD_ID: '2026.12.01-abc123' }), {
    workerDeploymentOptions: {
      version: { deploymentName: 'ccsync', buildId: '2026.12.01-abc123' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  });
  assert.equal(
    deploymentSettingsFromEnv({ CCSYNC_DEPLOYMENT_NAME: 'ccsync', CCSYNC_BUILD_ID: 'b2', CCSYNC_VERSIONING_BEHAVIOR: 'pinned' })?.behavior,
    'PINNED',
  );
});

test('one without the other, or a bad value, is refused in plain words', () => {
  assert.throws(() => deploymentSettingsFromEnv({ CCSYNC_BUILD_ID: 'b1' }), /CCSYNC_DEPLOYMENT_NAME and CCSYNC_BUILD_ID must be set together/);
  assert.throws(() => deploymentSettingsFromEnv({ CCSYNC_DEPLOYMENT_NAME: 'ccsync' }), /must be set together/);
  assert.throws(() => deploymentSettingsFromEnv({ CCSYNC_DEPLOYMENT_NAME: 'cc sync', CCSYNC_BUILD_ID: 'b1' }), /CCSYNC_DEPLOYMENT_NAME: must be letters/);
  assert.throws(
    () => deploymentSettingsFromEnv({ CCSYNC_DEPLOYMENT_NAME: 'ccsync', CCSYNC_BUILD_ID: 'b1', CCSYNC_VERSIONING_BEHAVIOR: 'sometimes' }),
    /must be AUTO_UPGRADE or PINNED/,
  );
});
