/**
 * Kore.ai authenticates every call with an `auth: <JWT>` header (plus `iId`, and `accountId` on
 * the v2 endpoints). The JWT is HS256-signed with the app's client secret, with the client id in
 * its `appId` claim. We mint it ourselves and cache it per connection, so a sync never depends
 * on someone pasting a fresh token.
 */
import { SignJWT } from 'jose';
import type { KoreCredentials } from './connection';

const TOKEN_LIFETIME_S = 60 * 60;
/** Mint a new token when less than this much lifetime is left. */
const REFRESH_MARGIN_S = 5 * 60;

const cache = new Map<string, { token: string; expiresAt: number }>();

export async function mintKoreJwt(clientId: string, clientSecret: string, nowMs = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ appId: clientId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + TOKEN_LIFETIME_S)
    .sign(new TextEncoder().encode(clientSecret));
}

/** The value of the `auth` header for a connection. */
export async function koreAuthToken(connection: string, credentials: KoreCredentials, nowMs = Date.now()): Promise<string> {
  if (credentials.token) return credentials.token;
  const key = `${connection}\u0000${credentials.clientId}`;
  const cached = cache.get(key);
  if (cached && cached.expiresAt - REFRESH_MARGIN_S * 1000 > nowMs) return cached.token;
  const token = await mintKoreJwt(credentials.clientId!, credentials.clientSecret!, nowMs);
  cache.set(key, { token, expiresAt: nowMs + TOKEN_LIFETIME_S * 1000 });
  return token;
}
