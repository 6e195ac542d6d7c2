/** Canonical JSON, shared by the row comparison (shared.ts) and JSON columns (columns.ts). */
/**
 * JSON with object keys sorted at every depth, so two equal records serialize identically whatever
 * order the vendor sent their fields in (SQLite compares the text; PostgreSQL's jsonb does this itself).
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
  // JSON.stringify(undefined) is undefined; store JSON null rather than an SQL NULL record.
  return text ?? 'null';
}
