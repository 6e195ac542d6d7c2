/**
 * A table's columns as they are and as they should be: what the catalog holds, read back into
 * typed columns, and the DDL that brings a table up to its spec (migration of tables written by
 * versions before typed columns, and new fields the vendor starts sending). We only ever add
 * columns or rename key columns to their snake_case names: nothing is dropped or retyped.
 */
import { indexColumns, isReservedColumn, snakeCase, withCompanions, type ColumnIndex, type ColumnSpec, type ColumnType } from './columns';
import { quoteIdent, RESERVED_COLUMNS, type ColumnTypes, type StoredSpec } from './shared';

/** One column of the catalog: its name and its declared type, lower-cased. */
export interface CatalogColumn {
  name: string;
  type: string;
}

/** The typed-column type of a catalog type; anything unexpected (a DBA's own choice) is read as text. */
export function typeFromCatalog(catalogType: string, types: ColumnTypes): ColumnType {
  const t = catalogType.toLowerCase();
  for (const [type, sql] of Object.entries(types.typed) as [ColumnType, string][]) {
    if (type !== 'duration' && t === sql.toLowerCase()) return type;
  }
  if (/timestamp/.test(t)) return 'timestamp';
  if (/int/.test(t)) return 'integer';
  if (/numeric|decimal|real|double|float/.test(t)) return 'numeric';
  if (/bool/.test(t)) return 'boolean';
  if (/json/.test(t)) return 'json';
  return 'text';
}

/**
 * The typed columns of a table as it stands: the declared ones it has (typed as the catalog says:
 * a column is never retyped) and the ones added earlier for fields the vendor sent, recognised by
 * name (a text column with an integer `<name>_seconds` beside it is a duration).
 */
export function resolveColumns(spec: StoredSpec, catalog: readonly CatalogColumn[], types: ColumnTypes): ColumnIndex {
  // Raw layout (no declared columns): nothing typed is written, whatever the table holds.
  if (spec.columns === undefined) return indexColumns([]);
  const declared = new Map((spec.columns ?? []).map((c) => [c.name, c]));
  const keys = new Set(spec.keyColumns);
  const present = new Map(catalog.map((c) => [c.name, typeFromCatalog(c.type, types)]));
  const columns: ColumnSpec[] = [];
  for (const column of catalog) {
    if (keys.has(column.name) || isReservedColumn(column.name) || (RESERVED_COLUMNS as readonly string[]).includes(column.name)) continue;
    const type = present.get(column.name)!;
    const own = declared.get(column.name);
    if (own) {
      // Declared duration columns are text in the catalog: keep the declaration's meaning.
      columns.push(own.type === 'duration' && type === 'text' ? own : own.derive ? own : { ...own, type });
      continue;
    }
    const base = column.name.endsWith('_seconds') ? column.name.slice(0, -'_seconds'.length) : undefined;
    if (base && type === 'integer' && present.get(base) === 'text') {
      columns.push({ name: column.name, type: 'integer', fields: [], derive: 'seconds' });
      continue;
    }
    const isDuration = type === 'text' && present.get(`${column.name}_seconds`) === 'integer';
    columns.push({ name: column.name, type: isDuration ? 'duration' : type, fields: [] });
  }
  // A declared duration column's companion is matched by its field; an evolved one by name (rowValues).
  return indexColumns(columns.map((c) => (c.derive === 'seconds' && c.fields.length === 0 ? { ...c, fields: fieldsOf(c, columns) } : c)));
}

/** An evolved `<name>_seconds` column takes whatever field feeds `<name>`. */
function fieldsOf(seconds: ColumnSpec, columns: readonly ColumnSpec[]): readonly string[] {
  const base = columns.find((c) => `${c.name}_seconds` === seconds.name);
  return base?.fields ?? [];
}

export interface MigrationPlan {
  /** `ALTER TABLE ... RENAME COLUMN` for key columns still under their vendor names. */
  renames: string[];
  /** `ALTER TABLE ... ADD COLUMN` for declared columns the table lacks. */
  adds: string[];
  /** Declared columns the table lacks (filled from `record` once added). */
  missing: ColumnSpec[];
}

/**
 * What a table written by an older version needs: its key columns renamed to snake_case (only when
 * the old name is there and the new one is not) and the declared columns it lacks.
 * `table` is quoted (and qualified). `caseSensitive`: PostgreSQL; SQLite folds case.
 */
export function migrationPlan(table: string, spec: StoredSpec, catalog: readonly CatalogColumn[], types: ColumnTypes, caseSensitive: boolean): MigrationPlan {
  const fold = (n: string) => (caseSensitive ? n : n.toLowerCase());
  const names = new Set(catalog.map((c) => fold(c.name)));
  const renames: string[] = [];
  spec.keyColumns.forEach((column, i) => {
    const field = spec.keyFields[i]!;
    if (field !== column && names.has(fold(field)) && !names.has(fold(column))) {
      renames.push(`ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(field)} TO ${quoteIdent(column)}`);
    }
  });
  const missing = (spec.columns ?? []).filter((c) => !names.has(fold(c.name)));
  return { renames, adds: missing.map((c) => addColumnSql(table, c, types)), missing };
}

export function addColumnSql(table: string, column: ColumnSpec, types: ColumnTypes, ifNotExists = false): string {
  return `ALTER TABLE ${table} ADD COLUMN ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(column.name)} ${types.typed[column.type]}`;
}

/** `queue_id text` for logs and progress. */
export function describeColumn(column: ColumnSpec): string {
  return `${column.name} ${column.type}`;
}

/** Column names of `spec`'s key fields, for callers that build SQL from vendor field names. */
export function keyColumnNames(fields: readonly string[]): string[] {
  return fields.map(snakeCase);
}

export { withCompanions };
