/** `ccsync backfill start|status|cancel|list`: the same `backfill` workflow a Web UI user starts. */
import { type Client, type WorkflowHandle, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { connectionsFilePath } from '../activities/connections';
import { backfillInput } from '../core/inputs';
import type { BackfillProgress } from '../workflows/backfill';
import { checkedBackfillPlan, checkedConnection, checkedInput, describeEstimate, humanDuration, wholeNumber } from './checks';
import { CliError, EXIT, printJson, withTemporal } from './output';
import { ProgressBar } from './progress';
import { progressOf } from './workflow-progress';

function line(p: BackfillProgress): string {
  const w = p.windows;
  return `${p.phase.padEnd(9)} windows ${w.done + w.skipped}/${w.total} (${w.running} running, ${w.failed} failed) · ${p.records} records (${p.inserted} new, ${p.updated} changed)`;
}

/** Time left at the pace so far (windows done by this run, not the ones skipped as complete). */
export function eta(p: BackfillProgress, startedAt: number, now = Date.now()): string | undefined {
  const done = p.windows.done;
  const left = p.windows.total - p.windows.done - p.windows.skipped;
  if (done === 0 || left <= 0) return undefined;
  return humanDuration(((now - startedAt) / done) * left);
}

export interface BackfillOutcome {
  workflowId: string;
  status: string;
  /** Why it failed or was cancelled, in the workflow's own words. */
  message?: string;
  /** The first window that failed and its cause, when the workflow recorded one. */
  firstFailure?: { window: string; type?: string; message: string };
  progress?: BackfillProgress;
}

/** Status, progress and, for a closed backfill, what really happened. */
async function outcomeOf(client: Client, handle: WorkflowHandle, workflowId: string): Promise<BackfillOutcome> {
  const d = await handle.describe();
  const progress = await progressOf<BackfillProgress>(client, handle, d.status.name);
  const out: BackfillOutcome = { workflowId, status: d.status.name, progress };
  if (d.status.name === 'FAILED' || d.status.name === 'CANCELLED' || d.status.name === 'TERMINATED' || d.status.name === 'TIMED_OUT') {
    try {
      await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        out.message = err.cause?.message ?? err.message;
        const details = (err.cause as { details?: unknown[] } | undefined)?.details?.[0] as { failures?: BackfillOutcome['firstFailure'][] } | undefined;
        out.firstFailure = details?.failures?.[0] ?? progress?.failures[0];
        if (d.status.name === 'CANCELLED') {
          // Temporal's own words are just "Workflow canceled": say what was kept.
          const kept = progress
            ? `${progress.windows.done} window(s) completed and recorded before it stopped, ${progress.records} records`
            : 'its progress is not known';
          out.message = `cancelled; ${kept}${out.message && !/^Workflow cancel+ed$/i.test(out.message) ? ` (${out.message})` : ''}`;
        }
      }
    }
  }
  return out;
}

function printOutcome(o: BackfillOutcome): void {
  console.log(`${o.workflowId}: ${o.status}${o.progress ? `\n  ${line(o.progress)}` : ''}`);
  if (o.firstFailure)
    console.log(`  first failed window: ${o.firstFailure.window}: ${o.firstFailure.type ? `${o.firstFailure.type}: ` : ''}${o.firstFailure.message}`);
  if (o.message) console.log(`  ${o.status === 'CANCELLED' ? 'cancelled' : 'failure'}: ${o.message}`);
}

async function notFound<T>(workflowId: string, json: boolean | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
      if (json) printJson({ workflowId, status: 'NOT_FOUND', message: `there is no workflow ${workflowId}` });
      throw new CliError(`there is no workflow ${workflowId} (see \`ccsync backfill list\`)`, EXIT.usage);
    }
    throw err;
  }
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
  file?: string;
}

/** A `backfill <name> <workflowId> [--json]` command whose body gets a connected client. */
function byId(
  backfill: Command,
  name: string,
  description: string,
  body: (client: Client, workflowId: string, opts: { json?: boolean }) => Promise<void>,
): void {
  backfill
    .command(`${name} <workflowId>`)
    .description(description)
    .option('--json', 'machine-readable output')
    .action((workflowId: string, opts: { json?: boolean }) => withTemporal(({ client }) => body(client, workflowId, opts)));
}

export function backfillCommands(program: Command): void {
  const backfill = program.command('backfill').description('sync a past time range');
  backfill
    .command('start')
    .description('start a backfill workflow (checked first: bad input exits 2 and starts nothing)')
    .requiredOption('-c, --connection <name>', 'connection name from the connections file')
    .requiredOption('--from <iso>', 'start of the range, e.g. 2026-10-01T00:00:00Z')
    .option('--to <iso>', 'end of the range (default: now)')
    .option('-s, --streams <list>', 'comma-separated streams (default: every enabled stream)')
    .option('--window-size <duration>', 'window size, e.g. P1D')
    .option('--max-parallel <n>', 'windows running at once (1 to 32)', wholeNumber)
    .option('--force', 're-sync windows already complete')
    .option('--id <workflowId>', 'workflow id (default: backfill/<connection>/<time>)')
    .option('--file <path>', 'the connections file to check against (default: as the worker finds it)')
    .option('--wait', 'wait for the result, printing progress and an ETA')
    .option('--json', 'machine-readable output')
    .action(async (opts: StartOptions) => {
      const raw = {
        connection: opts.connection,
        from: opts.from,
        ...(opts.to ? { to: opts.to } : {}),
        ...(opts.streams
          ? {
              streams: String(opts.streams)
                .split(',')
                .map((s: string) => s.trim()),
            }
          : {}),
        ...(opts.windowSize ? { windowSize: opts.windowSize } : {}),
        ...(opts.maxParallel !== undefined ? { maxParallelWindows: opts.maxParallel } : {}),
        ...(opts.force ? { force: true } : {}),
      };
      const input = checkedInput(backfillInput, raw, 'backfill');
      const checked = checkedConnection(opts.file ?? connectionsFilePath(), input.connection, input.streams, opts.json);
      const estimate = checked ? checkedBackfillPlan(input, checked) : undefined;
      await withTemporal(async ({ client, settings }) => {
        const workflowId = opts.id ?? `backfill/${opts.connection}/${new Date().toISOString()}`;
        const handle = await client.workflow.start('backfill', { taskQueue: settings.taskQueue, workflowId, args: [raw] });
        if (!opts.json) {
          console.log(`started backfill ${workflowId}`);
          if (estimate) console.log(`  ${describeEstimate(estimate, checked!.plan.sourceTitle)}`);
        }
        if (!opts.wait) {
          if (opts.json) printJson({ workflowId, runId: handle.firstExecutionRunId, estimate });
          return;
        }
        const startedAt = Date.now();
        const bar = new ProgressBar();
        const onInterrupt = () => {
          bar.done();
          console.error(
            `\nccsync: stopped waiting; the backfill keeps running. Follow it with \`ccsync backfill status ${workflowId}\`, stop it with \`ccsync backfill cancel ${workflowId}\`.`,
          );
          process.exit(130);
        };
        process.once('SIGINT', onInterrupt);
        const poll = async (): Promise<void> => {
          try {
            const p = await handle.query<BackfillProgress>('progress');
            const left = eta(p, startedAt);
            if (!opts.json) bar.update(p.windows.done + p.windows.skipped, p.windows.total, `${line(p)}${left ? ` · ETA ${left}` : ''}`);
          } catch {
            /* not answering yet */
          }
        };
        // poll() catches its own errors, so nothing is lost by not awaiting it here.
        const timer = setInterval(() => void poll(), 1000);
        try {
          const result = (await handle.result()) as BackfillProgress;
          if (opts.json) printJson({ workflowId, status: 'COMPLETED', estimate, result });
          else console.log(line(result));
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            const message = err.cause?.message ?? err.message;
            const status = err.cause instanceof CancelledFailure ? 'CANCELLED' : 'FAILED';
            if (opts.json) printJson({ workflowId, status, message });
            throw new CliError(`backfill ${status === 'CANCELLED' ? 'cancelled' : 'failed'}: ${message}`, EXIT.failed);
          }
          throw err;
        } finally {
          process.removeListener('SIGINT', onInterrupt);
          clearInterval(timer);
          bar.done();
        }
      });
    });

  byId(
    backfill,
    'status',
    "a backfill's status and progress; a failed one exits 1 with its first failed window and the cause",
    async (client, workflowId, opts) => {
      const o = await notFound(workflowId, opts.json, () => outcomeOf(client, client.workflow.getHandle(workflowId), workflowId));
      if (opts.json) printJson(o);
      else printOutcome(o);
      if (o.status !== 'RUNNING' && o.status !== 'COMPLETED' && o.status !== 'CONTINUED_AS_NEW') process.exitCode = EXIT.failed;
    },
  );

  byId(
    backfill,
    'cancel',
    'cancel a running backfill: its running windows stop, and none is marked complete unless it finished',
    async (client, workflowId, opts) => {
      const handle = client.workflow.getHandle(workflowId);
      const d = await notFound(workflowId, opts.json, () => handle.describe());
      if (d.status.name !== 'RUNNING') {
        // Cancelling a closed workflow is a no-op at Temporal: say what really happened instead.
        const o = await outcomeOf(client, handle, workflowId);
        if (opts.json) printJson({ ...o, cancelled: false });
        else {
          console.log(`${workflowId} is not running: it already ended ${o.status}; nothing was cancelled`);
          printOutcome(o);
        }
        process.exitCode = EXIT.failed;
        return;
      }
      await handle.cancel();
      if (opts.json) printJson({ workflowId, status: 'RUNNING', cancelled: true });
      else
        console.log(
          `cancellation requested for ${workflowId}: running windows stop, completed ones stay recorded (follow with \`ccsync backfill status ${workflowId}\`)`,
        );
    },
  );

  backfill
    .command('list')
    .description('running and recent backfills, with their outcome and records')
    .option('-c, --connection <name>', 'only this connection')
    .option('--limit <n>', 'how many (default 20)', wholeNumber, 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { connection?: string; limit: number; json?: boolean }) => {
      await withTemporal(async ({ client }) => {
        const rows = await listBackfills(client, opts.connection, opts.limit);
        if (opts.json) printJson(rows);
        else if (rows.length === 0) console.log('no backfills');
        else {
          for (const r of rows) {
            console.log(
              `${r.status.padEnd(10)} ${r.workflowId}  started ${r.startTime}${r.closeTime ? `  ended ${r.closeTime}` : ''}` +
                `${r.windows ? `  windows ${r.windows}` : ''}${r.records !== undefined ? `  ${r.records} records` : ''}`,
            );
          }
        }
      });
    });
}

export interface BackfillRow {
  workflowId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  windows?: string;
  records?: number;
}

async function listBackfills(client: Client, connection: string | undefined, limit: number): Promise<BackfillRow[]> {
  const query = `WorkflowType = 'backfill'${connection ? ` AND CcsyncConnection = '${connection.replace(/'/g, '')}'` : ''}`;
  const rows: BackfillRow[] = [];
  for await (const w of client.workflow.list({ query })) {
    // A backfill that continued as new is listed once per run: keep its newest run only.
    if (rows.some((r) => r.workflowId === w.workflowId)) continue;
    const row: BackfillRow = { workflowId: w.workflowId, status: w.status.name, startTime: w.startTime.toISOString(), closeTime: w.closeTime?.toISOString() };
    const p = await progressOf<BackfillProgress>(client, client.workflow.getHandle(w.workflowId, w.runId), w.status.name);
    if (p) {
      row.windows = `${p.windows.done + p.windows.skipped}/${p.windows.total}${p.windows.failed ? ` (${p.windows.failed} failed)` : ''}`;
      row.records = p.records;
    }
    rows.push(row);
    if (rows.length >= limit) break;
  }
  return rows;
}
