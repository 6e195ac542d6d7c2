/**
 * Building and sending one page's request: the stream's request with the cursor placed by its
 * pagination style, the URL under the connection's base URL (discovered if the source does so),
 * the origin check that keeps credentials at the vendor, the source's auth headers, and the
 * account's rate limit before the request goes out.
 */
import type { ConnectionConfig } from '../../core/connections';
import { CcsyncError } from '../../core/errors';
import type { Cursor } from '../../core/pagination';
import { type HttpRequestSpec, pageRequest, type SourceDeclaration, type StreamDeclaration } from '../../core/source';
import { parseDuration, type Interval } from '../../core/time';
import { type HttpAnswer, VendorHttp } from '../http/client';
import { lookupJson } from '../http/lookup';
import type { FetchRuntime } from '../runtime';

const DEFAULT_TIMEOUT_MS = 60_000;

/** What a page is asked of: a connection's stream over a window. */
export interface PageTarget {
  config: ConnectionConfig;
  source: SourceDeclaration;
  stream: StreamDeclaration;
  window: Interval;
}

export interface BuiltRequest {
  spec: HttpRequestSpec;
  url: URL;
  /** Authentication headers: secret, never logged. */
  headers: Record<string, string>;
  timeoutMs: number;
}

/** The records per page: the connection's `pageSize`, or the stream's default, capped by the stream's maximum. */
export function pageSizeFor(stream: StreamDeclaration, settings: unknown): number {
  return Math.min(Number((settings as { pageSize?: unknown }).pageSize ?? stream.pageSize.default), stream.pageSize.max);
}

/** The first page's cursor, when the workflow has none yet. */
export function firstCursor(target: PageTarget): Cursor {
  return target.stream.pagination.first(pageSizeFor(target.stream, target.config.settings));
}

export async function buildRequest(rt: FetchRuntime, target: PageTarget, cursor: Cursor): Promise<BuiltRequest> {
  const { config, source, stream, window } = target;
  const credentials = rt.connections.credentials(config);
  rt.secrets.addAll(Object.values(credentials));
  const options = config.streams.find((s) => s.name === stream.name)?.options ?? {};
  const spec = pageRequest<unknown, unknown>(stream, { settings: config.settings, window, options }, cursor);
  const timeoutMs = (config.requestTimeout && parseDuration(config.requestTimeout)) || DEFAULT_TIMEOUT_MS;
  const baseUrl = await source.baseUrl(config.settings, (u) => lookupJson(rt, source, config.name, u, timeoutMs));
  const url = VendorHttp.url(baseUrl, spec);
  if (!mayFollow(source, url, new URL(baseUrl))) {
    // A next-page link elsewhere must not receive our credentials.
    const own = source.ownDomains?.length ? ` or a host of ${source.ownDomains.join(', ')}` : '';
    throw new CcsyncError(
      'VendorRejected',
      `${source.title} pointed the next page at ${url.origin}, not ${new URL(baseUrl).origin}${own}; refusing to send credentials there`,
    );
  }
  const headers = await source.authHeaders({ connection: config.name, settings: config.settings, credentials }, spec, url);
  rt.secrets.addAll(Object.values(headers));
  return { spec, url, headers, timeoutMs };
}

/**
 * Whether a request may go to `url` with the connection's credentials: the API's own origin, or a
 * host of one of the vendor's own domains (LivePerson's absolute `refs.next` links name another
 * host of liveperson.net), over https or the API's own scheme (never a downgrade from https).
 */
export function mayFollow(source: Pick<SourceDeclaration, 'ownDomains'>, url: URL, base: URL): boolean {
  if (url.origin === base.origin) return true;
  if (url.protocol !== 'https:' && url.protocol !== base.protocol) return false;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  return (source.ownDomains ?? []).some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
}

/** Waits for the account's rate limit, then sends. */
export async function sendRequest(rt: FetchRuntime, target: PageTarget, request: BuiltRequest): Promise<HttpAnswer> {
  const waitStarted = performance.now();
  // The account's budget, shared by every worker process; a 429 that gets through slows the whole account.
  return rt.limiter.call(target.source.rateLimit(target.config.settings), (answered) => {
    rt.metrics?.rateLimitWait(target.config.name, (performance.now() - waitStarted) / 1000);
    return rt.http.send(target.config.name, request.url, request.spec, request.headers, { timeoutMs: request.timeoutMs, onAnswer: answered });
  });
}
