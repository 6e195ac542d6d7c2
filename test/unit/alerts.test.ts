/**
 * deploy/prometheus/alerts.yml under `promtool test rules` (Debian's prometheus package): every
 * alert's unit test in alerts.test.yml, including a stream made stale on purpose. And the tests
 * are not vacuous: the same tests against a copy of the rules with the staleness threshold moved
 * must fail.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { findPrometheusBinary, run } from '../helpers/prometheus';

const DIR = resolve(__dirname, '../../deploy/prometheus');

describe('Prometheus alert rules', () => {
  it('promtool check rules: the file is valid', async () => {
    const r = await run(findPrometheusBinary('promtool'), ['check', 'rules', join(DIR, 'alerts.yml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 7 rules found/);
  });

  it('promtool test rules: every alert fires when it should and only then', async () => {
    const r = await run(findPrometheusBinary('promtool'), ['test', 'rules', 'alerts.test.yml'], DIR);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    // Every alert of the rules file has at least one test.
    const alerts = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
    assert.equal(alerts.length, 5);
    for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a}\\n`), `${a} has a test`);
  });

  it('the same tests fail against rules whose staleness threshold is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-rules-'));
    copyFileSync(join(DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
    const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
    assert.ok(rules.includes('ccsync:stream_behind_intervals > 2'));
    writeFileSync(join(dir, 'alerts.yml'), rules.replace('ccsync:stream_behind_intervals > 2', 'ccsync:stream_behind_intervals > 3'));
    const r = await run(findPrometheusBinary('promtool'), ['test', 'rules', 'alerts.test.yml'], dir);
    assert.notEqual(r.code, 0, 'a moved threshold is caught');
    assert.match(r.output, /CcsyncStreamStale/);
  });
});
