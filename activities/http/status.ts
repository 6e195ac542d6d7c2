/**
 * What an HTTP status means, for every call to every source: one set of generic rules (202 still
 * processing, 429 rate limited, 5xx unavailable, other 4xx and 3xx rejected), refined by the
 * source's own words (its error message format and the pauses it asks for).
 */
import { CcsyncError } from '../../core/errors';
import type { SourceDeclaration } from '../../core/source';
import type { HttpAnswer } from './client';

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const REJECTED_REASON: Record<number, string> = {
  400: 'the request is invalid',
  401: 'the credentials were not accepted',
  403: 'the credentials lack the permission for this API',
  404: 'the account or endpoint was not found (check baseUrl and the account id)',
  422: 'the request could not be processed',
};

/** Who answered, as the status rules need it: a source, or a service speaking for one (a lookup). */
export type Answerer = Pick<SourceDeclaration, 'title' | 'errorMessage' | 'retryPause'>;

/** Returns the error an answer means, or undefined for a success the caller should parse. */
export function errorForStatus(source: Answerer, answer: HttpAnswer, host: string, attempt: number): CcsyncError | undefined {
  const { status } = answer;
  if (status >= 200 && status < 300 && status !== 202) return undefined;
  const body = parseBody(answer.text);
  const vendorSays = body === undefined ? undefined : source.errorMessage(status, body);
  const said = vendorSays ? `: ${vendorSays}` : '';
  const after = retryAfterMs(answer.headers['retry-after']);
  const pause = source.retryPause?.(status, attempt, { retryAfterMs: after });
  if (status === 202) {
    return new CcsyncError('VendorStillProcessing', `${source.title} is still processing data for this window (202); waiting for it${said}`, {
      status,
      retryAfterMs: Math.max(after ?? 0, pause ?? 0),
      details: body && typeof body === 'object' ? { vendor: summarize(body) } : undefined,
    });
  }
  if (status === 429) {
    return new CcsyncError(
      'VendorRateLimited',
      `${source.title} rate limit reached (429); retrying after ${Math.max(1, Math.round(Math.max(after ?? 1000, pause ?? 0) / 1000))} s${said}`,
      {
        status,
        retryAfterMs: Math.max(1000, after ?? 0, pause ?? 0),
      },
    );
  }
  if (status >= 500) {
    return new CcsyncError('VendorUnavailable', `${source.title} failed with ${status} at ${host}${said}`, {
      status,
      retryAfterMs: Math.max(after ?? 0, pause ?? 0) || undefined,
    });
  }
  if (status >= 400) {
    const reason = REJECTED_REASON[status] ?? 'the request was refused';
    return new CcsyncError('VendorRejected', `${source.title} rejected the request with ${status} (${reason})${said}`, { status });
  }
  // 1xx and 3xx: undici does not follow redirects, and a vendor API redirecting means a wrong baseUrl.
  const location = answer.headers.location ? ` to ${safeLocation(answer.headers.location)}` : '';
  return new CcsyncError('VendorRejected', `${source.title} answered ${status}${location}; check the connection's baseUrl`, { status });
}

function safeLocation(location: string): string {
  try {
    const u = new URL(location);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'another address';
  }
}

/** A bounded copy of a small vendor body for the UI (202 bodies list per-interval status). */
function summarize(body: object): unknown {
  const text = JSON.stringify(body);
  return text.length <= 2000 ? body : `${text.slice(0, 2000)}...`;
}
