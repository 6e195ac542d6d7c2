/**
 * The real Prometheus (Debian's `prometheus` package: /usr/bin/prometheus and /usr/bin/promtool)
 * for tests: finding the binaries, and a server on a free port scraping given targets, read
 * through its HTTP API. Missing binaries fail the test with the install command, never skip it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findFreePort } from '../../dev/dev-server';

/** PROMETHEUS_BIN_DIR, then PATH, then /usr/bin. */
export function findPrometheusBinary(name: 'prometheus' | 'promtool'): string {
  const dirs = [process.env.PROMETHEUS_BIN_DIR, ...(process.env.PATH ?? '').split(delimiter), '/usr/bin'].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`${name} not found (PATH, /usr/bin, PROMETHEUS_BIN_DIR): install Debian's prometheus package (apt-get install -y prometheus); .ci/run does`);
}

export interface RunResult {
  code: number;
  output: string;
}

export function run(file: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((done) => {
    execFile(file, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

export interface PrometheusServer {
  url: string;
  /** An instant query; the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Polls `query` until `accept` holds (or throws after `timeoutMs`, with the last result). */
  waitFor<T>(expr: string, accept: (r: { metric: Record<string, string>; value: [number, string] }[]) => T | undefined, timeoutMs?: number): Promise<T>;
  logs(): string;
  stop(): Promise<void>;
}

/** A Prometheus server scraping `targets` every second under job "ccsync-worker", with `ruleFiles` loaded. */
export async function startPrometheus(opts: { targets: string[]; ruleFiles?: string[] }): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ccsync-prometheus-'));
  const port = await findFreePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
${opts.ruleFiles?.length ? `rule_files:\n${opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`).join('\n')}\n` : ''}scrape_configs:
  - job_name: ccsync-worker
    static_configs:
      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]
`,
  );
  const child: ChildProcess = spawn(
    findPrometheusBinary('prometheus'),
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus did not get ready within 60 s:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const query: PrometheusServer['query'] = async (expr) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data!.result;
  };
  return {
    url,
    query,
    async waitFor(expr, accept, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        const r = await query(expr);
        last = r;
        const ok = accept(r);
        if (ok !== undefined) return ok;
        if (Date.now() > until) throw new Error(`timed out waiting on ${expr}; last result ${JSON.stringify(last)}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    },
    logs: () => output.join(''),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
