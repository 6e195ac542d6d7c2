/**
 * The shared vendor budget (activities/budget) on its real stores: a SQLite file and a private
 * PostgreSQL schema, each opened by three limiters with their own connections, as three worker
 * processes would. Run: node --import tsx --test test/unit/budget.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { SharedBudget } from '../../activities/budget/limiter';
import { PostgresBudgetStore } from '../../activities/budget/postgres-store';
import { SqliteBudgetStore } from '../../activities/budget/sqlite-store';
import { MemoryBudgetStore, type BudgetStore } from '../../activities/budget/store';
import { describeLimiterUrl, openBudgetStore } from '../../activities/budget';
import type { RateLimitRule } from '../../core/source';
import { maxInAnyWindow } from '../../simulators/kit/server';

const POSTGRES_URL = process.env.CCSYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_budget_${randomBytes(4).toString('hex')}`;
const sqliteFile = join(mkdtempSync(join(tmpdir(), 'ccsync-budget-')), 'limits.db');

const kinds: { name: string; open: () => BudgetStore }[] = [
  { name: 'SQLite file', open: () => new SqliteBudgetStore(sqliteFile) },
  { name: 'PostgreSQL', open: () => new PostgresBudgetStore(`${POSTGRES_URL}?schema=${schema}`) },
];

const opened: SharedBudget[] = [];
function limiters(open: () => BudgetStore, n: number): SharedBudget[] {
  const list = Array.from({ length: n }, (_, i) => new SharedBudget(open(), { holder: `proc-${i}-${randomBytes(2).toString('hex')}`, maxSleepMs: 100 }));
  opened.push(...list);
  return list;
}

after(async () => {
  await Promise.all(opened.map((l) => l.close()));
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

const uniqueKey = () => `test:${randomBytes(4).toString('hex')}`;

/** A grant whose request was answered at once (a request holds its slot until settled). */
async function grant(l: SharedBudget, rule: RateLimitRule, priorityKey?: number) {
  const g = await l.acquire(rule, priorityKey);
  await l.settle(g);
  return g;
}

for (const kind of kinds) {
  describe(`the shared budget in ${kind.name}`, () => {
    it('three limiters on one key never exceed it together, and use it fully', async () => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 10, perMs: 500 };
      const procs = limiters(kind.open, 3);
      const started = Date.now();
      const grants = await Promise.all(Array.from({ length: 45 }, (_, i) => grant(procs[i % 3]!, rule).then((e) => e.grantedAt)));
      const elapsed = Date.now() - started;
      assert.ok(maxInAnyWindow(grants, 500) <= 10, `at most 10 in any 500 ms (saw ${maxInAnyWindow(grants, 500)})`);
      // 45 grants at 10 per 500 ms need at least 4 full windows: 2 s; used fully, not much more.
      assert.ok(elapsed >= 2_000, `the budget held them back (${elapsed} ms)`);
      assert.ok(elapsed < 3_200, `the budget was used, not wasted (${elapsed} ms for 45 grants at 20/s)`);
      // Paced, never the window's 10 in a burst: 50 ms apart with 5 spacings of slack, so any 50 ms holds 7 at most.
      assert.ok(maxInAnyWindow(grants, 50) <= 7, `paced: at most 7 in any 50 ms (saw ${maxInAnyWindow(grants, 50)})`);
    });

    it('a second window (per hour) holds too, and edited limits apply at the next grant', async () => {
      const key = uniqueKey();
      const [a, b] = limiters(kind.open, 2);
      const hourly: RateLimitRule = { key, limit: 100, perMs: 60_000, also: [{ limit: 3, perMs: 3_600_000 }] };
      for (const l of [a!, b!, a!]) await grant(l, hourly);
      const fourth = grant(b!, hourly);
      const outcome = await Promise.race([fourth.then(() => 'granted'), new Promise((r) => setTimeout(() => r('held'), 600))]);
      assert.equal(outcome, 'held', 'the fourth request of the hour waits');
      // The connections file raised the hourly quota: the waiting request goes at its next ask.
      const raised: RateLimitRule = { ...hourly, also: [{ limit: 10, perMs: 3_600_000 }] };
      const t = Date.now();
      await grant(a!, raised);
      assert.ok(Date.now() - t < 1_500, 'the raised limit applied without a restart');
      void fourth.catch(() => undefined);
    });

    it('grants a waiter of better priority in another process first', async () => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 2, perMs: 400 };
      const [backfillProc, scheduleProc] = limiters(kind.open, 2);
      const order: string[] = [];
      const backfill = Array.from({ length: 8 }, () => grant(backfillProc!, rule, 4).then(() => order.push('backfill')));
      await new Promise((r) => setTimeout(r, 300));
      const schedule = Array.from({ length: 3 }, () => grant(scheduleProc!, rule, 1).then(() => order.push('schedule')));
      await Promise.all([...backfill, ...schedule]);
      const lastSchedule = order.lastIndexOf('schedule');
      // Granted before then: the first window's 2 backfill grants, at most 2 more racing the schedule's first ask.
      assert.ok(lastSchedule <= 6, `the schedule's requests went before most of the backfill's: ${order.join(' ')}`);
      assert.equal(order.slice(lastSchedule + 1).filter((o) => o === 'backfill').length >= 3, true, `backfill requests waited behind them: ${order.join(' ')}`);
    });

    it('a request holds its slot until answered, and counts from its answer', async () => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 1, perMs: 300 };
      const [a, b] = limiters(kind.open, 2);
      const slow = a!.call(
        rule,
        () => new Promise<{ status: number; headers: Record<string, string> }>((r) => setTimeout(() => r({ status: 200, headers: {} }), 700)),
      );
      await new Promise((r) => setTimeout(r, 50));
      const t = Date.now();
      await grant(b!, rule);
      // Answered at ~700 ms: the next may go 300 ms after that, not 300 ms after the start.
      assert.ok(Date.now() - t >= 850, `waited for the answer plus the window (${Date.now() - t} ms)`);
      await slow;
    });

    it('a waiter in another process goes as soon as the slot it waits for frees, not at its next poll', async () => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 1, perMs: 300 };
      // Polls only every 3 s: a grant sooner than that came from being woken by the settle.
      const [a, b] = [0, 1].map((i) => new SharedBudget(kind.open(), { holder: `wake-${i}-${randomBytes(2).toString('hex')}`, maxSleepMs: 3_000 }));
      opened.push(a!, b!);
      // Opens both stores (and their LISTEN connections, for PostgreSQL) first.
      await Promise.all([grant(a!, { ...rule, key: uniqueKey() }), grant(b!, { ...rule, key: uniqueKey() })]);
      let answeredAt = 0;
      const slow = a!.call(rule, async (answered) => {
        await new Promise((r) => setTimeout(r, 500));
        answeredAt = Date.now();
        answered(); // the headers came: the body still takes 1.5 s, the slot counts from here
        await new Promise((r) => setTimeout(r, 1_500));
        return { status: 200, headers: {} };
      });
      await new Promise((r) => setTimeout(r, 50));
      await grant(b!, rule);
      const after = Date.now() - answeredAt;
      assert.ok(answeredAt > 0 && after >= 290, `the slot counted from the answer's headers (granted ${after} ms after them)`);
      assert.ok(after < 800, `granted ${after} ms after the headers: the window (300 ms) plus a wake-up, not the body's 1.5 s nor a 3 s poll`);
      await slow;
    });

    it('a waiter whose slot frees at a known time is not woken by every settle in another process', async (t) => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 11, perMs: 1_000 };
      const inner = kind.open();
      if (!inner.watch) {
        await inner.close();
        return t.skip('this store announces no settles (its waiters poll)');
      }
      let takes = 0;
      // The same store, counting the grants asked for.
      const counting: BudgetStore = {
        describe: inner.describe,
        take: (req) => {
          takes++;
          return inner.take(req);
        },
        settle: (key, id, answeredAt) => inner.settle(key, id, answeredAt),
        pause: (key, pauseMs, slowMs) => inner.pause(key, pauseMs, slowMs),
        watch: (listener) => inner.watch!(listener),
        close: () => inner.close(),
      };
      const [a] = limiters(kind.open, 1);
      const b = new SharedBudget(counting, { holder: `known-${randomBytes(2).toString('hex')}`, maxSleepMs: 3_000 });
      opened.push(b);
      // Opens b's store (and its LISTEN connection) first.
      await grant(b, { ...rule, key: uniqueKey() });
      const first = await grant(a!, rule);
      const inFlight = await Promise.all(Array.from({ length: 10 }, () => a!.acquire(rule)));
      takes = 0;
      const waiting = b.acquire(rule);
      // Ten answers arrive in the other process while b waits for the first slot, which is settled
      // and so frees at a known time: nothing they announce brings it forward.
      for (const g of inFlight) {
        await new Promise((r) => setTimeout(r, 60));
        await a!.settle(g);
      }
      const next = await waiting;
      assert.ok(next.grantedAt - first.grantedAt >= 999, `the window held (${next.grantedAt - first.grantedAt} ms)`);
      assert.ok(
        takes <= 5,
        `${takes} round trips to the store for one grant waiting a known time, with ten settles announced (the other process's settles woke it)`,
      );
      await b.settle(next);
    });

    it('a settle that comes late counts the slot from the answer, never from before it', async () => {
      const store = kind.open();
      const key = uniqueKey();
      const req = { key, windows: [{ limit: 1, perMs: 1_000 }], priorityKey: 4, holder: `late-${randomBytes(2).toString('hex')}`, holdMs: 120_000 };
      try {
        const granted = await store.take(req);
        assert.equal(granted.waitMs, 0);
        const answeredAt = performance.now();
        // The settle reaches the store 300 ms after the answer (its connection was busy).
        await new Promise((r) => setTimeout(r, 300));
        await store.settle(key, granted.id!, answeredAt);
        const next = await store.take(req);
        const sinceAnswer = performance.now() - answeredAt;
        assert.ok(next.waitMs > 0, 'the window still holds');
        assert.ok(next.waitMs + sinceAnswer >= 998, `never counted from before the answer: free ${(next.waitMs + sinceAnswer).toFixed(0)} ms after it`);
        assert.ok(
          next.waitMs + sinceAnswer <= 1_150,
          `counted from the answer, not from the late settle: free ${(next.waitMs + sinceAnswer).toFixed(0)} ms after it`,
        );
      } finally {
        await store.close();
      }
    });

    it('a 429 pauses the key for every process, then it runs at half rate, then recovers', async () => {
      const rule: RateLimitRule = { key: uniqueKey(), limit: 4, perMs: 500 };
      const [a, b] = limiters(kind.open, 2);
      await a!.slowDown(rule, '1');
      const t = Date.now();
      const first = await grant(b!, rule);
      assert.ok(Date.now() - t >= 950, `the other process waited out the pause (${Date.now() - t} ms)`);
      // Slow for two windows after the pause: 2 per 500 ms, not 4.
      const slowed = [first.grantedAt, ...(await Promise.all(Array.from({ length: 3 }, (_, i) => grant(i % 2 ? a! : b!, rule).then((e) => e.grantedAt))))];
      assert.ok(maxInAnyWindow(slowed, 500) <= 2, `half the limit while recovering: ${slowed.map((x) => x - first.grantedAt).join(' ')}`);
      assert.ok(Math.max(...slowed) - first.grantedAt >= 450, 'the second pair waited a window');
      await new Promise((r) => setTimeout(r, 1_100));
      const t2 = Date.now();
      await Promise.all(Array.from({ length: 4 }, () => grant(a!, rule)));
      assert.ok(Date.now() - t2 < 450, `recovered: the full limit again (${Date.now() - t2} ms for 4)`);
    });
  });
}

describe('choosing the budget store', () => {
  it('follows the destination, and CCSYNC_LIMITER overrides it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-budget-'));
    const beside = openBudgetStore(undefined, `sqlite:${join(dir, 'ccsync.db')}`);
    assert.equal(beside.describe, `sqlite:${join(dir, 'ccsync-limits.db')}`);
    const pgStore = openBudgetStore(undefined, 'postgres://u:secret-pw@db.example:5432/x?schema=s');
    assert.equal(pgStore.describe, 'postgres://u@db.example:5432/x?schema=s');
    assert.ok(openBudgetStore('memory', 'postgres://db/x') instanceof MemoryBudgetStore);
    assert.throws(
      () => openBudgetStore('redis://:pw@h:6379', 'sqlite:x.db'),
      (e: Error) => /not supported/.test(e.message) && !e.message.includes('pw'),
    );
    await Promise.all([beside.close(), pgStore.close()]);
  });

  it('describes a limiter URL without its password, for records and logs', () => {
    assert.equal(describeLimiterUrl('postgres://u:secret-pw@db.example:5432/x?schema=s'), 'postgres://u@db.example:5432/x?schema=s');
    assert.equal(describeLimiterUrl(' memory '), 'memory');
    assert.equal(describeLimiterUrl('sqlite:/var/lib/ccsync/limits.db'), 'sqlite:/var/lib/ccsync/limits.db');
    assert.equal(describeLimiterUrl('redis://:secret-pw@h:6379'), 'redis://h:6379');
    assert.equal(describeLimiterUrl(undefined), undefined);
    assert.equal(describeLimiterUrl(' '), undefined);
  });
});
