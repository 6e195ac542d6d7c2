/**
 * Experiment (not part of `npm run bench`): PostgreSQL statement shapes for one page of typed rows,
 * timed on the same records as bench/typed-write.ts, each variant into a fresh table per round.
 *   npx tsx bench/experiments/pg-typed-variants.ts [--rounds=5] [--only=a,b] [--out=bench/results/recorded-typed-experiment-pg-variants.json]
 *   npx tsx bench/experiments/pg-typed-variants.ts --only=raw_jsonb,typed_jsonb,typed_server_extract,typed_from_record --out=bench/results/recorded-typed-experiment-pg-from-record.json
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { tableSpecOf } from '../../activities/streams';
import { openDestination } from '../../destinations';
import { indexColumns, rowValues } from '../../destinations/columns';
import { recordColumnSql, recordGives } from '../../destinations/postgres-record-columns';
import { preparePage, quoteIdent, storedSpec } from '../../destinations/shared';
import { callVolumeGroundTruth, KoreSimulator, demoKoreOptions } from '../../simulators/kore';
import { callvolume } from '../../sources/kore/streams';

const URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RECORDS = Number(process.env.CCSYNC_TYPED_BENCH_RECORDS ?? 24_000);
const arg = (n: string) => process.argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
const ROUNDS = Number(arg('rounds') ?? 5);
const PAGE = 1000;

const sim = new KoreSimulator(demoKoreOptions({ queues: 50 }));
const from = Date.UTC(2026, 9, 1);
const truth = callVolumeGroundTruth(sim.data, from, from + Math.ceil(RECORDS / 4800) * 86_400_000).slice(0, RECORDS);
const typedSpec = storedSpec(tableSpecOf(callvolume));
const index = indexColumns(typedSpec.columns ?? []);
const rowsIn = truth.map((t) => {
  const record = callvolume.recordSchema.parse(t) as Record<string, unknown>;
  return { key: callvolume.key(record), record, version: callvolume.version?.(record) };
});
const prepared = preparePage(typedSpec, rowsIn);
const pgType = (t: string) =>
  ({ timestamp: 'timestamptz', integer: 'bigint', numeric: 'numeric', boolean: 'boolean', text: 'text', json: 'jsonb', duration: 'text' })[t]!;
const cols = index.columns;
const typedNames = cols.map((c) => quoteIdent(c.name));
const FROM_RECORD = cols.map((c) => recordColumnSql(c, 'u.r') !== undefined);
const base = ['"_id"', '"_connection"', '"_synced_at"', '"record"', '"_version"'];
const conflict = `ON CONFLICT ("_connection", "_id") DO UPDATE SET "_synced_at" = EXCLUDED."_synced_at", "record" = EXCLUDED."record", "_version" = EXCLUDED."_version"`;
const typedSet = typedNames.map((c) => `, ${c} = EXCLUDED.${c}`).join('');
const guard = ` WHERE target."record" IS DISTINCT FROM EXCLUDED."record" AND NOT (target."_version" IS NOT NULL AND EXCLUDED."_version" IS NOT NULL AND target."_version" > EXCLUDED."_version") RETURNING (xmax = 0) AS inserted`;

type Rows = typeof prepared;
interface Variant {
  typed: boolean;
  sql: (t: string) => string;
  params: (rows: Rows) => unknown[];
}

function jsonPage(rows: Rows, typed: boolean): string {
  const parts = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let text = `{"r":${row.json},"v":${row.version === null ? 'null' : JSON.stringify(row.version)},"k0":${JSON.stringify(row.keys[0])}`;
    if (typed) {
      const { values } = rowValues(index, row.record);
      for (let c = 0; c < values.length; c++) {
        const v = values[c];
        if (v === null || v === undefined) continue;
        text += `,"c${c}":${JSON.stringify(v)}`;
      }
    }
    parts[r] = text + '}';
  }
  return `[${parts.join(',')}]`;
}
const recFields = (typed: boolean) => ['k0 text', 'r jsonb', 'v float8', ...(typed ? cols.map((c, i) => `c${i} ${pgType(c.type)}`) : [])].join(', ');
const sel = (typed: boolean) => ['u.k0', '$1::text', '$2::timestamptz', 'u.r', 'u.v', ...(typed ? cols.map((_c, i) => `u.c${i}`) : [])].join(', ');
const into = (t: string, typed: boolean) => `INSERT INTO ${t} AS target (${[...base, ...(typed ? typedNames : [])].join(', ')})`;

const variants: Record<string, Variant> = {
  raw_jsonb: {
    typed: false,
    sql: (t) => `${into(t, false)} SELECT ${sel(false)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(false)}) ${conflict}${guard}`,
    params: (r) => [jsonPage(r, false)],
  },
  typed_jsonb: {
    typed: true,
    sql: (t) => `${into(t, true)} SELECT ${sel(true)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(true)}) ${conflict}${typedSet}${guard}`,
    params: (r) => [jsonPage(r, true)],
  },
  raw_json: {
    typed: false,
    sql: (t) => `${into(t, false)} SELECT ${sel(false)} FROM json_to_recordset($3::json) AS u(${recFields(false)}) ${conflict}${guard}`,
    params: (r) => [jsonPage(r, false)],
  },
  typed_json: {
    typed: true,
    sql: (t) => `${into(t, true)} SELECT ${sel(true)} FROM json_to_recordset($3::json) AS u(${recFields(true)}) ${conflict}${typedSet}${guard}`,
    params: (r) => [jsonPage(r, true)],
  },
  // Typed columns as one array parameter each (numbers as numeric[], text as text[]), key/record/version too.
  typed_arrays: {
    typed: true,
    sql: (t) =>
      `${into(t, true)} SELECT u.k0, $1::text, $2::timestamptz, u.r::jsonb, u.v, ${cols.map((_c, i) => `u.c${i}`).join(', ')} FROM unnest($3::text[], $4::text[], $5::float8[], ${cols.map((c, i) => `$${i + 6}::${pgType(c.type)}[]`).join(', ')}) AS u(k0, r, v, ${cols.map((_c, i) => `c${i}`).join(', ')}) ${conflict}${typedSet}${guard}`,
    params: (rows) => {
      const vals = rows.map((row) => rowValues(index, row.record).values);
      return [rows.map((r) => r.keys[0]), rows.map((r) => r.json), rows.map((r) => r.version), ...cols.map((_c, i) => vals.map((v) => v[i] ?? null))];
    },
  },
  // The record from the page, typed columns extracted server-side from it (NOT the product's conversion: a measure only).
  typed_server_extract: {
    typed: true,
    sql: (t) =>
      `${into(t, true)} SELECT u.k0, $1::text, $2::timestamptz, u.r, u.v, ${cols
        .map((c) =>
          c.type === 'text' ? `u.r->>'${c.fields[0]}'` : c.type === 'timestamp' ? `(u.r->>'${c.fields[0]}')::timestamptz` : `(u.r->'${c.fields[0]}')::numeric`,
        )
        .join(', ')} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(false)}) ${conflict}${typedSet}${guard}`,
    params: (r) => [jsonPage(r, false)],
  },
  // The product's shape since this experiment: values the record holds exactly read from it, the rest sent and listed in x.
  typed_from_record: {
    typed: true,
    sql: (t) =>
      `${into(t, true)} SELECT u.k0, $1::text, $2::timestamptz, u.r, u.v, ${cols
        .map((c, i) => {
          const sql = recordColumnSql(c, 'u.r');
          return sql ? `CASE WHEN ${i} = ANY(u.x) THEN u.c${i} ELSE ${sql} END` : `u.c${i}`;
        })
        .join(', ')} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(true)}, x int[]) ${conflict}${typedSet}${guard}`,
    params: (rows) => {
      const parts = rows.map((row) => {
        // (Which columns may come from record is decided once per statement, as the product's plan does.)
        let text = `{"r":${row.json},"v":${row.version === null ? 'null' : JSON.stringify(row.version)},"k0":${JSON.stringify(row.keys[0])}`;
        const { values } = rowValues(index, row.record);
        const sent: number[] = [];
        values.forEach((v, c) => {
          if (FROM_RECORD[c] && recordGives(cols[c]!, row.record as Record<string, unknown>, v)) return;
          if (FROM_RECORD[c]) sent.push(c);
          if (v !== null && v !== undefined) text += `,"c${c}":${JSON.stringify(v)}`;
        });
        return `${text}${sent.length ? `,"x":[${sent.join(',')}]` : ''}}`;
      });
      return [`[${parts.join(',')}]`];
    },
  },
  // No ON CONFLICT at all: what the speculative insertion costs (fresh tables: every row is new).
  raw_plain_insert: {
    typed: false,
    sql: (t) => `${into(t, false)} SELECT ${sel(false)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(false)})`,
    params: (r) => [jsonPage(r, false)],
  },
  typed_plain_insert: {
    typed: true,
    sql: (t) => `${into(t, true)} SELECT ${sel(true)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(true)})`,
    params: (r) => [jsonPage(r, true)],
  },
  // Select only (no table written): parsing and conversion of the page alone, server-side.
  raw_select_only: {
    typed: false,
    sql: () => `SELECT count(*) FROM (SELECT ${sel(false)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(false)})) s`,
    params: (r) => [jsonPage(r, false)],
  },
  typed_select_only: {
    typed: true,
    sql: () => `SELECT count(*) FROM (SELECT ${sel(true)} FROM jsonb_to_recordset($3::jsonb) AS u(${recFields(true)})) s`,
    params: (r) => [jsonPage(r, true)],
  },
};

async function main() {
  const only = arg('only')?.split(',');
  const names = Object.keys(variants).filter((n) => !only || only.includes(n));
  const schema = `typed_var_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const v = variants[name]!;
        const table = `${name}_${round}`;
        const spec = v.typed ? { ...tableSpecOf(callvolume), name: table } : { name: table, keyColumns: typedSpec.keyFields };
        const d = openDestination(`${URL}?schema=${schema}`);
        await d.writePage('bench', [{ spec, rows: rowsIn.slice(0, 1) }]);
        await d.close();
        const text = v.sql(`${schema}.${table}`);
        const syncedAt = new Date().toISOString();
        const started = performance.now();
        for (let i = 1; i < prepared.length; i += PAGE) {
          const rows = prepared.slice(i, i + PAGE);
          await client.query('BEGIN');
          await client.query({ name: `${name}_${round}`, text, values: ['bench', syncedAt, ...v.params(rows)] });
          await client.query('COMMIT');
        }
        times[name]!.push(Math.round(((performance.now() - started) * 10_000) / (prepared.length - 1)) / 10);
      }
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await client.end();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${prepared.length} records, ${ROUNDS} rounds; µs/record median [all]`,
  );
  for (const n of names) console.log(`${n.padEnd(22)} ${String(median(times[n]!)).padStart(6)}  [${times[n]!.join(', ')}]`);
  record('pg', times, median);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

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
