/**
 * `npm test`: one real Temporal dev server for the whole run, then node's test runner over
 * test/unit/*.test.ts, then test/integration/*.test.ts (each sorted; one runner per suite, because
 * `node --test` sorts all the files it is given by path, which would put integration first).
 *
 *   npm test                              everything
 *   npm test -- test/unit/time.test.ts    one file (or several)
 *   npm test -- backfill                  files whose path contains "backfill"
 *   npm test -- --test-name-pattern=x     flags starting with -- go to `node --test`
 *
 * Test processes get TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_CLI_PATH and CCSYNC_TEST_TEMPORAL=1.
 *
 * CCSYNC_TEST_TARGET=cluster (`npm run test:cluster`): the same tests on a self-hosted Temporal
 * cluster (dev/cluster.ts: four services on PostgreSQL, private databases dropped afterwards)
 * instead of the dev server; suites `integration` (only CLUSTER_INTEGRATION_FILES) and `cluster`.
 * Exit code: non-zero when any runner failed, 1 when no test file matched. The last lines printed
 * are the runner's summary (`ℹ tests N`, `ℹ pass N`, `ℹ fail N`, ...), summed over the suites.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DevServer, startDevServer } from '../dev/dev-server';
import { startClusterTarget } from './cluster/target';

/** What the run needs of its Temporal server: the dev server, or a cluster shaped like one. */
export type TestServer = Pick<DevServer, 'address' | 'namespace' | 'outputTail' | 'stop'> & {
  process: Pick<DevServer['process'], 'pid' | 'exitCode' | 'signalCode'>;
};
import { resolveTemporalCli } from '../dev/temporal-cli';

const ROOT = path.resolve(__dirname, '..');
const ON_CLUSTER = process.env.CCSYNC_TEST_TARGET === 'cluster';
/** The suites `npm test` runs; `CCSYNC_TEST_SUITES=chaos` (npm run test:chaos) picks others. */
export const SUITES: readonly string[] = process.env.CCSYNC_TEST_SUITES
  ? process.env.CCSYNC_TEST_SUITES.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : ON_CLUSTER
    ? ['integration', 'cluster']
    : ['unit', 'integration'];
/**
 * The integration files that also run on the cluster, trimmed to what the cluster changes so that
 * `npm run test:cluster` stays within its 14-minute share of CI: Kore.ai call-volume backfills into
 * SQLite and PostgreSQL (its vendor-trouble suite is activity retries, which the faults exercise on
 * the cluster anyway), incremental sync and schedules, and the CLI's backfill commands that talk to
 * Temporal (start --wait, the plan, status of a failed one, cancel, list, a refused window; its flag
 * and file checks never reach Temporal). LivePerson's and CCAI Platform's backfills run on the
 * cluster in test/cluster (every fault and the rolling deploy backfill all three sources, checked
 * record by record), so their integration files stay on the dev server. A pattern runs only the
 * matching suites or tests of a file (node's --test-name-pattern, in a runner of its own).
 */
export const CLUSTER_INTEGRATION_FILES: Record<string, string | undefined> = {
  'kore-callvolume-backfill.test.ts': '^backfill of Kore\\.ai call volume into ',
  'schedules-incremental.test.ts': undefined,
  'cli.test.ts': '^(start --wait runs|states the windows|status of a failed backfill|cancel of a finished backfill|backfill list shows|syncWindow by hand)',
};
const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'] as const;
type SummaryKey = (typeof SUMMARY_KEYS)[number];
const SUMMARY_LINE = new RegExp(`^ℹ (${SUMMARY_KEYS.join('|')}) (\\d+(?:\\.\\d+)?)$`);

function say(message: string): void {
  process.stdout.write(`[test] ${message}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** test/<suite>/*.test.ts, suites in order, files sorted; narrowed by file paths or substrings. */
export function collectTestFiles(root: string, filters: string[]): string[] {
  const all: string[] = [];
  for (const suite of SUITES) {
    const dir = path.join(root, 'test', suite);
    if (!fs.existsSync(dir)) continue;
    all.push(
      ...fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .filter((f) => !ON_CLUSTER || suite !== 'integration' || f in CLUSTER_INTEGRATION_FILES)
        .sort()
        .map((f) => path.join('test', suite, f)),
    );
  }
  if (filters.length === 0) return all;
  return all.filter((rel) =>
    filters.some((filter) => {
      const asPath = path.relative(root, path.resolve(process.cwd(), filter));
      return asPath === rel || rel.includes(filter.replace(/\\/g, '/'));
    }),
  );
}

interface RunResult {
  code: number;
  summary: Partial<Record<SummaryKey, number>>;
}

let current: ReturnType<typeof spawn> | undefined;
let interrupted = false;

function runNodeTest(files: string[], runnerFlags: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const args = [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      // Per test and per file: a hung test fails instead of hanging CI. Generous; override by env.
      `--test-timeout=${process.env.CCSYNC_TEST_TIMEOUT_MS ?? 900_000}`,
      ...runnerFlags,
      ...files,
    ];
    // Its own process group: the test files' processes and whatever they spawned (workers, CLIs)
    // are in it, so one kill ends them all. A file whose test timed out can leave such processes
    // behind; they hold the runner's stdout open, and `npm test` would never exit.
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env, detached: true });
    current = child;
    let settled = false;
    let sawSummary = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const killGroup = (why: string) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
        say(why);
      } catch {
        // The group is already gone: nothing was left behind.
      }
    };
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      scan(partial);
      partial = '';
      current = undefined;
      resolve({ code, summary });
    };
    const summary: RunResult['summary'] = {};
    let partial = '';
    const scan = (line: string) => {
      // eslint-disable-next-line no-control-regex
      const m = SUMMARY_LINE.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
      if (m) summary[m[1] as SummaryKey] = Number(m[2]);
      // duration_ms is the runner's last summary line: it is done. If it has not exited a while
      // later, something it started (a timed-out file's process) keeps it alive: end the group.
      if (m?.[1] === 'duration_ms' && !sawSummary) {
        sawSummary = true;
        graceTimer = setTimeout(() => {
          killGroup(`the test runner printed its summary but had not exited 30 s later: killed its process group (pid ${child.pid})`);
        }, 30_000);
        graceTimer.unref();
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(scan);
    });
    child.on('error', (err) => {
      say(`could not start the test runner: ${err.message}`);
      finish(1);
    });
    // On exit, not on close: a leftover grandchild keeps the pipe open, so 'close' may never come.
    // Give the pipe a moment to drain, then end whatever is left in the group.
    child.on('exit', (exitCode) => {
      const code = exitCode ?? 1;
      const drained = setTimeout(() => {
        killGroup(`processes started by the tests outlived the test runner: killed its process group (pid ${child.pid})`);
        finish(code);
      }, 2000);
      child.stdout?.once('close', () => {
        clearTimeout(drained);
        killGroup(`processes started by the tests outlived the test runner: killed its process group (pid ${child.pid})`);
        finish(code);
      });
    });
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const argv = process.argv.slice(2);
  const runnerFlags = argv.filter((a) => a.startsWith('--'));
  const filters = argv.filter((a) => !a.startsWith('--'));

  const files = collectTestFiles(ROOT, filters);
  if (files.length === 0) {
    const matching = filters.length ? ` matching ${filters.map((f) => JSON.stringify(f)).join(', ')}` : '';
    say(`no test files found${matching} under test/{${SUITES.join(',')}}/*.test.ts`);
    return 1;
  }
  say(`${files.length} test file(s)`);

  const forward = (signal: NodeJS.Signals) => {
    interrupted = true;
    current?.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  const cliStarted = Date.now();
  const cli = await resolveTemporalCli();
  const cliMs = Date.now() - cliStarted;
  say(`Temporal CLI: ${cli.path} (${cli.source}, resolved in ${seconds(cliMs)})`);

  const serverStarted = Date.now();
  const server: TestServer = ON_CLUSTER ? await startClusterTarget(say) : await startDevServer({ cliPath: cli.path, headless: true });
  const serverMs = Date.now() - serverStarted;
  say(
    `Temporal ${ON_CLUSTER ? 'cluster' : 'dev server'}: ${server.address}, namespace ${server.namespace} (pid ${server.process.pid}, up in ${seconds(serverMs)})`,
  );

  if (interrupted) {
    await server.stop();
    say('interrupted');
    return 130;
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_CLI_PATH: cli.path,
    CCSYNC_TEST_TEMPORAL: '1',
  };
  const results: { suite: string; ms: number; result: RunResult }[] = [];
  const testsStarted = Date.now();
  let testsMs: number;
  let stopMs: number;
  try {
    for (const suite of SUITES) {
      const suiteFiles = files.filter((f) => f.startsWith(path.join('test', suite) + path.sep));
      if (suiteFiles.length === 0 || interrupted) continue;
      say(`${suite}: ${suiteFiles.length} file(s)`);
      // On the cluster, files with a name pattern run in runners of their own (one per pattern).
      const groups = new Map<string | undefined, string[]>();
      for (const f of suiteFiles) {
        const pattern = ON_CLUSTER && suite === 'integration' ? CLUSTER_INTEGRATION_FILES[path.basename(f)] : undefined;
        groups.set(pattern, [...(groups.get(pattern) ?? []), f]);
      }
      for (const [pattern, group] of groups) {
        if (interrupted) break;
        const suiteStarted = Date.now();
        const result = await runNodeTest(group, pattern ? [...runnerFlags, `--test-name-pattern=${pattern}`] : runnerFlags, env);
        results.push({
          suite: pattern ? `${suite} (${group.map((f) => path.basename(f)).join(', ')}: ${pattern})` : suite,
          ms: Date.now() - suiteStarted,
          result,
        });
      }
    }
    testsMs = Date.now() - testsStarted;
  } finally {
    if (server.process.exitCode !== null || server.process.signalCode !== null) {
      say(`the Temporal dev server died during the run; its output:\n${server.outputTail()}`);
    }
    const stopping = Date.now();
    await server.stop();
    stopMs = Date.now() - stopping;
  }

  process.stdout.write('\n');
  say(
    `timings: CLI resolution ${seconds(cliMs)}, dev server start ${seconds(serverMs)}, ` +
      results.map((r) => `${r.suite} ${seconds(r.ms)}`).join(', ') +
      `, all tests ${seconds(testsMs)}, dev server stop ${seconds(stopMs)}, whole run ${seconds(Date.now() - started)}`,
  );
  if (interrupted) say('interrupted');
  let code = results.reduce((worst, r) => (worst !== 0 ? worst : r.result.code), 0);
  if (interrupted && code === 0) code = 130;
  const missing = results.filter((r) => r.result.summary.tests === undefined);
  if (missing.length > 0) {
    say(`no summary from the node test runner for: ${missing.map((r) => r.suite).join(', ')} (did it crash?)`);
    if (code === 0) code = 1;
  }
  // Summed over the suites, in the runner's own format, as the last lines of the log.
  say(`summary (${results.map((r) => r.suite).join(' + ')}), exit code ${code}:`);
  for (const key of SUMMARY_KEYS) {
    const total = results.reduce((sum, r) => sum + (r.result.summary[key] ?? 0), 0);
    process.stdout.write(`ℹ ${key} ${key === 'duration_ms' ? total.toFixed(3) : total}\n`);
  }
  return code;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`[test] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
