/**
 * The Manager API's list endpoints, as the simulator answers them: `GET {base}/calls`, `/chats`,
 * `/agent_activity_logs`, `/agents`, `/team` (or `/teams`), `/team/tree` and `/user_statuses`.
 *
 * Query parameters (unknown ones are ignored, as Rails does):
 *  - `page` (from 1, default 1) and `per` (1..100, default 100; above 100 is a 400);
 *  - time filters `{field}[from]` / `{field}[to]`, inclusive at both ends, ISO-8601 with a zone:
 *    calls and chats by `updated_at` or `created_at`, agent activity logs by `started_at`, agents by
 *    `status_updated_at`;
 *  - `sort_column` (per endpoint, default `id`) and `sort_direction` (`ASC`, default, or `DESC`);
 *    ties are broken by id in the same direction. Without `sort_column` the order is the database's
 *    (unspecified); option `unsortedOrder: 'unstable'` makes it differ from one request to the next
 *    (as a table being written to may), so a client that pages an unsorted list misses records.
 * Answers: a bare JSON array, with `Total`, `Per-Page` and (like Rails' api-pagination) a `Link`
 * header with `first`/`prev` after page 1 and `next`/`last` before the last page — or, per tenant
 * mode, without `next` (`no-next`) or without any Link (`none`), and with or without `Total`.
 * The team tree is not paged: one answer, the whole tree.
 * Errors: `{"error": "Bad Request", "message": "per must be between 1 and 100", "status": 400}`.
 */
import { STATUS_CODES } from 'node:http';
import { parseStrictInstant } from '../kit/instants';
import type { CcaipDataset } from './data';
import type { CcaipEndpointName } from './faults';

export const DEFAULT_PER = 100;
export const MAX_PER = 100;

export type LinkMode = 'full' | 'no-next' | 'none';

export interface CcaipErrorBody {
  error: string;
  message: string;
  status: number;
}

export const ccaipError = (status: number, message: string): CcaipErrorBody => ({ error: STATUS_CODES[status] ?? 'Error', message, status });

export interface EndpointAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Records in a 200 answer. */
  count?: number;
  page?: number;
  per?: number;
}

export interface ListParams {
  page: number;
  per: number;
  filters: { field: string; from?: number; to?: number }[];
  sortColumn: string;
  sortDirection: 'ASC' | 'DESC';
}

interface EndpointSpec {
  name: CcaipEndpointName;
  paged: boolean;
  /** Time fields accepting `[from]`/`[to]`. */
  filters: readonly string[];
  sorts: readonly string[];
  list(data: CcaipDataset, p: ListParams): Record<string, unknown>[];
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Epoch ms of a strict ISO-8601 date-time with a zone; undefined otherwise (2026-02-30 included). */
export function parseIsoInstant(text: string): number | undefined {
  return parseStrictInstant(text, ISO);
}

class BadRequest extends Error {}

function applyExtraFilters(records: Record<string, unknown>[], filters: ListParams['filters'], skip: string): Record<string, unknown>[] {
  const rest = filters.filter((f) => f.field !== skip);
  if (!rest.length) return records;
  return records.filter((r) =>
    rest.every((f) => {
      const t = typeof r[f.field] === 'string' ? Date.parse(r[f.field] as string) : NaN;
      return Number.isFinite(t) && (f.from === undefined || t >= f.from) && (f.to === undefined || t <= f.to);
    }),
  );
}

function conversations(kind: 'calls' | 'chats'): EndpointSpec {
  return {
    name: kind,
    paged: true,
    filters: ['updated_at', 'created_at'],
    sorts: ['id', 'created_at', 'updated_at'],
    list(data, p) {
      const primary = p.filters[0];
      const q = { field: primary?.field ?? 'updated_at', from: primary?.from, to: primary?.to, sortColumn: p.sortColumn, sortDirection: p.sortDirection };
      const records = kind === 'calls' ? data.calls(q) : data.chats(q);
      return applyExtraFilters(records, p.filters, q.field);
    },
  };
}

function timeFiltered(records: Record<string, unknown>[], p: ListParams): Record<string, unknown>[] {
  return applyExtraFilters(records, p.filters, '');
}

export function endpointSpecs(teamPaths: 'team' | 'teams'): Record<string, EndpointSpec> {
  const snapshotSort = (field: string, direction: 'ASC' | 'DESC') => (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const va = a[field] as string | number;
    const vb = b[field] as string | number;
    const c = va < vb ? -1 : va > vb ? 1 : 0;
    return (direction === 'DESC' ? -1 : 1) * (c || Number(a.id) - Number(b.id));
  };
  return {
    '/calls': conversations('calls'),
    '/chats': conversations('chats'),
    '/agent_activity_logs': {
      name: 'agent_activity_logs',
      paged: true,
      filters: ['started_at'],
      sorts: ['id', 'started_at'],
      list: (data, p) => {
        const f = p.filters[0];
        return data.activityLogs({ from: f?.from, to: f?.to, sortColumn: p.sortColumn, sortDirection: p.sortDirection });
      },
    },
    '/agents': {
      name: 'agents',
      paged: true,
      filters: ['status_updated_at'],
      sorts: ['id', 'status_updated_at'],
      list: (data, p) => timeFiltered(data.agents(), p).sort(snapshotSort(p.sortColumn, p.sortDirection)),
    },
    [`/${teamPaths}`]: {
      name: 'teams',
      paged: true,
      filters: [],
      sorts: ['id'],
      list: (data, p) => data.teams().sort(snapshotSort(p.sortColumn, p.sortDirection)),
    },
    [`/${teamPaths}/tree`]: { name: 'team_tree', paged: false, filters: [], sorts: ['id'], list: (data) => data.teamTree() },
    '/user_statuses': {
      name: 'user_statuses',
      paged: true,
      filters: [],
      sorts: ['id'],
      list: (data, p) => data.userStatuses().sort(snapshotSort(p.sortColumn, p.sortDirection)),
    },
  };
}

function wholeNumber(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new BadRequest(`${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new BadRequest(max === Number.MAX_SAFE_INTEGER ? `${name} must be at least ${min}` : `${name} must be between ${min} and ${max}`);
  return n;
}

export function parseListParams(spec: Pick<EndpointSpec, 'filters' | 'sorts'>, params: URLSearchParams): ListParams {
  const page = wholeNumber(params, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
  const per = wholeNumber(params, 'per', DEFAULT_PER, 1, MAX_PER);
  const filters: ListParams['filters'] = [];
  for (const field of spec.filters) {
    const bound = (which: 'from' | 'to') => {
      const raw = params.get(`${field}[${which}]`);
      if (raw === null || raw === '') return undefined;
      const t = parseIsoInstant(raw);
      if (t === undefined)
        throw new BadRequest(
          `${field}[${which}] must be an ISO-8601 date-time with a zone, e.g. 2026-11-20T10:00:00.000Z (got ${JSON.stringify(raw.slice(0, 40))})`,
        );
      return t;
    };
    const from = bound('from');
    const to = bound('to');
    if (from !== undefined && to !== undefined && from > to) throw new BadRequest(`${field}[from] must not be after ${field}[to]`);
    if (from !== undefined || to !== undefined) filters.push({ field, from, to });
  }
  const sortColumn = params.get('sort_column') || 'id';
  if (!spec.sorts.includes(sortColumn)) throw new BadRequest(`sort_column must be one of ${spec.sorts.join(', ')}`);
  const direction = (params.get('sort_direction') || 'ASC').toUpperCase();
  if (direction !== 'ASC' && direction !== 'DESC') throw new BadRequest('sort_direction must be ASC or DESC');
  return { page, per, filters, sortColumn, sortDirection: direction };
}

/** The Link header of a page, like Rails' api-pagination: first/prev after page 1, next/last before the last. */
export function linkHeader(url: URL, page: number, totalPages: number, mode: LinkMode): string | undefined {
  if (mode === 'none') return undefined;
  const at = (n: number) => {
    const u = new URL(url);
    u.searchParams.set('page', String(n));
    return `<${u.href}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${at(1)}; rel="first"`, `${at(Math.min(page - 1, totalPages))}; rel="prev"`);
  if (page < totalPages) {
    if (mode === 'full') parts.push(`${at(page + 1)}; rel="next"`);
    parts.push(`${at(totalPages)}; rel="last"`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

export interface AnswerOptions {
  linkMode: LinkMode;
  totalHeader: boolean;
  /** Without `sort_column`: records in an order of their own for this request (its number). */
  unstableOrder?: number;
}

/** A per-request order (a hash of the id and the request's number): stable within one answer only. */
function shuffled(records: Record<string, unknown>[], request: number): Record<string, unknown>[] {
  const rank = (r: Record<string, unknown>) => {
    let h = 2166136261 ^ request;
    for (const c of `${String(r.id)}#${request}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return h >>> 0;
  };
  return [...records].sort((a, b) => rank(a) - rank(b));
}

/** Answers one request to a known endpoint. `url` is the URL as the client addressed it (for Link). */
export function answer(spec: EndpointSpec, data: CcaipDataset, url: URL, opts: AnswerOptions): EndpointAnswer {
  let params: ListParams;
  try {
    params = parseListParams(spec, url.searchParams);
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: ccaipError(400, err.message), headers: {} };
    throw err;
  }
  const listed = spec.list(data, params);
  const unsorted = url.searchParams.get('sort_column') === null;
  const all = unsorted && opts.unstableOrder !== undefined ? shuffled(listed, opts.unstableOrder) : listed;
  if (!spec.paged) return { status: 200, body: all, headers: {}, count: all.length };
  const total = all.length;
  const totalPages = Math.max(1, Math.ceil(total / params.per));
  const records = all.slice((params.page - 1) * params.per, params.page * params.per);
  const headers: Record<string, string> = { 'per-page': String(params.per) };
  if (opts.totalHeader) headers.total = String(total);
  const link = linkHeader(url, params.page, totalPages, opts.linkMode);
  if (link) headers.link = link;
  return { status: 200, body: records, headers, count: records.length, page: params.page, per: params.per };
}

export type { EndpointSpec };
