/**
 * `ccsync reset <connection> [-s a,b] [--data]`: forget a stream's sync state (the next backfill or
 * scheduled run syncs it again from the start), and with `--data` its rows, child tables included.
 * Destructive, so: nothing while a run of the connection is running (asked of Temporal, before the
 * prompt and again just before deleting), a y/N prompt on a terminal, `--yes` for scripts, and a
 * refusal without either. It says exactly what it removed.
 */
import { createInterface } from 'node:readline/promises';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { connectionsFilePath, ConnectionsStore } from '../activities/connections';
import type { Runtime } from '../activities/runtime';
import { describeConnection } from '../activities/state';
import { isCcsyncError } from '../core/errors';
import type { SourceDeclaration, StreamDeclaration } from '../core/source';
import { intervalToIso } from '../core/time';
import { destinationFromEnv } from '../destinations';
import type { Destination, ResetOutcome, ResetTable } from '../destinations/destination';
import { snakeCase } from '../destinations/columns';
import { CliError, EXIT, printJson, temporalClient } from './output';

interface ResetOptions {
  streams?: string;
  data?: boolean;
  yes?: boolean;
  file?: string;
  json?: boolean;
}

/** Workflows of this connection that are running: labelled ones, and by id those not labelled yet (just started). */
export async function runningOf(client: Client, connection: string): Promise<{ workflowId: string; type: string }[]> {
  const c = connection.replace(/['\\]/g, '');
  const query =
    `ExecutionStatus = 'Running' AND (CcsyncConnection = '${c}' OR WorkflowId = 'incremental/${c}' OR ` +
    `WorkflowId STARTS_WITH 'incremental/${c}/' OR WorkflowId STARTS_WITH 'backfill/${c}/' OR WorkflowId STARTS_WITH '${c}/')`;
  const out: { workflowId: string; type: string }[] = [];
  for await (const w of client.workflow.list({ query })) {
    if (out.some((o) => o.workflowId === w.workflowId)) continue;
    // Visibility lags behind a run that has just closed (a backfill's last windows, seconds ago):
    // describe() reads the run itself, so only what is really running refuses the reset.
    const d = await client.workflow
      .getHandle(w.workflowId, w.runId)
      .describe()
      .catch(() => undefined);
    if (d !== undefined && d.status.name !== 'RUNNING') continue;
    out.push({ workflowId: w.workflowId, type: w.type });
  }
  // The runs people started first; their windows (children) after them.
  return [...out.filter((o) => o.type !== 'syncWindow'), ...out.filter((o) => o.type === 'syncWindow')];
}

async function refuseWhileRunning(client: Client, connection: string): Promise<void> {
  const running = await runningOf(client, connection);
  if (!running.length) return;
  throw new CliError(
    `not resetting "${connection}": ${running.length} workflow(s) of it are running (${running
      .slice(0, 5)
      .map((r) => `${r.type} ${r.workflowId}`)
      .join(', ')}${running.length > 5 ? ', …' : ''}); ` +
      `wait for them or cancel them (\`ccsync backfill cancel ID\`), and pause its schedule (\`ccsync schedules pause ${connection}\`) first`,
    EXIT.failed,
  );
}

/**
 * The tables `--data` empties for a stream: its own and its children's. A child table another
 * stream of the source also writes (CCAI Platform's photos and videos, from calls and chats) is
 * emptied only of this stream's children: those whose parent column names one of its rows.
 */
async function tablesOf(destination: Destination, connection: string, source: SourceDeclaration, stream: StreamDeclaration): Promise<ResetTable[]> {
  const tables: ResetTable[] = [{ name: stream.table }];
  let parents: Record<string, unknown>[] | undefined;
  for (const child of stream.children ?? []) {
    const shared = Object.values(source.streams).some((s) => s.name !== stream.name && (s.children ?? []).some((c) => c.table === child.table));
    if (!shared) {
      tables.push({ name: child.table });
      continue;
    }
    parents ??= (await destination.readAll({ name: stream.table, keyColumns: stream.primaryKey }, connection)).map((r) => r.record as Record<string, unknown>);
    tables.push({ name: child.table, only: { column: snakeCase(child.parentKey), values: parents.map((p) => child.parentId(p)) } });
  }
  return tables;
}

async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function describeRemoved(connection: string, stream: string, o: ResetOutcome): string {
  const intervals = o.completed.map(intervalToIso).map((i) => `${i.start} → ${i.end}`);
  const state = intervals.length ? `forgot ${intervals.length} completed interval(s): ${intervals.join(', ')}` : 'no sync state was recorded';
  const rows = o.rows.map((r) => `${r.deleted} row(s) from ${r.table}`).join(', ');
  return `${connection}/${stream}: ${state}${o.rows.length ? `; deleted ${rows}` : ''}${o.snapshotBookkeeping ? `; ${o.snapshotBookkeeping} snapshot bookkeeping row(s)` : ''}`;
}

export function resetCommands(program: Command): void {
  program
    .command('reset <connection>')
    .description("forget streams' sync state (and with --data their rows, child tables too), so they sync again from the start; asks first")
    .option('-s, --streams <list>', 'comma-separated streams (default: every enabled stream)')
    .option('--data', "also delete the streams' rows (this connection's only) and their child tables' rows")
    .option('-y, --yes', 'do not ask (for scripts); without a terminal this is required')
    .option('--file <path>', 'the connections file (default: as the worker finds it)')
    .option('--json', 'machine-readable output')
    .action(async (connection: string, opts: ResetOptions) => {
      const store = new ConnectionsStore(opts.file ?? connectionsFilePath());
      let names: string[];
      let source: SourceDeclaration;
      try {
        const requested = opts.streams?.split(',').map((s) => s.trim());
        names = describeConnection({ connections: store } as unknown as Runtime, { connection, streams: requested }).streams.map((s) => s.name);
        source = store.get(connection).source;
      } catch (err) {
        if (isCcsyncError(err)) throw new CliError(`${err.message}; nothing reset`, EXIT.usage);
        throw err;
      }
      const what = `${opts.data ? 'the sync state and the rows' : 'the sync state'} of ${connection}: ${names.join(', ')}`;
      if (!opts.yes && !process.stdin.isTTY) {
        throw new CliError(`not resetting ${what} without confirmation: there is no terminal to ask on; pass --yes`, EXIT.usage);
      }
      let destination: Destination;
      try {
        // A missing SQLite file is reported, not created (as `state show`), then opened for writing.
        await destinationFromEnv(process.env, { readOnly: true }).close();
        destination = destinationFromEnv(process.env);
      } catch (err) {
        if (isCcsyncError(err)) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      const { client, close } = await temporalClient();
      try {
        await refuseWhileRunning(client, connection);
        if (!opts.yes) {
          const ok = await confirmed(
            `This forgets ${what} in ${destination.describe}${opts.data ? ' (child tables included)' : ''}; they sync again from the start. Reset? [y/N] `,
          );
          if (!ok) {
            console.error('ccsync: nothing reset');
            process.exitCode = EXIT.failed;
            return;
          }
          // The prompt may have waited a while: a run may have started since.
          await refuseWhileRunning(client, connection);
        }
        const results = [];
        for (const name of names) {
          const stream = source.streams[name]!;
          const tables = opts.data ? await tablesOf(destination, connection, source, stream) : [];
          const outcome = await destination.resetStream(connection, name, tables);
          results.push({ stream: name, outcome });
          if (!opts.json) console.log(`reset ${describeRemoved(connection, name, outcome)}`);
        }
        if (opts.json)
          printJson({
            connection,
            destination: destination.describe,
            data: opts.data === true,
            streams: results.map((r) => ({
              stream: r.stream,
              completed: r.outcome.completed.map(intervalToIso),
              rows: r.outcome.rows,
              snapshotBookkeeping: r.outcome.snapshotBookkeeping,
            })),
          });
      } finally {
        await close();
        await destination.close();
      }
    });
}
