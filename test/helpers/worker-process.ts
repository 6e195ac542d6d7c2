/**
 * The ccsync worker as a separate OS process (`workers/main.ts`), so a test can SIGKILL it at any
 * moment and start it again, exactly as a crashed host and its supervisor would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export class WorkerProcess {
  private child?: ChildProcess;
  private output: string[] = [];
  /** How many times the worker was started. */
  starts = 0;
  /** Pages the worker logged as synced, over all its starts: the kept output is trimmed, this count is not. */
  pagesSynced = 0;

  /** `script`: the entry point (default the product's workers/main.ts; the rolling-deploy test runs a variant build). */
  constructor(
    private readonly env: Record<string, string>,
    private readonly script = 'workers/main.ts',
  ) {}

  /** Starts the worker and resolves once it polls its task queue. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', this.script], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the worker did not start within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const onLine = (chunk: Buffer) => {
        const text = chunk.toString();
        this.pagesSynced += text.split('page synced').length - 1;
        this.output.push(text);
        if (this.output.length > 400) this.output.splice(0, 200);
        if (text.includes('ccsync worker polling')) {
          clearTimeout(timer);
          done();
        }
      };
      child.stdout.on('data', onLine);
      child.stderr.on('data', onLine);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the worker exited with ${code} before polling:\n${this.tail()}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** SIGKILL: no shutdown, no drain; in-flight activities are lost and Temporal retries them. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything the worker printed (logs), for secret checks. */
  logs(): string {
    return this.output.join('');
  }

  tail(): string {
    return this.output.join('').split('\n').slice(-30).join('\n');
  }
}
