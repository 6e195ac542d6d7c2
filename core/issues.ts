/**
 * Turns zod issues into plain sentences that name each bad field, the way a person typing into
 * the Web UI's input box needs them: `from: must be an ISO-8601 date-time such as
 * 2026-10-01T00:00:00Z (got "yesterday")`.
 */
import type { z } from 'zod';

type ZodIssue = z.core.$ZodIssue;

export function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(the input itself)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  // JSON.stringify gives undefined (for a defined value) for a function or a symbol.
  if (json === undefined) return typeof value === 'function' || typeof value === 'symbol' ? value.toString() : 'nothing';
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Reads the value at `path` in `input`, for "(got ...)" hints. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export function describeIssue(issue: ZodIssue, input: unknown): string {
  const where = describePath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${where}: ` : '';
    return `${prefix}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const got = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && got === undefined) return `${where}: is required`;
  const kind = got === null ? 'null' : Array.isArray(got) ? 'a list' : typeof got === 'object' ? 'an object' : typeof got;
  const hint = issue.code === 'invalid_type' ? ` (got ${kind}${typeof got === 'object' ? '' : ` ${shown(got)}`})` : ` (got ${shown(got)})`;
  return `${where}: ${issue.message}${hint}`;
}

export function describeIssues(issues: readonly ZodIssue[], input: unknown): string[] {
  return issues.map((i) => describeIssue(i, input));
}
