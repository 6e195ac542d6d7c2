/** Runs the real `ccsync` command (bin/ccsync.js) as a user would, capturing its output and exit code. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const CCSYNC_BIN = resolve(__dirname, '../../bin/ccsync.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function ccsync(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CCSYNC_BIN, ...args],
      { env: { ...process.env, ...env }, timeout: Number(process.env.CCSYNC_TEST_CLI_TIMEOUT_MS ?? 600_000) },
      (err, stdout, stderr) => {
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
