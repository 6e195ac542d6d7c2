/**
 * LivePerson authenticates API-key requests with OAuth 1.0a (RFC 5849) HMAC-SHA1 signatures: the
 * app key and secret (consumer) plus the access token and its secret. Every request is signed on
 * its final URL, query string included, so the signature covers exactly what is sent. A bearer
 * token (from LivePerson's login service) is accepted instead.
 *
 * Signing is `oauth-1.0a`'s (the long-standing, dependency-free implementation); we give it the
 * HMAC (node:crypto), a random nonce from node:crypto, and the query parameters already decoded by
 * WHATWG URL, so `metrics=a,b` (sent as `a%2Cb`) is signed as the RFC asks: `a%252Cb` in the base string.
 */
import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { CcsyncError } from '../../core/errors';
import type { LivePersonCredentials } from './connection';

export interface OAuth1Keys {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

export interface OAuth1Options {
  /** Seconds since the epoch (default: now). */
  timestamp?: number;
  /** Default: 32 random hex characters. */
  nonce?: string;
  /** Leave out `oauth_version` (RFC 5849 makes it optional; its examples omit it). Default: sent as "1.0". */
  omitVersion?: boolean;
  realm?: string;
}

const hmacSha1 = (baseString: string, key: string) => createHmac('sha1', key).update(baseString).digest('base64');

function client(keys: OAuth1Keys, realm?: string): OAuth {
  return new OAuth({ consumer: { key: keys.consumerKey, secret: keys.consumerSecret }, signature_method: 'HMAC-SHA1', hash_function: hmacSha1, realm });
}

/** The query of `url` as the library wants it: decoded values, repeated names as lists. */
function queryParams(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const seen = out[k];
    out[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
  }
  return out;
}

function oauthData(keys: OAuth1Keys, opts: OAuth1Options): OAuth.Data {
  const data: OAuth.Data = {
    oauth_consumer_key: keys.consumerKey,
    oauth_nonce: opts.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    oauth_token: keys.token,
    oauth_version: '1.0',
  };
  if (opts.omitVersion) delete (data as Partial<OAuth.Data>).oauth_version;
  return data;
}

/** The RFC 5849 signature base string of a request (for tests and for explaining a 401). */
export function oauth1BaseString(method: string, url: URL, keys: OAuth1Keys, opts: OAuth1Options = {}): string {
  return client(keys).getBaseString({ method, url: url.origin + url.pathname, data: queryParams(url) }, { ...oauthData(keys, opts) });
}

/** `oauth_signature` (base64) of a request. */
export function oauth1Signature(method: string, url: URL, keys: OAuth1Keys, opts: OAuth1Options = {}): string {
  const oauth = client(keys);
  // The library merges the request's parameters into the objects it is given: pass copies.
  return oauth.getSignature({ method, url: url.origin + url.pathname, data: queryParams(url) }, keys.tokenSecret, { ...oauthData(keys, opts) });
}

/** The `Authorization: OAuth ...` header value for a request. */
export function oauth1Header(method: string, url: URL, keys: OAuth1Keys, opts: OAuth1Options = {}): string {
  const oauth = client(keys, opts.realm);
  const data = oauthData(keys, opts);
  const signature = oauth.getSignature({ method, url: url.origin + url.pathname, data: queryParams(url) }, keys.tokenSecret, { ...data });
  return oauth.toHeader({ ...data, oauth_signature: signature }).Authorization;
}

export function hasOAuthKeys(c: LivePersonCredentials): c is LivePersonCredentials & OAuth1Keys {
  return Boolean(c.consumerKey && c.consumerSecret && c.token && c.tokenSecret);
}

/** The `Authorization` header for one request: a fresh OAuth 1.0a signature, or the bearer token. */
export function livepersonAuthorization(credentials: LivePersonCredentials, method: string, url: URL, now = Date.now()): string {
  if (credentials.bearerToken) return `Bearer ${credentials.bearerToken}`;
  if (!hasOAuthKeys(credentials))
    throw new CcsyncError('ConfigError', 'LivePerson credentials need a bearerToken, or consumerKey, consumerSecret, token and tokenSecret');
  return oauth1Header(method, url, credentials, { timestamp: Math.floor(now / 1000) });
}
