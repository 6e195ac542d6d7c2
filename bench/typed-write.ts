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
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { tableSpecOf } from '../activities/streams';
import { openDestination } from '../destinations';
import { indexColumns, rowValues } from '../destinations/columns';
import type { Row, TableSpec } from '../destinations/destination';
import { callVolumeGroundTruth, KoreSimulator, demoKoreOptions } from '../simulators/kore';
import { callvolume } from '../sources/kore/streams';
import { RECORDED } from './lib/typed-table';

const RECORDS = Number(process.env.CCSYNC_TYPED_BENCH_RECORDS ?? 48_000);
const ROUNDS = Number(process.env.CCSYNC_TYPED_BENCH_ROUNDS ?? 3);
const PAGE = 1000;
const POSTGRES_URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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

async function writeAll(url: string, spec: TableSpec, rows: Row[]): Promise<number> {
  const d = openDestination(url);
  try {
    // Table creation (and the catalog look) outside the timing: it happens once per table and process.
    await d.writePage('bench', [{ spec, rows: rows.slice(0, 1) }]);
    const started = performance.now();
    for (let i = 1; i < rows.length; i += PAGE) await d.writePage('bench', [{ spec, rows: rows.slice(i, i + PAGE) }]);
    return performance.now() - started;
  } finally {
    await d.close();
  }
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
  const results: Record<string, { rawUsPerRecord: number[]; typedUsPerRecord: number[]; conversionUsPerRecord: number[] }> = {};
  const schema = `typed_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    for (const dest of ['sqlite', 'postgres'] as const) {
      const r = (results[dest] = { rawUsPerRecord: [] as number[], typedUsPerRecord: [] as number[], conversionUsPerRecord: [] as number[] });
      for (let round = 0; round < ROUNDS; round++) {
        for (const layout of round % 2 === 0 ? (['raw', 'typed'] as const) : (['typed', 'raw'] as const)) {
          const name = `cv_${layout}_${round}`;
          const spec: TableSpec = layout === 'typed' ? { ...typed, name } : { name, keyColumns: typed.keyColumns };
          const url = dest === 'sqlite' ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'ccsync-typed-bench-')), 'bench.db')}` : `${POSTGRES_URL}?schema=${schema}`;
          const ms = await writeAll(url, spec, rows);
          (layout === 'typed' ? r.typedUsPerRecord : r.rawUsPerRecord).push(us(ms, rows.length - 1));
        }
        r.conversionUsPerRecord.push(conversionUs(typed, rows));
      }
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = Object.fromEntries(
    Object.entries(results).map(([dest, r]) => {
      const raw = median(r.rawUsPerRecord);
      const t = median(r.typedUsPerRecord);
      const conversion = median(r.conversionUsPerRecord);
      return [dest, { ...r, rawMedianUs: raw, typedMedianUs: t, conversionMedianUs: conversion, growthPercent: Math.round(((t - raw) / raw) * 1000) / 10 }];
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
    results: summary,
  };
  writeFileSync(out, JSON.stringify(output, null, 2) + '\n');
  for (const [dest, s] of Object.entries(summary)) {
    console.log(
      `${dest}: raw ${s.rawMedianUs} µs/record, typed ${s.typedMedianUs} µs/record (${s.growthPercent >= 0 ? '+' : ''}${s.growthPercent}%; target +20%), of which conversion ${s.conversionMedianUs} µs`,
    );
  }
  console.log(`Wrote ${out}`);
}

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
