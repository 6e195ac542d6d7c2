/**
 * A YAML syntax error in the connections file is pointed at like an editor would: line number,
 * the line as written and a caret under the column, wherever the file is read: `connections
 * check`, a command that checks its input against the file (`backfill start`), and the worker,
 * which refuses to start and says why in its log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ccsync } from '../helpers/cli';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { WorkerProcess } from '../helpers/worker-process';

/** Line 6 has a second `key: value` inside a flow mapping: `accountId: a: b`. */
const BROKEN = `connections:
  - name: kore-x
    source: kore
    credentials:
      token: \${KORE_TOKEN}
    settings: { baseUrl: \${KORE_URL}, accountId: a: b, orgId: o, iId: i }
    streams: [callvolume]
`;
const LINE = '    settings: { baseUrl: ${KORE_URL}, accountId: a: b, orgId: o, iId: i }';
const COLUMN = LINE.indexOf('a: b') + 1;

/** The pointer: `line 6, column C`, the line itself after `6 | `, and `^` under column C. */
function assertPointsAtTheLine(text: string): void {
  assert.match(text, new RegExp(`YAML syntax error at line 6, column ${COLUMN}: `), text);
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.endsWith(`6 | ${LINE}`));
  assert.ok(at >= 0, `the offending line is shown as written:\n${text}`);
  const caret = lines[at + 1]!;
  const bar = lines[at]!.indexOf('| ') + 2;
  assert.equal(caret.indexOf('^') - bar, COLUMN - 1, `the caret is under column ${COLUMN}:\n${lines[at]}\n${caret}`);
}

describe('a YAML syntax error in the connections file', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ccsync-yaml-')), 'connections.yaml');
  writeFileSync(file, BROKEN);
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => temporal?.close());

  it('`connections check` shows the line, its text and a caret (exit 2)', async () => {
    const r = await ccsync(['connections', 'check', '--file', file, '--offline']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assertPointsAtTheLine(r.stderr);
    const json = await ccsync(['connections', 'check', '--file', file, '--offline', '--json']);
    assert.equal(json.code, 2);
    const out = JSON.parse(json.stdout) as { valid: boolean; problems: string[] };
    assert.equal(out.valid, false);
    assertPointsAtTheLine(out.problems[0]!);
  });

  it('a command checked against the file (`backfill start`) shows it too, and starts nothing (exit 2)', async () => {
    const r = await ccsync(['backfill', 'start', '-c', 'kore-x', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z', '--file', file], {
      TEMPORAL_ADDRESS: temporal.address,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assertPointsAtTheLine(r.stderr);
    assert.doesNotMatch(r.stdout, /started/);
  });

  it('the worker refuses to start and its log shows it', async () => {
    const worker = new WorkerProcess({
      TEMPORAL_ADDRESS: temporal.address,
      CCSYNC_TASK_QUEUE: uniqueTaskQueue('yaml'),
      CCSYNC_CONNECTIONS: file,
      CCSYNC_DESTINATION: `sqlite:${join(mkdtempSync(join(tmpdir(), 'ccsync-yaml-db-')), 'x.db')}`,
      CCSYNC_METRICS_ADDRESS: '',
      KORE_TOKEN: 't',
      KORE_URL: 'http://127.0.0.1:9',
    });
    await assert.rejects(worker.start(), /exited with 1 before polling/);
    const log = worker.logs();
    assert.match(log, /ccsync worker could not start/);
    assertPointsAtTheLine(log);
  });
});
