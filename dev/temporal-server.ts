/**
 * Finds (or builds once) the binaries of a self-hosted Temporal cluster, like dev/temporal-cli.ts
 * does for the CLI and with its helpers (Go discovery, lock file, private GOBIN renamed into place):
 *
 *   server    `go install go.temporal.io/server/cmd/server@v1.32.1 go.temporal.io/server/cmd/tools/sql@v1.32.1`
 *             → .tools/temporal-server/1.32.1/{temporal-server,temporal-sql-tool}
 *   Web UI    `go install github.com/temporalio/ui-server/v2/cmd/server@v2.42.1`
 *             → .tools/temporal-ui/2.42.1/ui-server (its binary is also called `server`: own folder)
 *
 * Overrides: TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_UI_SERVER_PATH (errors when set
 * but not executable). The server build takes about 6 minutes on 2 cores (more on a busy machine);
 * `npm run cluster:install` runs it ahead of time and prints the paths.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultGoCandidates, defaultRepoRoot, findGo, goInstall, isExecutableFile, looksLikeChecksumDbFailure, run, withLock } from './temporal-cli';

export const TEMPORAL_SERVER_VERSION = 'v1.32.1';
export const TEMPORAL_UI_VERSION = 'v2.42.1';
const SERVER_MODULE = 'go.temporal.io/server/cmd/server';
const SQL_TOOL_MODULE = 'go.temporal.io/server/cmd/tools/sql';
const UI_MODULE = 'github.com/temporalio/ui-server/v2/cmd/server';
/** Server 1.32.1's go.mod asks for Go 1.25+ (it was built and measured with 1.26.8). */
const MIN_GO: readonly [number, number] = [1, 25];

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  ui: string;
}

interface Artifact {
  what: string;
  dir: string;
  packages: string[];
  /** go's output name → our name in `dir`. */
  files: Record<string, string>;
}

function artifacts(toolsDir: string): { server: Artifact; ui: Artifact } {
  const v = (tag: string) => tag.replace(/^v/, '');
  return {
    server: {
      what: `the Temporal server ${TEMPORAL_SERVER_VERSION}`,
      dir: path.join(toolsDir, 'temporal-server', v(TEMPORAL_SERVER_VERSION)),
      packages: [`${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, `${SQL_TOOL_MODULE}@${TEMPORAL_SERVER_VERSION}`],
      files: { server: 'temporal-server', sql: 'temporal-sql-tool' },
    },
    ui: {
      what: `the Temporal Web UI server ${TEMPORAL_UI_VERSION}`,
      dir: path.join(toolsDir, 'temporal-ui', v(TEMPORAL_UI_VERSION)),
      packages: [`${UI_MODULE}@${TEMPORAL_UI_VERSION}`],
      files: { server: 'ui-server' },
    },
  };
}

function complete(a: Artifact): boolean {
  return Object.values(a.files).every((f) => isExecutableFile(path.join(a.dir, f)));
}

async function build(a: Artifact, env: NodeJS.ProcessEnv, toolsDir: string, log: (m: string) => void): Promise<void> {
  if (complete(a)) return;
  const go = await findGo(defaultGoCandidates(env), env);
  if (!go) {
    throw new Error(
      `Cannot build ${a.what}: no Go >= ${MIN_GO.join('.')} found (PATH, GOROOT, /usr/local/go). Install Go, ` +
        `or build it yourself (\`go install ${a.packages.join(' ')}\`) and set TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH / TEMPORAL_UI_SERVER_PATH.`,
    );
  }
  fs.mkdirSync(a.dir, { recursive: true });
  await withLock(
    path.join(a.dir, '.build.lock'),
    log,
    async () => {
      if (complete(a)) return; // someone else finished while we waited
      const started = Date.now();
      log(`Building ${a.what} with ${go.version}: go install ${a.packages.join(' ')} (one-time, cached in ${a.dir}).`);
      const tmpRoot = path.join(toolsDir, 'tmp');
      fs.mkdirSync(tmpRoot, { recursive: true });
      const gobin = fs.mkdtempSync(path.join(tmpRoot, `gobin-${process.pid}-`));
      try {
        let result = await goInstall(go.path, gobin, env, log, a.packages);
        if (result.code !== 0 && looksLikeChecksumDbFailure(result.stderrTail) && env.GOSUMDB !== 'off') {
          log('The Go checksum database looks unreachable; retrying once with GOSUMDB=off.');
          result = await goInstall(go.path, gobin, { ...env, GOSUMDB: 'off' }, log, a.packages);
        }
        for (const built of Object.keys(a.files)) {
          if (result.code !== 0 || !isExecutableFile(path.join(gobin, built))) {
            throw new Error(`go install ${a.packages.join(' ')} failed (exit ${result.code}):\n${result.stderrTail.trim()}`);
          }
        }
        // Same filesystem: each rename is atomic; the last file named in `files` is renamed last, and
        // `complete()` needs all of them, so a reader never takes a half-installed set.
        for (const [built, name] of Object.entries(a.files)) fs.renameSync(path.join(gobin, built), path.join(a.dir, name));
        const stamp = path.join(a.dir, `build.${randomBytes(4).toString('hex')}`);
        fs.writeFileSync(stamp, `${a.packages.join(' ')}\n${go.version}\nbuilt in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        fs.renameSync(stamp, path.join(a.dir, 'BUILD-INFO'));
        log(`Built ${a.what} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${a.dir}`);
      } finally {
        fs.rmSync(gobin, { recursive: true, force: true });
      }
    },
    a.what,
  );
}

function explicit(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  const file = path.resolve(value);
  if (!isExecutableFile(file)) throw new Error(`${name}=${value} is not an executable file.`);
  return file;
}

export interface ResolveClusterBinariesOptions {
  env?: NodeJS.ProcessEnv;
  toolsDir?: string;
  /** Skip the Web UI (tests run headless). Default: false. */
  withoutUi?: boolean;
  log?: (message: string) => void;
}

/** The server, SQL tool and UI binaries: from the env overrides, the .tools cache, or a one-time Go build. */
export async function resolveClusterBinaries(opts: ResolveClusterBinariesOptions = {}): Promise<ClusterBinaries> {
  const env = opts.env ?? process.env;
  const toolsDir = opts.toolsDir ?? path.join(defaultRepoRoot(), '.tools');
  const log = opts.log ?? ((m: string) => process.stderr.write(`[temporal-server] ${m}\n`));
  const a = artifacts(toolsDir);
  const serverOverride = explicit(env, 'TEMPORAL_SERVER_PATH');
  const sqlOverride = explicit(env, 'TEMPORAL_SQL_TOOL_PATH');
  if (!serverOverride || !sqlOverride) await build(a.server, env, toolsDir, log);
  let ui = explicit(env, 'TEMPORAL_UI_SERVER_PATH');
  if (!ui && !opts.withoutUi) {
    await build(a.ui, env, toolsDir, log);
    ui = path.join(a.ui.dir, a.ui.files.server!);
  }
  return {
    server: serverOverride ?? path.join(a.server.dir, a.server.files.server!),
    sqlTool: sqlOverride ?? path.join(a.server.dir, a.server.files.sql!),
    ui: ui ?? '',
  };
}

/** `temporal-server --version` (e.g. `temporal version 1.32.1`), for logs. */
export async function serverVersion(serverPath: string): Promise<string> {
  const r = await run(serverPath, ['--version'], { timeoutMs: 30_000 });
  return r.stdout.trim() || r.stderr.trim();
}

if (require.main === module) {
  const started = Date.now();
  resolveClusterBinaries().then(
    async (b) => {
      process.stderr.write(`[temporal-server] ${await serverVersion(b.server)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      process.stdout.write(`${b.server}\n${b.sqlTool}\n${b.ui}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
