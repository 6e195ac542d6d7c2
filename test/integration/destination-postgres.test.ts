/**
 * Runs against a real PostgreSQL (`CCSYNC_TEST_POSTGRES_URL`, default the local trust-auth server),
 * inside a random schema per run that is dropped at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeDestinationUrl, openDestination } from '../../destinations/index';
import { PostgresDestination, pgErrorType } from '../../destinations/postgres';
import { destinationContract, ofType, using, type RawStore } from '../helpers/destination-contract';
import { typedColumnsContract } from '../helpers/typed-contract';
import { historyContract } from '../helpers/history-contract';
import { ensureTable, readAll, upsert } from '../helpers/destination-access';

const BASE_URL = process.env.CCSYNC_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `ccsync_test_${randomBytes(6).toString('hex')}`;

function urlWith(params: Record<string, string>, base = BASE_URL): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

const URL_IN_SCHEMA = urlWith({ schema: SCHEMA });
/** A schema that does not exist yet, for the start-up race; dropped with the main one. */
const RACE_SCHEMA = `${SCHEMA}_race`;
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });

after(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS "${RACE_SCHEMA}" CASCADE`);
  await admin.end();
});

const rawStore: RawStore = {
  dialect: 'postgres',
  table: (name) => `"${SCHEMA}"."${name}"`,
  async query(sql, params = []) {
    let n = 0;
    return (
      await admin.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as Record<string, unknown>[];
  },
};

destinationContract('postgres', () => new PostgresDestination(URL_IN_SCHEMA), rawStore);
typedColumnsContract('postgres', () => new PostgresDestination(URL_IN_SCHEMA), rawStore);
historyContract('postgres', () => new PostgresDestination(URL_IN_SCHEMA), rawStore);

describe('PostgresDestination specifics', () => {
  it('creates its schema, stores keys as snake_case text, records as jsonb, _synced_at and typed columns with their types', async () => {
    await using(
      () => openDestination(URL_IN_SCHEMA),
      1,
      async (d) => {
        assert.equal(d.kind, 'postgres');
        assert.ok(d.describe.endsWith(`?schema=${SCHEMA}`));
        const columns = [
          { name: 'b', type: 'integer', fields: ['b'] },
          { name: 'a', type: 'json', fields: ['a'] },
          { name: 'at', type: 'timestamp', fields: ['at'] },
          { name: 'ok', type: 'boolean', fields: ['ok'] },
        ] as const;
        await upsert(d, { name: 'kore_callvolume', keyColumns: ['queueId', 'ts'], columns }, 'conn', [
          { key: { queueId: 'q1', ts: '2026-10-01T00:00:00Z' }, record: { b: 1, a: [1, 2], at: '2024-09-27T13:50:51', ok: true } },
        ]);
        await d.markCompleted('conn', 'callvolume', { start: Date.UTC(2026, 9, 1), end: Date.UTC(2026, 9, 2) });
      },
    );
    const { rows: columns } = await admin.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'kore_callvolume' ORDER BY ordinal_position`,
      [SCHEMA],
    );
    assert.deepEqual(
      columns.map((c) => [c.column_name, c.data_type]),
      [
        ['queue_id', 'text'],
        ['ts', 'text'],
        ['_connection', 'text'],
        ['_synced_at', 'timestamp with time zone'],
        ['record', 'jsonb'],
        ['_deleted_at', 'timestamp with time zone'],
        ['_version', 'double precision'],
        ['b', 'bigint'],
        ['a', 'jsonb'],
        ['at', 'timestamp with time zone'],
        ['ok', 'boolean'],
      ],
    );
    // The zoneless time is the UTC instant it names.
    const { rows: typed } = await admin.query(`SELECT b, a, at, ok FROM "${SCHEMA}".kore_callvolume`);
    assert.deepEqual(typed, [{ b: '1', a: [1, 2], at: new Date('2024-09-27T13:50:51Z'), ok: true }]);
    const { rows: pk } = await admin.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`"${SCHEMA}".kore_callvolume`],
    );
    assert.deepEqual(
      pk.map((r) => r.attname),
      ['_connection', 'queue_id', 'ts'],
    );
    const { rows: state } = await admin.query(
      `SELECT completed, pg_typeof(completed)::text AS type FROM "${SCHEMA}".ccsync_state WHERE connection = 'conn' AND stream = 'callvolume'`,
    );
    assert.deepEqual(state, [{ completed: [{ start: '2026-10-01T00:00:00.000Z', end: '2026-10-02T00:00:00.000Z' }], type: 'jsonb' }]);
    // Nothing leaked into the default schema.
    const { rows: leaked } = await admin.query(`SELECT to_regclass('public.kore_callvolume') AS t`);
    assert.equal(leaked[0].t, null);
  });

  it('uses a pre-created table as is, and orders keys bytewise even under a linguistic collation', async (t) => {
    const { rows } = await admin.query(`SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'`);
    if (rows.length === 0) return t.skip('no ICU collation on this server');
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${SCHEMA}"`);
    await admin.query(
      `CREATE TABLE "${SCHEMA}".pg_precreated (id TEXT COLLATE "und-x-icu" NOT NULL, _connection TEXT NOT NULL,
       _synced_at TIMESTAMPTZ NOT NULL, record JSONB NOT NULL, PRIMARY KEY (_connection, id))`,
    );
    await using(
      () => new PostgresDestination(URL_IN_SCHEMA),
      1,
      async (d) => {
        const spec = { name: 'pg_precreated', keyColumns: ['id'] };
        const ids = ['a', 'B', '_', '10', '9'];
        await upsert(
          d,
          spec,
          'conn',
          ids.map((id) => ({ key: { id }, record: {} })),
        );
        // Under und-x-icu this would read _, 10, 9, a, B; SQLite's order is by bytes.
        assert.deepEqual(
          (await readAll(d, spec, 'conn')).map((r) => r.key.id),
          ['10', '9', 'B', '_', 'a'],
        );
      },
    );
  });

  it('rolls back every batch of a page when a later batch fails', async () => {
    await using(
      () => new PostgresDestination(URL_IN_SCHEMA),
      1,
      async (d) => {
        const spec = { name: 'pg_atomic', keyColumns: ['id'] };
        const page = Array.from({ length: 1200 }, (_, i) => ({ key: { id: String(i) }, record: { i, s: 'ok' } }));
        // jsonb refuses NUL characters: the third batch of 500 fails after two were written.
        page[1100] = { key: { id: '1100' }, record: { i: 1100, s: 'bad\u0000' } };
        await assert.rejects(upsert(d, spec, 'conn', page), ofType('DestinationRejected'));
        assert.deepEqual(await readAll(d, spec, 'conn'), []);
      },
    );
  });

  it('creates tables safely when several workers start at once', async () => {
    await using(
      () => new PostgresDestination(urlWith({ schema: RACE_SCHEMA })),
      6,
      async (...ds) => {
        const spec = { name: 'raced', keyColumns: ['id'] };
        await Promise.all(ds.map((d) => ensureTable(d, spec)));
        await Promise.all(ds.map((d, i) => upsert(d, spec, 'conn', [{ key: { id: String(i) }, record: {} }])));
        assert.equal((await readAll(ds[0]!, spec, 'conn')).length, 6);
      },
    );
  });

  it('survives the server closing an idle pooled connection', async () => {
    await using(
      () => new PostgresDestination(urlWith({ schema: SCHEMA, application_name: 'ccsync_terminate_me' })),
      1,
      async (d) => {
        const spec = { name: 'pg_terminated', keyColumns: ['id'] };
        await upsert(d, spec, 'conn', [{ key: { id: '1' }, record: {} }]);
        const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'ccsync_terminate_me'`);
        assert.ok(rows.length >= 1 && rows.every((r) => r.ok === true), 'terminated the idle connection');
        await sleep(50); // let the pool notice (this is where a missing 'error' listener would crash node)
        assert.deepEqual(await upsert(d, spec, 'conn', [{ key: { id: '2' }, record: {} }]), { inserted: 1, updated: 0, unchanged: 0 });
      },
    );
  });

  describe('with a restricted role', () => {
    const role = `ccsync_test_role_${randomBytes(4).toString('hex')}`;
    let canCreateRoles = true;
    before(async () => {
      try {
        await admin.query(`CREATE ROLE ${role} LOGIN`);
      } catch {
        canCreateRoles = false; // not a superuser: these cases are skipped below
      }
    });
    after(async () => {
      if (canCreateRoles) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    });
    const roleUrl = () => {
      const url = new URL(urlWith({ schema: SCHEMA }));
      url.username = role;
      url.password = 'n0t-the-real-pw';
      return url.toString();
    };

    it('a permission error is DestinationRejected, without the password', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          // The schema exists (the contract made it) but this role has no rights in it.
          await assert.rejects(upsert(d, { name: 'pg_forbidden', keyColumns: ['id'] }, 'conn', [{ key: { id: '1' }, record: {} }]), (err: unknown) => {
            ofType('DestinationRejected')(err);
            assert.match((err as Error).message, /permission denied/);
            assert.doesNotMatch((err as Error).message, /n0t-the-real-pw/);
            return true;
          });
        },
      );
    });

    it('"too many connections" is DestinationUnavailable', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          await assert.rejects(d.completedIntervals('conn', 'x'), (err: unknown) => {
            ofType('DestinationUnavailable')(err);
            assert.match((err as Error).message, /too many connections/);
            return true;
          });
        },
      );
    });
  });

  describe('with a role that may only read and write rows', () => {
    const role = `ccsync_test_dml_${randomBytes(4).toString('hex')}`;
    let canCreateRoles = true;
    before(async () => {
      try {
        await admin.query(`CREATE ROLE ${role} LOGIN`);
      } catch {
        canCreateRoles = false;
        return;
      }
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${SCHEMA}"`);
      await admin.query(`GRANT USAGE ON SCHEMA "${SCHEMA}" TO ${role}`);
    });
    after(async () => {
      if (!canCreateRoles) return;
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    });
    const roleUrl = () => {
      const url = new URL(urlWith({ schema: SCHEMA }));
      url.username = role;
      url.password = 'n0t-the-real-pw';
      return url.toString();
    };
    const grantRows = () => admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${SCHEMA}" TO ${role}`);

    it('writes pages, snapshots and reads in tables a DBA created, without any DDL', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      const spec = { name: 'pg_dml_only', keyColumns: ['callId', 'leg'] };
      // The DBA's part: the tables exist (made here by the owner), the role may only touch rows.
      await using(
        () => new PostgresDestination(URL_IN_SCHEMA),
        1,
        async (owner) => {
          await ensureTable(owner, spec);
          await owner.finishSnapshot(spec, 'setup', 'setup'); // creates the snapshot tables
        },
      );
      await grantRows();
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          await assert.rejects(ensureTable(d, { name: 'pg_dml_only_new', keyColumns: ['id'] }), (err: unknown) => {
            ofType('DestinationRejected')(err);
            assert.match((err as Error).message, /permission denied/);
            return true;
          });
          const page = [
            { key: { callId: '1', leg: 'a' }, record: {} },
            { key: { callId: '1', leg: 'b' }, record: {} },
          ];
          assert.deepEqual(await d.writePage('conn', [{ spec, rows: page }]), [{ table: 'pg_dml_only', inserted: 2, updated: 0, unchanged: 0, deleted: 0 }]);
          assert.deepEqual(await d.writePage('conn', [{ spec, rows: page.slice(0, 1), replaceChildrenOf: { column: 'callId', parents: ['1'] } }]), [
            { table: 'pg_dml_only', inserted: 0, updated: 0, unchanged: 1, deleted: 1 },
          ]);
          await upsert(d, spec, 'conn', [{ key: { callId: '2', leg: 'a' }, record: {} }]);
          await d.noteSnapshotKeys(spec, 'conn', 'run', [{ callId: '1', leg: 'a' }]);
          assert.deepEqual(await d.finishSnapshot(spec, 'conn', 'run'), { seen: 1, deleted: 1, revived: 0, skippedEmpty: false });
          assert.deepEqual(
            (await readAll(d, spec, 'conn')).map((r) => [r.key.callId, r.deletedAt === null]),
            [
              ['1', true],
              ['2', false],
            ],
          );
          await d.markCompleted('conn', 'pg_dml_only', { start: 0, end: 1000 });
        },
      );
    });

    it('a table from before _deleted_at that the role may not alter is refused with the statement its owner must run', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      const spec = { name: 'pg_dml_legacy', keyColumns: ['id'] };
      await admin.query(
        `CREATE TABLE "${SCHEMA}".pg_dml_legacy (id TEXT NOT NULL, _connection TEXT NOT NULL, _synced_at TIMESTAMPTZ NOT NULL, ` +
          `record JSONB NOT NULL, PRIMARY KEY (_connection, id))`,
      );
      await admin.query(`INSERT INTO "${SCHEMA}".pg_dml_legacy VALUES ('1', 'conn', now(), '{}')`);
      await grantRows();
      const advice = `ALTER TABLE "${SCHEMA}"."pg_dml_legacy" ADD COLUMN IF NOT EXISTS "_deleted_at" TIMESTAMPTZ; ALTER TABLE "${SCHEMA}"."pg_dml_legacy" ADD COLUMN IF NOT EXISTS "_version" DOUBLE PRECISION`;
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          assert.deepEqual(
            (await readAll(d, spec, 'conn')).map((r) => [r.key.id, r.deletedAt]),
            [['1', null]],
          );
          await assert.rejects(d.writePage('conn', [{ spec, rows: [{ key: { id: '2' }, record: {} }] }]), (err: unknown) => {
            ofType('DestinationRejected')(err);
            const text = `${(err as Error).message} ${(err as Error).stack}`;
            assert.ok((err as Error).message.includes(advice), (err as Error).message);
            assert.match((err as Error).message, /must be owner/);
            assert.doesNotMatch(text, /n0t-the-real-pw/);
            return true;
          });
          await admin.query(advice); // what the owner is told to run
          assert.deepEqual(await upsert(d, spec, 'conn', [{ key: { id: '2' }, record: {} }]), { inserted: 1, updated: 0, unchanged: 0 });
        },
      );
    });
    it('a table from before typed columns that the role may not alter is refused with the exact statements; once run, the next write fills the columns', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      const columns = [
        { name: 'started_at', type: 'timestamp', fields: ['startedAt'] },
        { name: 'offered', type: 'integer', fields: ['offered'] },
      ] as const;
      const spec = { name: 'pg_dml_typed', keyColumns: ['sessionId'], columns };
      const table = `"${SCHEMA}"."pg_dml_typed"`;
      // What the previous version created and wrote.
      await admin.query(
        `CREATE TABLE ${table} ("sessionId" TEXT NOT NULL, _connection TEXT NOT NULL, _synced_at TIMESTAMPTZ NOT NULL, record JSONB NOT NULL, ` +
          `_deleted_at TIMESTAMPTZ, _version DOUBLE PRECISION, PRIMARY KEY (_connection, "sessionId"))`,
      );
      await admin.query(`INSERT INTO ${table} VALUES ('s1', 'conn', now(), '{"sessionId": "s1", "startedAt": "2024-09-27T13:50:51", "offered": 4}')`);
      await grantRows();
      const statements = [
        `ALTER TABLE ${table} RENAME COLUMN "sessionId" TO "session_id"`,
        `ALTER TABLE ${table} ADD COLUMN "started_at" TIMESTAMPTZ`,
        `ALTER TABLE ${table} ADD COLUMN "offered" BIGINT`,
      ];
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          const page = [{ key: { sessionId: 's2' }, record: { sessionId: 's2', offered: 1, extra: 'x' } }];
          await assert.rejects(d.writePage('conn', [{ spec, rows: page }]), (err: unknown) => {
            ofType('DestinationRejected')(err);
            assert.ok((err as Error).message.includes(`have its owner run: ${statements.join('; ')};`), (err as Error).message);
            assert.doesNotMatch(`${(err as Error).message} ${(err as Error).stack}`, /n0t-the-real-pw/);
            return true;
          });
          for (const sql of statements) await admin.query(sql); // what the DBA is told to run
          // The new field `extra` cannot get a column under this role: it stays in record, the write goes on.
          assert.deepEqual(await d.writePage('conn', [{ spec, rows: page }]), [{ table: 'pg_dml_typed', inserted: 1, updated: 0, unchanged: 0, deleted: 0 }]);
        },
      );
      const { rows } = await admin.query(`SELECT session_id, started_at, offered FROM ${table} ORDER BY session_id`);
      assert.deepEqual(rows, [
        { session_id: 's1', started_at: new Date('2024-09-27T13:50:51Z'), offered: '4' },
        { session_id: 's2', started_at: null, offered: '1' },
      ]);
    });

    it('history mode for a role that may not create tables is refused with the exact statements; once the owner runs them, history is kept', async (t) => {
      if (!canCreateRoles) return t.skip('cannot create roles on this server');
      const spec = { name: 'pg_dml_hist', keyColumns: ['id'], columns: [{ name: 'status', type: 'text', fields: ['status'] }] as const, history: true };
      const history = `"${SCHEMA}"."pg_dml_hist_history"`;
      const view = `"${SCHEMA}"."pg_dml_hist_changes"`;
      // The DBA made the table and granted its rows; nothing else.
      await using(
        () => new PostgresDestination(URL_IN_SCHEMA),
        1,
        (owner) => ensureTable(owner, spec),
      );
      await grantRows();
      const page = (status: string) => [{ key: { id: '1' }, record: { id: '1', status } }];
      let statements: string[] = [];
      await using(
        () => new PostgresDestination(roleUrl()),
        1,
        async (d) => {
          await assert.rejects(d.writePage('conn', [{ spec, rows: page('open') }]), (err: unknown) => {
            ofType('DestinationRejected')(err);
            const message = (err as Error).message;
            assert.match(message, /^Creating the history of table pg_dml_hist \(history: true\) failed: .*permission denied for schema/);
            const told = /have its owner run: (.*); ccsync then keeps the history from its next write\.$/.exec(message);
            assert.ok(told, message);
            statements = told[1]!.split('; ');
            assert.doesNotMatch(`${message} ${(err as Error).stack}`, /n0t-the-real-pw/);
            return true;
          });
          assert.deepEqual(
            statements.map((sql) => sql.split(' (')[0]!.split(' AS ')[0]),
            [`CREATE TABLE IF NOT EXISTS ${history}`, `CREATE OR REPLACE VIEW ${view}`, `GRANT SELECT, INSERT, UPDATE ON ${history} TO "${role}"`],
            'the table (its key is its index), the view and the grant, in the order to run them',
          );
          assert.ok(statements[0]!.includes(`"status" TEXT`) && statements[0]!.includes(`PRIMARY KEY ("_connection", "id", "_valid_from")`), statements[0]);
          assert.equal((await admin.query(`SELECT to_regclass($1) AS t`, [history])).rows[0].t, null, 'nothing was created');
          for (const sql of statements) await admin.query(sql); // what the owner is told to run
          // The same role now writes the history; the owner's view stands as it is.
          assert.deepEqual(await d.writePage('conn', [{ spec, rows: page('open') }]), [
            { table: 'pg_dml_hist', inserted: 1, updated: 0, unchanged: 0, deleted: 0 },
          ]);
          await d.writePage('conn', [{ spec, rows: page('closed') }]);
        },
      );
      const versions = await admin.query(`SELECT id, status, _valid_to IS NULL AS current FROM ${history} ORDER BY _valid_from`);
      assert.deepEqual(versions.rows, [
        { id: '1', status: 'open', current: false },
        { id: '1', status: 'closed', current: true },
      ]);
      const changes = await admin.query(`SELECT id, field, old_value, new_value FROM ${view}`);
      assert.deepEqual(changes.rows, [{ id: '1', field: 'status', old_value: 'open', new_value: 'closed' }]);
    });
  });

  it('an unreachable server is DestinationUnavailable, and no message shows the password', async () => {
    const url = 'postgres://u:s3cretpw@127.0.0.1:1/x';
    assert.equal(describeDestinationUrl(url), 'postgres://u@127.0.0.1:1/x');
    await using(
      () => openDestination(url),
      1,
      async (d) => {
        assert.equal(d.describe, 'postgres://u@127.0.0.1:1/x');
        const spec = { name: 't', keyColumns: ['id'] };
        // Thunks, run one at a time: an eager promise could reject before assert.rejects listens.
        const attempts: Array<() => Promise<unknown>> = [
          () => upsert(d, spec, 'conn', [{ key: { id: '1' }, record: {} }]),
          () => ensureTable(d, spec),
          () => readAll(d, spec, 'conn'),
          () => d.completedIntervals('conn', 's'),
          () => d.markCompleted('conn', 's', { start: 0, end: 1 }),
          () => d.writePage('conn', [{ spec, rows: [{ key: { id: '1' }, record: {} }] }]),
          () => d.noteSnapshotKeys(spec, 'conn', 'run', [{ id: '1' }]),
          () => d.finishSnapshot(spec, 'conn', 'run'),
        ];
        for (const attempt of attempts) {
          await assert.rejects(attempt(), (err: unknown) => {
            ofType('DestinationUnavailable')(err);
            const text = `${(err as Error).message} ${(err as Error).stack}`;
            assert.doesNotMatch(text, /s3cretpw/);
            assert.match((err as Error).message, /postgres:\/\/u@127\.0\.0\.1:1\/x/);
            assert.match((err as Error).message, /ECONNREFUSED/);
            return true;
          });
        }
      },
    );
  });

  it('classifies PostgreSQL and network errors', () => {
    const cases: Array<[unknown, string]> = [
      [{ code: 'ECONNREFUSED' }, 'DestinationUnavailable'],
      [{ code: 'ECONNRESET' }, 'DestinationUnavailable'],
      [{ code: 'ETIMEDOUT' }, 'DestinationUnavailable'],
      [{ code: '53300' }, 'DestinationUnavailable'], // too_many_connections
      [{ code: '57P01' }, 'DestinationUnavailable'], // admin_shutdown
      [{ code: '57P03' }, 'DestinationUnavailable'], // cannot_connect_now
      [{ code: '08006' }, 'DestinationUnavailable'], // connection_failure
      [{ code: '40P01' }, 'DestinationUnavailable'], // deadlock_detected
      [new Error('timeout exceeded when trying to connect'), 'DestinationUnavailable'],
      [new Error('Connection terminated unexpectedly'), 'DestinationUnavailable'],
      [{ code: '42501' }, 'DestinationRejected'], // insufficient_privilege
      [{ code: '23505' }, 'DestinationRejected'], // unique_violation
      [{ code: '42601' }, 'DestinationRejected'], // syntax_error
      [{ code: '28P01' }, 'DestinationRejected'], // invalid_password
      [{ code: '3D000' }, 'DestinationRejected'], // database does not exist
      [new Error('something else'), 'DestinationRejected'],
    ];
    for (const [err, type] of cases) assert.equal(pgErrorType(err), type, JSON.stringify(err) + String(err));
  });
});
