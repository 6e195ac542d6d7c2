/**
 * The Temporal server of `npm run test:cluster` (CCSYNC_TEST_TARGET=cluster in test/run.ts): a
 * self-hosted cluster of four services on free ports, in private PostgreSQL databases that are
 * dropped when it stops, shaped like the dev server test/run.ts otherwise starts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporalCluster, uniqueClusterName } from '../../dev/cluster';

export async function startClusterTarget(say: (m: string) => void) {
  const name = uniqueClusterName('ccsync_test');
  const logDir = mkdtempSync(join(tmpdir(), 'ccsync-test-cluster-'));
  const cluster = await startTemporalCluster({
    ports: 'free',
    dbName: name,
    visibilityDbName: `${name}_vis`,
    logDir,
    dropDatabasesOnStop: true,
    log: (m) => say(`cluster: ${m}`),
  });
  const frontend = cluster.services.frontend;
  return {
    address: cluster.address,
    namespace: cluster.namespace,
    process: {
      pid: frontend.pid,
      get exitCode() {
        return frontend.running() ? null : 0;
      },
      signalCode: null,
    },
    outputTail: () => ['frontend', 'history', 'matching', 'worker'].map((s) => `--- ${s} ---\n${cluster.services[s as 'frontend'].tail(20)}`).join('\n'),
    stop: () => cluster.stop(),
  };
}
