/** `ccsync schedules apply|list|pause|unpause|backfill`: the connections file's schedules on Temporal. */
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { connectionsFilePath, loadConnectionsFile } from '../activities/connections';
import { isCcsyncError } from '../core/errors';
import { parseInstant } from '../core/time';
import { applySchedules, scheduleIdFor, SCHEDULE_PREFIX } from '../workers/schedules';
import { CliError, EXIT, printJson, temporalClient, withTemporal } from './output';
import { progressOf } from './workflow-progress';

function loadOrExplain(file: string) {
  try {
    return loadConnectionsFile(file);
  } catch (err) {
    if (isCcsyncError(err)) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

async function withSchedule<T>(connection: string, fn: (h: Awaited<ReturnType<typeof temporalClient>>) => Promise<T>): Promise<T> {
  const t = await temporalClient();
  try {
    return await fn(t);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CliError(`there is no schedule ${scheduleIdFor(connection)} (run \`ccsync schedules apply\`)`, EXIT.failed);
    }
    throw err;
  } finally {
    await t.close();
  }
}

export function schedulesCommands(program: Command): void {
  const schedules = program.command('schedules').description('Temporal Schedules that keep each connection current');

  schedules
    .command('apply')
    .description('create or update one schedule per connection with a `schedule:`; pause those whose connection is not in the file (--prune deletes them)')
    .option('--file <path>', 'the connections file')
    .option('--prune', 'delete, rather than pause, schedules whose connection is not in the file')
    .option('--pause-removed', 'pause schedules whose connection is not in the file (the default; kept for scripts)')
    .option('--dry-run', 'say what would change, change nothing')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file?: string; prune?: boolean; pauseRemoved?: boolean; dryRun?: boolean; json?: boolean }) => {
      if (opts.prune && opts.pauseRemoved) throw new CliError('--prune and --pause-removed contradict each other: choose one', EXIT.usage);
      const file = opts.file ?? connectionsFilePath();
      const connections = loadOrExplain(file);
      await withTemporal(async ({ client, settings }) => {
        const changes = await applySchedules(client, connections, { taskQueue: settings.taskQueue, prune: opts.prune, dryRun: opts.dryRun });
        if (opts.json) printJson({ dryRun: Boolean(opts.dryRun), changes });
        else if (changes.length === 0) console.log('no connection has a schedule; nothing to do');
        else {
          for (const c of changes) {
            const why =
              c.change === 'paused' ? ` (its connection is not in ${file}; \`--prune\` deletes it)` : c.differences ? ` (${c.differences.join('; ')})` : '';
            console.log(`${c.change.padEnd(9)} ${c.scheduleId}${why}`);
          }
          if (opts.dryRun) console.log('(dry run: nothing was changed)');
        }
      });
    });

  schedules
    .command('list')
    .description('list ccsync schedules with their state and next run')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withTemporal(async ({ client }) => {
        const rows = [];
        for await (const s of client.schedule.list()) {
          if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
          const last = s.info.recentActions.at(-1);
          // The last run's outcome and records: what an operator checks first each morning.
          let lastOutcome: string | undefined;
          let lastRecords: number | undefined;
          if (last) {
            const handle = client.workflow.getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId);
            lastOutcome = await handle
              .describe()
              .then((d) => d.status.name)
              .catch(() => undefined);
            lastRecords = (await progressOf<{ records: number }>(client, handle, lastOutcome))?.records;
          }
          rows.push({
            scheduleId: s.scheduleId,
            paused: s.state.paused,
            note: s.state.note,
            nextRun: s.info.nextActionTimes[0]?.toISOString(),
            lastRun: last?.takenAt.toISOString(),
            lastOutcome,
            lastRecords,
          });
        }
        if (opts.json) printJson(rows);
        else if (rows.length === 0) console.log('no ccsync schedules');
        else {
          for (const r of rows) {
            const outcome = r.lastRun ? ` (${r.lastOutcome ?? 'unknown'}${r.lastRecords !== undefined ? `, ${r.lastRecords} records` : ''})` : '';
            console.log(
              `${r.scheduleId}  ${r.paused ? `PAUSED${r.note ? ` (${r.note})` : ''}` : 'active'}  next ${r.nextRun ?? '-'}  last ${r.lastRun ?? '-'}${outcome}`,
            );
          }
        }
      });
    });

  schedules
    .command('pause <connection>')
    .description("pause a connection's schedule")
    .option('--note <text>', 'why (shown in the Web UI)')
    .action((connection: string, opts: { note?: string }) =>
      withSchedule(connection, async ({ client }) => {
        await client.schedule.getHandle(scheduleIdFor(connection)).pause(opts.note ?? 'paused with ccsync');
        console.log(`paused ${scheduleIdFor(connection)}`);
      }),
    );

  schedules
    .command('unpause <connection>')
    .description("resume a connection's schedule")
    .action((connection: string) =>
      withSchedule(connection, async ({ client }) => {
        await client.schedule.getHandle(scheduleIdFor(connection)).unpause('unpaused with ccsync');
        console.log(`unpaused ${scheduleIdFor(connection)}`);
      }),
    );

  schedules
    .command('backfill <connection>')
    .description("run the schedule's action for every time it would have fired in [from, to), each from its own nominal time")
    .requiredOption('--from <iso>', 'start, e.g. 2026-10-01T00:00:00Z')
    .requiredOption('--to <iso>', 'end')
    .option('--overlap <policy>', 'BUFFER_ALL (one after another, default) or ALLOW_ALL', 'BUFFER_ALL')
    .action((connection: string, opts: { from: string; to: string; overlap: string }) => {
      const start = parseInstant(opts.from);
      const end = parseInstant(opts.to);
      if (start === undefined || end === undefined || end <= start) {
        throw new CliError('--from and --to must be ISO-8601 date-times with a zone, --to after --from', EXIT.usage);
      }
      const overlap = opts.overlap === 'ALLOW_ALL' ? ScheduleOverlapPolicy.ALLOW_ALL : ScheduleOverlapPolicy.BUFFER_ALL;
      return withSchedule(connection, async ({ client }) => {
        await client.schedule.getHandle(scheduleIdFor(connection)).backfill({ start: new Date(start), end: new Date(end), overlap });
        console.log(`backfill requested on ${scheduleIdFor(connection)} for ${opts.from} → ${opts.to}`);
      });
    });
}
