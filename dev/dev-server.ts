/**
 * Starts the official Temporal dev server (`temporal server start-dev`) with ccsync's search
 * attributes registered, and stops it without leaving a process behind.
 *
 * Process hygiene (there is no `--parent-pid` flag in the CLI):
 * - `stop()` sends SIGTERM, waits, then SIGKILL after a timeout, and resolves once the pid is gone.
 * - A `process.on('exit')` hook sends SIGTERM if the owner exits without calling `stop()`.
 * - On POSIX a tiny watchdog (`sh`, its own session, ~1 MB) holds a pipe from this process. When this
 *   process dies in any way, SIGKILL included, the pipe closes, and the watchdog SIGTERMs the server
 *   (SIGKILL after 5 s). `stop()` ends the watchdog too.
 * - The server stays in our process group, so Ctrl-C in a terminal reaches it as well.
 * The handles are unref'd: an owner that forgets `stop()` still exits (and the server with it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../core/search-attributes';
import { probePid, resolveTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  /** gRPC port. Default: a free port. (`npm start` passes 7233.) */
  port?: number;
  /** Web UI port. Default: `port + 1000` when `port` was given, else a free port. Ignored when headless. */
  uiPort?: number;
  /** No Web UI. Default: false. */
  headless?: boolean;
  /** SQLite file to persist into (folders are created). Default: in-memory, lost on stop. */
  dbFilename?: string;
  /** Namespace to create. Default: `default`. */
  namespace?: string;
  /** Server log level: debug, info, warn, error, never. Default: `warn`. */
  logLevel?: string;
  /** IP to bind. Default: `127.0.0.1`. */
  ip?: string;
  /** The CLI to run. Default: `resolveTemporalCli()`. */
  cliPath?: string;
  /** How long to wait for a working gRPC endpoint. Default: 60 s. */
  startTimeoutMs?: number;
  /** Extra `start-dev` flags. */
  extraArgs?: string[];
  /** Where the server's output goes, line by line. Default: kept only in memory (tail shown on failure). */
  onOutput?: (line: string) => void;
  /**
   * Run the server in a process group of its own, so a terminal's Ctrl-C (sent to the whole
   * foreground group) does not reach it: whoever started it stops it, after its workers (`npm start`).
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  /** `host:port` for `Connection.connect({ address })`. */
  address: string;
  /** `http://host:port` of the Web UI, unless headless. */
  uiUrl?: string;
  namespace: string;
  /** The `temporal` process itself (its pid is the server's). */
  process: ChildProcess;
  /** Last lines of the server's stdout/stderr. */
  outputTail(): string;
  /** SIGTERM, wait, SIGKILL after `graceMs` (default 10 s); resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_TAIL_BYTES = 16_384;

/**
 * A free TCP port on `host`. Like the Temporal CLI and SDK core do: after binding port 0 we make one
 * connection and close it from the listening side first, which parks the port in TIME_WAIT. Linux
 * then never hands that port to another `bind(0)` for ~60 s, while an explicit bind with
 * SO_REUSEADDR (which Go and Node set) still succeeds: two callers cannot pick the same port.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('could not read the bound port');
  const { port } = address;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    server.once('connection', (socket) => socket.destroy()); // server side closes first → TIME_WAIT here
    const client = net.connect(port, host);
    client.on('error', done);
    client.on('close', done);
    setTimeout(() => {
      client.destroy();
      done();
    }, 1_000).unref();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function pidGone(pid: number): boolean {
  return probePid(pid) === 'gone';
}

export function startWatchdog(serverPid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  // Blocks in `read` until our end of the pipe closes (we exited or died), then stops the server.
  const script = [
    'trap "" INT HUP TERM',
    'pid="$1"',
    'while read -r _; do :; done',
    'if kill -0 "$pid" 2>/dev/null; then',
    '  kill -TERM "$pid" 2>/dev/null',
    '  i=0',
    '  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '  kill -KILL "$pid" 2>/dev/null',
    'fi',
  ].join('\n');
  try {
    const watchdog = spawn('/bin/sh', ['-c', script, 'ccsync-temporal-watchdog', String(serverPid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true, // own session: survives our death and a terminal's Ctrl-C/SIGHUP
    });
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as net.Socket | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), address.slice(i + 1)];
}

export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.setTimeout(1_000, () => finish(false));
  });
}

async function waitUntilServing(address: string, namespace: string, deadline: number, exited: () => boolean): Promise<void> {
  let lastError: unknown;
  // Cheap TCP probe first: Connection.connect against a closed port waits for its whole timeout.
  const [host, portText] = splitAddress(address);
  while (Date.now() < deadline && !exited() && !(await tcpAccepts(host, Number(portText)))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  while (Date.now() < deadline) {
    if (exited()) throw new Error('the server process exited during startup');
    // lazy + ensureConnected, so that a failed attempt's channel is closed too (connect() leaks it).
    const connection = Connection.lazy({ address, connectTimeout: 2_000 });
    try {
      await connection.ensureConnected();
      // The namespace must be usable too, not only the frontend.
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no working Temporal endpoint at ${address}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

function displayHost(ip: string): string {
  if (ip === '0.0.0.0' || ip === '::' || ip === '') return '127.0.0.1';
  return ip.includes(':') ? `[${ip}]` : ip;
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  // A free port can (rarely) be taken between choosing it and the server binding it: retry then.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err;
      if (!(err instanceof Error && /address already in use|bind:/i.test(err.message))) throw err;
    }
  }
  throw lastError;
}

async function startOnce(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const cliPath = opts.cliPath ?? (await resolveTemporalCli()).path;
  const probeHost = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const port = opts.port ?? (await findFreePort(probeHost));
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (opts.port !== undefined ? opts.port + 1000 : await findFreePort(probeHost)));

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    opts.logLevel ?? 'warn',
    ...searchAttributeFlags(),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
  ];
  if (opts.dbFilename) {
    const dbFile = path.resolve(opts.dbFilename);
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  args.push(...(opts.extraArgs ?? []));

  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: opts.ownProcessGroup ?? false });
  let tail = '';
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve();
    });
    child.on('error', (err) => {
      spawnError = err;
      exitInfo ??= { code: null, signal: null };
      resolve();
    });
  });
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-OUTPUT_TAIL_BYTES);
    if (opts.onOutput) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) opts.onOutput(line);
    }
  };
  // Always drain the pipes: a full pipe would block the server.
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const closedPromise = new Promise<void>((resolve) => child.on('close', () => resolve()));

  const pid = child.pid;
  const watchdog = pid === undefined ? undefined : startWatchdog(pid);
  const endWatchdog = () => {
    if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
  // Whatever ends the server, end its watchdog at once (it must never outlive the pid it guards).
  child.on('exit', endWatchdog);
  const onParentExit = () => {
    if (exitInfo === undefined) child.kill('SIGTERM');
  };
  process.on('exit', onParentExit);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exitedPromise;
        clearTimeout(killTimer);
      }
      process.removeListener('exit', onParentExit);
      endWatchdog();
      // The 'exit' event means the pid has been reaped; double-check rather than trust it.
      if (pid !== undefined) {
        const deadline = Date.now() + 5_000;
        while (!pidGone(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return stopping;
  };

  const host = displayHost(ip);
  const address = `${host}:${port}`;
  try {
    if (spawnError) throw spawnError;
    await waitUntilServing(address, namespace, Date.now() + (opts.startTimeoutMs ?? 60_000), () => exitInfo !== undefined);
  } catch (err) {
    await stop(2_000);
    // Let the pipes deliver the server's last words before quoting them.
    await Promise.race([closedPromise, new Promise((r) => setTimeout(r, 1_000))]);
    const why = spawnError
      ? `could not run ${cliPath}: ${spawnError.message}`
      : exitInfo
        ? `the server exited (code ${exitInfo.code}, signal ${exitInfo.signal})`
        : err instanceof Error
          ? err.message
          : String(err);
    throw new Error(
      `Temporal dev server failed to start on ${address}: ${why}\n` +
        `command: ${cliPath} ${args.join(' ')}\n` +
        `--- server output (tail) ---\n${tail.trim() || '(none)'}`,
      { cause: err },
    );
  }

  // Let the owner's process exit naturally; the exit hook and the watchdog then stop the server.
  child.unref();
  (child.stdout as net.Socket | null)?.unref?.();
  (child.stderr as net.Socket | null)?.unref?.();

  return {
    address,
    ...(uiPort === undefined ? {} : { uiUrl: `http://${host}:${uiPort}` }),
    namespace,
    process: child,
    outputTail: () => tail,
    stop,
  };
}
