/**
 * The four ways our vendors page, as small pure strategies. A cursor is a tiny JSON object: it is
 * returned by the page activity and passed to the next one, so it travels through workflow
 * history and must stay small and readable (`skip=200`, `page 3`).
 */

import { CcsyncError } from './errors';

export type Cursor = Record<string, string | number>;

/** What a strategy may look at to decide whether another page follows. */
export interface PageSeen {
  body: unknown;
  headers: Record<string, string | undefined>;
  recordCount: number;
}

export interface Pagination {
  readonly style: 'skip-limit' | 'offset-limit' | 'page-per' | 'cursor';
  /** The first page's cursor. */
  first(pageSize: number): Cursor;
  /** The next page's cursor, or null when this was the last page. */
  next(cursor: Cursor, page: PageSeen): Cursor | null;
  /** A short label for the Web UI's activity summary. */
  describe(cursor: Cursor): string;
}

/** `skip`/`limit` with a `hasMore` flag in the body (Kore.ai call volume). */
export function skipLimit(opts: { hasMore: (body: unknown) => boolean }): Pagination {
  return {
    style: 'skip-limit',
    first: (pageSize) => ({ skip: 0, limit: pageSize }),
    next(cursor, page) {
      // An empty page ends the walk even if the flag lies: otherwise we would loop forever.
      if (!opts.hasMore(page.body) || page.recordCount === 0) return null;
      return { skip: Number(cursor.skip) + page.recordCount, limit: cursor.limit! };
    },
    describe: (c) => `skip=${c.skip}`,
  };
}

/** `offset`/`limit` with no reliable total: a short or empty page is the last (Kore.ai call details). */
export function offsetLimit(): Pagination {
  return {
    style: 'offset-limit',
    first: (pageSize) => ({ offset: 0, limit: pageSize }),
    next(cursor, page) {
      if (page.recordCount < Number(cursor.limit)) return null;
      return { offset: Number(cursor.offset) + page.recordCount, limit: cursor.limit! };
    },
    describe: (c) => `offset=${c.offset}`,
  };
}

/** Extracts the `rel="next"` target from an RFC 8288 Link header. */
export function linkTarget(header: string | undefined, rel: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && new RegExp(`rel\\s*=\\s*"?([^";]*\\s)?${rel}(\\s[^";]*)?"?`, 'i').test(m[2]!)) return m[1];
  }
  return undefined;
}

/**
 * `page`/`per` with a `Link: rel="next"` header and a `Total` header (CCAI Platform). Some tenants
 * omit the link, so we also stop on `page * per >= Total` or on a short page.
 */
export function pagePer(opts: { totalHeader?: string; linkHeader?: string } = {}): Pagination {
  const totalHeader = (opts.totalHeader ?? 'total').toLowerCase();
  const linkHeader = (opts.linkHeader ?? 'link').toLowerCase();
  return {
    style: 'page-per',
    first: (pageSize) => ({ page: 1, per: pageSize }),
    next(cursor, page) {
      const per = Number(cursor.per);
      const current = Number(cursor.page);
      if (page.recordCount === 0 || page.recordCount < per) return null;
      const total = Number(page.headers[totalHeader]);
      if (Number.isFinite(total) && current * per >= total) return null;
      const link = page.headers[linkHeader];
      // A Link header without rel="next" is the vendor telling us this was the last page.
      if (link && !linkTarget(link, 'next')) return null;
      return { page: current + 1, per };
    },
    describe: (c) => `page ${c.page}`,
  };
}

/**
 * An opaque next-page key or a next-page URL in the body (LivePerson: `nextPageKey` or
 * `refs.next`). Continues through empty pages for as long as the vendor gives a key.
 */
export function cursorPaging(opts: {
  nextKey?: (body: unknown) => string | undefined;
  nextUrl?: (body: unknown) => string | undefined;
}): Pagination {
  return {
    style: 'cursor',
    first: (pageSize) => ({ pageSize }),
    next(cursor, page): Cursor | null {
      const key = opts.nextKey?.(page.body);
      // A vendor handing back the key it was given would page forever.
      if (key && key === cursor.pageKey) throw new CcsyncError('MalformedResponse', `the vendor returned the same next-page key it was given (${key.slice(0, 16)}); stopping rather than looping`);
      if (key) return { pageSize: cursor.pageSize!, pageKey: key } satisfies Cursor;
      const url = opts.nextUrl?.(page.body);
      if (url) return { pageSize: cursor.pageSize!, url } satisfies Cursor;
      return null;
    },
    describe: (c) => (c.pageKey ? `pageKey=${String(c.pageKey).slice(0, 12)}` : c.url ? 'next link' : 'first page'),
  };
}

/**
 * A cursor as a short label for a page activity's summary, without knowing the vendor:
 * `skip=200`, `offset=300`, `page=3`, `pageKey=abc…`, `next link`. Page-size fields are left out.
 */
export function describeCursor(cursor: Cursor | null): string {
  if (!cursor) return 'first page';
  if (cursor.url) return 'next link';
  const parts = Object.entries(cursor)
    .filter(([k]) => !['limit', 'per', 'pageSize'].includes(k))
    .map(([k, v]) => `${k}=${String(v).length > 16 ? `${String(v).slice(0, 12)}…` : v}`);
  return parts.length ? parts.join(' ') : 'first page';
}
