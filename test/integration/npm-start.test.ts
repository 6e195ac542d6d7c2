/**
 * `npm start` (dev/start.ts) stopped with Ctrl-C as a terminal sends it: SIGINT to the whole
 * foreground process group, while a backfill is running. The worker must drain first, while the
 * Temporal server is still up, and only then the server stops.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { findFreePort } from '../../dev/dev-server';
import { DEMO_KORE } from '../../simulators/kore';

const ROOT = resolve(__dirname, '../..');

describe('npm start', () => {
  it('Ctrl-C stops in order: the worker drains while the server is up, then the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-start-'));
    const [grpc, ui, kore, lp, ccaip] = [await findFreePort(), await findFreePort(), await findFreePort(), await findFreePort(), await findFreePort()];
    const file = join(dir, 'connections.yaml');
    writeFileSync(
      file,
      `connections:\n  - name: kore-demo\n    source: kore\n    settings: { baseUrl: http://127.0.0.1:${kore}, accountId: ${DEMO_KORE.accountId}, orgId: ${DEMO_KORE.orgId}, iId: ${DEMO_KORE.iId}, pageSize: 10 }\n    credentials: { token: ${DEMO_KORE.staticToken} }\n    streams: [callvolume]\n`,
    );
    const taskQueue = `ccsync-start-${process.pid}`;
    // detached: its own process group, like a shell's foreground job; the signal goes to the group.
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CCSYNC_TEMPORAL_PORT: String(grpc),
        CCSYNC_UI_PORT: String(ui),
        CCSYNC_KORE_PORT: String(kore),
        CCSYNC_LIVEPERSON_PORT: String(lp),
        CCSYNC_CCAIP_PORT: String(ccaip),
        CCSYNC_DATA_DIR: join(dir, 'data'),
        CCSYNC_CONNECTIONS: file,
        CCSYNC_DESTINATION: `sqlite:${join(dir, 'ccsync.db')}`,
        CCSYNC_TASK_QUEUE: taskQueue,
        TEMPORAL_ADDRESS: `127.0.0.1:${grpc}`,
      },
    });
    let out = '';
    let serverAliveAtDrain: boolean | undefined;
    let serverPid: number | undefined;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const ready = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`npm start did not come up:\n${out}`)), 600_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        serverPid ??= Number(/Temporal dev server on \S+ \(pid (\d+)\)/.exec(out)?.[1]) || undefined;
        if (serverAliveAtDrain === undefined && /worker drained/.test(out) && serverPid) {
          try {
            process.kill(serverPid, 0);
            serverAliveAtDrain = true;
          } catch {
            serverAliveAtDrain = false;
          }
        }
        if (out.includes('Stop:    Ctrl-C')) {
          clearTimeout(timer);
          done();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => fail(new Error(`npm start exited early:\n${out}`)));
    });
    try {
      await ready;
      const connection = await Connection.connect({ address: `127.0.0.1:${grpc}` });
      const client = new Client({ connection });
      const handle = await client.workflow.start('backfill', {
        taskQueue,
        workflowId: 'start-ctrl-c',
        args: [{ connection: 'kore-demo', from: '2026-10-01T00:00:00Z', to: '2026-10-10T00:00:00Z', maxParallelWindows: 2 }],
      });
      // Wait until pages are flowing, so activities are in flight when Ctrl-C comes.
      for (let i = 0; i < 600; i++) {
        const p = await handle.query<{ pages: number }>('progress').catch(() => ({ pages: 0 }));
        if (p.pages > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await connection.close();
      process.kill(-child.pid!, 'SIGINT');
      const code = await exited;
      assert.equal(code, 0, out);
      assert.equal(serverAliveAtDrain, true, `the worker must drain while the server is up:\n${out}`);
      const drained = out.indexOf('ccsync: worker drained');
      const serverStopped = out.indexOf('ccsync: Temporal dev server stopped');
      assert.ok(drained >= 0 && serverStopped > drained, out);
      assert.doesNotMatch(out, /respond_activity_task_completed|Failed to complete activity|transport error/i);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      if (serverPid) {
        try {
          process.kill(serverPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });
});
