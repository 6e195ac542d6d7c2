/**
 * activities/walk.ts without Temporal: a walk that fails after page k resumes, from the progress
 * its last heartbeat carried, at page k+1; each page is fetched and written once; the sums and
 * the reconcile state are those of the pages walked; attempts count per page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTotalCheck } from '../../core/reconcile';
import type { SyncPageInput, SyncPageResult } from '../../activities/sync-page';
import { walkPages, type WalkHooks, type WalkProgress } from '../../activities/walk';

const PAGES = 6;
const input: SyncPageInput = { connection: 'c', stream: 's', start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z', cursor: null };

/** A vendor of PAGES pages of 10 records (stated total 60), that fails page `failAt` once. */
function fakeVendor(failAt?: number) {
  const asked: { skip: number; attempt: number }[] = [];
  let failed = false;
  const progress: WalkProgress[] = [];
  const hooks = (cancelAfter = Infinity): WalkHooks => ({
    async page(at, attempt): Promise<SyncPageResult> {
      await Promise.resolve();
      const skip = Number(at.cursor?.skip ?? 0);
      asked.push({ skip, attempt });
      if (skip / 10 + 1 === failAt && !failed) {
        failed = true;
        throw new Error('503');
      }
      const last = skip / 10 + 1 === PAGES;
      return {
        records: 10,
        childRecords: 0,
        inserted: 10,
        updated: 0,
        unchanged: 0,
        snapshot: false,
        httpMs: 1,
        writeMs: 1,
        next: last ? null : { skip: skip + 10, limit: 10 },
        statedTotal: { stated: PAGES * 10, firstOfQuery: skip === 0, field: 'totalCount' },
      };
    },
    written: () => undefined,
    progress: (p) => progress.push(structuredClone(p)),
    cancelled: () => progress.length >= cancelAfter,
    now: () => 0,
  });
  return { asked, progress, hooks };
}

describe('a page walk', () => {
  it('failing after page 3, resumes at page 4 from the last progress: every page once, the sums and the total check exact', async () => {
    const v = fakeVendor(4);
    const limits = { maxPages: 100, maxMs: 10_000, check: newTotalCheck() };
    await assert.rejects(walkPages(input, limits, 1, 1, {}, undefined, v.hooks()), /503/);
    const last = v.progress[v.progress.length - 1]!;
    assert.equal(last.page, 4);
    assert.deepEqual(last.cursor, { skip: 30, limit: 10 });
    const result = await walkPages(input, limits, 1, 2, {}, structuredClone(last), v.hooks());
    assert.deepEqual(
      v.asked.map((a) => a.skip),
      [0, 10, 20, 30, 30, 40, 50],
      'pages 1-3, page 4 failing, then page 4 again and the rest: none of 1-3 again',
    );
    assert.deepEqual(
      v.asked.map((a) => a.attempt),
      [1, 1, 1, 1, 2, 1, 1],
      "page 4's retry is its second attempt; the pages after it are on their first",
    );
    assert.equal(result.pages, PAGES);
    assert.equal(result.records, PAGES * 10);
    assert.equal(result.inserted, PAGES * 10);
    assert.equal(result.next, null);
    assert.deepEqual([result.check.stated, result.check.received], [60, 60], 'the vendor total reconciles over both attempts');
  });

  it('stops at maxPages with the next cursor, and between pages once cancelled', async () => {
    const v = fakeVendor();
    const limited = await walkPages(input, { maxPages: 2, maxMs: 10_000, check: newTotalCheck() }, 1, 1, {}, undefined, v.hooks());
    assert.equal(limited.pages, 2);
    assert.deepEqual(limited.next, { skip: 20, limit: 10 });
    const c = fakeVendor();
    const cancelled = await walkPages(input, { maxPages: 100, maxMs: 10_000, check: newTotalCheck() }, 1, 1, {}, undefined, c.hooks(3));
    assert.equal(cancelled.pages, 3, 'cancelled after the third page: no fourth');
  });

  it('a first page that keeps failing counts every attempt of the activity', async () => {
    const v = fakeVendor();
    await walkPages(input, { maxPages: 1, maxMs: 10_000, check: newTotalCheck() }, 1, 3, {}, undefined, v.hooks());
    assert.deepEqual(v.asked, [{ skip: 0, attempt: 3 }]);
  });
});
