/**
 * The page activity: fetch one page of one stream's window and write it to the destination, in
 * one step. Only counts and the next cursor return to the workflow, so no record ever travels
 * through workflow history. The steps are modules of their own: page/request.ts (URL, origin
 * check, auth, rate limit), page/decode.ts (status, JSON, schemas, records, children, next cursor)
 * and page/write.ts.
 */
import type { Cursor, StatedTotal } from '../core/pagination';
import { windowRulesOf } from '../core/source';
import { type Interval, parseInstant, toIso } from '../core/time';
import { checkWindow } from '../core/windows';
import type { Row, TableSpec, TableWrite } from '../destinations/destination';
import { withHistory } from '../destinations/history';
import { decodePage } from './page/decode';
import type { HttpAnswer } from './http/client';
import { buildRequest, firstCursor, type PageTarget, sendRequest } from './page/request';
import { writePage } from './page/write';
import type { FetchRuntime, Runtime } from './runtime';
import { snapshotRunId, streamOf, tableSpecOf } from './streams';

export type { FetchRuntime } from './runtime';

export interface SyncPageInput {
  connection: string;
  stream: string;
  /** The window, ISO-8601, half-open. */
  start: string;
  end: string;
  /** null for the first page. */
  cursor: Cursor | null;
  /** Snapshot streams: the run these pages belong to (unique per window execution). */
  snapshotRun?: string;
}

/** What earlier attempts of this page activity saw: since when the vendor has answered "still processing". */
export interface PageHistory {
  stillProcessingSince?: number;
}

export interface SyncPageResult {
  records: number;
  /** Child-stream rows written with the page (participants, transfers...). */
  childRecords: number;
  /** Earliest instant from which a record of this page may still change (ISO), if any is open. */
  openFrom?: string;
  /** True for snapshot streams: the window ends with `finishSnapshot`, not `commitWindow`. */
  snapshot: boolean;
  /**
   * The vendor kept answering "still processing" (202): the page was asked for the part it marked
   * ready, `[start, readyUntil)` (ISO). Later pages ask for that part only; the window is recorded
   * complete only up to here.
   */
  readyUntil?: string;
  inserted: number;
  updated: number;
  unchanged: number;
  next: Cursor | null;
  /** The total the vendor states for this page's query (the window reconciles its records with it). */
  statedTotal?: StatedTotal;
  /** Time spent in HTTP and in the destination, for benchmarks and the UI. */
  httpMs: number;
  writeMs: number;
  /** Columns this page added for fields the vendor started sending (`table.column type`). */
  addedColumns?: string[];
  /** Rows whose value did not fit its column's type, by `table.field` (NULL there, kept in `record`). */
  misfits?: Record<string, number>;
}

export interface FetchedPage {
  table: TableSpec;
  rows: Row[];
  /** The page's rows for each child stream, ready for `writePage`. */
  children: TableWrite[];
  openFrom?: number;
  snapshot: boolean;
  next: Cursor | null;
  httpMs: number;
  /** Records the vendor sent (before validation). */
  received: number;
  /** The window was narrowed to the part the vendor marked ready (see `SyncPageResult.readyUntil`). */
  readyUntil?: number;
  statedTotal?: StatedTotal;
}

/** Fetches and validates one page; writes nothing. Shared by the page activity and `connections check`. */
export async function fetchPage(rt: FetchRuntime, input: SyncPageInput, attempt: number, seen: PageHistory = {}): Promise<FetchedPage> {
  const { config, source } = rt.connections.get(input.connection);
  const stream = streamOf(source, input.stream);
  const window = { start: parseInstant(input.start)!, end: parseInstant(input.end)! };
  checkWindow(source, { ...stream, window: windowRulesOf(stream, config.settings) }, window, Date.now());
  let target: PageTarget = { config, source, stream, window };

  const cursor = input.cursor ?? firstCursor(target);
  let request = await buildRequest(rt, target, cursor);
  let answer = await sendRequest(rt, target, request);
  // Only a first page is narrowed: a later page's key belongs to the query as it began.
  const ready = input.cursor === null ? readyPart(target, answer, seen) : undefined;
  if (ready) {
    target = { ...target, window: ready };
    request = await buildRequest(rt, target, cursor);
    answer = await sendRequest(rt, target, request);
  }
  const holdLimit = stream.window.openHold;
  const page = decodePage(source, stream, answer, cursor, request.url.host, attempt, {
    from: window.start,
    notBefore: holdLimit === undefined ? undefined : Date.now() - holdLimit,
  });
  return {
    readyUntil: ready?.end,
    table: withHistory(tableSpecOf(stream), config.streams.find((s) => s.name === input.stream)?.history),
    rows: page.rows,
    children: page.children,
    openFrom: page.openFrom,
    snapshot: stream.kind === 'snapshot',
    next: page.next,
    httpMs: Math.round(answer.ms),
    received: page.received,
    statedTotal: page.statedTotal,
  };
}

/**
 * The part of the window to ask for instead, when the vendor has been "still processing" (202)
 * for longer than the stream's patience and its answer marks a leading part of the window ready.
 * Nothing ready (or everything): undefined, and the 202 is retried as before.
 */
function readyPart(target: PageTarget, answer: HttpAnswer, seen: PageHistory): Interval | undefined {
  const rule = target.stream.stillProcessing;
  if (answer.status !== 202 || !rule || seen.stillProcessingSince === undefined) return undefined;
  if (Date.now() - seen.stillProcessingSince < rule.patienceMs(target.config.settings)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return undefined;
  }
  const until = rule.readyUntil(body, target.window);
  if (until === undefined || until <= target.window.start || until >= target.window.end) return undefined;
  return { start: target.window.start, end: until };
}

/** The page activity's work: fetch one page and write it (and its child streams) in one transaction. */
export async function syncPage(rt: Runtime, input: SyncPageInput, attempt: number, seen: PageHistory = {}): Promise<SyncPageResult> {
  const page = await fetchPage(rt, input, attempt, seen);
  const written = await writePage(rt.destination, input.connection, snapshotRunId(input), page);
  return {
    records: page.rows.length,
    childRecords: written.childRecords,
    inserted: written.inserted,
    updated: written.updated,
    unchanged: written.unchanged,
    next: page.next,
    ...(page.statedTotal ? { statedTotal: page.statedTotal } : {}),
    openFrom: page.openFrom === undefined ? undefined : new Date(page.openFrom).toISOString(),
    ...(page.readyUntil === undefined ? {} : { readyUntil: toIso(page.readyUntil) }),
    snapshot: page.snapshot,
    httpMs: page.httpMs,
    writeMs: written.writeMs,
    ...(written.addedColumns ? { addedColumns: written.addedColumns } : {}),
    ...(written.misfits ? { misfits: written.misfits } : {}),
  };
}
