/**
 * Paging a list that changes while we read it: `timeTail` (tailing by a time filter) and the
 * page/per stop rules (`morePages`, used by `pagePer` too), pure and without a server.
 * Run: npx tsx --test test/unit/pagination-tail.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CcsyncError } from '../../core/errors';
import { type Cursor, describeCursor, morePages, pagePer, singlePage, timeTail, type PageSeen, type TimeTailCursor } from '../../core/pagination';

const T = Date.parse('2026-11-20T10:00:00.000Z');
const at = (sec: number) => new Date(T + sec * 1000).toISOString();

interface Row {
  id: number;
  updated_at: string;
}

const tail = () =>
  timeTail({
    records: (b) => b as Row[],
    time: (r) => (r as Row).updated_at,
    field: 'updated_at',
  });

const seen = (rows: Row[], headers: Record<string, string> = {}): PageSeen => ({ body: rows, headers, recordCount: rows.length });

/**
 * A tiny API over a mutable table, as the vendor serves it: filter `[from, to]` inclusive on
 * updated_at, sort by updated_at then id, slice by page/per; Total and a Link like api-pagination.
 */
class LiveList {
  rows: Row[] = [];
  requests = 0;
  constructor(n: number, spacing = 1) {
    for (let i = 0; i < n; i++) this.rows.push({ id: i + 1, updated_at: at(i * spacing) });
  }
  get(from: string, to: string, page: number, per: number, linkMode: 'full' | 'no-next' | 'none' = 'full'): PageSeen {
    this.requests++;
    const f = Date.parse(from);
    const t = Date.parse(to);
    const all = this.rows
      .filter((r) => Date.parse(r.updated_at) >= f && Date.parse(r.updated_at) <= t)
      .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    const pages = Math.max(1, Math.ceil(all.length / per));
    const rels = [];
    if (page > 1) rels.push(`<https://x/calls?page=1>; rel="first"`, `<https://x/calls?page=${page - 1}>; rel="prev"`);
    if (page < pages) {
      if (linkMode === 'full') rels.push(`<https://x/calls?page=${page + 1}>; rel="next"`);
      rels.push(`<https://x/calls?page=${pages}>; rel="last"`);
    }
    const headers: Record<string, string> = {};
    if (linkMode !== 'none' && rels.length) headers.link = rels.join(', ');
    // Copies, as a serialized answer would be: later updates do not reach a page already sent.
    return seen(
      all.slice((page - 1) * per, page * per).map((r) => ({ ...r })),
      headers,
    );
  }
  /** An update: the row gets a new updated_at (later than every window we read). */
  touch(id: number, when: string): void {
    this.rows.find((r) => r.id === id)!.updated_at = when;
  }
}

/** Walks [from, to] the way the page activity does, with `hook` run after each page. */
function walkTail(list: LiveList, from: string, to: string, per: number, hook?: (page: number) => void, linkMode?: 'full' | 'no-next' | 'none') {
  const p = tail();
  let cursor: TimeTailCursor | null = p.first(per);
  const got = new Map<number, Row>();
  const cursors: Cursor[] = [];
  let pages = 0;
  while (cursor) {
    cursors.push(cursor);
    const page = list.get(cursor.since === undefined ? from : String(cursor.since), to, Number(cursor.page), per, linkMode);
    for (const r of page.body as Row[]) got.set(r.id, { ...r });
    pages++;
    hook?.(pages);
    cursor = p.next(cursor, page);
    assert.ok(pages < 1000, 'the walk ends');
  }
  return { got, pages, cursors };
}

describe('timeTail', () => {
  it("asks for page 1 again from the last record's time, and stops on a short page", () => {
    const p = tail();
    const c1 = p.first(3);
    assert.deepEqual(c1, { page: 1, per: 3 });
    const next = p.next(
      c1,
      seen([
        { id: 1, updated_at: at(0) },
        { id: 2, updated_at: at(1) },
        { id: 3, updated_at: at(2.5) },
      ]),
    );
    assert.deepEqual(next, { since: '2026-11-20T10:00:02.500Z', page: 1, per: 3 });
    assert.equal(
      p.next(
        next,
        seen([
          { id: 3, updated_at: at(2.5) },
          { id: 4, updated_at: at(3) },
        ]),
      ),
      null,
      'short page',
    );
    assert.equal(p.next(c1, seen([])), null, 'empty page');
  });

  it("moves to the next page number only when a full page shares the cursor's time, so it cannot loop", () => {
    const p = tail();
    const same = [1, 2, 3].map((id) => ({ id, updated_at: at(5) }));
    // From the window start, a page all at one time first moves the time there...
    const c2 = p.next({ page: 1, per: 3 }, seen(same));
    assert.deepEqual(c2, { since: at(5), page: 1, per: 3 });
    // ...and then, the time being unable to move, the page number does.
    const c3 = p.next(c2, seen(same));
    assert.deepEqual(c3, { since: at(5), page: 2, per: 3 });
    const c4 = p.next(c3, seen([4, 5, 6].map((id) => ({ id, updated_at: at(5) }))));
    assert.deepEqual(c4, { since: at(5), page: 3, per: 3 });
    // A later time on that page moves the time again, back to page 1.
    assert.deepEqual(
      p.next(
        c4,
        seen([
          { id: 7, updated_at: at(5) },
          { id: 8, updated_at: at(5) },
          { id: 9, updated_at: at(6) },
        ]),
      ),
      { since: at(6), page: 1, per: 3 },
    );
  });

  it('stops as Total or the Link say, even on a full page', () => {
    const p = tail();
    const full = [
      { id: 1, updated_at: at(0) },
      { id: 2, updated_at: at(1) },
    ];
    assert.equal(p.next({ page: 1, per: 2 }, seen(full, { total: '2' })), null, 'Total says this was all');
    assert.notEqual(p.next({ page: 1, per: 2 }, seen(full, { total: '3' })), null);
    assert.equal(p.next({ page: 1, per: 2 }, seen(full, { link: '<https://x/calls?page=1>; rel="first"' })), null, 'a Link without next or last');
    assert.notEqual(p.next({ page: 1, per: 2 }, seen(full, { link: '<https://x/calls?page=5>; rel="last"' })), null, 'no next link, but a later last page');
  });

  it('refuses a page that is not sorted ascending or starts before its [from]', () => {
    const p = tail();
    const unsorted = [
      { id: 1, updated_at: at(3) },
      { id: 2, updated_at: at(1) },
    ];
    assert.throws(
      () => p.next({ page: 1, per: 2 }, seen(unsorted)),
      (e: unknown) => e instanceof CcsyncError && e.type === 'MalformedResponse' && /not sorted by updated_at ascending/.test(e.message),
    );
    assert.throws(
      () =>
        p.next(
          { since: at(5), page: 1, per: 2 },
          seen([
            { id: 1, updated_at: at(4) },
            { id: 2, updated_at: at(6) },
          ]),
        ),
      /ignored the filter/,
    );
    assert.throws(() => p.next({ page: 1, per: 1 }, seen([{ id: 1, updated_at: 'soon' }])), /no readable updated_at/);
  });

  it('labels its cursor with the whole time', () => {
    assert.equal(describeCursor({ since: '2026-11-20T10:15:00.123Z', page: 1, per: 100 }), 'since=2026-11-20T10:15:00.123Z page=1');
  });
});

describe('a list that changes while we page it', () => {
  const from = at(0);
  const to = at(3600);

  it('page numbers lose a record when an earlier one is updated between two requests; tailing does not', () => {
    // The naive walk, to show the problem is real: 30 rows, 10 per page; after page 1, row 3 is updated.
    const naive = new LiveList(30);
    const got = new Set<number>();
    for (let page = 1; page <= 3; page++) {
      for (const r of naive.get(from, to, page, 10).body as Row[]) got.add(r.id);
      if (page === 1) naive.touch(3, at(7200));
    }
    assert.equal(got.has(11), false, 'row 11 moved up to page 1 after we read it: lost');

    const live = new LiveList(30);
    const { got: tailed } = walkTail(live, from, to, 10, (page) => {
      if (page === 1) live.touch(3, at(7200));
    });
    assert.deepEqual(
      [...tailed.keys()].sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'every row, row 3 in its old form',
    );
  });

  it('an update that stays inside the window is read again at the end, in its latest form', () => {
    const live = new LiveList(30);
    const { got } = walkTail(live, from, to, 10, (page) => {
      if (page === 1) live.touch(2, at(1800));
      if (page === 2) live.touch(2, at(1900));
    });
    assert.equal(got.size, 30);
    assert.equal(got.get(2)!.updated_at, at(1900), 'the last version won');
  });

  it('many rows sharing one time are walked by page number under that time, to the end', () => {
    const live = new LiveList(10);
    for (let id = 11; id <= 35; id++) live.rows.push({ id, updated_at: at(20) });
    for (let id = 36; id <= 40; id++) live.rows.push({ id, updated_at: at(30 + id) });
    const { got, cursors } = walkTail(live, from, to, 10);
    assert.equal(got.size, 40);
    assert.ok(
      cursors.some((c) => c.since === at(20) && Number(c.page) === 3),
      'paged within the tie',
    );
  });

  for (const mode of ['full', 'no-next', 'none'] as const) {
    it(`ends exactly at the last record with the Link mode "${mode}" and no Total`, () => {
      const live = new LiveList(40);
      const { got } = walkTail(live, from, to, 10, undefined, mode);
      assert.equal(got.size, 40);
      // Each page repeats the previous page's last record: 40 rows, 9 new per page after the first.
      assert.ok(live.requests <= 6, `${live.requests} requests`);
    });
  }
});

describe('morePages and pagePer', () => {
  const full = (headers: Record<string, string>) => ({ body: [], headers, recordCount: 10 });

  it('Total decides when present; then the Link; with neither, a full page asks once more', () => {
    assert.equal(morePages(3, 10, full({ total: '30', link: '<https://x/a?page=4>; rel="next"' })), false, 'Total wins over a stray next link');
    assert.equal(morePages(2, 10, full({ total: '30' })), true);
    assert.equal(morePages(2, 10, full({ link: '<https://x/a?page=3>; rel="next"' })), true);
    assert.equal(
      morePages(2, 10, full({ link: '<https://x/a?page=1>; rel="first", <https://x/a?page=4>; rel="last"' })),
      true,
      'no next link, but page 4 is the last',
    );
    assert.equal(morePages(4, 10, full({ link: '<https://x/a?page=1>; rel="first", <https://x/a?page=3>; rel="prev"' })), false, "the last page's Link");
    assert.equal(morePages(4, 10, full({})), true);
    assert.equal(morePages(4, 10, { body: [], headers: {}, recordCount: 9 }), false, 'short page');
    assert.equal(morePages(4, 10, full({ total: '' })), true, 'an empty Total is no Total');
  });

  it('pagePer with a fingerprint refuses a page identical to the one before (an endpoint ignoring page)', () => {
    const p = pagePer({ fingerprint: (b) => ((b as { id: number }[]).length ? `${(b as { id: number }[])[0]!.id}` : undefined) });
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: i + 1 }));
    const c2 = p.next(p.first(5), { body: rows, headers: {}, recordCount: 5 });
    assert.deepEqual(c2, { page: 2, per: 5, seen: '1' });
    assert.throws(() => p.next(c2, { body: rows, headers: {}, recordCount: 5 }), /repeated the previous page's records/);
    assert.deepEqual(p.next(c2, { body: rows.map((r) => ({ id: r.id + 5 })), headers: {}, recordCount: 5 }), { page: 3, per: 5, seen: '6' });
    assert.equal(describeCursor({ page: 3, per: 5, seen: '6' }), 'page=3');
  });

  it('singlePage asks once', () => {
    const p = singlePage();
    assert.deepEqual(p.first(100), {});
    assert.equal(p.next({}, { body: [1, 2], headers: {}, recordCount: 2 }), null);
  });
});
