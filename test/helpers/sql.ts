/**
 * Runs the SQL a user would write against a destination, straight through the database driver
 * (not through the product): SQLite with `?` parameters, PostgreSQL with `$n` in the run's schema.
 */
import Database from 'better-sqlite3';
import pg from 'pg';

export interface DialectSql {
  sqlite: string;
  postgres: string;
}

export async function queryRows(destinationUrl: string, sql: DialectSql, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (destinationUrl.startsWith('sqlite:')) {
    const db = new Database(destinationUrl.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql.sqlite).all(...params) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const url = new URL(destinationUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    if (schema) await client.query(`SET search_path TO "${schema.replace(/"/g, '')}"`);
    return (await client.query<Record<string, unknown>>(sql.postgres, params)).rows;
  } finally {
    await client.end();
  }
}

/** Sums `value` by `key` (what a GROUP BY returns), for ground truth computed in the test. */
export function sumBy<T>(items: readonly T[], key: (t: T) => string, value: (t: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of items) out.set(key(t), (out.get(key(t)) ?? 0) + value(t));
  return out;
}
