/** `ccsync backfill start|status|cancel`: the same `backfill` workflow a Web UI user starts. */
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import type { BackfillProgress } from '../workflows/backfill';
import { CliError, EXIT, printJson, temporalClient } from './output';
import { ProgressBar } from './progress';

function line(p: BackfillProgress): string {
  const w = p.windows;
  return `${p.phase.padEnd(9)} windows ${w.done + w.skipped}/${w.total} (${w.running} running, ${w.failed} failed) · ${p.records} records (${p.inserted} new, ${p.updated} changed)`;
}

/** What commander parses from `backfill start`'s flags (names as camelCase; `--max-parallel` through Number). */
interface StartOptions {
  connection: string;
  from: string;
  to?: string;
  streams?: string;
  windowSize?: string;
  maxParallel?: number;
  force?: boolean;
  id?: string;
  wait?: boolean;
  json?: boolean;
}

export function backfillCommands(program: Command): void {
  const backfill = program.command('backfill').description('sync a past time range');
  backfill
    .command('start')
    .description('start a backfill workflow')
    .requiredOption('-c, --connection <name>', 'connection name from the connections file')
    .requiredOption('--from <iso>', 'start of the range, e.g. 2026-10-01T00:00:00Z')
    .option('--to <iso>', 'end of the range (default: now)')
    .option('-s, --streams <list>', 'comma-separated streams (default: every enabled stream)')
    .option('--window-size <duration>', 'window size, e.g. P1D')
    .option('--max-parallel <n>', 'windows running at once', (v) => Number(v))
    .option('--force', 're-sync windows already complete')
    .option('--id <workflowId>', 'workflow id (default: backfill/<connection>/<time>)')
    .option('--wait', 'wait for the result, printing progress')
    .option('--json', 'machine-readable output')
    .action(async (opts: StartOptions) => {
      const input = {
        connection: opts.connection,
        from: opts.from,
        ...(opts.to ? { to: opts.to } : {}),
        ...(opts.streams ? { streams: String(opts.streams).split(',').map((s: string) => s.trim()) } : {}),
        ...(opts.windowSize ? { windowSize: opts.windowSize } : {}),
        ...(opts.maxParallel ? { maxParallelWindows: opts.maxParallel } : {}),
        ...(opts.force ? { force: true } : {}),
      };
      const { client, settings, close } = await temporalClient();
      try {
        const workflowId = opts.id ?? `backfill/${opts.connection}/${new Date().toISOString()}`;
        const handle = await client.workflow.start('backfill', { taskQueue: settings.taskQueue, workflowId, args: [input] });
        if (!opts.json) console.log(`started backfill ${workflowId}`);
        if (!opts.wait) {
          if (opts.json) printJson({ workflowId, runId: handle.firstExecutionRunId });
          return;
        }
        const bar = new ProgressBar();
        const poll = async (): Promise<void> => {
          try {
            const p = await handle.query<BackfillProgress>('progress');
            if (!opts.json) bar.update(p.windows.done + p.windows.skipped, p.windows.total, line(p));
          } catch {
            /* not answering yet */
          }
        };
        // poll() catches its own errors, so nothing is lost by not awaiting it here.
        const timer = setInterval(() => void poll(), 1000);
        try {
          const result = (await handle.result()) as BackfillProgress;
          if (opts.json) printJson({ workflowId, status: 'COMPLETED', result });
          else console.log(line(result));
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            const message = err.cause?.message ?? err.message;
            if (opts.json) printJson({ workflowId, status: 'FAILED', message });
            throw new CliError(`backfill failed: ${message}`, EXIT.failed);
          }
          throw err;
        } finally {
          clearInterval(timer);
          bar.done();
        }
      } finally {
        await close();
      }
    });

  backfill
    .command('status <workflowId>')
    .description("show a backfill's status and progress")
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      const { client, close } = await temporalClient();
      try {
        const handle = client.workflow.getHandle(workflowId);
        const d = await handle.describe();
        const progress = await handle.query<BackfillProgress>('progress').catch(() => undefined);
        if (opts.json) printJson({ workflowId, status: d.status.name, progress });
        else console.log(`${workflowId}: ${d.status.name}${progress ? `\n  ${line(progress)}` : ''}`);
      } finally {
        await close();
      }
    });

  backfill
    .command('cancel <workflowId>')
    .description('cancel a backfill: its running windows stop, and none is marked complete unless it finished')
    .action(async (workflowId: string) => {
      const { client, close } = await temporalClient();
      try {
        await client.workflow.getHandle(workflowId).cancel();
        console.log(`cancellation requested for ${workflowId}`);
      } finally {
        await close();
      }
    });
}
