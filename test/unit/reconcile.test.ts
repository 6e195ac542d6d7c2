/** core/reconcile.ts: how a window's records are counted against the vendor's stated total. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countPage, judge, mismatchMessage, newTotalCheck, readAgain } from '../../core/reconcile';
import { pagePer, skipLimit, timeTail } from '../../core/pagination';

const seen = (body: unknown, headers: Record<string, string> = {}, recordCount = 0) => ({ body, headers, recordCount });

describe('reconciling with stated totals', () => {
  it('counts from the page that starts the query; a time tail restarts the count on each page 1', () => {
    const c = newTotalCheck();
    countPage(c, 25, { stated: 60, firstOfQuery: true, field: 'Total header' });
    countPage(c, 25, { stated: 36, firstOfQuery: true, field: 'Total header' }); // since moved: 36 from there on
    countPage(c, 11, { stated: 36, firstOfQuery: false, field: 'Total header' });
    assert.deepEqual([c.stated, c.received], [36, 36]);
    assert.equal(judge(c), 'agrees');
  });
  it('pages before any first page (a window resumed across a deploy) are not counted', () => {
    const c = newTotalCheck();
    countPage(c, 100, { stated: 384, firstOfQuery: false, field: 'totalCount' });
    assert.equal(c.stated, undefined);
    assert.equal(judge(c), 'no total stated');
  });
  it('a second read keeps the first read figures for the message', () => {
    const c = newTotalCheck();
    countPage(c, 383, { stated: 384, firstOfQuery: true, field: 'totalCount' });
    assert.equal(judge(c), 'disagrees');
    readAgain(c);
    countPage(c, 382, { stated: 384, firstOfQuery: true, field: 'totalCount' });
    judge(c);
    assert.match(mismatchMessage('w', c), /states 384 records \(totalCount\) but sent 382, on 2 reads \(the first read: 384 stated, 383 sent\)/);
  });
  it('the pagination styles state their totals: totalCount in the body, the Total header', () => {
    const kore = skipLimit({ hasMore: () => false, total: { read: (b) => (b as { totalCount: unknown }).totalCount, field: 'totalCount' } });
    assert.deepEqual(kore.statedTotal!({ skip: 0, limit: 10 }, seen({ totalCount: '7' })), { stated: 7, firstOfQuery: true, field: 'totalCount' });
    assert.equal(kore.statedTotal!({ skip: 10, limit: 10 }, seen({ totalCount: 7 }))!.firstOfQuery, false);
    assert.equal(kore.statedTotal!({ skip: 0, limit: 10 }, seen({})), undefined);
    assert.deepEqual(pagePer().statedTotal!({ page: 2, per: 25 }, seen([], { total: '40' })), { stated: 40, firstOfQuery: false, field: 'Total header' });
    const tail = timeTail({ records: (b) => b as unknown[], time: () => undefined, field: 'updated_at' });
    assert.equal(tail.statedTotal!({ page: 1, per: 25, since: '2026-01-01T00:00:00.000Z' }, seen([], { total: '3' }))!.firstOfQuery, true);
    assert.equal(tail.statedTotal!({ page: 1, per: 25 }, seen([], {})), undefined);
  });
});
