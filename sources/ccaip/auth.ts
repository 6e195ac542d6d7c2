/**
 * CCAI Platform's Manager API takes HTTP Basic authentication (RFC 7617): the subdomain as the
 * user and an API token as the password, or, on older tenants, the company key and secret.
 */
import type { CcaipCredentials } from './connection';

/** The `Authorization` header value for a connection's credentials. */
export function basicAuthorization(credentials: CcaipCredentials): string {
  const user = credentials.username ?? credentials.companyKey ?? '';
  const pass = credentials.password ?? credentials.companySecret ?? '';
  // RFC 7617: user-id and password joined by a colon, UTF-8, base64. A user id may not contain ':'.
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}
