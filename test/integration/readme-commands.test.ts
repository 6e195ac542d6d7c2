/**
 * The README's `ccsync` command table against the real command: every documented command exists,
 * and every option it documents is one the command accepts (from its own --help).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ccsync } from '../helpers/cli';

const README = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** `backfill start -c CONN --from ISO [--wait]` → command words and the long/short options. */
function documented(): { words: string[]; options: string[]; usage: string }[] {
  // The command section only, up to the next heading of its level (Monitoring's tables follow it).
  const start = README.indexOf('## The `ccsync` command');
  const section = README.slice(start, README.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  const out = [];
  for (const row of rows) {
    const usage = /^\| `([^`]+)`/.exec(row)![1]!.replace(/\\\|/g, '|');
    // `backfill status ID [--json]`, `schedules apply [--prune] [--dry-run]|list|...`: the first form.
    const first = usage.split('|')[0]!;
    const words = first.split(' ').filter((w) => /^[a-z]+$/.test(w));
    const options = [...first.matchAll(/(?:^|[\s[])(--?[a-z][a-z-]*)/g)].map((m) => m[1]!);
    out.push({ words, options, usage });
  }
  return out;
}

describe('README command table', () => {
  const rows = documented();
  it('documents the commands', () => {
    assert.ok(rows.length >= 8, `found ${rows.length} rows`);
  });
  for (const row of rows) {
    it(`\`ccsync ${row.usage}\` exists with the options it documents`, async () => {
      const r = await ccsync([...row.words, '--help']);
      assert.equal(r.code, 0, `${row.words.join(' ')} --help: ${r.stderr}`);
      for (const o of row.options) {
        if (o === '--help') continue;
        assert.ok(
          r.stdout.includes(o) || (o === '--version' && /-V, --version/.test(r.stdout)),
          `${row.words.join(' ') || 'ccsync'}: option ${o} is documented but not accepted:\n${r.stdout}`,
        );
      }
    });
  }
  it('`ccsync --version` prints the package version', async () => {
    const r = await ccsync(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version);
  });
});
