/**
 * The page activity: fetch one page of one stream's window and write it to the destination, in
 * one step. Only counts and the next cursor return to the workflow, so no record ever travels
 * through workflow history (design.md, principle 2).
 */
import { CcsyncError } from '../core/errors';
import { describeIssue } from '../core/issues';
import type { Cursor } from '../core/pagination';
import type { ChildStreamDeclaration, SourceDeclaration, StreamDeclaration } from '../core/source';
import { formatDuration, parseDuration, parseInstant, type Interval } from '../core/time';
import type { Row, TableWrite } from '../destinations/destination';
import { VendorHttp } from './http/client';
import { errorForStatus } from './http/status';
import type { Runtime } from './runtime';

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
  /** Time spent in HTTP and in the destination, for benchmarks and the UI. */
  httpMs: number;
  writeMs: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export function streamOf(source: SourceDeclaration, name: string): StreamDeclaration {
  const stream = source.streams[name];
  if (!stream) {
    throw new CcsyncError('ConfigError', `${source.title} has no stream "${name}" (known: ${Object.keys(source.streams).join(', ')})`);
  }
  return stream;
}

/** The engine refuses windows the API would refuse, before any request is made. */
export function checkWindow(source: SourceDeclaration, stream: StreamDeclaration, window: Interval, now: number): void {
  const size = window.end - window.start;
  if (!(size > 0)) throw new CcsyncError('InvalidInput', `the window must end after it starts`);
  if (size > stream.window.maxSize) {
    throw new CcsyncError(
      'InvalidInput',
      `${source.title} ${stream.name} windows may span at most ${formatDuration(stream.window.maxSize)}; this one spans ${formatDuration(size)}`,
    );
  }
  if (stream.window.maxAge !== undefined && window.start < now - stream.window.maxAge) {
    throw new CcsyncError(
      'InvalidInput',
      `${source.title} ${stream.name} serves only the last ${formatDuration(stream.window.maxAge)}: the window starts at ${new Date(window.start).toISOString()}, before the earliest allowed ${new Date(now - stream.window.maxAge).toISOString()}`,
    );
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new CcsyncError('ResponseCutShort', `${what} sent a body that is not valid JSON (${text.length} bytes, starting ${JSON.stringify(preview.slice(0, 40))})`);
  }
}

/** What fetching needs: everything but the destination. */
export type FetchRuntime = Omit<Runtime, 'destination'>;

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
}

/** Fetches and validates one page; writes nothing. Shared by the page activity and `connections check`. */
export async function fetchPage(rt: FetchRuntime, input: SyncPageInput, attempt: number): Promise<FetchedPage> {
  const { config, source } = rt.connections.get(input.connection);
  const stream = streamOf(source, input.stream);
  const choice = config.streams.find((s) => s.name === stream.name);
  const window = { start: parseInstant(input.start)!, end: parseInstant(input.end)! };
  checkWindow(source, stream, window, Date.now());

  const credentials = rt.connections.credentials(config);
  rt.secrets.addAll(Object.values(credentials));
  const pageSize = Math.min(Number(config.settings.pageSize ?? stream.pageSize.default), stream.pageSize.max);
  const cursor = input.cursor ?? stream.pagination.first(pageSize);
  const spec = stream.request({ settings: config.settings, window, cursor, options: choice?.options ?? {} });
  const timeoutMs = (config.requestTimeout && parseDuration(config.requestTimeout)) || DEFAULT_TIMEOUT_MS;
  const baseUrl = await source.baseUrl(config.settings, (u) => lookupJson(rt, config.name, u, timeoutMs));
  const url = VendorHttp.url(baseUrl, spec);
  if (url.origin !== new URL(baseUrl).origin) {
    // A next-page link elsewhere must not receive our credentials.
    throw new CcsyncError('VendorRejected', `${source.title} pointed the next page at ${url.origin}, not ${new URL(baseUrl).origin}; refusing to send credentials there`);
  }
  const headers = await source.authHeaders({ connection: config.name, settings: config.settings, credentials }, spec, url);
  rt.secrets.addAll(Object.values(headers));
  const what = `${source.title} ${stream.name}`;

  await rt.limiter.acquire(source.rateLimit(config.settings));
  const answer = await rt.http.send(config.name, url, spec, headers, { timeoutMs });
  const failure = errorForStatus(source, answer, url.host, attempt);
  if (failure) throw failure;

  const body = parseJson(answer.text, what);
  const envelope = stream.responseSchema.safeParse(body);
  if (!envelope.success) {
    throw new CcsyncError('SchemaMismatch', `${what}: the response does not have the documented shape: ${envelope.error.issues.map((i) => describeIssue(i, body)).join('; ')}`);
  }
  const raw = stream.records(envelope.data);
  const rows: Row[] = raw.map((r, i) => {
    const parsed = stream.recordSchema.safeParse(r);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      const detail = describeIssue({ ...first, path: [stream.recordsPath, i, ...first.path] } as typeof first, { [stream.recordsPath]: raw });
      throw new CcsyncError('SchemaMismatch', `${what}: a record does not match the stream's schema: ${detail}. Nothing from this page was written.`, {
        details: { path: [stream.recordsPath, i, ...first.path].join('.') },
      });
    }
    const record = parsed.data as Record<string, unknown>;
    return { key: stream.key(record), record, version: stream.version?.(record) };
  });
  let openFrom: number | undefined;
  if (stream.openSince) {
    for (const r of rows) {
      const since = stream.openSince(r.record as Record<string, unknown>);
      if (since !== undefined && (openFrom === undefined || since < openFrom)) openFrom = since;
    }
  }
  return {
    table: { name: stream.table, keyColumns: stream.primaryKey },
    rows,
    children: (stream.children ?? []).map((child) => childWrite(what, stream.recordsPath, child, rows)),
    openFrom,
    snapshot: stream.kind === 'snapshot',
    next: stream.pagination.next(cursor, { body: envelope.data, headers: answer.headers, recordCount: raw.length }),
    httpMs: Math.round(answer.ms),
    received: raw.length,
  };
}

/** Validates one child stream's records out of a page's parents, as a write that replaces each parent's children. */
function childWrite(what: string, recordsPath: string, child: ChildStreamDeclaration, parents: Row[]): TableWrite {
  const rows: Row[] = [];
  const parentIds: string[] = [];
  const versions: (number | undefined)[] = [];
  parents.forEach((parentRow, i) => {
    const parent = parentRow.record as Record<string, unknown>;
    parentIds.push(child.parentId(parent));
    versions.push(parentRow.version);
    child.extract(parent).forEach((raw, j) => {
      const parsed = child.recordSchema.safeParse(raw);
      if (!parsed.success) {
        const first = parsed.error.issues[0]!;
        const path = [recordsPath, i, child.name, j, ...first.path];
        const detail = describeIssue({ ...first, path } as typeof first, { [recordsPath]: parents.map((p) => p.record) });
        throw new CcsyncError('SchemaMismatch', `${what}: a ${child.name} record does not match its schema: ${detail}. Nothing from this page was written.`, {
          details: { path: path.join('.') },
        });
      }
      const record = parsed.data as Record<string, unknown>;
      // Children carry their parent's version: they are replaced with it, never by an older one.
      rows.push({ key: child.key(record), record, version: parentRow.version });
    });
  });
  return { spec: { name: child.table, keyColumns: child.primaryKey }, rows, replaceChildrenOf: { column: child.parentKey, parents: parentIds, versions } };
}

/** The page activity's work: fetch one page and write it (and its child streams) in one transaction. */
export async function syncPage(rt: Runtime, input: SyncPageInput, attempt: number): Promise<SyncPageResult> {
  const page = await fetchPage(rt, input, attempt);
  const writeStarted = performance.now();
  const [main, ...children] = await rt.destination.writePage(input.connection, [{ spec: page.table, rows: page.rows }, ...page.children]);
  if (page.snapshot) {
    await rt.destination.noteSnapshotKeys(page.table, input.connection, snapshotRunId(input), page.rows.map((r) => r.key));
  }
  return {
    records: page.rows.length,
    childRecords: children.reduce((n, c) => n + c.inserted + c.updated + c.unchanged, 0),
    inserted: main!.inserted,
    updated: main!.updated,
    unchanged: main!.unchanged,
    next: page.next,
    openFrom: page.openFrom === undefined ? undefined : new Date(page.openFrom).toISOString(),
    snapshot: page.snapshot,
    httpMs: page.httpMs,
    writeMs: Math.round(performance.now() - writeStarted),
  };
}

/** An unauthenticated GET for discovery services (LivePerson's domain lookup), parsed as JSON. */
async function lookupJson(rt: FetchRuntime, connection: string, url: string, timeoutMs: number): Promise<unknown> {
  const spec = { method: 'GET' as const, path: url };
  const target = VendorHttp.url('', spec);
  const answer = await rt.http.send(connection, target, spec, {}, { timeoutMs });
  if (answer.status >= 500 || answer.status === 429) {
    throw new CcsyncError(answer.status === 429 ? 'VendorRateLimited' : 'VendorUnavailable', `${target.host} lookup failed with ${answer.status}`);
  }
  if (answer.status !== 200) throw new CcsyncError('VendorRejected', `${target.host} lookup answered ${answer.status} for ${target.pathname}`);
  return parseJson(answer.text, `${target.host} lookup`);
}

/** A snapshot run's id: the window execution's, or the window start for a page fetched outside one. */
export function snapshotRunId(input: { start: string; snapshotRun?: string }): string {
  return input.snapshotRun ?? input.start;
}
