/** `ccsync state show <connection>`: what is synced, per stream, and where the gaps are. */
import type { Command } from 'commander';
import { connectionsFilePath, ConnectionsStore } from '../activities/connections';
import { isCcsyncError } from '../core/errors';
import { type Interval, mergeIntervals, subtractIntervals, toIso } from '../core/time';
import { destinationFromEnv } from '../destinations';
import { CliError, EXIT, printJson } from './output';

export function stateCommands(program: Command): void {
  const state = program.command('state').description('inspect the sync state in the destination');
  state
    .command('show <connection>')
    .description('completed intervals and gaps per stream (destination from CCSYNC_DESTINATION)')
    .option('--file <path>', 'the connections file')
    .option('--json', 'machine-readable output')
    .action(async (connection: string, opts: { file?: string; json?: boolean }) => {
      let streams: string[];
      try {
        streams = new ConnectionsStore(opts.file ?? connectionsFilePath()).get(connection).config.streams.map((s) => s.name);
      } catch (err) {
        if (isCcsyncError(err)) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      let destination;
      try {
        // Read-only: a wrong CCSYNC_DESTINATION must not create a directory and an empty database.
        destination = destinationFromEnv(process.env, { readOnly: true });
      } catch (err) {
        if (isCcsyncError(err)) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      try {
        const out = [];
        for (const stream of streams) {
          const completed = mergeIntervals(await destination.completedIntervals(connection, stream));
          const span: Interval | undefined = completed.length ? { start: completed[0]!.start, end: completed.at(-1)!.end } : undefined;
          const gaps = span ? subtractIntervals(span, completed) : [];
          out.push({
            stream,
            completed: completed.map((i) => ({ start: toIso(i.start), end: toIso(i.end) })),
            gaps: gaps.map((i) => ({ start: toIso(i.start), end: toIso(i.end) })),
            syncedUpTo: span ? toIso(span.end) : null,
          });
        }
        if (opts.json) printJson({ connection, destination: destination.describe, streams: out });
        else {
          console.log(`${connection} in ${destination.describe}`);
          for (const s of out) {
            if (!s.completed.length) console.log(`  ${s.stream}: nothing synced yet`);
            else if (!s.gaps.length) console.log(`  ${s.stream}: synced ${s.completed[0]!.start} → ${s.syncedUpTo}`);
            else {
              // Not "synced" when part of the span is missing: say how much of it is complete.
              const span = Date.parse(s.syncedUpTo!) - Date.parse(s.completed[0]!.start);
              const missing = s.gaps.reduce((n, g) => n + Date.parse(g.end) - Date.parse(g.start), 0);
              const pct = Math.floor(((span - missing) / span) * 100);
              console.log(`  ${s.stream}: ${pct}% complete between ${s.completed[0]!.start} and ${s.syncedUpTo}, ${s.gaps.length} gap(s):`);
            }
            for (const g of s.gaps) console.log(`    gap ${g.start} → ${g.end}`);
          }
        }
        if (out.some((s) => s.gaps.length)) process.exitCode = EXIT.failed;
      } finally {
        await destination.close();
      }
    });
}
