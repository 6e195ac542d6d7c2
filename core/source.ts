/**
 * What a source declares, and all the engine knows about a vendor. A source folder exports one
 * `SourceDeclaration`; the page activity turns it into HTTP requests and rows without knowing
 * which vendor it is talking to.
 */
import type { z } from 'zod';
import type { HttpRequestSpec } from './http-request';
import type { Cursor, Pagination } from './pagination';
import type { Interval } from './time';

export type { HttpRequestSpec } from './http-request';

export interface RequestContext<Settings, Options = unknown> {
  settings: Settings;
  /** The window being synced, half-open. Snapshot streams get the run's time as a zero-length window. */
  window: Interval;
  /** Stream options from the connection's `streams:` entry, as `optionsSchema` parsed them when the file was loaded. */
  options: Options;
}

export interface WindowRules {
  /** Largest window the API accepts (Kore.ai call details: 7 days, LivePerson: 1 day). */
  maxSize: number;
  /** Window size a backfill uses when the user gives none. */
  defaultSize: number;
  /** Windows start and end on multiples of this (the stream's interval length). */
  alignment: number;
  /** How far back the API serves data (LivePerson: 14 days), if limited. */
  maxAge?: number;
  /** How long after the fact data is final: incremental runs stop this far before their scheduled time. */
  defaultLag: number;
  /** How much already-synced time an incremental run reads again, for late revisions. */
  defaultLookback: number;
  /**
   * How long a record still open (`openSince`) keeps its window incomplete, counted from when it
   * opened. Past it the window is recorded complete with the record stored open: re-reading a day
   * for a status nobody closed would go on forever. Without it, open records hold their window
   * for as long as they stay open.
   */
  openHold?: number;
  /**
   * How long after its start a record may still first appear (a conversation listed once it ends,
   * filed under its start). Incremental runs read each stretch once more when it is this old, so
   * a conversation longer than the lookback is still found; every instant is read again once,
   * not on every run.
   */
  settleAfter?: number;
}

/**
 * A stream carried inside another stream's records (a call's participants, transfers...). Its rows
 * are written with the parent's page, in the same transaction, and always match the parent's
 * latest form: children a parent no longer lists are removed.
 */
export interface ChildStreamDeclaration {
  name: string;
  /** Destination table: `<source>_<stream>`. */
  table: string;
  description: string;
  /** Key columns; must include `parentKey`. */
  primaryKey: readonly string[];
  /** The key column holding the parent's id. */
  parentKey: string;
  key(record: Record<string, unknown>): Record<string, string>;
  /** One child record, unknown fields kept. */
  recordSchema: z.ZodTypeAny;
  /** The parent's id, as stored in `parentKey`. */
  parentId(parent: Record<string, unknown>): string;
  /** The child records of one (validated) parent record, each carrying the parent's id. */
  extract(parent: Record<string, unknown>): unknown[];
  /**
   * The parent's field the list is in (`participants`). A wrong-typed value inside one of its items
   * is the child table's misfit, not the parent's (activities/page/decode.ts); a value there that is
   * not a list at all fails the page, since the parent's stored children would be replaced by none.
   */
  parentField: string;
  /** Fields besides the key that `key` reads (media: `call_id`, `chat_id`): a wrong-typed value there fails the page. */
  syncFields?: readonly string[];
}

export interface StreamDeclaration<Settings = unknown, Options = unknown> {
  name: string;
  /** Destination table: `<source>_<stream>`. */
  table: string;
  kind: 'windowed' | 'snapshot';
  description: string;
  /** Key columns, in order; each value is read from the record by `key`. */
  primaryKey: readonly string[];
  key(record: Record<string, unknown>): Record<string, string>;
  /** One record, unknown fields kept (`.passthrough()`). */
  recordSchema: z.ZodTypeAny;
  /** The response envelope, checked before records are read. */
  responseSchema: z.ZodTypeAny;
  /** Where the records are in a valid response. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each stream reads its own envelope shape (already checked by responseSchema); `unknown` would force casts in every declaration
  records(body: any): unknown[];
  /** Path of the records array for messages (`CallVolumeUpdate`). */
  recordsPath: string;
  /** How the stream pages: the style makes the cursors and places them in the request. */
  pagination: Pagination;
  pageSize: { default: number; max: number };
  window: WindowRules;
  /**
   * Rules that depend on the connection's settings (LivePerson: windows on the grid of the
   * connection's `intervalDuration`); `window` when absent. Read through `windowRulesOf`.
   */
  windowFor?(settings: Settings): WindowRules;
  /**
   * A vendor whose "still processing" answer (202) says which part of the window is ready. Once
   * such an answer has lasted `patienceMs`, a window's first page is asked again for the leading
   * part marked ready, `[start, readyUntil)`; the window is then read and recorded complete only
   * up to there, and the next incremental run reads the rest.
   */
  stillProcessing?: {
    patienceMs(settings: Settings): number;
    /** From the 202 body: where the leading ready part of `window` ends; undefined when none is. */
    readyUntil(body: unknown, window: Interval): number | undefined;
  };
  /** The vendor's request for the window, without paging: `pagination.apply` adds the cursor. */
  request(ctx: RequestContext<Settings, Options>): HttpRequestSpec;
  /**
   * The options a connection may give the stream (`streams: [{ name, options }]`), checked when the
   * connections file loads: a typo must not silently sync everything. Without it, the stream takes none.
   */
  optionsSchema?: z.ZodType<Options>;
  /** Streams nested in this stream's records, written with each page. */
  children?: readonly ChildStreamDeclaration[];
  /**
   * For records that are not final yet (an agent-status segment still open): the instant from which
   * the record may still change. The window is then recorded complete only up to the earliest such
   * instant, so the next incremental run reads it again until it closes. A record open since before
   * the window's start (carried over from an earlier day) does not hold the window: it is held by the
   * window it opened in. Nor does one open for longer than `window.openHold`.
   */
  openSince?(record: Record<string, unknown>): number | undefined;
  /**
   * The record's own version, when the vendor sends one (`updated_at` as epoch ms, Kore.ai's `__v`):
   * a stored row of a newer version is never overwritten by an older one, nor are its children.
   */
  version?(record: Record<string, unknown>): number | undefined;
  /**
   * Fields besides the key the sync itself reads: the version, the time a tail pages by, what
   * `openSince` reads. A wrong-typed value in any other optional declared field is stored around
   * (its column NULL for that row, the value kept in `record`, counted as a misfit); in these it
   * fails the page, since the record could not be placed safely (activities/page/decode.ts).
   * Required fields always fail the page.
   */
  syncFields?: readonly string[];
}

/** A stream's window rules for one connection's settings. */
export function windowRulesOf(stream: Pick<StreamDeclaration, 'window'> & { windowFor?(settings: never): WindowRules }, settings: unknown): WindowRules {
  return stream.windowFor ? stream.windowFor(settings as never) : stream.window;
}

/** Each key column's value read from the record as text: the key a stream has unless it computes one. */
export function keyOf(columns: readonly string[]): (record: Record<string, unknown>) => Record<string, string> {
  return (record) => Object.fromEntries(columns.map((c) => [c, String(record[c])]));
}

/** What a declaration may leave out when it would only repeat itself: `table` (`<source>_<name>`) and `key` (`keyOf(primaryKey)`). */
type Derivable<D extends { table: string; key: unknown }> = Omit<D, 'table' | 'key'> & Partial<Pick<D, 'table' | 'key'>>;

/** A stream of source `source`, with its table and key derived unless given. */
export function defineStream<Settings, Options = Record<string, never>>(
  source: string,
  spec: Derivable<StreamDeclaration<Settings, Options>>,
): StreamDeclaration<Settings, Options> {
  return { ...spec, table: spec.table ?? `${source}_${spec.name}`, key: spec.key ?? keyOf(spec.primaryKey) };
}

/** A child stream of source `source`, with its table and key derived unless given. */
export function defineChild(source: string, spec: Derivable<ChildStreamDeclaration>): ChildStreamDeclaration {
  return { ...spec, table: spec.table ?? `${source}_${spec.name}`, key: spec.key ?? keyOf(spec.primaryKey) };
}

/** A page's request: the stream's own, with the cursor placed by its pagination style. */
export function pageRequest<Settings, Options>(
  stream: StreamDeclaration<Settings, Options>,
  ctx: RequestContext<Settings, Options>,
  cursor: Cursor,
): HttpRequestSpec {
  return stream.pagination.apply(stream.request(ctx), cursor);
}

export interface AuthContext<Settings, Credentials> {
  connection: string;
  settings: Settings;
  credentials: Credentials;
}

export interface RateLimitRule {
  /** Requests sharing this key share the budget (an account, a tenant). */
  key: string;
  limit: number;
  perMs: number;
  /** More windows the same requests must also fit in (Kore.ai's possible hourly quota). */
  also?: readonly { limit: number; perMs: number }[];
}

export interface SourceDeclaration<Settings = unknown, Credentials = unknown> {
  /** The name the connections file uses (`source: kore`); the registry in sources/index.ts holds every source under it. */
  name: string;
  title: string;
  settingsSchema: z.ZodType<Settings>;
  credentialsSchema: z.ZodType<Credentials>;
  streams: Record<string, StreamDeclaration<Settings>>;
  /**
   * Headers that authenticate a request. May mint and cache tokens. `url` is the final URL with its
   * query string (OAuth 1.0a signs it).
   */
  authHeaders(ctx: AuthContext<Settings, Credentials>, request: HttpRequestSpec, url: URL): Promise<Record<string, string>>;
  rateLimit(settings: Settings): RateLimitRule;
  /** The vendor's own words from an error body, for the user. */
  errorMessage(status: number, body: unknown): string | undefined;
  /**
   * Minimum pauses the vendor asks for before retrying a status, by attempt (1-based); `answer`
   * says what the answer itself asked for (`retryAfterMs` from Retry-After, when it came with one).
   */
  retryPause?(status: number, attempt: number, answer?: { retryAfterMs?: number }): number | undefined;
  /**
   * The vendor's own domains (LivePerson: `liveperson.net`): a next-page link on another host under
   * one of them is followed, with the credentials; a link anywhere else is refused. Without it,
   * links are followed only on the API's own origin.
   */
  ownDomains?: readonly string[];
  /**
   * Where the API lives. May discover it (LivePerson's domain lookup) with `lookup`, an unauthenticated
   * GET returning parsed JSON; a source that discovers should cache what it found.
   */
  baseUrl(settings: Settings, lookup: (url: string) => Promise<unknown>): string | Promise<string>;
}
