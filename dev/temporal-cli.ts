/**
 * THE one place that finds the official Temporal CLI (`temporal`), which runs the dev server for
 * `npm start`, `npm test` and CI. Resolution order:
 *
 *   1. env  `TEMPORAL_CLI_PATH`            (an error if set but not a working `temporal` binary)
 *   2. path `temporal` on `PATH`
 *   3. cache `<repo>/.tools/bin/temporal`   (left by a previous go build)
 *   4. go-build: when Go >= 1.25 is found (PATH or /usr/local/go/bin), a one-time
 *      `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into `.tools/bin`
 *      (retried once with GOSUMDB=off when the checksum database is unreachable)
 *   5. sdk-download: the TypeScript SDK's own "cached-download" of the CLI into `.tools/sdk-download`
 *      (needs https://temporal.download to be reachable)
 *
 * Concurrency: builds are serialised by a lock file (`.tools/bin/.temporal.lock`, holder pid inside,
 * stolen when the holder is dead) and each build goes to a private temp GOBIN that is renamed into
 * place, so a reader never sees a half-written binary even without the lock.
 *
 * Run it: `npm run temporal:install` (prints the path on stdout).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The CLI v1.5.1 module needs this Go toolchain or newer (older `go` would try to download one). */
export const MIN_GO_VERSION: readonly [number, number] = [1, 25];

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'go-build' | 'sdk-download';
export const TEMPORAL_CLI_SOURCES: readonly TemporalCliSource[] = ['env', 'path', 'cache', 'go-build', 'sdk-download'];

export interface ResolvedTemporalCli {
  path: string;
  source: TemporalCliSource;
}

export interface ResolveTemporalCliOptions {
  /** Environment to read `TEMPORAL_CLI_PATH` and `PATH` from (and to run `go` with). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The repository root. Default: the folder above `workers/`. */
  repoRoot?: string;
  /** Where the cache lives. Default: `<repoRoot>/.tools` (binary at `bin/temporal`). */
  toolsDir?: string;
  /** `go` executables to try, in order. Default: `go` on `env.PATH`, then `/usr/local/go/bin/go`. */
  goCandidates?: string[];
  /** Which steps may be used, in the fixed order above. Default: all of them. */
  sources?: readonly TemporalCliSource[];
  /** Progress messages (build notices). Default: written to stderr. */
  log?: (message: string) => void;
}

const EXE = process.platform === 'win32' ? '.exe' : '';
const CLI_NAME = `temporal${EXE}`;
const STAMP_NAME = 'temporal.version';
const LOCK_NAME = '.temporal.lock';
const BUILD_TIMEOUT_MS = 30 * 60_000;

export function defaultRepoRoot(): string {
  return path.resolve(__dirname, '..');
}

export function cachedCliPath(toolsDir: string): string {
  return path.join(toolsDir, 'bin', CLI_NAME);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: options.env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ...(error ? { error } : {}) });
    });
  });
}

/** `temporal --version` prints `temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)` (go-installed builds say `0.0.0-DEV`). */
export async function temporalCliVersion(file: string, env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!isExecutableFile(file)) return undefined;
  const result = await run(file, ['--version'], { env, timeoutMs: 30_000 });
  const line = result.stdout.trim().split('\n')[0] ?? '';
  return result.code === 0 && /^temporal version /.test(line) ? line : undefined;
}

/** The first executable `name` on a PATH string, like `which`. */
export function findOnPath(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Parses `go1.26.8` / `go1.25` / `go1.25rc1` into [major, minor]. */
export function parseGoVersion(text: string): [number, number] | undefined {
  const m = /go(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function versionAtLeast(v: readonly [number, number], min: readonly [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** The first usable Go toolchain (>= MIN_GO_VERSION) among the candidates, with its version. */
export async function findGo(candidates: string[], env: NodeJS.ProcessEnv): Promise<{ path: string; version: string } | undefined> {
  for (const candidate of candidates) {
    if (!isExecutableFile(candidate)) continue;
    // GOTOOLCHAIN=local: report this toolchain's own version, never download another one.
    const result = await run(candidate, ['env', 'GOVERSION'], { env: { ...env, GOTOOLCHAIN: 'local' } });
    const version = result.stdout.trim();
    const parsed = parseGoVersion(version);
    if (result.code === 0 && parsed && versionAtLeast(parsed, MIN_GO_VERSION)) return { path: candidate, version };
  }
  return undefined;
}

export function defaultGoCandidates(env: NodeJS.ProcessEnv): string[] {
  const list: string[] = [];
  const onPath = findOnPath(`go${EXE}`, env.PATH);
  if (onPath) list.push(onPath);
  if (env.GOROOT) list.push(path.join(env.GOROOT, 'bin', `go${EXE}`));
  list.push(`/usr/local/go/bin/go${EXE}`);
  return [...new Set(list)];
}

// ---------------------------------------------------------------------------------------------
// Lock file: `open(wx)` is atomic; the file holds the holder's pid so a dead holder's lock is stolen.

/** What signal 0 says of `pid`: it exists (EPERM: another user's), it is gone (ESRCH), or the probe itself failed. */
export function probePid(pid: number): 'alive' | 'gone' | 'unknown' {
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EPERM' ? 'alive' : code === 'ESRCH' ? 'gone' : 'unknown';
  }
}

export function pidAlive(pid: number): boolean {
  return probePid(pid) === 'alive';
}

export async function withLock<T>(lockFile: string, log: (m: string) => void, body: () => Promise<T>, what = 'the Temporal CLI'): Promise<T> {
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: number;
      try {
        holder = Number.parseInt(fs.readFileSync(lockFile, 'utf8'), 10);
      } catch {
        continue; // released between our open and read: try again at once
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        // Stale: remove it unless someone else already replaced it.
        try {
          if (fs.readFileSync(lockFile, 'utf8') === String(holder)) fs.unlinkSync(lockFile);
        } catch {
          /* gone already */
        }
        continue;
      }
      if (!Number.isInteger(holder) && Date.now() - started > 5_000) {
        // Empty/garbled for 5 s: a holder died between open and write.
        try {
          fs.unlinkSync(lockFile);
        } catch {
          /* gone already */
        }
        continue;
      }
      if (Date.now() - started > BUILD_TIMEOUT_MS) {
        throw new Error(`Timed out waiting for ${lockFile} (held by pid ${holder}). Remove it if no build is running.`, { cause: err });
      }
      if (!announced) {
        log(`Waiting for another process (pid ${holder}) that is building ${what}...`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    try {
      if (fs.readFileSync(lockFile, 'utf8') === String(process.pid)) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

async function fromCache(toolsDir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = cachedCliPath(toolsDir);
  // A stamp written by our build names the pinned version; a stale one means "rebuild".
  try {
    const stamp = fs.readFileSync(path.join(toolsDir, 'bin', STAMP_NAME), 'utf8').trim();
    if (stamp && stamp !== TEMPORAL_CLI_VERSION) return undefined;
  } catch {
    /* no stamp: a binary someone put there by hand is fine */
  }
  return (await temporalCliVersion(file, env)) ? file : undefined;
}

export function looksLikeChecksumDbFailure(stderr: string): boolean {
  return /sum\.golang\.org|checksum database|GOSUMDB|verifying .*(?:go\.mod|@v)/i.test(stderr);
}

/** `go install PACKAGES` into `gobin` (default: the CLI); also used by dev/temporal-server.ts for the server and UI. */
export function goInstall(
  goPath: string,
  gobin: string,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
  packages: string[] = [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
): Promise<{ code: number | null; stderrTail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(goPath, ['install', ...packages], {
      env: { ...env, GOBIN: gobin, GOTOOLCHAIN: env.GOTOOLCHAIN ?? 'local' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let tail = '';
    const collect = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-16_384);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', (chunk: Buffer) => {
      collect(chunk);
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(`  go: ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    // `go install` is silent while it compiles: say it is alive, so CI logs do not look hung.
    const started = Date.now();
    const heartbeat = setInterval(() => log(`  still building (${Math.round((Date.now() - started) / 1000)} s)...`), 30_000);
    const done = () => {
      clearTimeout(timer);
      clearInterval(heartbeat);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code) => {
      done();
      resolve({ code, stderrTail: tail });
    });
  });
}

async function buildWithGo(toolsDir: string, goCandidates: string[], env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<string | undefined> {
  const go = await findGo(goCandidates, env);
  if (!go) return undefined;
  const binDir = path.join(toolsDir, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  return withLock(path.join(binDir, LOCK_NAME), log, async () => {
    // Another process may have finished the build while we waited for the lock.
    const ready = await fromCache(toolsDir, env);
    if (ready) return ready;

    const started = Date.now();
    log(
      `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${go.version} (${go.path}).\n` +
        `This is a one-time build that takes a few minutes; the binary is cached in ${binDir}.`,
    );
    const tmpRoot = path.join(toolsDir, 'tmp');
    fs.mkdirSync(tmpRoot, { recursive: true });
    const gobin = fs.mkdtempSync(path.join(tmpRoot, `gobin-${process.pid}-`));
    try {
      let result = await goInstall(go.path, gobin, env, log);
      if (result.code !== 0 && looksLikeChecksumDbFailure(result.stderrTail) && env.GOSUMDB !== 'off') {
        log('The Go checksum database looks unreachable; retrying once with GOSUMDB=off.');
        result = await goInstall(go.path, gobin, { ...env, GOSUMDB: 'off' }, log);
      }
      const built = path.join(gobin, CLI_NAME);
      if (result.code !== 0 || !isExecutableFile(built)) {
        throw new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${result.code}):\n${result.stderrTail.trim()}`);
      }
      const target = cachedCliPath(toolsDir);
      // Same filesystem (both under toolsDir): rename is atomic, readers see the old file or the new one.
      fs.renameSync(built, target);
      const stampTmp = path.join(binDir, `${STAMP_NAME}.${process.pid}.${randomBytes(4).toString('hex')}`);
      fs.writeFileSync(stampTmp, `${TEMPORAL_CLI_VERSION}\n`);
      fs.renameSync(stampTmp, path.join(binDir, STAMP_NAME));
      log(`Built the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(1)} s: ${target}`);
      return target;
    } finally {
      fs.rmSync(gobin, { recursive: true, force: true });
    }
  });
}

function sdkVersion(): string {
  // The SDK names its download `temporal-<sdk-name>-<sdk-version>` (see sdk-core ephemeral_server).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@temporalio/testing/package.json') as { version: string }).version;
}

export function sdkDownloadPath(downloadDir: string): string {
  return path.join(downloadDir, `temporal-sdk-typescript-${sdkVersion()}${EXE}`);
}

async function fromSdkDownload(toolsDir: string, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<string | undefined> {
  const downloadDir = path.join(toolsDir, 'sdk-download');
  const expected = sdkDownloadPath(downloadDir);
  if (await temporalCliVersion(expected, env)) return expected;

  fs.mkdirSync(downloadDir, { recursive: true });
  log(`Downloading the Temporal CLI through the TypeScript SDK (cached-download) into ${downloadDir}...`);
  // The SDK has no download-only API: starting (and at once stopping) a local dev server is its
  // documented way to fetch the CLI; it then stays cached in downloadDir.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const testEnv = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650d' } },
  });
  await testEnv.teardown();
  if (await temporalCliVersion(expected, env)) return expected;
  // Name changed in some SDK version: take the newest executable `temporal-*` file there.
  const found = fs
    .readdirSync(downloadDir)
    .filter((f) => f.startsWith('temporal-') && !f.endsWith('.downloading'))
    .map((f) => path.join(downloadDir, f))
    .filter(isExecutableFile)
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const candidate of found) if (await temporalCliVersion(candidate, env)) return candidate;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

let memo: Promise<ResolvedTemporalCli> | undefined;

/**
 * Finds (or builds/downloads once) the official Temporal CLI. Without options the result is
 * memoised for the process.
 */
export function resolveTemporalCli(opts?: ResolveTemporalCliOptions): Promise<ResolvedTemporalCli> {
  if (opts === undefined) {
    memo ??= resolveUncached({}).catch((err: unknown) => {
      memo = undefined;
      throw err;
    });
    return memo;
  }
  return resolveUncached(opts);
}

async function resolveUncached(opts: ResolveTemporalCliOptions): Promise<ResolvedTemporalCli> {
  const env = opts.env ?? process.env;
  const repoRoot = opts.repoRoot ?? defaultRepoRoot();
  const toolsDir = opts.toolsDir ?? path.join(repoRoot, '.tools');
  const allowed = new Set(opts.sources ?? TEMPORAL_CLI_SOURCES);
  const log = opts.log ?? ((m: string) => process.stderr.write(`[temporal-cli] ${m}\n`));
  const tried: string[] = [];

  if (allowed.has('env') && env.TEMPORAL_CLI_PATH) {
    const file = path.resolve(env.TEMPORAL_CLI_PATH);
    if (await temporalCliVersion(file, env)) return { path: file, source: 'env' };
    // An explicit choice that does not work is an error, never silently replaced.
    throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not a working Temporal CLI (\`temporal --version\` failed).`);
  }
  if (allowed.has('env')) tried.push('TEMPORAL_CLI_PATH (unset)');

  if (allowed.has('path')) {
    const onPath = findOnPath(CLI_NAME, env.PATH);
    if (onPath && (await temporalCliVersion(onPath, env))) return { path: onPath, source: 'path' };
    tried.push(onPath ? `PATH (${onPath} does not run)` : 'PATH (no temporal)');
  }

  if (allowed.has('cache')) {
    const cached = await fromCache(toolsDir, env);
    if (cached) return { path: cached, source: 'cache' };
    tried.push(`cache (${cachedCliPath(toolsDir)} missing)`);
  }

  if (allowed.has('go-build')) {
    const built = await buildWithGo(toolsDir, opts.goCandidates ?? defaultGoCandidates(env), env, log);
    if (built) return { path: built, source: 'go-build' };
    tried.push(`go-build (no Go >= ${MIN_GO_VERSION.join('.')} found)`);
  }

  if (allowed.has('sdk-download')) {
    try {
      const downloaded = await fromSdkDownload(toolsDir, env, log);
      if (downloaded) return { path: downloaded, source: 'sdk-download' };
      tried.push('sdk-download (no binary after download)');
    } catch (err) {
      tried.push(`sdk-download (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }

  throw new Error(
    `Could not find the Temporal CLI. Tried: ${tried.join('; ')}.\n` +
      `Install it (https://docs.temporal.io/cli), set TEMPORAL_CLI_PATH, or install Go >= ${MIN_GO_VERSION.join('.')} ` +
      `so it can be built with \`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\`.`,
  );
}

if (require.main === module) {
  const started = Date.now();
  resolveTemporalCli().then(
    async (cli) => {
      const version = await temporalCliVersion(cli.path);
      process.stderr.write(`[temporal-cli] ${version ?? 'temporal'} from ${cli.source} in ${Date.now() - started} ms\n`);
      process.stdout.write(`${cli.path}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
