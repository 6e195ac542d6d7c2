/**
 * The page activity: fetch one page of one stream's window and write it to the destination, in
 * one step. Only counts and the next cursor return to the workflow, so no record ever travels
 * through workflow history. The steps are modules of their own: page/request.ts (URL, origin
 * check, auth, rate limit), page/decode.ts (status, JSON, schemas, records, children, next cursor)
 * and page/write.ts.
 */
import type { Cursor, StatedTotal } from '../core/pagination';
import { parseInstant } from '../core/time';
import { checkWindow } from '../core/windows';
import type { Row, TableWrite } from '../destinations/destination';
import { decodePage } from './page/decode';
import { buildRequest, firstCursor, type PageTarget, sendRequest } from './page/request';
import { writePage } from './page/write';
import type { FetchRuntime, Runtime } from './runtime';
import { snapshotRunId, streamOf } from './streams';

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

export interface SyncPageResult {
  records: number;
  /** Child-stream rows written with the page (participants, transfers...). */
  childRecords: number;
  /** Earliest instant from which a record of this page may still change (ISO), if any is open. */
  openFrom?: string;
  /** True for snapshot streams: the window ends with `finishSnapshot`, not `commitWindow`. */
  snapshot: boolean;
  inserted: number;
  updated: number;
  unchanged: number;
  next: Cursor | null;
  /** The total the vendor states for this page's query (the window reconciles its records with it). */
  statedTotal?: StatedTotal;
  /** Time spent in HTTP and in the destination, for benchmarks and the UI. */
  httpMs: number;
  writeMs: number;
}

export interface FetchedPage {
  table: { name: string; keyColumns: readonly string[] };
  rows: Row[];
  /** The page's rows for each child stream, ready for `writePage`. */
  children: TableWrite[];
  openFrom?: number;
  snapshot: boolean;
  next: Cursor | null;
  httpMs: number;
  /** Records the vendor sent (before validation). */
  received: number;
  statedTotal?: StatedTotal;
}

/** Fetches and validates one page; writes nothing. Shared by the page activity and `connections check`. */
export async function fetchPage(rt: FetchRuntime, input: SyncPageInput, attempt: number): Promise<FetchedPage> {
  const { config, source } = rt.connections.get(input.connection);
  const stream = streamOf(source, input.stream);
  const window = { start: parseInstant(input.start)!, end: parseInstant(input.end)! };
  checkWindow(source, stream, window, Date.now());
  const target: PageTarget = { config, source, stream, window };

  const cursor = input.cursor ?? firstCursor(target);
  const request = await buildRequest(rt, target, cursor);
  const answer = await sendRequest(rt, target, request);
  const holdLimit = stream.window.openHold;
  const page = decodePage(source, stream, answer, cursor, request.url.host, attempt, {
    from: window.start,
    notBefore: holdLimit === undefined ? undefined : Date.now() - holdLimit,
  });
  return {
    table: { name: stream.table, keyColumns: stream.primaryKey },
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

/** The page activity's work: fetch one page and write it (and its child streams) in one transaction. */
export async function syncPage(rt: Runtime, input: SyncPageInput, attempt: number): Promise<SyncPageResult> {
  const page = await fetchPage(rt, input, attempt);
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
    snapshot: page.snapshot,
    httpMs: page.httpMs,
    writeMs: written.writeMs,
  };
}
