/**
 * The stream option `history: true` of the connections file: validated like the other options, and
 * it turns history mode on for that stream's table only (destinations/history.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tableSpecOf } from '../../activities/streams';
import { parseConnections } from '../../core/connections';
import { withHistory } from '../../destinations/history';
import { SOURCES } from '../../sources';

const file = (streams: string) =>
  `connections:\n  - name: cc\n    source: ccaip\n    settings: { baseUrl: http://127.0.0.1:4030/manager/api/v1 }\n` +
  `    credentials: { username: u, password: p }\n    streams:\n${streams}`;

describe('stream option history', () => {
  it('history: true reaches the stream (and only it); the table spec asks for history then', () => {
    const [c] = parseConnections(file('      - { name: calls, history: true }\n      - { name: chats, history: false }\n      - agents\n'), 'c.yaml', SOURCES);
    assert.deepEqual(c!.streams, [
      { name: 'calls', options: {}, history: true },
      { name: 'chats', options: {} },
      { name: 'agents', options: {} },
    ]);
    const calls = tableSpecOf(SOURCES.ccaip.streams.calls!);
    assert.equal(withHistory(calls, c!.streams[0]!.history).history, true);
    assert.equal(withHistory(calls, c!.streams[1]!.history), calls, 'off: the very spec, no history');
    assert.equal(withHistory(calls, true), withHistory(calls, true), 'one spec object per stream, not one per page');
  });

  it('a wrong value is refused naming the connection, the stream entry and what it takes', () => {
    assert.throws(
      () => parseConnections(file('      - { name: calls, history: "yes" }\n      - { name: chats, histroy: true }\n'), 'c.yaml', SOURCES),
      (err: Error) => {
        assert.match(err.message, /^c\.yaml is not valid:/);
        assert.match(err.message, /connection "cc" \(connections\[0\]\): streams\[0\]\.history: must be true or false/);
        assert.match(err.message, /streams\[1\]: unknown field "histroy"/);
        return true;
      },
    );
  });
});
