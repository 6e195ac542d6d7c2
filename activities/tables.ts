/**
 * Every table the declarations produce, with its columns, their types in each database and the
 * vendor field each comes from: what `ccsync tables` prints and docs/tables.md holds. Generated
 * from the stream declarations, so it cannot drift from what the worker writes. Columns added
 * later for fields a vendor starts sending are not here (they are in the worker log and the
 * run's progress).
 */
import type { ChildStreamDeclaration, StreamDeclaration } from '../core/source';
import { snakeCase, SQL_TYPES, type ColumnType } from '../destinations/columns';
import { SOURCES } from '../sources';
import { tableSpecOf } from './streams';

export interface ColumnDescription {
  column: string;
  type: ColumnType | 'key' | 'bookkeeping';
  sqlite: string;
  postgres: string;
  /** The vendor field (top-level) it is read from, or what it is for. */
  from: string;
}

export interface TableDescription {
  table: string;
  source: string;
  stream: string;
  /** For child tables: the parent stream's table. */
  parent?: string;
  description: string;
  columns: ColumnDescription[];
}

const BOOKKEEPING: ColumnDescription[] = [
  { column: '_connection', type: 'bookkeeping', sqlite: 'TEXT', postgres: 'TEXT', from: 'the connection (part of the primary key)' },
  { column: '_synced_at', type: 'bookkeeping', sqlite: 'TEXT', postgres: 'TIMESTAMPTZ', from: 'when the row last changed' },
  { column: 'record', type: 'bookkeeping', sqlite: 'TEXT', postgres: 'JSONB', from: 'the whole record as the vendor sent it' },
  { column: '_deleted_at', type: 'bookkeeping', sqlite: 'TEXT', postgres: 'TIMESTAMPTZ', from: 'snapshot streams: when the vendor stopped listing it' },
  { column: '_version', type: 'bookkeeping', sqlite: 'REAL', postgres: 'DOUBLE PRECISION', from: "the record's own version, where the vendor sends one" },
];

function describe(source: string, stream: string, declaration: StreamDeclaration | ChildStreamDeclaration, parent?: string): TableDescription {
  const spec = tableSpecOf(declaration);
  const keys: ColumnDescription[] = spec.keyColumns.map((field) => ({
    column: snakeCase(field),
    type: 'key',
    sqlite: 'TEXT',
    postgres: 'TEXT',
    from: `${field} (key)`,
  }));
  const typed: ColumnDescription[] = (spec.columns ?? []).map((c) => ({
    column: c.name,
    type: c.type,
    sqlite: SQL_TYPES.sqlite[c.type],
    postgres: SQL_TYPES.postgres[c.type],
    from: c.derive === 'seconds' ? `${c.fields.join(' or ')} (in seconds)` : c.fields.join(' or '),
  }));
  return {
    table: spec.name,
    source,
    stream,
    ...(parent ? { parent } : {}),
    description: declaration.description,
    columns: [...keys, ...BOOKKEEPING, ...typed],
  };
}

export function describeTables(): TableDescription[] {
  const out: TableDescription[] = [];
  const seen = new Set<string>();
  for (const [name, source] of Object.entries(SOURCES)) {
    for (const stream of Object.values(source.streams as Record<string, StreamDeclaration>)) {
      out.push(describe(name, stream.name, stream));
      for (const child of stream.children ?? []) {
        // Photos and videos of calls and chats share one table.
        if (seen.has(child.table)) continue;
        seen.add(child.table);
        out.push(describe(name, child.name, child, stream.table));
      }
    }
  }
  return out;
}

/** History mode (destinations/history.ts): the same two objects for any stream that turns it on. */
const HISTORY_MARKDOWN = [
  '## History mode: `<table>_history` and `<table>_changes`',
  '',
  'A stream with `history: true` in the connections file (`streams: [{ name: calls, history: true }]`) also keeps every distinct',
  "version of each record. Parent tables only: a child list (call participants...) is a field of its parent's record, so its",
  'changes show up there. Re-reading the version in force adds nothing.',
  '',
  '| in | column | SQLite | PostgreSQL | what |',
  '|---|---|---|---|---|',
  '| `<table>_history` | the key columns | TEXT | TEXT | as in `<table>`; the primary key is (`_connection`, keys, `_valid_from`) |',
  '| `<table>_history` | `_connection` | TEXT | TEXT | the connection |',
  "| `<table>_history` | `_valid_from` | TEXT | TIMESTAMPTZ | when this version began: the record's own version time (CCAI Platform's `updated_at`), else the sync time |",
  '| `<table>_history` | `_valid_to` | TEXT | TIMESTAMPTZ | when the next version began; NULL for the current version |',
  "| `<table>_history` | `_version` | REAL | DOUBLE PRECISION | the record's own version, where the vendor sends one |",
  '| `<table>_history` | `_synced_at` | TEXT | TIMESTAMPTZ | when this version was written |',
  '| `<table>_history` | `record` | TEXT | JSONB | the whole record of this version |',
  "| `<table>_history` | the typed columns | as in `<table>` | as in `<table>` | this version's values (new vendor fields are added here too) |",
  '| `<table>_changes` (view) | `_connection`, the key columns | TEXT | TEXT | the record |',
  '| `<table>_changes` (view) | `field` | TEXT | TEXT | the top-level vendor field that changed |',
  '| `<table>_changes` (view) | `old_value`, `new_value` | JSON text | JSONB | its value before and after (NULL: absent) |',
  "| `<table>_changes` (view) | `changed_at` | TEXT | TIMESTAMPTZ | the new version's `_valid_from` |",
  '',
];

/** docs/tables.md: one section per table. */
export function tablesMarkdown(tables: readonly TableDescription[] = describeTables()): string {
  const lines = [
    '# Tables',
    '',
    'Generated by `npx ccsync tables --markdown > docs/tables.md` from the stream declarations; a test keeps it current.',
    'Every table also gets a nullable column for each top-level field a vendor starts sending later (typed from its values).',
    '',
    ...HISTORY_MARKDOWN,
  ];
  for (const t of tables) {
    lines.push(`## \`${t.table}\``, '', `${t.description} (${t.source} ${t.parent ? `child of \`${t.parent}\`` : `stream \`${t.stream}\``}).`, '');
    lines.push('| column | type | SQLite | PostgreSQL | from |', '|---|---|---|---|---|');
    for (const c of t.columns) lines.push(`| \`${c.column}\` | ${c.type} | ${c.sqlite} | ${c.postgres} | ${c.from} |`);
    lines.push('');
  }
  return lines.join('\n');
}
