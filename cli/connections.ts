/** `ccsync connections check`: is the connections file valid, and can the worker resolve every credential? */
import type { Command } from 'commander';
import { connectionsFilePath, loadConnectionsFile } from '../activities/connections';
import { credentialReferences } from '../core/connections';
import { isCcsyncError } from '../core/errors';
import { CliError, EXIT, printJson } from './output';

export function connectionsCommands(program: Command): void {
  const connections = program.command('connections').description('inspect the connections file');
  connections
    .command('check')
    .description('validate the connections file and the credential variables it refers to')
    .option('--file <path>', 'the connections file (default: CCSYNC_CONNECTIONS, connections.yaml, connections.demo.yaml)')
    .option('--json', 'machine-readable output')
    .action((opts: { file?: string; json?: boolean }) => {
      const file = opts.file ?? connectionsFilePath();
      let parsed;
      try {
        parsed = loadConnectionsFile(file);
      } catch (err) {
        if (isCcsyncError(err)) {
          if (opts.json) printJson({ file, valid: false, problems: err.details?.problems ?? [err.message] });
          throw new CliError(err.message, EXIT.usage);
        }
        throw err;
      }
      const verdicts = parsed.map((c) => {
        const missing = credentialReferences(c).filter((v) => !process.env[v]);
        return { connection: c.name, source: c.source, streams: c.streams.map((s) => s.name), ok: missing.length === 0, missingVariables: missing };
      });
      if (opts.json) printJson({ file, valid: true, connections: verdicts });
      else {
        console.log(`${file}: ${parsed.length} connection(s)`);
        for (const v of verdicts) {
          console.log(
            `  ${v.ok ? 'ok     ' : 'MISSING'} ${v.connection} (${v.source}: ${v.streams.join(', ')})` +
              (v.ok ? '' : ` — set ${v.missingVariables.join(', ')} in the worker's environment`),
          );
        }
      }
      if (verdicts.some((v) => !v.ok)) process.exitCode = EXIT.failed;
    });
}
