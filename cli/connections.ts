/** `ccsync connections check`: is the connections file valid, and can the worker resolve every credential? */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { connectionsFilePath, ConnectionsStore, FILE_REFERENCE, literalCredentials, loadConnectionsFile } from '../activities/connections';
import { VendorHttp } from '../activities/http/client';
import { RateLimiter } from '../activities/http/rate-limit';
import { SecretRegistry } from '../activities/runtime';
import { fetchPage, type FetchRuntime } from '../activities/sync-page';
import { type ConnectionConfig, credentialReferences } from '../core/connections';
import { isCcsyncError, redact } from '../core/errors';
import { windowRulesOf } from '../core/source';
import { floorTo, toIso } from '../core/time';
import { CliError, EXIT, printJson } from './output';

interface StreamProbe {
  stream: string;
  ok: boolean;
  message: string;
}

/** One cheap authenticated call per stream: the first page of its most recent interval. Writes nothing. */
async function probe(rt: FetchRuntime, c: ConnectionConfig): Promise<StreamProbe[]> {
  const out: StreamProbe[] = [];
  for (const s of c.streams) {
    const stream = rt.connections.get(c.name).source.streams[s.name]!;
    const rules = windowRulesOf(stream, c.settings);
    const end = floorTo(Date.now() - rules.defaultLag, rules.alignment);
    const start = end - rules.alignment;
    try {
      const page = await fetchPage(rt, { connection: c.name, stream: s.name, start: toIso(start), end: toIso(end), cursor: null }, 1);
      out.push({ stream: s.name, ok: true, message: `answered with ${page.received} record(s) for ${toIso(start)} → ${toIso(end)}` });
    } catch (err) {
      const type = isCcsyncError(err) ? `${err.type}: ` : '';
      out.push({ stream: s.name, ok: false, message: redact(`${type}${err instanceof Error ? err.message : String(err)}`, rt.secrets) });
    }
  }
  return out;
}

export function connectionsCommands(program: Command): void {
  const connections = program.command('connections').description('inspect the connections file');
  connections
    .command('check')
    .description('validate the connections file and the credential variables it refers to')
    .option('--file <path>', 'the connections file (default: CCSYNC_CONNECTIONS, connections.yaml, connections.demo.yaml)')
    .option('--json', 'machine-readable output')
    .option('--offline', 'only validate the file and the variables; make no call to the vendors')
    .action(async (opts: { file?: string; json?: boolean; offline?: boolean }) => {
      const file = opts.file ?? connectionsFilePath();
      let parsed: ConnectionConfig[];
      try {
        parsed = loadConnectionsFile(file);
      } catch (err) {
        if (isCcsyncError(err)) {
          if (opts.json) printJson({ file, valid: false, problems: err.details?.problems ?? [err.message] });
          throw new CliError(err.message, EXIT.usage);
        }
        throw err;
      }
      const rt: FetchRuntime = { connections: new ConnectionsStore(file), http: new VendorHttp(), limiter: new RateLimiter(), secrets: new SecretRegistry() };
      const verdicts = [];
      for (const c of parsed) {
        const missing = [
          ...credentialReferences(c).filter((v) => !process.env[v]),
          ...Object.values(c.credentials).flatMap((v) => {
            const m = FILE_REFERENCE.exec(v.trim());
            return m && !existsSync(m[1]!) ? [`file:${m[1]}`] : [];
          }),
        ];
        const literals = literalCredentials(c);
        const streams = missing.length || opts.offline ? [] : await probe(rt, c);
        verdicts.push({
          connection: c.name,
          source: c.source,
          ok: missing.length === 0 && streams.every((s) => s.ok),
          missingVariables: missing,
          literalCredentials: literals,
          streams: streams.length
            ? streams
            : c.streams.map((s) => ({ stream: s.name, ok: missing.length === 0, message: missing.length ? 'not checked' : 'not called (--offline)' })),
        });
      }
      await rt.http.close();
      if (opts.json) printJson({ file, valid: true, connections: verdicts });
      else {
        console.log(`${file}: ${parsed.length} connection(s)`);
        for (const v of verdicts) {
          console.log(
            `  ${v.ok ? 'OK  ' : 'FAIL'} ${v.connection} (${v.source})${v.missingVariables.length ? `: set ${v.missingVariables.join(', ')} in the worker's environment` : ''}`,
          );
          for (const s of v.streams) console.log(`       ${s.ok ? 'ok  ' : 'FAIL'} ${s.stream}: ${s.message}`);
          for (const field of v.literalCredentials) {
            console.log(
              `       warning: credentials.${field} is written in the file as a literal secret; put it in the worker's environment and write \${SOME_VARIABLE} ` +
                `(or \${file:/run/secrets/name} for a mounted secret)`,
            );
          }
        }
      }
      if (verdicts.some((v) => !v.ok)) process.exitCode = EXIT.failed;
    });
}
