/**
 * Kore.ai authentication as the public analytics APIs have it, and the error shape every simulator
 * endpoint answers with.
 *
 * A request must carry:
 *  - `auth`: either the configured static token (stands in for a token pasted from the Kore.ai app
 *    page) or an HS256 JWT signed with the app's client secret whose `appId` claim is the client id
 *    and which has not expired (`exp` is honoured when present, against the simulator's clock);
 *  - `iId`: the stream (app) id the token belongs to.
 *
 * Outcomes (the vendor docs do not say which status each case gets; these are our choice):
 *  - `auth` missing, unknown, badly signed, expired or for another app → 401;
 *  - `iId` missing → 400 (a malformed request, like a missing body field);
 *  - `iId` present but not this account's stream → 401 (the token is not valid for that stream).
 * `auth` is checked first, so a request with neither header gets 401.
 * Messages never contain the token, nor what was wrong inside it beyond "expired" or "invalid".
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors as joseErrors, jwtVerify } from 'jose';

/** Kore-like error body: `{"errors":[{"msg":"...","code":401}]}`, one entry per problem. */
export interface KoreErrorBody {
  errors: Array<{ msg: string; code: number }>;
}

export function koreErrorBody(messages: string | readonly string[], code: number): KoreErrorBody {
  const list = typeof messages === 'string' ? [messages] : messages;
  return { errors: list.map((msg) => ({ msg, code })) };
}

export interface KoreAuthOptions {
  /** The only `iId` this account accepts. */
  iId: string;
  /** `appId` a JWT must carry. JWTs are refused when clientId or clientSecret is not configured. */
  clientId?: string;
  clientSecret?: string;
  /** A token accepted as is. */
  staticToken?: string;
  now: () => number;
}

export type AuthOutcome = { ok: true; via: 'static-token' | 'jwt' } | { ok: false; status: 400 | 401; message: string };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/** Compares without leaking, through timing, how much of the token was right. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export async function authenticate(headers: IncomingHttpHeaders, options: KoreAuthOptions): Promise<AuthOutcome> {
  const token = header(headers, 'auth');
  if (!token) return { ok: false, status: 401, message: 'auth header is required' };
  let via: 'static-token' | 'jwt' | undefined;
  if (options.staticToken && sameSecret(token, options.staticToken)) {
    via = 'static-token';
  } else if (JWT_SHAPE.test(token) && options.clientId && options.clientSecret) {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(options.clientSecret), {
        algorithms: ['HS256'],
        currentDate: new Date(options.now()),
      });
      if (payload.appId !== options.clientId) return { ok: false, status: 401, message: 'token is not issued for this app (appId)' };
      via = 'jwt';
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, status: 401, message: 'token expired' };
      return { ok: false, status: 401, message: 'invalid token' };
    }
  }
  if (!via) return { ok: false, status: 401, message: 'invalid token' };

  const iId = header(headers, 'iid');
  if (!iId) return { ok: false, status: 400, message: 'iId header is required' };
  if (iId !== options.iId) return { ok: false, status: 401, message: 'iId does not match the app this account is configured with' };
  return { ok: true, via };
}
