import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDestination } from '../../destinations/index';
import { SqliteDestination, sqliteErrorType } from '../../destinations/sqlite';
import { destinationContract, ofType, using, type RawStore } from '../helpers/destination-contract';
import { typedColumnsContract } from '../helpers/typed-contract';
import { historyContract } from '../helpers/history-contract';
import { ensureTable, readAll, upsert } from '../helpers/destination-access';

const dir = mkdtempSync(join(tmpdir(), 'ccsync-sqlite-'));
const contractFile = join(dir, 'contract.db');
let contractRaw: Database.Database | undefined;
after(() => {
  contractRaw?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A second, raw connection to look at what the destination really stored. */
function raw(file: string): Database.Database {
  return new Database(file);
}

const rawStore: RawStore = {
  dialect: 'sqlite',
  table: (name) => `"${name}"`,
  // better-sqlite3 is synchronous; the contract's RawStore is async (PostgreSQL's is), and a
  // failing statement must reject, not throw: hence the work inside a then().
  query(sql, params = []) {
    return Promise.resolve().then(() => {
      contractRaw ??= raw(contractFile);
      const statement = contractRaw.prepare(sql);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    });
  },
};

destinationContract('sqlite', () => new SqliteDestination(contractFile), rawStore);
typedColumnsContract('sqlite', () => new SqliteDestination(contractFile), rawStore);
historyContract('sqlite', () => new SqliteDestination(contractFile), rawStore);

describe('SqliteDestination specifics', () => {
  it('creates missing parent directories and turns WAL on', async () => {
    const file = join(dir, 'nested', 'deeper', 'wal.db');
    await using(
      () => new SqliteDestination(file),
      1,
      async (d) => {
        assert.equal(d.kind, 'sqlite');
        assert.equal(d.describe, `sqlite:${file}`);
        await ensureTable(d, {
          name: 'kore_callvolume',
          keyColumns: ['queueId', 'ts'],
          columns: [
            { name: 'at', type: 'timestamp', fields: ['at'] },
            { name: 'ok', type: 'boolean', fields: ['ok'] },
            { name: 'meta', type: 'json', fields: ['meta'] },
          ],
        });
      },
    );
    assert.ok(existsSync(file));
    const db = raw(file);
    try {
      // journal_mode=WAL is persistent: a fresh connection sees it.
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
      assert.deepEqual(tables, ['ccsync_state', 'kore_callvolume']);
      const columns = db.prepare(`SELECT name, type, pk FROM pragma_table_info('kore_callvolume') ORDER BY cid`).all();
      assert.deepEqual(columns, [
        { name: 'queue_id', type: 'TEXT', pk: 2 },
        { name: 'ts', type: 'TEXT', pk: 3 },
        { name: '_connection', type: 'TEXT', pk: 1 },
        { name: '_synced_at', type: 'TEXT', pk: 0 },
        { name: 'record', type: 'TEXT', pk: 0 },
        { name: '_deleted_at', type: 'TEXT', pk: 0 },
        { name: '_version', type: 'REAL', pk: 0 },
        { name: 'at', type: 'TIMESTAMP', pk: 0 },
        { name: 'ok', type: 'BOOLEAN', pk: 0 },
        { name: 'meta', type: 'JSON_TEXT', pk: 0 },
      ]);
    } finally {
      db.close();
    }
  });

  it('stores records as canonical JSON text and state as ISO intervals', async () => {
    const file = join(dir, 'stored.db');
    await using(
      () => new SqliteDestination(file),
      1,
      async (d) => {
        await upsert(d, { name: 't', keyColumns: ['id'] }, 'conn', [{ key: { id: '1' }, record: { b: { z: 1, y: [{ d: 1, c: 2 }] }, a: 'x' } }]);
        await d.markCompleted('conn', 't', { start: Date.UTC(2026, 9, 2), end: Date.UTC(2026, 9, 3) });
        await d.markCompleted('conn', 't', { start: Date.UTC(2026, 9, 1), end: Date.UTC(2026, 9, 2) });
      },
    );
    const db = raw(file);
    try {
      const row = db.prepare(`SELECT record, _synced_at FROM t`).get() as { record: string; _synced_at: string };
      assert.equal(row.record, '{"a":"x","b":{"y":[{"c":2,"d":1}],"z":1}}');
      assert.match(row._synced_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const state = db.prepare(`SELECT completed FROM ccsync_state WHERE connection = 'conn' AND stream = 't'`).pluck().get();
      assert.equal(state, '[{"start":"2026-10-01T00:00:00.000Z","end":"2026-10-03T00:00:00.000Z"}]');
    } finally {
      db.close();
    }
  });

  it('rolls the whole page back when a row fails mid-transaction', async () => {
    const file = join(dir, 'atomic.db');
    const spec = { name: 'atomic', keyColumns: ['id'] };
    await using(
      () => new SqliteDestination(file),
      1,
      async (d) => {
        await ensureTable(d, spec);
        const db = raw(file);
        db.exec(`CREATE TRIGGER refuse_13 BEFORE INSERT ON atomic WHEN NEW.id = '13' BEGIN SELECT RAISE(ABORT, 'row 13 refused'); END`);
        db.close();
        const page = Array.from({ length: 20 }, (_, i) => ({ key: { id: String(i) }, record: { i } }));
        await assert.rejects(upsert(d, spec, 'conn', page), (err: unknown) => {
          ofType('DestinationRejected')(err);
          assert.match((err as Error).message, /row 13 refused/);
          return true;
        });
        assert.deepEqual(await readAll(d, spec, 'conn'), []);
      },
    );
  });

  it('reports a lock held past the busy timeout as DestinationUnavailable, and recovers once it is released', async () => {
    const file = join(dir, 'busy.db');
    const spec = { name: 'busy', keyColumns: ['id'] };
    await using(
      () => new SqliteDestination(file, { busyTimeoutMs: 100 }),
      1,
      async (d) => {
        await ensureTable(d, spec);
        const other = raw(file);
        other.exec('BEGIN IMMEDIATE'); // another process holding the write lock
        try {
          const started = Date.now();
          await assert.rejects(upsert(d, spec, 'conn', [{ key: { id: '1' }, record: {} }]), ofType('DestinationUnavailable'));
          assert.ok(Date.now() - started >= 90, 'waited for the busy timeout before giving up');
          await assert.rejects(d.markCompleted('conn', 'busy', { start: 0, end: 1000 }), ofType('DestinationUnavailable'));
        } finally {
          other.exec('COMMIT');
          other.close();
        }
        assert.deepEqual(await upsert(d, spec, 'conn', [{ key: { id: '1' }, record: {} }]), { inserted: 1, updated: 0, unchanged: 0 });
        await d.markCompleted('conn', 'busy', { start: 0, end: 1000 });
        assert.deepEqual(await d.completedIntervals('conn', 'busy'), [{ start: 0, end: 1000 }]);
      },
    );
  });

  it('reports a path that cannot be a database as DestinationRejected', () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    assert.throws(() => new SqliteDestination(join(blocker, 'ccsync.db')), ofType('DestinationRejected'));
    const notDb = join(dir, 'garbage.db');
    writeFileSync(notDb, 'this is not an sqlite file, just text long enough to be read as a header........');
    assert.throws(() => new SqliteDestination(notDb), ofType('DestinationRejected'));
  });

  it('classifies SQLite result codes', () => {
    assert.equal(sqliteErrorType({ code: 'SQLITE_BUSY' }), 'DestinationUnavailable');
    assert.equal(sqliteErrorType({ code: 'SQLITE_BUSY_SNAPSHOT' }), 'DestinationUnavailable');
    assert.equal(sqliteErrorType({ code: 'SQLITE_IOERR_WRITE' }), 'DestinationUnavailable');
    assert.equal(sqliteErrorType({ code: 'SQLITE_FULL' }), 'DestinationUnavailable');
    assert.equal(sqliteErrorType({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }), 'DestinationRejected');
    assert.equal(sqliteErrorType({ code: 'SQLITE_READONLY' }), 'DestinationRejected');
    assert.equal(sqliteErrorType({ code: 'SQLITE_ERROR' }), 'DestinationRejected');
    assert.equal(sqliteErrorType(new Error('no code')), 'DestinationRejected');
  });

  it('openDestination resolves sqlite:PATH against the working directory', async () => {
    const file = join(dir, 'opened', 'via-url.db');
    await using(
      () => openDestination(`sqlite:${relative(process.cwd(), file)}`),
      1,
      async (d) => {
        assert.equal(d.kind, 'sqlite');
        assert.equal(d.describe, `sqlite:${file}`);
        await ensureTable(d, { name: 'x', keyColumns: ['id'] });
      },
    );
    assert.ok(existsSync(file));
  });
});
