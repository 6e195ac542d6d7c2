/** `ccsync tables`: every table, its columns, their types and the vendor fields they come from. */
import type { Command } from 'commander';
import { describeTables, tablesMarkdown } from '../activities/tables';
import { printJson } from './output';

export function tablesCommands(program: Command): void {
  program
    .command('tables')
    .description('every table the streams write: columns, types in SQLite and PostgreSQL, and the vendor field each comes from')
    .option('--json', 'machine-readable output')
    .option('--markdown', 'as docs/tables.md')
    .action((opts: { json?: boolean; markdown?: boolean }) => {
      const tables = describeTables();
      if (opts.json) return printJson(tables);
      if (opts.markdown) return void process.stdout.write(tablesMarkdown(tables));
      for (const t of tables) {
        console.log(`${t.table}${t.parent ? ` (child of ${t.parent})` : ''}: ${t.description}`);
        const width = Math.max(...t.columns.map((c) => c.column.length));
        for (const c of t.columns) console.log(`  ${c.column.padEnd(width)}  ${c.type.padEnd(11)}  ${c.postgres.padEnd(16)}  ${c.from}`);
      }
    });
}
