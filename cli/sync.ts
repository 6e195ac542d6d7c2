/** `ccsync sync now <connection>`: an incremental run now, outside the schedule. */
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { connectionsFilePath } from '../activities/connections';
import { incrementalSyncInput } from '../core/inputs';
import { checkedConnection, checkedInput } from './checks';
import type { IncrementalProgress } from '../workflows/incremental-sync';
import { CliError, EXIT, printJson, withTemporal } from './output';

export function syncCommands(program: Command): void {
  const sync = program.command('sync').description('run a sync outside the schedule');
  sync
    .command('now <connection>')
    .description('bring every stream of a connection up to date now (incrementalSync)')
    .option('-s, --streams <list>', 'comma-separated streams (default: every enabled stream)')
    .option('--file <path>', 'the connections file to check against (default: as the worker finds it)')
    .option('--wait', 'wait for the result')
    .option('--json', 'machine-readable output')
    .action(async (connection: string, opts: { streams?: string; file?: string; wait?: boolean; json?: boolean }) => {
      const input = { connection, ...(opts.streams ? { streams: opts.streams.split(',').map((s) => s.trim()) } : {}) };
      // Checked before anything starts, with or without --wait: bad input is exit 2.
      const valid = checkedInput(incrementalSyncInput, input, 'incrementalSync');
      checkedConnection(opts.file ?? connectionsFilePath(), valid.connection, valid.streams, opts.json);
      await withTemporal(async ({ client, settings }) => {
        const workflowId = `incremental/${connection}/manual-${new Date().toISOString()}`;
        const handle = await client.workflow.start('incrementalSync', { taskQueue: settings.taskQueue, workflowId, args: [input] });
        if (!opts.wait) {
          if (opts.json) printJson({ workflowId });
          else console.log(`started ${workflowId}`);
          return;
        }
        try {
          const result = (await handle.result()) as IncrementalProgress;
          if (opts.json) printJson({ workflowId, status: 'COMPLETED', result });
          else {
            console.log(`${workflowId}: done, ${result.windows.done} window(s), ${result.records} records (${result.inserted} new, ${result.updated} changed)`);
            for (const p of result.plan) console.log(`  ${p.stream}: ${p.from} → ${p.to}, ${p.windows} window(s)${p.note ? ` (${p.note})` : ''}`);
          }
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new CliError(`sync failed: ${err.cause?.message ?? err.message}`, EXIT.failed);
          throw err;
        }
      });
    });
}
