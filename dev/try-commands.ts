/**
 * The commands `npm start` suggests, spelled so they work as printed in a new user's shell: the
 * Temporal CLI by its full path (it lives in .tools/bin, not on PATH) with the server's address,
 * and the same backfill through `npx ccsync`.
 */

/** Quotes a word for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const DEMO_BACKFILL = { connection: 'kore-demo', streams: ['callvolume'], from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' };

export function tryCommands(opts: { cliPath: string; address: string; taskQueue: string; input?: Record<string, unknown> }): {
  temporal: string;
  ccsync: string;
} {
  const input = opts.input ?? DEMO_BACKFILL;
  const temporal = [
    opts.cliPath,
    'workflow',
    'start',
    '--address',
    opts.address,
    '--type',
    'backfill',
    '--task-queue',
    opts.taskQueue,
    '--input',
    JSON.stringify(input),
  ]
    .map(shellWord)
    .join(' ');
  const ccsync = `npx ccsync backfill start -c ${shellWord(String(input.connection))} --from ${String(input.from)} --to ${String(input.to)}`;
  return { temporal, ccsync };
}
