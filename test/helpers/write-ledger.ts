/**
 * A ledger of every committed write, kept by the database itself: triggers on a stream's tables
 * append one line per row inserted and per row changed, whichever process, attempt or retry did
 * it. A primary key makes "no duplicate rows" true by construction; this ledger is what reveals
 * double processing (a page written twice with different content, a key inserted, deleted and
 * inserted again, an older version landing after a newer one).
 *
 * Test-side only: the product never sees the ledger table, and the triggers write nothing the
 * product reads.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Destination, TableSpec } from '../../destinations/destination';
import { storedSpec } from '../../destinations/shared';
import { ensureTable } from './destination-access';

const LEDGER = 'test_write_ledger';

export interface LedgerCounts {
  inserted: number;
  updated: number;
  deleted: number;
  /** Keys (as `_connection|k1|k2`) inserted more than once: deleted and inserted again. */
  reinserted: string[];
}

export interface WriteLedger {
  counts(table: string, connection?: string): Promise<LedgerCounts>;
  close(): Promise<void>;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
};

/** Creates the tables (through the product, so they are exactly its own) and puts a ledger on them. */
export async function installWriteLedger(url: string, destination: Destination, specs: readonly TableSpec[]): Promise<WriteLedger> {
  for (const spec of specs) await ensureTable(destination, spec);
  return url.startsWith('sqlite:') ? sqliteLedger(url.slice('sqlite:'.length), specs) : postgresLedger(url, specs);
}

function keyExpr(prefix: string, spec: TableSpec, concat: (parts: string[]) => string): string {
  return concat([`${prefix}."_connection"`, ...storedSpec(spec).keyColumns.map((c) => `${prefix}.${ident(c)}`)]);
}

function tally(rows: { op: string; conn: string; k: string }[], connection?: string): LedgerCounts {
  const mine = rows.filter((r) => connection === undefined || r.conn === connection);
  const inserts = new Map<string, number>();
  for (const r of mine) if (r.op === 'insert') inserts.set(r.k, (inserts.get(r.k) ?? 0) + 1);
  return {
    inserted: mine.filter((r) => r.op === 'insert').length,
    updated: mine.filter((r) => r.op === 'update').length,
    deleted: mine.filter((r) => r.op === 'delete').length,
    reinserted: [...inserts].filter(([, n]) => n > 1).map(([k]) => k),
  };
}

function sqliteLedger(file: string, specs: readonly TableSpec[]): WriteLedger {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.exec(`CREATE TABLE IF NOT EXISTS ${LEDGER} (tbl TEXT NOT NULL, op TEXT NOT NULL, conn TEXT NOT NULL, k TEXT NOT NULL)`);
  const concat = (parts: string[]) => parts.join(` || '|' || `);
  for (const spec of specs) {
    const t = ident(spec.name);
    for (const [op, event, row] of [
      ['insert', 'INSERT', 'NEW'],
      ['update', 'UPDATE OF "record"', 'NEW'],
      ['delete', 'DELETE', 'OLD'],
    ] as const) {
      db.exec(
        `CREATE TRIGGER IF NOT EXISTS ${ident(`ledger_${op}_${spec.name}`)} AFTER ${event} ON ${t} FOR EACH ROW ` +
          `BEGIN INSERT INTO ${LEDGER} VALUES ('${spec.name}', '${op}', ${row}."_connection", ${keyExpr(row, spec, concat)}); END`,
      );
    }
  }
  return {
    counts(table, connection) {
      // A promise executor turns a synchronous throw into a rejection, as the async method did.
      return new Promise((resolve) =>
        resolve(tally(db.prepare(`SELECT op, conn, k FROM ${LEDGER} WHERE tbl = ?`).all(table) as { op: string; conn: string; k: string }[], connection)),
      );
    },
    close() {
      return new Promise((resolve) => {
        db.close();
        resolve();
      });
    },
  };
}

async function postgresLedger(url: string, specs: readonly TableSpec[]): Promise<WriteLedger> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? 'public';
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('poolSize');
  const client = new pg.Client({ connectionString: parsed.toString() });
  await client.connect();
  const s = ident(schema);
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.${LEDGER} (tbl TEXT NOT NULL, op TEXT NOT NULL, conn TEXT NOT NULL, k TEXT NOT NULL)`);
  const concat = (parts: string[]) => parts.join(` || '|' || `);
  for (const spec of specs) {
    const t = ident(spec.name);
    for (const [op, event, row] of [
      ['insert', 'INSERT', 'NEW'],
      // Only real changes: an upsert whose WHERE finds the record equal updates nothing.
      ['update', 'UPDATE OF "record"', 'NEW'],
      ['delete', 'DELETE', 'OLD'],
    ] as const) {
      const fn = ident(`ledger_${op}_${spec.name}`);
      await client.query(
        `CREATE OR REPLACE FUNCTION ${s}.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `INSERT INTO ${s}.${LEDGER} VALUES ('${spec.name}', '${op}', ${row}."_connection", ${keyExpr(row, spec, concat)}); RETURN NULL; END $$`,
      );
      await client.query(`DROP TRIGGER IF EXISTS ${fn} ON ${s}.${t}`);
      await client.query(`CREATE TRIGGER ${fn} AFTER ${event} ON ${s}.${t} FOR EACH ROW EXECUTE FUNCTION ${s}.${fn}()`);
    }
  }
  return {
    async counts(table, connection) {
      const { rows } = await client.query<{ op: string; conn: string; k: string }>(`SELECT op, conn, k FROM ${s}.${LEDGER} WHERE tbl = $1`, [table]);
      return tally(rows, connection);
    },
    async close() {
      await client.end();
    },
  };
}
