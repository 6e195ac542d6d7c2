/**
 * CCAI Platform authentication as the simulator checks it: HTTP Basic (RFC 7617) with the tenant's
 * subdomain and an API token, or, on older tenants, the company key and company secret. Any
 * failure is a 401 with `WWW-Authenticate: Basic` and a message saying what was wrong, never a
 * secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface CcaipAuthOptions {
  subdomain: string;
  /** The API token accepted with the subdomain as user. */
  apiToken?: string;
  companyKey?: string;
  companySecret?: string;
}

export type CcaipAuthOutcome = { ok: true; via: 'api-token' | 'company-key' } | { ok: false; status: 401; message: string };

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The user and password of a Basic Authorization header, or undefined when it is not one. */
export function parseBasic(value: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export function authenticate(headers: IncomingHttpHeaders, o: CcaipAuthOptions): CcaipAuthOutcome {
  // Node keeps the first Authorization header only: a string, never a list.
  const value = headers.authorization;
  if (!value) return { ok: false, status: 401, message: 'HTTP Basic authentication is required' };
  const basic = parseBasic(value);
  if (!basic) return { ok: false, status: 401, message: 'malformed Authorization header (expected HTTP Basic)' };
  if (o.apiToken && same(basic.user, o.subdomain)) {
    return same(basic.password, o.apiToken) ? { ok: true, via: 'api-token' } : { ok: false, status: 401, message: 'invalid API token' };
  }
  if (o.companyKey && o.companySecret && same(basic.user, o.companyKey)) {
    return same(basic.password, o.companySecret) ? { ok: true, via: 'company-key' } : { ok: false, status: 401, message: 'invalid company secret' };
  }
  return { ok: false, status: 401, message: 'unknown user (expected the subdomain with an API token, or the company key)' };
}
