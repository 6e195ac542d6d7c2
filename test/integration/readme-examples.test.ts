/**
 * Every example of the README's `ccsync` section, run as written, in order, against a real stack:
 * the dev server of `npm test`, the three simulators, a real worker and a SQLite destination. Each
 * must exit with the code the README documents (0 in the examples block unless its comment says
 * `# exit N`; the exit-code table's code for its example).
 *
 * What is mapped, and only this: `npx ccsync` is the real command (bin/ccsync.js); its environment
 * names the test's server, a task queue of its own and the SQLite file; the connections file is
 * connections.demo.yaml itself, with the simulators' fixed ports (4010, 4020, 4030) replaced by the
 * free ports this test's simulators listen on. Connection names, ids and arguments are the README's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CcaipSimulator, demoCcaipOptions } from '../../simulators/ccaip';
import { KoreSimulator, demoKoreOptions } from '../../simulators/kore';
import { LivePersonSimulator, demoLivePersonOptions } from '../../simulators/liveperson';
import { createCcsyncWorker, type CcsyncWorker } from '../../workers/worker';
import { ccsync } from '../helpers/cli';
import { workflowBundle } from '../helpers/stack';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

export interface Example {
  line: string;
  env: Record<string, string>;
  args: string[];
  expected: number;
}

/** `A=b npx ccsync x y  # exit 1: why` → env, args, the documented code (`fallback` when none is given). */
function parseExample(text: string, fallback: number): Example {
  const [command, comment = ''] = text.split(/\s+#\s*/, 2) as [string, string?];
  const words = command.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
    const [k, ...v] = words.shift()!.split('=');
    env[k!] = v.join('=');
  }
  assert.deepEqual(words.slice(0, 2), ['npx', 'ccsync'], `an example that is not a ccsync command: ${text}`);
  const code = /^exit (\d)\b/.exec(comment);
  return { line: text.trim(), env, args: words.slice(2), expected: code ? Number(code[1]) : fallback };
}

/** The section's `sh` block(s), then the exit-code table's examples. */
export function readmeExamples(readme = README): Example[] {
  const start = readme.indexOf('## The `ccsync` command');
  assert.ok(start >= 0, 'the README has its ccsync section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const out: Example[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const l of block[1]!.split('\n')) if (l.trim() && !l.trim().startsWith('#')) out.push(parseExample(l, 0));
  }
  for (const row of section.split('\n').filter((l) => /^\| \d \|/.test(l))) {
    const cells = row.split('|').map((c) => c.trim());
    const example = /`([^`]+)`/.exec(cells[3] ?? '');
    assert.ok(example, `the exit-code row has an example: ${row}`);
    out.push({ ...parseExample(example[1]!, Number(cells[1])), expected: Number(cells[1]) });
  }
  return out;
}

describe('the README ccsync examples, run as written', () => {
  const examples = readmeExamples();
  let temporal: TestTemporal;
  let worker: CcsyncWorker;
  let running: Promise<void>;
  const kore = new KoreSimulator(demoKoreOptions());
  const liveperson = new LivePersonSimulator(demoLivePersonOptions());
  const ccaip = new CcaipSimulator(demoCcaipOptions());
  const env: Record<string, string> = {};

  before(async () => {
    temporal = await testTemporal();
    const [k, l, c] = [await kore.start(0), await liveperson.start(0), await ccaip.start(0)];
    const port = (url: string) => new URL(url).port;
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-readme-'));
    const file = join(dir, 'connections.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'connections.demo.yaml'), 'utf8')
        .replaceAll('127.0.0.1:4010', `127.0.0.1:${port(k)}`)
        .replaceAll('127.0.0.1:4020', `127.0.0.1:${port(l)}`)
        .replaceAll('127.0.0.1:4030', `127.0.0.1:${port(c)}`),
    );
    Object.assign(env, {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      CCSYNC_TASK_QUEUE: uniqueTaskQueue('readme'),
      CCSYNC_CONNECTIONS: file,
      CCSYNC_DESTINATION: `sqlite:${join(dir, 'ccsync.db')}`,
    });
    worker = await createCcsyncWorker({
      temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue: env.CCSYNC_TASK_QUEUE! },
      connectionsFile: file,
      destinationUrl: env.CCSYNC_DESTINATION,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await Promise.all([kore.stop(), liveperson.stop(), ccaip.stop()]);
    await temporal?.close();
  });

  it('finds the examples: one for every command of the table, and one for every exit code', () => {
    const section = README.slice(README.indexOf('## The `ccsync` command'));
    const documented = section
      .slice(0, section.indexOf('\n## ', 1))
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => /^\| `([a-z-]+(?: [a-z]+)?)/.exec(l)![1]!);
    assert.ok(documented.length >= 10, documented.join(', '));
    for (const command of documented) {
      assert.ok(
        examples.some((e) => e.args.join(' ').startsWith(command)),
        `the command table documents \`${command}\` but no example runs it`,
      );
    }
    assert.deepEqual([...new Set(examples.map((e) => e.expected))].sort(), [0, 1, 2, 3]);
  });

  for (const example of examples) {
    it(`\`${example.line}\` exits ${example.expected}`, async () => {
      const r = await ccsync(example.args, { ...env, ...example.env });
      assert.equal(r.code, example.expected, `${example.line}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    });
  }
});
