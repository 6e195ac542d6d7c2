/** One HTTP request to a vendor, as a stream describes it and a pagination style completes it. */
export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  /** Path relative to the connection's `baseUrl`, or an absolute URL the vendor handed us (next links). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Where a pagination style puts its parameters: the query string or the JSON body. */
export type ParameterPlace = 'query' | 'body';

/** The request with `params` added to its query string or to its JSON body (after the vendor's own fields). */
export function withParameters(request: HttpRequestSpec, place: ParameterPlace, params: Record<string, string | number | undefined>): HttpRequestSpec {
  if (place === 'query') return { ...request, query: { ...request.query, ...params } };
  const body = request.body === undefined ? {} : request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('paging parameters can only be added to a JSON object body');
  return { ...request, body: { ...body, ...params } };
}
