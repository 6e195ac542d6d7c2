/**
 * `ccsync`: the operator's command line. It talks to Temporal like the Web UI does (start,
 * query, cancel) and reads the connections file like the worker does. Exit codes: 0 success,
 * 1 the operation failed (a workflow failed, a check found problems, the state has gaps), 2 the command was wrong
 * or the configuration is broken, 3 Temporal could not be reached.
 */
import { Command, CommanderError } from 'commander';
import { backfillCommands } from './backfill';
import { connectionsCommands } from './connections';
import { CliError } from './output';
import { resetCommands } from './reset';
import { schedulesCommands } from './schedules';
import { stateCommands } from './state';
import { statusCommands } from './status';
import { syncCommands } from './sync';
import { tablesCommands } from './tables';
import { workersCommands } from './workers';

const program = new Command()
  .name('ccsync')
  .description('contact-center-sync: keep Kore.ai, CCAI Platform and LivePerson data synced into your database, on Temporal')
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  .version((require('../package.json') as { version: string }).version, '-V, --version', 'the ccsync version')
  .showHelpAfterError()
  .exitOverride();

backfillCommands(program);
syncCommands(program);
schedulesCommands(program);
stateCommands(program);
statusCommands(program);
connectionsCommands(program);
tablesCommands(program);
workersCommands(program);
resetCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof CliError) {
    console.error(`ccsync: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(`ccsync: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
