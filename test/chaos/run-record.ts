/**
 * The record of full chaos runs (test/chaos/runs.json): each `npm run test:chaos` appends its
 * verdict, so "passes ten runs in a row" is shown by a generated file, not claimed. The README's
 * durability section states the consecutive passes it shows (test/chaos/readme-table.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNS = join(__dirname, 'runs.json');

export interface ScenarioVerdict {
  scenario: string;
  faults: number;
  met: number;
  lost: number;
  /** Committed writes beyond the ground truth (double processing). */
  duplicated: number;
  seconds: number;
}

export interface RunVerdict {
  /** The fault seeds the run used (vendor faults, kill timing): the same seeds, the same faults. */
  seeds: Record<string, number>;
  startedAt: string;
  passed: boolean;
  durationSeconds: number;
  /** 1-minute load average at the start, the end, and the highest seen (sampled every 5 s). */
  load: { start: number; end: number; max: number; cores: number };
  /** The code that ran: HEAD, and whether tracked files other than the run records differed from it. */
  commit: string;
  dirty: boolean;
  scenarios: ScenarioVerdict[];
  /** Tests that failed or never finished, with the first line of their error. */
  failures: { test: string; error: string }[];
}

export function readRuns(file = RUNS): RunVerdict[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunVerdict[]) : [];
}

export function appendRun(run: RunVerdict, file = RUNS): void {
  writeFileSync(file, `${JSON.stringify([...readRuns(file), run], null, 2)}\n`);
}

/** Passing runs at the end of the record, newest back to the first failure. */
export function consecutivePasses(runs: RunVerdict[]): RunVerdict[] {
  let i = runs.length;
  while (i > 0 && runs[i - 1]!.passed) i--;
  return runs.slice(i);
}

/** HEAD and whether the worktree's tracked code differs from it (the run records themselves excluded). */
export function codeVersion(): { commit: string; dirty: boolean } {
  const root = join(__dirname, '..', '..');
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.slice(3).trim())
      .filter((p) => p && !['test/chaos/runs.json', 'test/chaos/last-run.md', 'README.md'].includes(p));
    return { commit, dirty: changed.length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}
