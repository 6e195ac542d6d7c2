/**
 * `ccsync workers`: who polls the task queue, and whether they all run the same connections file.
 * Each ccsync worker carries its file's fingerprint in its Temporal identity; workers whose
 * fingerprints differ (a config rollout under way, or a worker started with the wrong file) are
 * named, and the command exits 1.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { connectionsFilePath, connectionsFingerprint, loadConnectionsFile } from '../activities/connections';
import { isCcsyncError } from '../core/errors';
import { describePollers } from '../workers/fleet';
import { EXIT, printJson, withTemporal } from './output';

export function workersCommands(program: Command): void {
  program
    .command('workers')
    .description("the workers polling the task queue, each with its connections file's fingerprint; exits 1 when they differ")
    .option('--file <path>', 'also compare with this connections file (default: the one this CLI finds, if any)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file?: string; json?: boolean }) => {
      const file = opts.file ?? connectionsFilePath();
      let local: { file: string; fingerprint?: string; problem?: string } | undefined;
      if (existsSync(file)) {
        try {
          local = { file, fingerprint: connectionsFingerprint(loadConnectionsFile(file)) };
        } catch (err) {
          if (!isCcsyncError(err)) throw err;
          local = { file, problem: err.message };
        }
      }
      await withTemporal(async ({ client, settings }) => {
        const pollers = await describePollers(client.workflowService, settings.namespace, settings.taskQueue);
        const fingerprints = [...new Set(pollers.map((p) => p.fingerprint ?? 'none'))];
        const differ = fingerprints.length > 1;
        if (opts.json) printJson({ taskQueue: settings.taskQueue, pollers, fingerprints, consistent: !differ, local });
        else {
          if (pollers.length === 0) console.log(`no worker is polling task queue "${settings.taskQueue}" (start one with \`npm run worker\`)`);
          else console.log(`task queue "${settings.taskQueue}": ${pollers.length} worker(s)`);
          for (const p of pollers) {
            const mark = local?.fingerprint && p.fingerprint && p.fingerprint !== local.fingerprint ? ' (differs from the file here)' : '';
            console.log(`  ${p.identity}  connections ${p.fingerprint ?? '-'}${mark}  last polled ${p.lastAccessTime ?? '-'}  (${p.types.join(', ')})`);
          }
          if (local?.fingerprint) console.log(`connections file here: ${local.file}, fingerprint ${local.fingerprint}`);
          if (local?.problem) console.log(`connections file here is not valid: ${local.problem}`);
          if (differ) {
            console.log(
              `WARNING: the workers run ${fingerprints.length} different connections files (${fingerprints.join(', ')}): ` +
                'a connection missing from one of them is retried until a worker that knows it takes the task; roll the same file out to every worker.',
            );
          }
        }
        if (differ) process.exitCode = EXIT.failed;
      });
    });
}
