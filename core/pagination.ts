/**
 * The ways our vendors page, as small pure strategies. Each style owns its cursor and its request
 * parameters: `first`/`next` make the cursor, `apply` places it in the request the stream
 * described (query, body, or a next URL the vendor gave), as dlt's `update_request` and Airbyte's
 * `page_token_option` do. A stream's `request()` never sees a cursor.
 *
 * A cursor is a tiny JSON object: it is returned by the page activity and passed to the next one,
 * so it travels through workflow history and must stay small and readable (`skip=200`, `page 3`).
 * Its shape is part of recorded histories: keep each style's fields as they are.
 */

import { CcsyncError } from './errors';
import { type HttpRequestSpec, type ParameterPlace, withParameters } from './http-request';

/** A cursor as it travels through workflow history: what every style's cursor is, seen from outside. */
export type Cursor = Record<string, string | number>;

/** `skipLimit`'s cursor. */
export type SkipLimitCursor = { skip: number; limit: number };
/** `offsetLimit`'s cursor. */
export type OffsetLimitCursor = { offset: number; limit: number };
/** `pagePer`'s cursor; `seen` is the previous page's fingerprint (the repeat guard). */
export type PagePerCursor = { page: number; per: number; seen?: string };
/** `timeTail`'s cursor; `since` (ISO-8601 with milliseconds) is absent on the first page. */
export type TimeTailCursor = { page: number; per: number; since?: string };
/** `singlePage`'s cursor: there is nothing to remember. */
export type SinglePageCursor = Record<string, never>;
/** `cursorPaging`'s cursor: the page size, and the vendor's next-page key or next-page URL once it gave one. */
export type NextPageCursor = { pageSize: number; pageKey?: string; url?: string };

/** What a strategy may look at to decide whether another page follows. */
export interface PageSeen {
  body: unknown;
  headers: Record<string, string | undefined>;
  recordCount: number;
}

/**
 * The number of records the vendor says its query matches (Kore.ai `totalCount`, CCAI Platform's
 * `Total` header), read from one page. `firstOfQuery` marks the page that starts the query the
 * total counts (the first page; for a time tail, each page 1 under a moved `since`): the records
 * from there to the end of the walk must add up to `stated`.
 */
export interface StatedTotal {
  stated: number;
  firstOfQuery: boolean;
  /** Where the vendor states it, for messages (`totalCount`, `Total header`). */
  field: string;
}

export interface Pagination<C extends Cursor = Cursor> {
  readonly style: 'skip-limit' | 'offset-limit' | 'page-per' | 'time-tail' | 'cursor' | 'single';
  /** The total the vendor states for this page's query, when the API states one. */
  statedTotal?(cursor: C, page: PageSeen): StatedTotal | undefined;
  /** The first page's cursor. */
  first(pageSize: number): C;
  /** The next page's cursor, or null when this was the last page. */
  next(cursor: C, page: PageSeen): C | null;
  /** The stream's request with this cursor's parameters in it (query, body or a next URL). */
  apply(request: HttpRequestSpec, cursor: C): HttpRequestSpec;
}

/** A count as a number: a finite, whole, non-negative number or numeric text; undefined otherwise. */
function countOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `skip`/`limit` with a `hasMore` flag in the body (Kore.ai call volume: both in the JSON body).
 * With `total`, the body's count of every record the query matches (`totalCount`).
 */
export function skipLimit(opts: {
  hasMore: (body: unknown) => boolean;
  total?: { read: (body: unknown) => unknown; field: string };
  place?: ParameterPlace;
}): Pagination<SkipLimitCursor> {
  return {
    style: 'skip-limit',
    statedTotal(cursor, page) {
      const stated = opts.total ? countOf(opts.total.read(page.body)) : undefined;
      return stated === undefined ? undefined : { stated, firstOfQuery: Number(cursor.skip) === 0, field: opts.total!.field };
    },
    first: (pageSize) => ({ skip: 0, limit: pageSize }),
    next(cursor, page) {
      // An empty page ends the walk even if the flag lies: otherwise we would loop forever.
      if (!opts.hasMore(page.body) || page.recordCount === 0) return null;
      return { skip: Number(cursor.skip) + page.recordCount, limit: cursor.limit };
    },
    apply: (request, cursor) => withParameters(request, opts.place ?? 'query', { skip: Number(cursor.skip), limit: Number(cursor.limit) }),
  };
}

/**
 * `offset`/`limit`. By default there is no reliable total: a short or empty page is the last
 * (Kore.ai call details). With `hasMore`, the body's flag decides instead (an empty page still ends
 * the walk). With `count`, the offset advances by what the vendor counts rather than by the records
 * read, when the two differ (Kore.ai agent status: `limit` counts agents, the records are their
 * status segments).
 */
export function offsetLimit(
  opts: { hasMore?: (body: unknown) => boolean; count?: (body: unknown) => number; place?: ParameterPlace } = {},
): Pagination<OffsetLimitCursor> {
  return {
    style: 'offset-limit',
    first: (pageSize) => ({ offset: 0, limit: pageSize }),
    next(cursor, page) {
      const counted = opts.count ? opts.count(page.body) : page.recordCount;
      if (opts.hasMore ? !opts.hasMore(page.body) || counted === 0 : counted < Number(cursor.limit)) return null;
      return { offset: Number(cursor.offset) + counted, limit: cursor.limit };
    },
    apply: (request, cursor) => withParameters(request, opts.place ?? 'query', { limit: Number(cursor.limit), offset: Number(cursor.offset) }),
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

/** The page number a Link target asks for (`?page=9`), if it names one. */
function pageOf(target: string | undefined): number | undefined {
  if (!target) return undefined;
  const m = /[?&]page=(\d+)(?:&|#|$)/.exec(target);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether a `page`/`per` response says another page follows, from the strongest evidence it
 * carries (CCAI Platform, whose tenants differ in which headers they send):
 *  1. an empty or short page is the last, whatever the headers say;
 *  2. a numeric `Total` decides: more while `page * per < Total`;
 *  3. a `Link` with `rel="next"` means more; without it, a `rel="last"` naming a later page still
 *     means more (tenants that omit the next link), and a Link with neither is the last page's;
 *  4. nothing at all (no Total, no Link) on a full page: ask once more, an empty page ends it.
 */
export function morePages(current: number, per: number, page: PageSeen, headers: { total?: string; link?: string } = {}): boolean {
  if (page.recordCount === 0 || page.recordCount < per) return false;
  const totalText = page.headers[(headers.total ?? 'total').toLowerCase()];
  const total = totalText === undefined || totalText.trim() === '' ? NaN : Number(totalText);
  if (Number.isFinite(total)) return current * per < total;
  const link = page.headers[(headers.link ?? 'link').toLowerCase()];
  if (link) {
    if (linkTarget(link, 'next')) return true;
    const last = pageOf(linkTarget(link, 'last'));
    return last !== undefined && last > current;
  }
  return true;
}

/** Page-number walks (`pagePer`, `timeTail`) start at page 1 with the stream's page size. */
function firstPageNumber(pageSize: number): { page: number; per: number } {
  return { page: 1, per: pageSize };
}

function pageNumberParams(cursor: { page: unknown; per: unknown }): { page: number; per: number } {
  return { page: Number(cursor.page), per: Number(cursor.per) };
}

/** The `Total` header of a page/per answer, as a stated total; the query starts on page 1. */
function headerTotal(cursor: { page: number | string }, page: PageSeen, header: string | undefined): StatedTotal | undefined {
  const name = header ?? 'Total';
  const stated = countOf(page.headers[name.toLowerCase()]);
  return stated === undefined ? undefined : { stated, firstOfQuery: Number(cursor.page) === 1, field: `${name} header` };
}

/** Where a page-number walk stands, and whether the response says another page follows (`morePages`). */
type PageNumberStep = { current: number; per: number; more: boolean };

/**
 * What page-number walks (`pagePer`, `timeTail`) share: the `Total` header as the stated total
 * (each page 1 is a new query, whose Total counts from there on), page 1 with the stream's page
 * size first, and `next` told where the walk stands (`PageNumberStep`) before `step` decides.
 */
function pageNumberWalk<C extends { page: number; per: number }>(
  opts: { totalHeader?: string; linkHeader?: string },
  step: (cursor: C, page: PageSeen, at: PageNumberStep) => C | null,
): Pick<Pagination<C>, 'statedTotal' | 'next'> & { first: typeof firstPageNumber } {
  const headers = { total: opts.totalHeader, link: opts.linkHeader };
  return {
    statedTotal: (cursor, page) => headerTotal(cursor, page, opts.totalHeader),
    first: firstPageNumber,
    next(cursor, page) {
      const per = Number(cursor.per);
      const current = Number(cursor.page);
      return step(cursor, page, { current, per, more: morePages(current, per, page, headers) });
    },
  };
}

/** Guards against a vendor that ignores `page` and answers every page alike: the walk would never end. */
function checkNotRepeated(cursor: PagePerCursor, fingerprint: string | undefined): void {
  if (fingerprint !== undefined && cursor.seen !== undefined && cursor.seen === fingerprint) {
    throw new CcsyncError(
      'MalformedResponse',
      `page ${cursor.page} repeated the previous page's records exactly; the API seems to ignore the page parameter, stopping rather than looping`,
    );
  }
}

/**
 * `page`/`per` with a `Link: rel="next"` header and a `Total` header (CCAI Platform). Some tenants
 * omit the link, so we also stop on `page * per >= Total` or on a short page (see `morePages`).
 * With `fingerprint` (e.g. the first and last record ids), a page identical to the one before
 * (an endpoint that ignores `page`) stops the walk with an error instead of looping.
 */
export function pagePer(
  opts: { totalHeader?: string; linkHeader?: string; fingerprint?: (body: unknown) => string | undefined } = {},
): Pagination<PagePerCursor> {
  return {
    style: 'page-per',
    ...pageNumberWalk<PagePerCursor>(opts, (cursor, page, { current, per, more }) => {
      const fingerprint = opts.fingerprint?.(page.body);
      checkNotRepeated(cursor, fingerprint);
      if (!more) return null;
      return fingerprint === undefined ? { page: current + 1, per } : { page: current + 1, per, seen: fingerprint };
    }),
    apply: (request, cursor) => withParameters(request, 'query', pageNumberParams(cursor)),
  };
}

/**
 * Tailing by time (CCAI Platform calls and chats): a list filtered by `[from]`/`[to]` on a time
 * field and sorted by it ascending is walked by asking for page 1 again with `[from]` moved to
 * the last record's time, instead of asking for page 2. Walking page numbers of a list that
 * changes while we read loses records: one record on an earlier page updated between two
 * requests leaves the filtered range (its new time is later), everything behind it moves up one
 * place, and the record that crossed the page boundary is never seen. A time cursor does not
 * move when other records change.
 *
 * - `[from]` is inclusive, so the last record is read again (an upsert; harmless).
 * - When a full page shares one time (the cursor's own), the time cannot move: the next page
 *   number under the same `[from]` follows, so the walk always ends.
 * - The walk ends as `morePages` says (short page, `Total`, `Link`).
 * - A page that is not in ascending time order, or starts before its `[from]`, is refused
 *   (`MalformedResponse`): tailing would silently skip records if the API ignored the sort or the filter.
 *
 * Cursor: `{ page, per }` first, then `{ since, page, per }` (`since` is ISO-8601 with milliseconds).
 * The stream's request filters `{field}[from]` by the window's start; `apply` moves it to `since`
 * once there is one, and adds `page` and `per`.
 */
export function timeTail(opts: {
  /** The records of a page, in the order the API sent them. */
  records: (body: unknown) => unknown[];
  /** The tailed time field of one record (ISO-8601), e.g. `updated_at`. */
  time: (record: unknown) => string | undefined;
  /** The field's name, for messages. */
  field: string;
  /** The query parameter of the lower bound, `{field}[from]` unless given. */
  fromParam?: string;
  totalHeader?: string;
  linkHeader?: string;
}): Pagination<TimeTailCursor> {
  const fromParam = opts.fromParam ?? `${opts.field}[from]`;
  return {
    style: 'time-tail',
    // Each page 1 (a moved `since`) is a new query, whose Total counts from `since` on.
    ...pageNumberWalk<TimeTailCursor>(opts, (cursor, page, { current, per, more }) => {
      const since = cursor.since === undefined ? undefined : Date.parse(String(cursor.since));
      const times = opts.records(page.body).map((r, i) => {
        const text = opts.time(r);
        const t = text === undefined ? NaN : Date.parse(text);
        if (!Number.isFinite(t))
          throw new CcsyncError(
            'MalformedResponse',
            `record ${i} of the page has no readable ${opts.field} (${JSON.stringify(text)}); tailing by ${opts.field} needs it`,
          );
        return t;
      });
      times.forEach((t, i) => {
        if (i === 0 && since !== undefined && t < since) {
          throw new CcsyncError(
            'MalformedResponse',
            `the page starts at ${opts.field} ${new Date(t).toISOString()}, before the requested ${opts.field}[from] ${String(cursor.since)}: the API ignored the filter`,
          );
        }
        if (i > 0 && t < times[i - 1]!) {
          throw new CcsyncError(
            'MalformedResponse',
            `records are not sorted by ${opts.field} ascending (record ${i} is earlier than record ${i - 1}); tailing needs the sort`,
          );
        }
      });
      if (!more) return null;
      const last = times[times.length - 1]!;
      if (since !== undefined && last === since) return { since: String(cursor.since), page: current + 1, per };
      return { since: new Date(last).toISOString(), page: 1, per };
    }),
    apply: (request, cursor) =>
      withParameters(request, 'query', {
        ...(cursor.since === undefined ? {} : { [fromParam]: String(cursor.since) }),
        ...pageNumberParams(cursor),
      }),
  };
}

/** One request, no paging (CCAI Platform's team tree comes whole). */
export function singlePage(): Pagination<SinglePageCursor> {
  return {
    style: 'single',
    first: () => ({}),
    next: () => null,
    apply: (request) => request,
  };
}

/**
 * The request for a next-page link the vendor gave. The link replaces the request's path; each of
 * the request's query parameters the link lacks is added, never overriding what the link carries.
 * `equivalent` names the link's spellings of our parameters (LivePerson's links carry `fromL` for
 * our `from`), so we never send both. A relative link without a leading slash is resolved under
 * the request's own path.
 */
export function followLink(link: string, request: HttpRequestSpec, equivalent: Record<string, readonly string[]> = {}): HttpRequestSpec {
  const path =
    /^https?:\/\//i.test(link) || link.startsWith('/') ? link : new URL(link, `http://x.invalid${request.path}`).href.slice('http://x.invalid'.length);
  const carried = new URL(path, 'http://x.invalid').searchParams;
  const missing: Record<string, string | number | boolean | undefined> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    if ((equivalent[name] ?? [name]).some((n) => carried.has(n))) continue;
    missing[name] = value;
  }
  return { ...request, path, query: missing };
}

/** A next-page link for a message: its path and paging parameters, not the rest of its query. */
function linkForMessage(link: string): string {
  const u = new URL(link, 'http://x.invalid');
  const paging = ['offset', 'limit', 'page', 'pageKey'].filter((k) => u.searchParams.has(k)).map((k) => `${k}=${u.searchParams.get(k)!.slice(0, 16)}`);
  return `${u.pathname}${paging.length ? `?${paging.join('&')}` : ''}`;
}

/**
 * An opaque next-page key or a next-page URL in the body (LivePerson: `nextPageKey` or
 * `refs.next`). Continues through empty pages for as long as the vendor gives a key. Every request
 * carries the page size (`pageSizeParam`); a key is sent as `pageKeyParam`; a next URL is followed
 * as `followLink` says, with `linkEquivalents`.
 */
export function cursorPaging(opts: {
  nextKey?: (body: unknown) => string | undefined;
  nextUrl?: (body: unknown) => string | undefined;
  pageSizeParam?: string;
  pageKeyParam?: string;
  linkEquivalents?: Record<string, readonly string[]>;
}): Pagination<NextPageCursor> {
  const sizeParam = opts.pageSizeParam ?? 'pageSize';
  const keyParam = opts.pageKeyParam ?? 'pageKey';
  return {
    style: 'cursor',
    first: (pageSize) => ({ pageSize }),
    next(cursor, page): NextPageCursor | null {
      const key = opts.nextKey?.(page.body);
      // A vendor handing back the key it was given would page forever.
      if (key && key === cursor.pageKey)
        throw new CcsyncError(
          'MalformedResponse',
          `the vendor returned the same next-page key it was given (${key.slice(0, 16)}); stopping rather than looping`,
        );
      if (key) return { pageSize: cursor.pageSize, pageKey: key };
      const url = opts.nextUrl?.(page.body);
      // Nor would one handing back the link it was followed on (an endpoint ignoring `offset`).
      if (url && url === cursor.url)
        throw new CcsyncError(
          'MalformedResponse',
          `the vendor returned the same next-page link it was given (${linkForMessage(url)}); the API seems to ignore the paging parameters, stopping rather than looping`,
        );
      if (url) return { pageSize: cursor.pageSize, url };
      return null;
    },
    apply(request, cursor) {
      const sized = withParameters(request, 'query', { [sizeParam]: Number(cursor.pageSize) });
      if (cursor.url) return followLink(String(cursor.url), sized, opts.linkEquivalents);
      return withParameters(sized, 'query', { [keyParam]: cursor.pageKey === undefined ? undefined : String(cursor.pageKey) });
    },
  };
}

/**
 * A cursor as a short label for a page activity's summary, without knowing the vendor:
 * `skip=200`, `offset=300`, `page=3`, `since=2026-11-20T10:15:00.123Z page=1`, `pageKey=abc…`, `next link`.
 * Page-size fields and repeat-guard fingerprints are left out.
 */
export function describeCursor(cursor: Cursor | null): string {
  if (!cursor) return 'first page';
  if (cursor.url) return 'next link';
  const parts = Object.entries(cursor)
    // Page sizes and repeat-guard fingerprints say nothing to a person; a tail's time is shown whole.
    .filter(([k]) => !['limit', 'per', 'pageSize', 'seen'].includes(k))
    .map(([k, v]) => `${k}=${k !== 'since' && String(v).length > 16 ? `${String(v).slice(0, 12)}…` : v}`);
  return parts.length ? parts.join(' ') : 'first page';
}
