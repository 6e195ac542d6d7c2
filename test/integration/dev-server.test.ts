/**
 * dev/dev-server.ts against the real Temporal CLI: search attributes, persistence, the Web UI,
 * startup failures, and that no process survives stop() or the death of its owner.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../core/search-attributes';
import { findFreePort, startDevServer } from '../../dev/dev-server';
import { resolveTemporalCli } from '../../dev/temporal-cli';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const ROOT = path.resolve(__dirname, '..', '..');

let cliPath: string;
let work: string;

/** A running process (a zombie waiting for its reaper does not count: it no longer runs). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

const watchdogOf = (pid: number) => `ccsync-temporal-watchdog ${pid} `;

/** Pids whose command line mentions `needle` (Linux /proc). */
function pidsMentioning(needle: string): number[] {
  if (!fs.existsSync('/proc/self/cmdline')) return [];
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle)) found.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function customSearchAttributes(address: string, namespace: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.fromEntries(Object.entries(res.customAttributes ?? {}).map(([k, v]) => [k, Number(v)]));
  } finally {
    await connection.close();
  }
}

const EXPECTED_TYPES: Record<string, number> = Object.fromEntries(
  Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [
    name,
    type === 'Keyword' ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD : IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  ]),
);

before(async () => {
  cliPath = (await resolveTemporalCli()).path;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccsync-devserver-test-'));
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('startDevServer', () => {
  test('registers the three search attributes, and stop() leaves no process', async () => {
    const started = Date.now();
    const server = await startDevServer({ cliPath, headless: true });
    const pid = server.process.pid;
    assert.ok(pid);
    try {
      assert.match(server.address, /^127\.0\.0\.1:\d+$/);
      assert.equal(server.uiUrl, undefined, 'headless has no UI');
      const attrs = await customSearchAttributes(server.address, 'default');
      for (const [name, type] of Object.entries(EXPECTED_TYPES)) {
        assert.equal(attrs[name], type, `${name} should be registered as ${IndexedValueType[type]}; got ${JSON.stringify(attrs)}`);
      }
      assert.equal(pidsMentioning(watchdogOf(pid)).length, process.platform === 'win32' ? 0 : 1, 'one watchdog');
    } finally {
      await server.stop();
    }
    assert.equal(pidAlive(pid), false, `server pid ${pid} still exists after stop()`);
    assert.equal(server.process.exitCode !== null || server.process.signalCode !== null, true);
    await waitFor('the watchdog to exit', () => pidsMentioning(watchdogOf(pid)).length === 0, 5_000);
    // stop() is idempotent.
    await server.stop();
    process.stdout.write(`# dev server start+stop took ${Date.now() - started} ms\n`);
  });

  test('persists to dbFilename (creating folders) across restarts, attributes included', async () => {
    const dbFilename = path.join(work, 'nested', 'deeper', 'temporal.db');
    const workflowId = `persisted-${Date.now()}`;
    const first = await startDevServer({ cliPath, headless: true, dbFilename, namespace: 'ccsync-persist' });
    try {
      assert.ok(fs.existsSync(dbFilename), 'the db file was not created');
      const connection = await Connection.connect({ address: first.address });
      const client = new Client({ connection, namespace: 'ccsync-persist' });
      // No worker: the run simply stays open, which is all we need to find it again later.
      await client.workflow.start('nobodyRunsThis', { taskQueue: 'nobody', workflowId, args: [] });
      await connection.close();
    } finally {
      await first.stop();
    }
    const second = await startDevServer({ cliPath, headless: true, dbFilename, namespace: 'ccsync-persist' });
    try {
      const connection = await Connection.connect({ address: second.address });
      const client = new Client({ connection, namespace: 'ccsync-persist' });
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.equal(description.type, 'nobodyRunsThis');
      assert.equal(description.status.name, 'RUNNING');
      await connection.close();
      const attrs = await customSearchAttributes(second.address, 'ccsync-persist');
      for (const [name, type] of Object.entries(EXPECTED_TYPES)) assert.equal(attrs[name], type, name);
    } finally {
      await second.stop();
    }
  });

  test('serves the Web UI unless headless', async () => {
    const server = await startDevServer({ cliPath });
    try {
      assert.ok(server.uiUrl, 'no uiUrl');
      let status = 0;
      await waitFor(
        'the Web UI to answer',
        () => {
          void fetch(server.uiUrl as string).then(
            (r) => (status = r.status),
            () => undefined,
          );
          return status === 200;
        },
        15_000,
      );
      assert.equal(status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a startup failure reports the server output', async () => {
    // Hold the port ourselves: the server cannot bind it.
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      await assert.rejects(startDevServer({ cliPath, headless: true, port, startTimeoutMs: 20_000 }), (err: Error) => {
        assert.match(err.message, new RegExp(`failed to start on 127\\.0\\.0\\.1:${port}`));
        assert.match(err.message, /--- server output \(tail\) ---/);
        assert.match(err.message, /address already in use|bind/i);
        return true;
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('findFreePort gives distinct, bindable ports', async () => {
    const ports = await Promise.all([findFreePort(), findFreePort(), findFreePort(), findFreePort()]);
    assert.equal(new Set(ports).size, ports.length, `duplicates in ${ports.join(', ')}`);
    for (const port of ports) {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  test('the server dies with its owner, even when the owner is SIGKILLed', { skip: process.platform === 'win32' }, async () => {
    const script = `
      const { startDevServer } = require(${JSON.stringify(path.join(ROOT, 'dev', 'dev-server.ts'))});
      startDevServer({ cliPath: ${JSON.stringify(cliPath)}, headless: true }).then((s) => {
        process.stdout.write(JSON.stringify({ pid: s.process.pid, address: s.address }) + '\\n');
        setInterval(() => {}, 1000); // stay alive until killed
      }, (err) => { console.error(err); process.exit(3); });
    `;
    const owner = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ pid: number; address: string }>((resolve, reject) => {
      let out = '';
      owner.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { pid: number; address: string });
      });
      owner.on('exit', (code) => reject(new Error(`owner exited early (${code})`)));
    });
    assert.ok(pidAlive(info.pid), 'server not running');
    owner.kill('SIGKILL');
    await waitFor(`server pid ${info.pid} to go away after its owner was SIGKILLed`, () => !pidAlive(info.pid), 20_000);
    await waitFor('the watchdog to exit', () => pidsMentioning(watchdogOf(info.pid)).length === 0, 5_000);
  });
});
