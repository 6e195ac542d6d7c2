/**
 * Outbound HTTP for every source, through undici: one keep-alive Agent per connection (pooled per
 * origin), connect/header/body timeouts, and network failures turned into `VendorUnavailable`
 * with the stable undici code in the message. Never logs or returns request headers (secrets).
 */
import { Agent, errors as undiciErrors, request } from 'undici';
import { CcsyncError } from '../../core/errors';
import type { HttpRequestSpec } from '../../core/source';
import type { CcsyncMetrics } from '../metrics';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  /** Time from sending the request to the end of the body. */
  ms: number;
}

export interface HttpOptions {
  timeoutMs: number;
  /** Called once the status line and headers arrived (before the body is read): the budget's slot settles then. */
  onAnswer?: () => void;
}

const BODY_LIMIT = 64 * 1024 * 1024;

export class VendorHttp {
  private readonly agents = new Map<string, Agent>();

  /** `metrics` counts every answer by connection and status, with its latency. */
  constructor(private readonly metrics?: CcsyncMetrics) {}

  private agentFor(connection: string, timeoutMs: number): Agent {
    const key = `${connection}\u0000${timeoutMs}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        keepAliveTimeout: 30_000,
        connections: 16,
        connect: { timeout: Math.min(timeoutMs, 15_000) },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Builds the full URL: relative paths under `baseUrl`, absolute next-links as given. */
  static url(baseUrl: string, spec: HttpRequestSpec): URL {
    const url = /^https?:\/\//i.test(spec.path) ? new URL(spec.path) : new URL(baseUrl.replace(/\/+$/, '') + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async send(connection: string, url: URL, spec: HttpRequestSpec, headers: Record<string, string>, opts: HttpOptions): Promise<HttpAnswer> {
    const started = performance.now();
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    try {
      const res = await request(url, {
        method: spec.method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...spec.headers,
          ...headers,
        },
        body,
        dispatcher: this.agentFor(connection, opts.timeoutMs),
        // Guard against a response that never ends: the whole exchange gets twice the timeout.
        signal: AbortSignal.timeout(opts.timeoutMs * 2),
      });
      opts.onAnswer?.();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > BODY_LIMIT) {
          res.body.destroy();
          throw new CcsyncError('MalformedResponse', `${url.host} sent a response larger than ${BODY_LIMIT / 1024 / 1024} MiB`);
        }
        chunks.push(chunk as Buffer);
      }
      const flat: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const ms = performance.now() - started;
      this.metrics?.vendorResponse(connection, res.statusCode, ms / 1000);
      return { status: res.statusCode, headers: flat, text: Buffer.concat(chunks).toString('utf8'), ms };
    } catch (err) {
      if (err instanceof CcsyncError) throw err;
      this.metrics?.vendorResponse(connection, undefined, (performance.now() - started) / 1000);
      throw networkError(url, err, opts.timeoutMs);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}

function networkError(url: URL, err: unknown, timeoutMs: number): CcsyncError {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'UNKNOWN';
  const timedOut =
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    e.name === 'TimeoutError';
  const what = timedOut ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : `could not be reached`;
  // Only the host: paths and query strings may carry tokens on some vendors.
  return new CcsyncError('VendorUnavailable', `${url.host} ${what} (${code})`, { details: { host: url.host, code } });
}
