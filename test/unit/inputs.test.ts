import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backfillInput, checkInput, offGridProblems, syncWindowInput } from '../../core/inputs';

const problems = (raw: unknown) => {
  const r = checkInput(backfillInput, raw);
  assert.equal(r.ok, false, `expected ${JSON.stringify(raw)} to be refused`);
  return (r as { problems: string[] }).problems.join(' | ');
};

describe('workflow inputs', () => {
  it('accepts the documented backfill input', () => {
    const r = checkInput(backfillInput, {
      connection: 'kore-demo',
      streams: ['callvolume'],
      from: '2026-10-01T00:00:00Z',
      to: '2026-10-08T00:00:00Z',
      windowSize: 'P1D',
      maxParallelWindows: 4,
    });
    assert.equal(r.ok, true);
  });
  it('names every bad field in plain words', () => {
    const text = problems({ connection: 5, from: 'yesterday', to: '2026-10-08', maxParallelWindows: 0 });
    assert.match(text, /connection: must be a connection name/);
    assert.match(text, /from: must be an ISO-8601 date-time/);
    assert.match(text, /"yesterday"/);
    assert.match(text, /to: must be an ISO-8601 date-time/);
    assert.match(text, /maxParallelWindows: must be at least 1/);
  });
  it('says when a required field is missing and when one is unknown', () => {
    assert.match(problems({ from: '2026-10-01T00:00:00Z' }), /connection: is required/);
    assert.match(problems({ connection: 'k', from: '2026-10-01T00:00:00Z', form: 'x' }), /unknown field "form"/);
  });
  it('refuses reversed ranges and bad durations', () => {
    assert.match(problems({ connection: 'k', from: '2026-10-08T00:00:00Z', to: '2026-10-01T00:00:00Z' }), /"to" must be later than "from"/);
    assert.match(problems({ connection: 'k', from: '2026-10-01T00:00:00Z', windowSize: 'P1M' }), /windowSize: must be a positive ISO-8601 duration/);
  });
  it('refuses non-objects and injection-looking names', () => {
    assert.match(problems('["kore-demo"]'), /one JSON object/);
    assert.match(problems(null), /empty/);
    assert.match(problems({ connection: "kore'; DROP TABLE x;--", from: '2026-10-01T00:00:00Z' }), /connection: must be a connection name/);
    assert.match(problems({ connection: 'k', streams: ['../etc'], from: '2026-10-01T00:00:00Z' }), /streams\[0\]: must be a stream name/);
  });
  it('checks syncWindow windows', () => {
    const r = checkInput(syncWindowInput, { connection: 'k', stream: 'callvolume', start: '2026-10-02T00:00:00Z', end: '2026-10-01T00:00:00Z' });
    assert.equal(r.ok, false);
    assert.match((r as { problems: string[] }).problems.join(), /"end" must be later than "start"/);
  });
  it('refuses impossible dates instead of rolling them over, with one error per bad field', () => {
    const r = checkInput(backfillInput, { connection: 'k', from: '2026-02-31T00:00:00Z', to: '2026-03-05T00:00:00Z' });
    assert.equal(r.ok, false, '2026-02-31 must not be accepted as 2026-03-03');
    const list = (r as { problems: string[] }).problems;
    assert.equal(list.length, 1, list.join(' | '));
    assert.match(list[0]!, /^from: must be an ISO-8601 date-time/);
    assert.match(list[0]!, /"2026-02-31T00:00:00Z"/);
    // A bad "from" is one error: no '"to" must be later than "from"' on top.
    const bad = checkInput(backfillInput, { connection: 'k', from: 'yesterday', to: '2026-10-08T00:00:00Z' });
    assert.deepEqual((bad as { problems: string[] }).problems.length, 1);
    const w = checkInput(syncWindowInput, { connection: 'k', stream: 'callvolume', start: '2026-10-01T24:00:00Z', end: '2026-10-02T00:00:00Z' });
    assert.equal((w as { problems: string[] }).problems.length, 1);
    assert.match((w as { problems: string[] }).problems[0]!, /^start: /);
  });
  it('names the grid of a window off it, aligned outward', () => {
    const cv = { name: 'callvolume', kind: 'windowed', window: { alignment: 15 * 60_000 } };
    const p = offGridProblems(cv, Date.parse('2017-03-20T00:07:00Z'), Date.parse('2017-03-20T01:05:00Z'));
    assert.deepEqual(p, [
      "start: 2017-03-20T00:07:00.000Z is not on callvolume's grid of PT15M; use 2017-03-20T00:00:00.000Z",
      "end: 2017-03-20T01:05:00.000Z is not on callvolume's grid of PT15M; use 2017-03-20T01:15:00.000Z",
    ]);
    assert.deepEqual(offGridProblems(cv, Date.parse('2017-03-20T00:00:00Z'), Date.parse('2017-03-21T00:00:00Z')), []);
    assert.deepEqual(offGridProblems({ ...cv, kind: 'snapshot' }, 7, 11), []);
  });
});
