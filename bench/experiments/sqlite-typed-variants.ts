/**
 * Experiment (not part of `npm run bench`): SQLite statement shapes for typed rows on the records of
 * bench/typed-write.ts, each variant into a fresh database per round, pages of 1000 in one IMMEDIATE
 * transaction each, as the destination writes them.   npx tsx bench/experiments/sqlite-typed-variants.ts [--rounds=5] [--out=bench/results/recorded-typed-experiment-sqlite-variants.json]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tableSpecOf } from '../../activities/streams';
import { indexColumns, rowValues, SQL_TYPES } from '../../destinations/columns';
import { preparePage, quoteIdent, storedSpec } from '../../destinations/shared';
import { callVolumeGroundTruth, KoreSimulator, demoKoreOptions } from '../../simulators/kore';
import { callvolume } from '../../sources/kore/streams';

const RECORDS = Number(process.env.CCSYNC_TYPED_BENCH_RECORDS ?? 24_000);
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5);
const sim = new KoreSimulator(demoKoreOptions({ queues: 50 }));
const from = Date.UTC(2026, 9, 1);
const truth = callVolumeGroundTruth(sim.data, from, from + Math.ceil(RECORDS / 4800) * 86_400_000).slice(0, RECORDS);
const spec = storedSpec(tableSpecOf(callvolume));
const index = indexColumns(spec.columns ?? []);
const rows = preparePage(
  spec,
  truth.map((t) => {
    const record = callvolume.recordSchema.parse(t) as Record<string, unknown>;
    return { key: callvolume.key(record), record, version: callvolume.version?.(record) };
  }),
);
const cols = index.columns;
const ddl = (typed: boolean) =>
  `CREATE TABLE t ("_id" TEXT NOT NULL, "_connection" TEXT NOT NULL, "_synced_at" TEXT NOT NULL, "record" TEXT NOT NULL, "_deleted_at" TEXT, "_version" REAL` +
  (typed ? cols.map((c) => `, ${quoteIdent(c.name)} ${SQL_TYPES.sqlite[c.type]}`).join('') : '') +
  `, PRIMARY KEY ("_connection", "_id"))`;
const names = ['"_id"', '"_connection"', '"_synced_at"', '"record"', '"_version"'];
const typedNames = cols.map((c) => quoteIdent(c.name));
const conflict = ` ON CONFLICT ("_connection", "_id") DO NOTHING`;
const b = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

type Variant = { typed: boolean; run: (db: Database.Database) => void };
const syncedAt = new Date().toISOString();
const variants: Record<string, Variant> = {
  raw: {
    typed: false,
    run: (db) => {
      const ins = db.prepare(`INSERT INTO t (${names.join(', ')}) VALUES (?, ?, ?, ?, ?)${conflict}`);
      const a = new Array<unknown>(5);
      pages(db, (row) => {
        a[0] = row.keys[0];
        a[1] = 'bench';
        a[2] = syncedAt;
        a[3] = row.json;
        a[4] = row.version;
        ins.run(a);
      });
    },
  },
  typed_binds: {
    typed: true,
    run: (db) => {
      const ins = db.prepare(
        `INSERT INTO t (${[...names, ...typedNames].join(', ')}) VALUES (${[...names, ...typedNames].map(() => '?').join(', ')})${conflict}`,
      );
      const a = new Array<unknown>(5 + cols.length);
      pages(db, (row) => {
        const { values } = rowValues(index, row.record);
        a[0] = row.keys[0];
        a[1] = 'bench';
        a[2] = syncedAt;
        a[3] = row.json;
        a[4] = row.version;
        for (let c = 0; c < values.length; c++) a[5 + c] = b(values[c]);
        ins.run(a);
      });
    },
  },
  // Same binds without the conversion: what binding and storing cost alone.
  typed_binds_no_conversion: {
    typed: true,
    run: (db) => {
      const ins = db.prepare(
        `INSERT INTO t (${[...names, ...typedNames].join(', ')}) VALUES (${[...names, ...typedNames].map(() => '?').join(', ')})${conflict}`,
      );
      const a = new Array<unknown>(5 + cols.length);
      const converted = rows.map((row) => rowValues(index, row.record).values.map(b));
      let i = 0;
      pages(db, (row) => {
        const values = converted[i++]!;
        a[0] = row.keys[0];
        a[1] = 'bench';
        a[2] = syncedAt;
        a[3] = row.json;
        a[4] = row.version;
        for (let c = 0; c < values.length; c++) a[5 + c] = values[c];
        ins.run(a);
      });
    },
  },
  // The typed table, its typed columns left NULL: what the wider table costs without the values.
  typed_table_values_null: {
    typed: true,
    run: (db) => {
      const ins = db.prepare(`INSERT INTO t (${names.join(', ')}) VALUES (?, ?, ?, ?, ?)${conflict}`);
      const a = new Array<unknown>(5);
      pages(db, (row) => {
        a[0] = row.keys[0];
        a[1] = 'bench';
        a[2] = syncedAt;
        a[3] = row.json;
        a[4] = row.version;
        ins.run(a);
      });
    },
  },
  // Typed columns extracted by SQLite from the bound record (a measure only: not the product's conversion).
  typed_json_extract: {
    typed: true,
    run: (db) => {
      const ins = db.prepare(
        `INSERT INTO t (${[...names, ...typedNames].join(', ')}) SELECT k, c, s, j, v${cols.map((c) => `, json_extract(j, '$.${c.fields[0]}')`).join('')} FROM (SELECT ? AS k, ? AS c, ? AS s, ? AS j, ? AS v) WHERE true${conflict}`,
      );
      const a = new Array<unknown>(5);
      pages(db, (row) => {
        a[0] = row.keys[0];
        a[1] = 'bench';
        a[2] = syncedAt;
        a[3] = row.json;
        a[4] = row.version;
        ins.run(a);
      });
    },
  },
};

function pages(db: Database.Database, write: (row: (typeof rows)[number]) => void) {
  const tx = db.transaction((page: typeof rows) => page.forEach(write));
  for (let i = 0; i < rows.length; i += 1000) tx.immediate(rows.slice(i, i + 1000));
}

const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? Object.keys(variants) : Object.keys(variants).reverse();
  for (const name of order) {
    const db = new Database(join(mkdtempSync(join(tmpdir(), 'ccsync-sqlite-var-')), 'b.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(ddl(variants[name]!.typed));
    const started = performance.now();
    variants[name]!.run(db);
    times[name]!.push(Math.round(((performance.now() - started) * 10_000) / rows.length) / 10);
    db.close();
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${rows.length} records, ${ROUNDS} rounds; µs/record median [all]`,
);
for (const [n, t] of Object.entries(times)) console.log(`${n.padEnd(28)} ${String(median(t)).padStart(6)}  [${t.join(', ')}]`);
record('sqlite', times, median);

/** With `--out=FILE`: the run as JSON (load, rounds, µs/record per variant and round, medians), for the README's prose. */
function record(dialect: string, times: Record<string, number[]>, median: (xs: number[]) => number): void {
  const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  if (!out) return;
  const medians = Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
  const run = {
    measuredAt: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    dialect,
    usPerRecord: times,
    medianUs: medians,
  };
  writeFileSync(out, JSON.stringify(run, null, 2) + '\n');
  console.log(`Wrote ${out}`);
}
