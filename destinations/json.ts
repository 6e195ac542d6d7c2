/** Canonical JSON, shared by the row comparison (shared.ts) and JSON columns (columns.ts). */
/**
 * JSON with object keys sorted at every depth, so two equal records serialize identically whatever
 * order the vendor sent their fields in (SQLite compares the text; PostgreSQL's jsonb does this itself).
 *
 * Every record of every page goes through this, so it is written out by hand rather than as
 * `JSON.stringify` with a sorting replacer (`canonicalJsonByReplacer`, kept as the definition): the
 * replacer built a sorted copy of every object and was called back for every value, which was a
 * fifth of the SQLite write path's CPU time (bench/typed-write.ts); this writes a Kore.ai call
 * volume record in about a third of the time. The output is the same text,
 * byte for byte (test/unit/canonical-json.test.ts): stored records are compared as text, and a
 * different spelling would count every re-read record as changed.
 */
export function canonicalJson(value: unknown): string {
  return valueJson(value) ?? 'null';
}

/** What `JSON.stringify` writes for a value, with sorted keys; undefined where it would leave the value out. */
function valueJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return arrayJson(value);
      // Records are parsed JSON: plain objects. Anything else (a Date, a boxed value, an object
      // with its own toJSON) takes the reference path, which honours all of JSON.stringify's rules.
      if (!isPlainObject(value)) return byReplacer(value);
      return objectJson(value);
    default:
      // undefined, functions and symbols are left out of objects (null in arrays); bigint throws.
      if (typeof value === 'bigint') return JSON.stringify(value);
      return undefined;
  }
}

function arrayJson(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    out += valueJson(items[i]) ?? 'null';
  }
  return out + ']';
}

function objectJson(object: Record<string, unknown>): string {
  const shape = shapeOf(Object.keys(object));
  let out = '{';
  for (let i = 0; i < shape.sorted.length; i++) {
    const json = valueJson(object[shape.sorted[i]!]);
    if (json === undefined) continue;
    if (out.length > 1) out += ',';
    out += shape.names[i]! + json;
  }
  return out + '}';
}

/**
 * An object's keys in their canonical order, with each key already written as `"key":`. Records of
 * a stream share their keys, in the same order, so the order is worked out once per shape, not per
 * record. The last shape is checked first (a page is one shape, mostly); others are remembered,
 * up to a bound.
 */
interface Shape {
  own: readonly string[];
  sorted: readonly string[];
  names: readonly string[];
}
const SHAPES_MAX = 512;
const shapes = new Map<string, Shape>();
let lastShape: Shape | undefined;

function shapeOf(own: string[]): Shape {
  const last = lastShape;
  if (last !== undefined && sameKeys(last.own, own)) return last;
  // JSON of the key list: unambiguous (no separator a key could contain; [] is not [""]).
  const signature = JSON.stringify(own);
  let shape = shapes.get(signature);
  if (shape === undefined) {
    const sorted = canonicalOrder(own);
    shape = { own, sorted, names: sorted.map((k) => JSON.stringify(k) + ':') };
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    shapes.set(signature, shape);
  }
  return (lastShape = shape);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The keys as the definition enumerates them: sorted, then copied into an object, which lists
 * integer-like keys ("0", "10") first in numeric order whatever the sort said.
 */
function canonicalOrder(own: readonly string[]): string[] {
  const sorted = [...own].sort();
  if (!sorted.some(isIndexKey)) return sorted;
  const copy: Record<string, true> = {};
  for (const k of sorted) copy[k] = true;
  return Object.keys(copy);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** An array index as an object key: JavaScript orders these numerically before every other key. */
function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === key;
}

/** The definition: `JSON.stringify` with every object's keys sorted on the way. */
export function canonicalJsonByReplacer(value: unknown): string {
  // JSON.stringify(undefined) is undefined; store JSON null rather than an SQL NULL record.
  return byReplacer(value) ?? 'null';
}

function byReplacer(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
