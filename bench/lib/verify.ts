/**
 * Correctness while benchmarking: a fast wrong result must not pass. After every run the
 * destination must hold exactly the ground truth's number of rows for the connection, a spread of
 * sampled rows must equal the simulator's records field for field, and the sync state must record
 * the whole range as complete.
 */
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openDestination } from '../../destinations';
import { parsePostgresUrl } from '../../destinations/postgres';
import { CALL_VOLUME_INTERVAL_MS, type KoreDataset } from '../../simulators/kore';

export interface Verification {
  ok: boolean;
  rows: number;
  expected: number;
  sampled: number;
  mismatches: number;
  stateComplete: boolean;
  problems: string[];
}

const TABLE = 'kore_callvolume';

/** Records of `[from, to)` in API order: index i is interval ⌊i/queues⌋, queue i mod queues. */
export function expectedRecords(data: KoreDataset, from: number, to: number): number {
  return data.callVolumeCount(from, to);
}

function sampleIds(data: KoreDataset, from: number, to: number, samples: number): { id: string; record: unknown }[] {
  const total = expectedRecords(data, from, to);
  const q = data.queues.length;
  const out: { id: string; record: unknown }[] = [];
  const step = Math.max(1, Math.floor(total / samples));
  for (let i = 0; i < total && out.length < samples; i += step) {
    const interval = from + Math.floor(i / q) * CALL_VOLUME_INTERVAL_MS;
    const record = data.callVolumeRecord(interval, data.queues[i % q]!);
    out.push({ id: record._id, record: JSON.parse(JSON.stringify(record)) as unknown });
  }
  return out;
}

async function readRows(url: string, connection: string, ids: string[]): Promise<{ count: number; stored: Map<string, unknown> }> {
  const stored = new Map<string, unknown>();
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      const count = Number((db.prepare(`SELECT count(*) AS n FROM "${TABLE}" WHERE "_connection" = ?`).get(connection) as { n: number }).n);
      const select = db.prepare(`SELECT "_id", "record" FROM "${TABLE}" WHERE "_connection" = ? AND "_id" = ?`);
      for (const id of ids) {
        const row = select.get(connection, id) as { _id: string; record: string } | undefined;
        if (row) stored.set(row._id, JSON.parse(row.record));
      }
      return { count, stored };
    } finally {
      db.close();
    }
  }
  const config = parsePostgresUrl(url);
  const table = `${config.schema ? `"${config.schema}".` : ''}"${TABLE}"`;
  const client = new pg.Client({ connectionString: config.connectionString });
  await client.connect();
  try {
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE "_connection" = $1`, [connection]);
    const rows = await client.query<{ _id: string; record: unknown }>(`SELECT "_id", "record" FROM ${table} WHERE "_connection" = $1 AND "_id" = ANY($2)`, [
      connection,
      ids,
    ]);
    for (const r of rows.rows) stored.set(r._id, r.record);
    return { count: Number(counted.rows[0]?.n ?? 0), stored };
  } finally {
    await client.end();
  }
}

export async function verifyRun(opts: {
  data: KoreDataset;
  destinationUrl: string;
  connection: string;
  from: number;
  to: number;
  samples?: number;
}): Promise<Verification> {
  const expected = expectedRecords(opts.data, opts.from, opts.to);
  const sample = sampleIds(opts.data, opts.from, opts.to, opts.samples ?? 400);
  const problems: string[] = [];
  const { count, stored } = await readRows(
    opts.destinationUrl,
    opts.connection,
    sample.map((s) => s.id),
  );
  if (count !== expected) problems.push(`${count} rows stored, ${expected} expected`);
  let mismatches = 0;
  for (const s of sample) {
    if (!isDeepStrictEqual(stored.get(s.id), s.record)) mismatches++;
  }
  if (mismatches) problems.push(`${mismatches} of ${sample.length} sampled rows differ from the simulator's records`);
  const destination = openDestination(opts.destinationUrl);
  let stateComplete: boolean;
  try {
    const done = await destination.completedIntervals(opts.connection, 'callvolume');
    stateComplete = done.some((i) => i.start <= opts.from && i.end >= opts.to);
  } finally {
    await destination.close();
  }
  if (!stateComplete) problems.push('the sync state does not record the whole range as complete');
  return { ok: problems.length === 0, rows: count, expected, sampled: sample.length, mismatches, stateComplete, problems };
}
