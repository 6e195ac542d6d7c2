/**
 * Decoding one answer into rows, without I/O: the status (one mapping for every call), the JSON,
 * the documented envelope, each record against the stream's schema, the child streams nested in
 * the records, the earliest still-open record, and the next cursor. Any failure means nothing of
 * the page is written.
 *
 * A record whose optional declared field has a wrong-typed value (text where the schema says
 * number) is not a failure: the record is kept whole (the value as sent in `record`), the field is
 * marked a misfit on its row (`Row.misfits`: its column is NULL for that row, and the write counts
 * it, as for a value that does not fit an evolved column). Only where the record could not be
 * stored safely does the page fail: a key field, a field the sync reads (`syncFields`: the
 * version, the time a tail pages by), a required field, or a body that is not the documented shape.
 */
import { CcsyncError } from '../../core/errors';
import { describeIssue } from '../../core/issues';
import type { Cursor, StatedTotal } from '../../core/pagination';
import type { ChildStreamDeclaration, SourceDeclaration, StreamDeclaration } from '../../core/source';
import type { z } from 'zod';
import { objectShape } from '../../destinations/columns';
import type { Row, TableWrite } from '../../destinations/destination';
import type { HttpAnswer } from '../http/client';
import { parseJson } from '../http/json';
import { errorForStatus } from '../http/status';
import { tableSpecOf } from '../streams';

export interface DecodedPage {
  rows: Row[];
  /** The page's rows for each child stream, ready for `writePage`. */
  children: TableWrite[];
  /** Earliest instant from which a record of this page may still change, if any is open. */
  openFrom?: number;
  next: Cursor | null;
  /** Records the vendor sent (before validation). */
  received: number;
  /** The total the vendor states for this page's query, if it states one. */
  statedTotal?: StatedTotal;
}

export function decodePage(
  source: SourceDeclaration,
  stream: StreamDeclaration,
  answer: HttpAnswer,
  cursor: Cursor,
  host: string,
  attempt: number,
  /** Which open records hold the window: those opened in `[from, ...)`, no earlier than `notBefore` (the stream's `openHold` ago). */
  holds: { from: number; notBefore?: number } = { from: -Infinity },
): DecodedPage {
  const failure = errorForStatus(source, answer, host, attempt);
  if (failure) throw failure;
  const what = `${source.title} ${stream.name}`;
  const body = parseJson(answer.text, what);
  const envelope = checkEnvelope(what, stream, body);
  const raw = stream.records(envelope);
  const rows = validRecords(what, stream, raw);
  const seen = { body: envelope, headers: answer.headers, recordCount: raw.length };
  return {
    rows,
    children: (stream.children ?? []).map((child) => childWrite(what, stream.recordsPath, child, rows)),
    openFrom: earliestOpen(stream, rows, holds),
    next: stream.pagination.next(cursor, seen),
    received: raw.length,
    statedTotal: stream.pagination.statedTotal?.(cursor, seen),
  };
}

function checkEnvelope(what: string, stream: StreamDeclaration, body: unknown): unknown {
  const envelope = stream.responseSchema.safeParse(body);
  if (!envelope.success) {
    throw new CcsyncError(
      'SchemaMismatch',
      `${what}: the response does not have the documented shape: ${envelope.error.issues.map((i) => describeIssue(i, body)).join('; ')}`,
    );
  }
  return envelope.data;
}

function validRecords(what: string, stream: StreamDeclaration, raw: unknown[]): Row[] {
  const rules = { strict: new Set([...stream.primaryKey, ...(stream.syncFields ?? [])]), lists: new Set((stream.children ?? []).map((c) => c.parentField)) };
  return raw.map((r, i) => {
    const judged = judgeRecord(stream.recordSchema, r, rules);
    if ('issue' in judged) {
      const first = judged.issue;
      const detail = describeIssue({ ...first, path: [stream.recordsPath, i, ...first.path] }, { [stream.recordsPath]: raw });
      throw new CcsyncError('SchemaMismatch', `${what}: a record does not match the stream's schema: ${detail}. Nothing from this page was written.`, {
        details: { path: [stream.recordsPath, i, ...first.path].join('.') },
      });
    }
    const { record, misfits } = judged;
    return { key: stream.key(record), record, version: stream.version?.(record), ...(misfits.length ? { misfits } : {}) };
  });
}

type Judged = { record: Record<string, unknown>; misfits: string[] } | { issue: z.core.$ZodIssue };

/**
 * One record against its schema. Valid: the parsed record. Otherwise, when every issue is in an
 * optional declared field that is neither `strict` (keys, sync fields) nor a child list that is no
 * list at all: the record parsed without those fields, with their values put back as sent, and
 * those fields as misfits. A child list (`lists`) with a bad item keeps the list as sent without
 * being a misfit of the parent: the child table judges the item. Else the first issue that stops it.
 */
function judgeRecord(schema: z.ZodTypeAny, raw: unknown, rules: { strict: ReadonlySet<string>; lists: ReadonlySet<string> }): Judged {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { record: parsed.data as Record<string, unknown>, misfits: [] };
  const issues = parsed.error.issues;
  const shape = objectShape(schema);
  if (!shape || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { issue: issues[0]! };
  const given = raw as Record<string, unknown>;
  const bad = new Set<string>();
  for (const issue of issues) {
    const field = issue.path[0];
    const tolerable =
      typeof field === 'string' &&
      Object.prototype.hasOwnProperty.call(shape, field) &&
      !rules.strict.has(field) &&
      !(rules.lists.has(field) && issue.path.length === 1) &&
      // Optional: the stream's own code (key, version, children) already copes with the field absent.
      shape[field]!.safeParse(undefined).success;
    if (!tolerable) return { issue };
    bad.add(field);
  }
  const rest = { ...given };
  for (const field of bad) delete rest[field];
  // Without them the record must pass: a rule across fields (a refine) may still refuse it.
  const again = schema.safeParse(rest);
  if (!again.success) return { issue: issues[0]! };
  const record = { ...(again.data as Record<string, unknown>) };
  for (const field of bad) record[field] = given[field];
  return { record, misfits: [...bad].filter((f) => !rules.lists.has(f)) };
}

/**
 * The earliest instant from which a record that holds the window may still change. A record opened
 * before the window (carried over: the API lists a status on every day it overlaps) is held by the
 * window it opened in; one open for longer than the stream's `openHold` holds none.
 */
function earliestOpen(stream: StreamDeclaration, rows: Row[], holds: { from: number; notBefore?: number }): number | undefined {
  let openFrom: number | undefined;
  if (stream.openSince) {
    for (const r of rows) {
      const since = stream.openSince(r.record as Record<string, unknown>);
      if (since === undefined || !(since >= holds.from) || (holds.notBefore !== undefined && since < holds.notBefore)) continue;
      if (openFrom === undefined || since < openFrom) openFrom = since;
    }
  }
  return openFrom;
}

/** Validates one child stream's records out of a page's parents, as a write that replaces each parent's children. */
function childWrite(what: string, recordsPath: string, child: ChildStreamDeclaration, parents: Row[]): TableWrite {
  const rows: Row[] = [];
  const parentIds: string[] = [];
  const versions: (number | undefined)[] = [];
  // The child's key (with the parent's) and what its key reads must be right; nothing nests under a child.
  const rules = { strict: new Set([...child.primaryKey, child.parentKey, ...(child.syncFields ?? [])]), lists: new Set<string>() };
  parents.forEach((parentRow, i) => {
    const parent = parentRow.record as Record<string, unknown>;
    parentIds.push(child.parentId(parent));
    versions.push(parentRow.version);
    child.extract(parent).forEach((raw, j) => {
      const judged = judgeRecord(child.recordSchema, raw, rules);
      if ('issue' in judged) {
        const first = judged.issue;
        const path = [recordsPath, i, child.parentField, j, ...first.path];
        const detail = describeIssue({ ...first, path }, { [recordsPath]: parents.map((p) => p.record) });
        throw new CcsyncError('SchemaMismatch', `${what}: a ${child.name} record does not match its schema: ${detail}. Nothing from this page was written.`, {
          details: { path: path.join('.') },
        });
      }
      const { record, misfits } = judged;
      // Children carry their parent's version: they are replaced with it, never by an older one.
      rows.push({ key: child.key(record), record, version: parentRow.version, ...(misfits.length ? { misfits } : {}) });
    });
  });
  return { spec: tableSpecOf(child), rows, replaceChildrenOf: { column: child.parentKey, parents: parentIds, versions } };
}
