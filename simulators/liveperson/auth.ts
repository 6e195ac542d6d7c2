/**
 * LivePerson authentication as the simulator checks it, written from RFC 5849 independently of the
 * client's signing library, so a signing bug cannot hide behind the same bug in the checker.
 *
 * A request must carry `Authorization: Bearer <token>` (the configured token), or
 * `Authorization: OAuth ...` with HMAC-SHA1 over the request (section 3.4): the configured consumer
 * key and access token, a timestamp within `toleranceS` of the simulator's clock, a nonce not seen
 * before within that time, and a signature equal to ours. Any failure is a 401 whose message says
 * which check failed, never a secret nor the expected signature.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface LpAuthOptions {
  bearerToken?: string;
  consumerKey?: string;
  consumerSecret?: string;
  token?: string;
  tokenSecret?: string;
  /** Allowed clock difference for `oauth_timestamp`, seconds (default 300). */
  toleranceS?: number;
  now: () => number;
}

export type LpAuthOutcome = { ok: true; via: 'bearer' | 'oauth' } | { ok: false; status: 401; message: string };

/** RFC 3986 percent-encoding as RFC 5849 section 3.6 asks: everything but unreserved characters. */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The parameters of an `OAuth` Authorization header (section 3.5.1), values decoded. */
export function parseOAuthHeader(value: string): Record<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/is.exec(value.trim());
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_.~-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/gy;
  let part: RegExpExecArray | null;
  let consumed = 0;
  while ((part = re.exec(m[1]!)) !== null) {
    try {
      out[decodeURIComponent(part[1]!)] = decodeURIComponent(part[2]!);
    } catch {
      return undefined;
    }
    consumed = re.lastIndex;
  }
  return consumed === m[1]!.length ? out : undefined;
}

/**
 * The signature base string (section 3.4.1): method, base string URI (scheme and host lowercase,
 * default port dropped, no query), and the normalized parameters: the query's and the OAuth
 * header's (except `oauth_signature` and `realm`), each name and value encoded, sorted by name
 * then value, joined with `=` and `&`.
 */
export function signatureBaseString(method: string, url: URL, oauthParams: Record<string, string>): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of url.searchParams) pairs.push([rfc3986(k), rfc3986(v)]);
  for (const [k, v] of Object.entries(oauthParams)) {
    if (k === 'oauth_signature' || k === 'realm') continue;
    pairs.push([rfc3986(k), rfc3986(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const normalized = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const defaultPort = (url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443');
  const host = url.hostname.toLowerCase() + (url.port && !defaultPort ? `:${url.port}` : '');
  const baseUri = `${url.protocol.toLowerCase()}//${host}${url.pathname}`;
  return `${method.toUpperCase()}&${rfc3986(baseUri)}&${rfc3986(normalized)}`;
}

export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${rfc3986(consumerSecret)}&${rfc3986(tokenSecret)}`)
    .update(baseString)
    .digest('base64');
}

function same(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export class LpAuthenticator {
  /** `consumerKey|nonce|timestamp` → when it may be forgotten. */
  private readonly nonces = new Map<string, number>();

  constructor(private readonly options: LpAuthOptions) {}

  /** Checks a request whose URL, as the client addressed it, is `url`. */
  check(method: string, url: URL, headers: IncomingHttpHeaders): LpAuthOutcome {
    // Node keeps the first Authorization header only: a string, never a list.
    const value = headers.authorization?.trim();
    if (!value) return { ok: false, status: 401, message: 'Authorization header is required (OAuth 1.0a or Bearer)' };
    if (/^Bearer\s+/i.test(value)) {
      const token = value.replace(/^Bearer\s+/i, '');
      if (this.options.bearerToken && same(token, this.options.bearerToken)) return { ok: true, via: 'bearer' };
      return { ok: false, status: 401, message: 'invalid bearer token' };
    }
    if (!/^OAuth\s/i.test(value)) return { ok: false, status: 401, message: 'unsupported authorization scheme (use OAuth 1.0a or Bearer)' };
    return this.checkOAuth(method, url, value);
  }

  private checkOAuth(method: string, url: URL, header: string): LpAuthOutcome {
    const o = this.options;
    const fail = (message: string): LpAuthOutcome => ({ ok: false, status: 401, message });
    if (!o.consumerKey || !o.consumerSecret || !o.token || !o.tokenSecret) return fail('this account has no API key configured');
    const p = parseOAuthHeader(header);
    if (!p) return fail('malformed OAuth Authorization header');
    for (const k of ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature']) {
      if (!p[k]) return fail(`OAuth parameter ${k} is missing`);
    }
    if (p.oauth_signature_method !== 'HMAC-SHA1') return fail(`unsupported oauth_signature_method ${p.oauth_signature_method} (use HMAC-SHA1)`);
    if (p.oauth_version !== undefined && p.oauth_version !== '1.0') return fail('oauth_version must be 1.0');
    if (!same(p.oauth_consumer_key!, o.consumerKey)) return fail('unknown app key (oauth_consumer_key)');
    if (!same(p.oauth_token!, o.token)) return fail('unknown access token (oauth_token)');
    const now = o.now();
    const tolerance = (o.toleranceS ?? 300) * 1000;
    const ts = Number(p.oauth_timestamp) * 1000;
    if (!/^\d+$/.test(p.oauth_timestamp!) || Math.abs(ts - now) > tolerance) return fail('oauth_timestamp is too far from the server time');
    const expected = hmacSha1Signature(signatureBaseString(method, url, p), o.consumerSecret, o.tokenSecret);
    if (!same(p.oauth_signature!, expected)) return fail('invalid OAuth signature');
    for (const [k, until] of this.nonces) if (until < now) this.nonces.delete(k);
    const nonceKey = `${p.oauth_consumer_key}|${p.oauth_nonce}|${p.oauth_timestamp}`;
    if (this.nonces.has(nonceKey)) return fail('oauth_nonce was already used');
    this.nonces.set(nonceKey, ts + tolerance);
    return { ok: true, via: 'oauth' };
  }
}
