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
      const destination = destinationFromEnv();
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
            console.log(`  ${s.stream}: ${s.completed.length ? `synced ${s.completed[0]!.start} → ${s.syncedUpTo}` : 'nothing synced yet'}`);
            for (const g of s.gaps) console.log(`    gap ${g.start} → ${g.end}`);
          }
        }
        if (out.some((s) => s.gaps.length)) process.exitCode = EXIT.failed;
      } finally {
        await destination.close();
      }
    });
}
