/**
 * The README's `## Layout` block names every top-level entry git tracks (each folder as `name/`,
 * each file by name), and names nothing that is not there: a new folder or a removed file makes
 * this fail until the section is updated.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(__dirname, '../..');

/** The names at the start of each unindented line of the section's code block (`a, b   text`). */
function layoutNames(readme: string): Set<string> {
  const section = readme.split('\n## Layout\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'README.md has a ## Layout section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the Layout section has a code block');
  const names = new Set<string>();
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(' ')) continue;
    for (const name of line.split(/\s{2,}/)[0]!.split(', ')) names.add(name.trim());
  }
  return names;
}

/** `folder/` for each top-level folder with a tracked file, the name of each top-level file. */
function trackedTopLevel(): Set<string> {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return new Set(files.map((f) => (f.includes('/') ? `${f.split('/')[0]}/` : f)));
}

test("the README's Layout section lists every top-level folder and file git tracks, and nothing else", () => {
  const listed = layoutNames(readFileSync(resolve(ROOT, 'README.md'), 'utf8'));
  // A folder may be listed by its one important file (`.ci/run`).
  const covers = (entry: string) => listed.has(entry) || [...listed].some((n) => entry.endsWith('/') && n.startsWith(entry));
  const tracked = trackedTopLevel();
  const missing = [...tracked].filter((entry) => !covers(entry));
  assert.deepEqual(missing, [], `README.md ## Layout does not mention: ${missing.join(', ')}`);
  const extra = [...listed].filter((n) => !tracked.has(n) && !tracked.has(`${n.split('/')[0]}/`));
  assert.deepEqual(extra, [], `README.md ## Layout names what git does not track: ${extra.join(', ')}`);
});
