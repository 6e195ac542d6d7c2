/**
 * The import graph of our own .ts files, read with TypeScript's own pre-parser (so imports in
 * comments or strings do not count, and `import type`, `export ... from` and `import()` do). Three
 * rules, each a boundary the layout stands for:
 *   - no import cycle anywhere, type-only imports included (a cycle of types still ties two modules
 *     into one unit; the old one was the Kore.ai simulator's server with its endpoints);
 *   - simulators/ are test doubles written from the vendors' docs: they import nothing from the
 *     connectors (sources/, activities/, ...), so a connector's schema mistake cannot hide in both;
 *   - the folders the Docker image copies import only from each other (anything else is missing
 *     from the image and the worker would fail to start there, not here).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', '.git', '.tools', '.data']);

/** Repo-relative paths of every .ts file (histories and other fixtures are JSON, not walked into imports). */
export function listTsFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTsFiles(root, rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** The repo-relative file a relative specifier points at (`./x` → x.ts or x/index.ts); undefined for packages. */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  // JSON (package.json for `ccsync --version`) is data, not code: no edge in the graph.
  if (specifier.endsWith('.json')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    if (candidate.endsWith('.ts') && fs.existsSync(path.join(root, candidate))) return candidate;
  }
  throw new Error(`${from}: import '${specifier}' resolves to no .ts file`);
}

/** file → the repo files it imports (packages and node: builtins left out). */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      const target = resolveRelative(root, file, fileName);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The cycles a depth-first search closes (at least one per tangle of modules), each once, as a path a → … → a. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next]);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** The top-level folders the Dockerfile copies into the image (`COPY core ./core`, not `COPY --from=...`). */
function imageFolders(root: string): Set<string> {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const folders = new Set<string>();
  for (const match of dockerfile.matchAll(/^COPY\s+(?!--)([\w-]+)\s+\.\/\1\s*$/gm)) folders.add(match[1]!);
  return folders;
}

const topFolder = (file: string): string => file.split('/')[0]!;

describe('import graph', () => {
  const files = listTsFiles(ROOT);
  const graph = importGraph(ROOT, files);

  it('has no cycle', () => {
    const cycles = findCycles(graph);
    assert.deepEqual(
      cycles.map((c) => c.join(' → ')),
      [],
      'import cycles (move the shared part into a module both sides import)',
    );
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const cyclic = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
    ]);
    assert.deepEqual(findCycles(cyclic), [
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['d.ts', 'd.ts'],
    ]);
    assert.ok(graph.size > 100, `walked ${graph.size} files`);
    assert.ok((graph.get('simulators/kore/server.ts') ?? []).includes('simulators/kore/calldetails.ts'), 'type and value imports are both read');
  });

  it('keeps simulators independent of the connectors', () => {
    const offending: string[] = [];
    for (const [file, targets] of graph) {
      if (topFolder(file) !== 'simulators') continue;
      for (const target of targets) if (topFolder(target) !== 'simulators') offending.push(`${file} → ${target}`);
    }
    assert.deepEqual(offending, [], 'simulators/ may import only simulators/ (and packages)');
  });

  it('keeps the Docker image self-contained', () => {
    const shipped = imageFolders(ROOT);
    for (const folder of ['core', 'workflows', 'activities', 'sources', 'destinations', 'workers'])
      assert.ok(shipped.has(folder), `Dockerfile copies ${folder}/`);
    const offending: string[] = [];
    for (const [file, targets] of graph) {
      if (!shipped.has(topFolder(file))) continue;
      for (const target of targets) if (!shipped.has(topFolder(target))) offending.push(`${file} → ${target}`);
    }
    assert.deepEqual(offending, [], `folders in the image (${[...shipped].join(', ')}) may import only each other`);
  });
});
