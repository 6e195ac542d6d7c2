/**
 * What a Kore.ai simulator endpoint is: the contract between server.ts and the endpoint modules
 * (callvolume.ts, calldetails.ts, agentstatus.ts). It lives apart from the server so the endpoints
 * import only this, and the server imports the endpoints: no cycle.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KoreDataset } from './data';

export interface KoreEndpointRequest {
  accountId: string;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  data: KoreDataset;
}

export interface KoreEndpointResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One vendor endpoint. Auth, rate limiting, faults and logging are the server's, not the endpoint's. */
export interface KoreEndpoint {
  /** Short name used by the request log and by `failNext({ endpoint })`, e.g. `callvolume`. */
  name: string;
  method: 'GET' | 'POST';
  /** Path after `/account/{accountId}/`, e.g. `callvolume` or `v2/calldetails`. */
  path: string;
  handle(request: KoreEndpointRequest): KoreEndpointResponse;
  /** The records array of a successful response body (the target of schema-drift faults). */
  records(body: unknown): Record<string, unknown>[] | undefined;
}
