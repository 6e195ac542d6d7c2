/**
 * The shared budget in PostgreSQL: any number of worker processes on any number of machines. One
 * round trip per grant: a PL/pgSQL function locks the account key's row (`SELECT ... FOR UPDATE`),
 * checks the pause, the waiters of better priority and every window of the sliding log, and either
 * inserts the grant or answers how long to wait. Times come from the database's clock, so machines
 * whose clocks disagree still share one timeline.
 *
 * Tables (in the destination's schema, or the limiter URL's `?schema=`): `ccsync_budget_keys` (one row
 * per key: paused/slow until), `ccsync_budget_grants` (the sliding log, pruned past the largest
 * window), `ccsync_budget_waiters` (who waits at which priority, renewed while waiting).
 */
import pg from 'pg';
import { CcsyncError } from '../../core/errors';
import { parsePostgresUrl } from '../../destinations/postgres';
import { PACE_SLACK, PRIORITY_RECHECK_MS, WAITER_TTL_MS, type BudgetStore, type TakeRequest, type TakeResult } from './store';

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
/** NOTIFY channel of settled grants (payload: the key), shared by every schema of the database (a stray wake costs one round trip). */
const SETTLED_CHANNEL = 'ccsync_budget_settled';

export class PostgresBudgetStore implements BudgetStore {
  readonly describe: string;
  private readonly pool: pg.Pool;
  private readonly schema?: string;
  private ready?: Promise<void>;
  private readonly connectionString: string;
  private listener?: (key: string) => void;
  /** The connection that LISTENs for settles; reopened on the next take after it drops. */
  private listening?: Promise<pg.Client | undefined>;
  private closed = false;

  constructor(url: string) {
    const config = parsePostgresUrl(url);
    this.describe = config.describe;
    this.schema = config.schema;
    this.connectionString = config.connectionString;
    // Four connections: one grant at a time per key (a few keys at once) plus the settles of answered
    // requests (ten a second on CCAI Platform), which must not queue behind each other: a late settle
    // keeps its slot busy longer and wakes the waiters later.
    this.pool = new pg.Pool({ connectionString: config.connectionString, max: 4, idleTimeoutMillis: 30_000 });
    this.pool.on('error', () => undefined);
  }

  private name(id: string): string {
    return this.schema ? `${quote(this.schema)}.${quote(id)}` : quote(id);
  }

  private ensure(): Promise<void> {
    this.ready ??= this.create().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    const keys = this.name('ccsync_budget_keys');
    const grants = this.name('ccsync_budget_grants');
    const waiters = this.name('ccsync_budget_waiters');
    const take = this.name('ccsync_budget_take');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several workers start at once: one creates, the others wait for it (CREATE OR REPLACE FUNCTION races otherwise).
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('ccsync_budget_schema'))`);
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${keys} (key text PRIMARY KEY, paused_until bigint NOT NULL DEFAULT 0, slow_until bigint NOT NULL DEFAULT 0)`,
      );
      // Pacing (store.ts pacingWait): the key's pacing clock; added to tables made before it.
      await client.query(`ALTER TABLE ${keys} ADD COLUMN IF NOT EXISTS pace_at bigint NOT NULL DEFAULT 0`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${grants} (id bigserial PRIMARY KEY, key text NOT NULL, at bigint NOT NULL)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ccsync_budget_grants_key_at ON ${grants} (key, at)`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${waiters} (key text NOT NULL, holder text NOT NULL, priority int NOT NULL, seen bigint NOT NULL, PRIMARY KEY (key, holder))`,
      );
      await client.query(`
CREATE OR REPLACE FUNCTION ${take}(p_key text, p_limits int[], p_windows bigint[], p_priority int, p_holder text, p_hold bigint) RETURNS bigint[]
LANGUAGE plpgsql AS $fn$
DECLARE
  v_now bigint;
  v_paused bigint; v_slow bigint; v_pace bigint; v_spacing bigint := 0; v_id bigint; v_wait bigint := 0; v_limit int; v_count int; v_at bigint; v_horizon bigint := 0; i int;
BEGIN
  INSERT INTO ${keys} (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  SELECT paused_until, slow_until, pace_at INTO v_paused, v_slow, v_pace FROM ${keys} WHERE key = p_key FOR UPDATE;
  -- The clock is read once the row lock is held: a grant is never recorded earlier than it was made.
  v_now := floor(extract(epoch from clock_timestamp()) * 1000)::bigint;
  IF v_paused > v_now THEN v_wait := v_paused - v_now; END IF;
  IF v_wait = 0 AND EXISTS (SELECT 1 FROM ${waiters} w WHERE w.key = p_key AND w.holder <> p_holder AND w.priority < p_priority AND w.seen > v_now - ${WAITER_TTL_MS}) THEN
    v_wait := ${PRIORITY_RECHECK_MS};
  END IF;
  FOR i IN 1 .. array_length(p_limits, 1) LOOP
    v_horizon := greatest(v_horizon, p_windows[i]);
    IF v_wait = 0 OR v_wait = ${PRIORITY_RECHECK_MS} THEN
      v_limit := p_limits[i];
      IF v_slow > v_now THEN v_limit := greatest(1, v_limit / 2); END IF;
      -- Pacing (store.ts): the first window's share apart, on a virtual clock with a little slack.
      IF i = 1 THEN
        v_spacing := p_windows[i] / v_limit;
        IF v_pace - ${PACE_SLACK} * v_spacing > v_now THEN v_wait := greatest(v_wait, v_pace - ${PACE_SLACK} * v_spacing - v_now); END IF;
      END IF;
      SELECT count(*) INTO v_count FROM ${grants} g WHERE g.key = p_key AND g.at > v_now - p_windows[i];
      IF v_count >= v_limit THEN
        SELECT g.at INTO v_at FROM ${grants} g WHERE g.key = p_key AND g.at > v_now - p_windows[i] ORDER BY g.at OFFSET (v_count - v_limit) LIMIT 1;
        v_wait := greatest(v_wait, v_at + p_windows[i] - v_now + 1);
      END IF;
    END IF;
  END LOOP;
  IF v_wait > 0 THEN
    INSERT INTO ${waiters} (key, holder, priority, seen) VALUES (p_key, p_holder, p_priority, v_now)
      ON CONFLICT (key, holder) DO UPDATE SET priority = excluded.priority, seen = excluded.seen;
    RETURN ARRAY[v_wait, v_now];
  END IF;
  -- In flight until settled: it holds its slot (counts as later than now).
  INSERT INTO ${grants} (key, at) VALUES (p_key, v_now + p_hold) RETURNING id INTO v_id;
  UPDATE ${keys} SET pace_at = greatest(v_pace, v_now) + v_spacing WHERE key = p_key;
  DELETE FROM ${grants} g WHERE g.key = p_key AND g.at <= v_now - v_horizon;
  DELETE FROM ${waiters} w WHERE w.key = p_key AND (w.holder = p_holder OR w.seen < v_now - 60000);
  RETURN ARRAY[0, v_now, v_id];
END
$fn$`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Settles in any process are announced with NOTIFY, so a waiter blocked by a request in flight asks
   * again as soon as its answer came, not at its next poll. Without the LISTEN connection (not open
   * yet, dropped) waiters fall back to the limiter's poll: slower, never wrong.
   */
  watch(listener: (key: string) => void): void {
    this.listener = listener;
  }

  private listen(): void {
    if (!this.listener || this.listening || this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    const drop = () => {
      this.listening = undefined;
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', () => (this.listening = undefined));
    client.on('notification', (n) => {
      if (n.channel === SETTLED_CHANNEL && n.payload) this.listener?.(n.payload);
    });
    this.listening = client
      .connect()
      .then(() => client.query(`LISTEN ${SETTLED_CHANNEL}`))
      .then(() => client)
      .catch(() => {
        drop();
        return undefined;
      });
  }

  async take(req: TakeRequest): Promise<TakeResult> {
    this.listen();
    return this.run(async () => {
      const result = await this.pool.query<{ wait: string[] }>(`SELECT ${this.name('ccsync_budget_take')}($1, $2, $3, $4, $5, $6) AS wait`, [
        req.key,
        req.windows.map((w) => w.limit),
        req.windows.map((w) => w.perMs),
        req.priorityKey,
        req.holder,
        Math.round(req.holdMs),
      ]);
      const [waitMs, at, id] = result.rows[0]!.wait.map(Number);
      return { waitMs: waitMs!, at: at!, id };
    });
  }

  /**
   * The slot counts from the answer by the database's clock: its clock when the settle runs, less the
   * time this process measured between the answer and sending the settle (a pooled connection may
   * be busy with other grants; ten answers a second on CCAI Platform queue behind each other). Rounded
   * down and measured before the query leaves, so the slot never counts from earlier than its answer.
   */
  async settle(key: string, id: number, answeredAt: number = performance.now()): Promise<void> {
    await this.run(async () => {
      const client = await this.pool.connect();
      try {
        const agoMs = Math.max(0, Math.floor(performance.now() - answeredAt));
        await client.query(
          `WITH settled AS (
             UPDATE ${this.name('ccsync_budget_grants')} SET at = floor(extract(epoch from clock_timestamp()) * 1000)::bigint - $3 WHERE id = $1 AND key = $2 RETURNING key
           ) SELECT pg_notify('${SETTLED_CHANNEL}', key) FROM settled`,
          [id, key, agoMs],
        );
      } finally {
        client.release();
      }
    });
  }

  async pause(key: string, pauseMs: number, slowMs: number): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `INSERT INTO ${this.name('ccsync_budget_keys')} AS k (key, paused_until, slow_until)
         VALUES ($1, floor(extract(epoch from clock_timestamp()) * 1000)::bigint + $2, floor(extract(epoch from clock_timestamp()) * 1000)::bigint + $2 + $3)
         ON CONFLICT (key) DO UPDATE SET paused_until = greatest(k.paused_until, excluded.paused_until), slow_until = greatest(k.slow_until, excluded.slow_until)`,
        [key, Math.round(pauseMs), Math.round(slowMs)],
      ),
    );
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      await this.ensure();
      return await work();
    } catch (err) {
      // Retryable: the page waits for the shared budget rather than sending unchecked.
      throw new CcsyncError('DestinationUnavailable', `the shared rate-limit store ${this.describe} is unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.listening;
    await client?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
