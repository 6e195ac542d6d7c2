/**
 * What every benchmark script does at its ends: record its figures in bench/results/ (the README's
 * tables are generated from those files, never pasted), and run when it is the entry module.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `{ at, ...figures }` to `file`, creating bench/results/ when missing. */
export function recordResults(file: string, figures: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2) + '\n');
}

/** Runs `main` when `mod` is the entry module (`tsx bench/x.ts`), not when imported; a failure prints it whole and exits 1. */
export function runBenchMain(mod: NodeModule, main: () => Promise<void>): void {
  if (require.main !== mod) return;
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
