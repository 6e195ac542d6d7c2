/**
 * `npx tsx bench/typed-write.ts`: what typed columns cost per record written. The same Kore.ai
 * call-volume records (the simulator's ground truth, 50 queues), decoded by the stream's own
 * schema, written in pages of 1000 through `writePage` into fresh tables, once with the stream's
 * typed columns and once with the raw layout (key columns and `record` only: what every table was
 * before typed columns; same code, typed work off). Rounds alternate so load drifts hit both alike;
 * the median per round is reported. Each round also times the typed-column conversion alone
 * (`rowValues` over the same records, no database), so the table can say where the extra cost goes:
 * converting values in the worker, or the database storing the wider rows.
 * Writes bench/results/recorded-typed-write.json; `npm run readme:typed` puts its table in the README.
 *
 *   npm run bench -- --only=typed        (or npx tsx bench/typed-write.ts)
 *   CCSYNC_TYPED_BENCH_RECORDS=48000 CCSYNC_TYPED_BENCH_ROUNDS=3 npm run bench -- --only=typed
 *   npm run bench -- --only=typed --out=bench/results/recorded-typed-write-baseline.json   (another checkout, for comparison)
 *   npm run bench -- --only=typed --before-feature      (also the product as it was before typed columns)
 *
 * `--before-feature` adds a third arm to every round: the destination code of commit
 * BEFORE_FEATURE_COMMIT (the last one before typed columns were merged), extracted with `git archive`
 * into a temporary folder and loaded next to today's, writing the same records through its
 * `writePage` (key columns and `record`, the only layout it had). Same process, same rounds,
 * alternating with the others, so load drifts hit all three alike. `--code-at=COMMIT` adds an arm
 * writing the typed layout with that commit's destination code (to compare write paths).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { tableSpecOf } from '../activities/streams';
import { openDestination, type Destination } from '../destinations';
import { indexColumns, rowValues } from '../destinations/columns';
import type { Row, TableSpec } from '../destinations/destination';
import { callVolumeGroundTruth, KoreSimulator, demoKoreOptions } from '../simulators/kore';
import { callvolume } from '../sources/kore/streams';
import { RECORDED } from './lib/typed-table';

const RECORDS = Number(process.env.CCSYNC_TYPED_BENCH_RECORDS ?? 48_000);
const ROUNDS = Number(process.env.CCSYNC_TYPED_BENCH_ROUNDS ?? 3);
const PAGE = 1000;
const POSTGRES_URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The last commit before typed columns were merged (af9f90b's first parent): the product's write path before the feature. */
export const BEFORE_FEATURE_COMMIT = '6a3db3f';

type Open = (url: string) => Destination;

/**
 * `openDestination` of another commit: its tree from `git archive` in a temporary folder, with this
 * checkout's node_modules linked in (the dependencies did not change), loaded by tsx like ours.
 */
function destinationsAt(commit: string): { open: Open; commit: string; cleanup: () => void } {
  const root = resolve(__dirname, '..');
  const full = execFileSync('git', ['rev-parse', '--short', `${commit}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), `ccsync-code-${full}-`));
  execFileSync('sh', ['-c', `git archive ${full} | tar -x -C "${dir}"`], { cwd: root });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dir, 'destinations')) as { openDestination: Open };
  return { open: (url) => mod.openDestination(url), commit: full, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function records(): Row[] {
  const sim = new KoreSimulator(demoKoreOptions({ queues: 50 }));
  const from = Date.UTC(2026, 9, 1);
  // 50 queues x 96 intervals = 4800 records a day.
  const truth = callVolumeGroundTruth(sim.data, from, from + Math.ceil(RECORDS / 4800) * 86_400_000).slice(0, RECORDS);
  return truth.map((t) => {
    const record = callvolume.recordSchema.parse(t) as Record<string, unknown>;
    return { key: callvolume.key(record), record, version: callvolume.version?.(record) };
  });
}

/**
 * Wall time and CPU time (ms) of writing `rows` after the first. CPU time is this process's plus,
 * for PostgreSQL, that of the server backends serving this destination's connections (found by a
 * per-arm `application_name`, read from /proc: a local server only): on a machine shared with other
 * work, wall time mostly measures how long we waited for a core; CPU time is what the write cost.
 */
async function writeAll(url: string, spec: TableSpec, rows: Row[], open: Open, admin: pg.Client): Promise<{ wallMs: number; cpuMs: number }> {
  const app = `ccsync_typed_bench_${randomBytes(4).toString('hex')}`;
  const postgres = url.startsWith('postgres');
  const d = open(postgres ? `${url}&application_name=${app}` : url);
  try {
    // Table creation (and the catalog look) outside the timing: it happens once per table and process.
    await d.writePage('bench', [{ spec, rows: rows.slice(0, 1) }]);
    const backendsBefore = postgres ? await backendCpuMs(admin, app) : new Map<number, number>();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 1; i < rows.length; i += PAGE) await d.writePage('bench', [{ spec, rows: rows.slice(i, i + PAGE) }]);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    let serverMs = 0;
    if (postgres) for (const [pid, ms] of await backendCpuMs(admin, app)) serverMs += ms - (backendsBefore.get(pid) ?? 0);
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 + serverMs };
  } finally {
    await d.close();
  }
}

/** CPU ms (user + system) so far of each PostgreSQL backend whose application_name is `app`. */
async function backendCpuMs(admin: pg.Client, app: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [app]);
  const ms = new Map<number, number>();
  for (const { pid } of rows) {
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command), in ticks of 10 ms.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return ms;
}

const us = (ms: number, n: number) => Math.round((ms * 10_000) / n) / 10;

/** µs per record of the typed-column conversion alone (`rowValues`, as both destinations call it). */
function conversionUs(spec: TableSpec, rows: readonly Row[]): number {
  const index = indexColumns(spec.columns ?? []);
  const started = performance.now();
  for (const row of rows) rowValues(index, row.record);
  return us(performance.now() - started, rows.length);
}

export async function main(argv: readonly string[] = process.argv.slice(2)) {
  const outArg = argv.find((a) => a.startsWith('--out='));
  const out = outArg ? resolve(outArg.slice('--out='.length)) : RECORDED;
  const rows = records();
  const typed = tableSpecOf(callvolume);
  const before = argv.includes('--before-feature') ? destinationsAt(BEFORE_FEATURE_COMMIT) : undefined;
  const codeAtArg = argv.find((a) => a.startsWith('--code-at='));
  const other = codeAtArg ? destinationsAt(codeAtArg.slice('--code-at='.length)) : undefined;
  type Arm = 'raw' | 'typed' | 'beforeFeature' | 'typedAtCommit';
  const arms: Arm[] = ['raw', 'typed', ...(before ? (['beforeFeature'] as const) : []), ...(other ? (['typedAtCommit'] as const) : [])];
  const results: Record<string, Record<`${Arm}UsPerRecord` | `${Arm}CpuUsPerRecord` | 'conversionUsPerRecord', number[]>> = {};
  const schema = `typed_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    for (const dest of ['sqlite', 'postgres'] as const) {
      const r = (results[dest] = Object.fromEntries(
        [...arms.flatMap((a) => [`${a}UsPerRecord`, `${a}CpuUsPerRecord`]), 'conversionUsPerRecord'].map((k) => [k, [] as number[]]),
      ) as (typeof results)[string]);
      for (let round = 0; round < ROUNDS; round++) {
        // Each round shifts the order, so no arm always runs first or last.
        for (const arm of arms.map((_a, i) => arms[(i + round) % arms.length]!)) {
          const name = `cv_${arm.toLowerCase()}_${round}`;
          const spec: TableSpec = arm === 'typed' || arm === 'typedAtCommit' ? { ...typed, name } : { name, keyColumns: typed.keyColumns };
          const url = dest === 'sqlite' ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'ccsync-typed-bench-')), 'bench.db')}` : `${POSTGRES_URL}?schema=${schema}`;
          const open = arm === 'beforeFeature' ? before!.open : arm === 'typedAtCommit' ? other!.open : openDestination;
          const { wallMs, cpuMs } = await writeAll(url, spec, rows, open, admin);
          r[`${arm}UsPerRecord`].push(us(wallMs, rows.length - 1));
          r[`${arm}CpuUsPerRecord`].push(us(cpuMs, rows.length - 1));
        }
        r.conversionUsPerRecord.push(conversionUs(typed, rows));
      }
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    before?.cleanup();
    other?.cleanup();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = Object.fromEntries(
    Object.entries(results).map(([dest, r]) => {
      const raw = median(r.rawUsPerRecord);
      const t = median(r.typedUsPerRecord);
      const conversion = median(r.conversionUsPerRecord);
      const growth = (from: number) => Math.round(((t - from) / from) * 1000) / 10;
      const b = r.beforeFeatureUsPerRecord ? median(r.beforeFeatureUsPerRecord) : undefined;
      const o = r.typedAtCommitUsPerRecord ? median(r.typedAtCommitUsPerRecord) : undefined;
      return [
        dest,
        {
          ...r,
          rawMedianUs: raw,
          typedMedianUs: t,
          conversionMedianUs: conversion,
          growthPercent: growth(raw),
          ...(b === undefined ? {} : { beforeFeatureMedianUs: b, growthOverBeforeFeaturePercent: growth(b) }),
          ...(o === undefined ? {} : { typedAtCommitMedianUs: o }),
          // CPU time per record (this process, plus PostgreSQL's backends): the figures load does not inflate.
          cpu: Object.fromEntries(arms.map((a) => [`${a}MedianUs`, median(r[`${a}CpuUsPerRecord`])])),
        },
      ];
    }),
  );
  const output = {
    measuredAt: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    commit: process.env.CCSYNC_TYPED_BENCH_COMMIT ?? gitCommit(),
    records: rows.length,
    pageSize: PAGE,
    rounds: ROUNDS,
    typedColumns: typed.columns?.length ?? 0,
    ...(before ? { beforeFeatureCommit: before.commit } : {}),
    ...(other ? { typedAtCommit: other.commit } : {}),
    results: summary,
  };
  writeFileSync(out, JSON.stringify(output, null, 2) + '\n');
  for (const [dest, s] of Object.entries(summary)) {
    console.log(
      `${dest}: raw ${s.rawMedianUs} µs/record, typed ${s.typedMedianUs} µs/record (${s.growthPercent >= 0 ? '+' : ''}${s.growthPercent}%; target +20%), of which conversion ${s.conversionMedianUs} µs` +
        (s.beforeFeatureMedianUs === undefined
          ? ''
          : `; before the feature (${before!.commit}) ${s.beforeFeatureMedianUs} µs/record: typed ${sign(s.growthOverBeforeFeaturePercent!)}%`) +
        (s.typedAtCommitMedianUs === undefined ? '' : `; typed at ${other!.commit} ${s.typedAtCommitMedianUs} µs/record`),
    );
    console.log(
      `${dest} CPU µs/record (worker + PostgreSQL backends): ${Object.entries(s.cpu)
        .map(([k, v]) => `${k.replace('MedianUs', '')} ${v}`)
        .join(', ')}`,
    );
  }
  console.log(`Wrote ${out}`);
}

const sign = (n: number) => `${n >= 0 ? '+' : ''}${n}`;

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
