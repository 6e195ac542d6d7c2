import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConnections, resolveCredentials } from '../../core/connections';
import { CcsyncError } from '../../core/errors';
import { SOURCES } from '../../sources';

const GOOD = `
connections:
  - name: kore-prod
    source: kore
    settings:
      baseUrl: https://platform.kore.ai
      accountId: 636f5b36bcf8a8c7101e0000
      orgId: o-01aedac2-26fb-5bdb-bb0f-f71292ca0000
      iId: st-b6ff0557-e54b-5ac1-946f-2b003d9e0000
    credentials:
      token: \${KORE_JWT}
    streams: [callvolume]
    start: 2026-01-01T00:00:00Z
    schedule: { every: 15m, lag: 10m, lookback: 1h }
`;

function refusal(text: string): string {
  try {
    parseConnections(text, 'connections.yaml', SOURCES);
  } catch (err) {
    assert.ok(err instanceof CcsyncError);
    assert.equal(err.type, 'ConfigError');
    return err.message;
  }
  assert.fail('expected the file to be refused');
}

describe('connections file', () => {
  it('reads the documented shape', () => {
    const [c] = parseConnections(GOOD, 'connections.yaml', SOURCES);
    assert.equal(c!.name, 'kore-prod');
    assert.equal(c!.settings.rateLimitPerMinute, 60, 'defaults applied');
    assert.deepEqual(c!.streams, [{ name: 'callvolume', options: {} }]);
    assert.equal(c!.credentials.token, '${KORE_JWT}', 'kept as a reference until an activity resolves it');
  });
  it('enables every stream when none is listed', () => {
    const [c] = parseConnections(GOOD.replace('    streams: [callvolume]\n', ''), 'connections.yaml', SOURCES);
    assert.deepEqual(
      c!.streams.map((s) => s.name),
      Object.keys(SOURCES.kore.streams),
    );
  });
  it('names the file, the connection and the field', () => {
    const msg = refusal(GOOD.replace('      accountId: 636f5b36bcf8a8c7101e0000\n', ''));
    assert.match(msg, /connections\.yaml/);
    assert.match(msg, /connection "kore-prod" \(connections\[0\]\): settings\.accountId/);
  });
  it('reports unknown streams, sources, duplicate names and bad schedules together', () => {
    const msg = refusal(`
connections:
  - name: a
    source: kore
    settings: { baseUrl: https://x.example, accountId: a, orgId: o, iId: i }
    credentials: { token: t }
    streams: [callvolumes]
    schedule: { every: soon }
  - name: a
    source: zendesk
`);
    assert.match(msg, /"callvolumes" is not a Kore\.ai stream/);
    assert.match(msg, /schedule\.every: must be a positive ISO-8601 duration/);
    assert.match(msg, /connections\[1\]\): source: must be one of/);
    assert.match(msg, /the name "a" is used twice/);
  });
  it('checks stream options when the file loads: a typo names the file, the connection and the option', () => {
    const withStreams = (streams: string) => GOOD.replace('    streams: [callvolume]\n', `    streams:\n${streams}`);
    const msg = refusal(
      withStreams('      - callvolume\n      - { name: calldetails, options: { channel: [voice] } }\n      - { name: agentstatus, options: { agents: 7 } }\n'),
    );
    assert.match(msg, /^connections\.yaml is not valid:/);
    assert.match(msg, /connection "kore-prod" \(connections\[0\]\): streams\[1\]\.options: unknown option "channel"/);
    assert.match(msg, /connection "kore-prod" \(connections\[0\]\): streams\[2\]\.options\.agents: must be a list of agent emails/);
    // A stream that takes no options refuses any, rather than ignoring them.
    assert.match(refusal(withStreams('      - { name: callvolume, options: { queues: [q] } }\n')), /streams\[0\]\.options: unknown option "queues"/);
    // Good options reach the connection parsed (a single name becomes a list).
    const [c] = parseConnections(withStreams('      - { name: calldetails, options: { channels: voice } }\n      - callvolume\n'), 'connections.yaml', SOURCES);
    assert.deepEqual(c!.streams, [
      { name: 'calldetails', options: { channels: ['voice'] } },
      { name: 'callvolume', options: {} },
    ]);
  });
  it('explains YAML syntax errors and empty files', () => {
    assert.match(refusal('connections: [ {name: a'), /YAML syntax/);
    assert.match(refusal(''), /needs a top-level "connections:" list/);
  });
  it('masks a credential written as a literal on the line a YAML syntax error echoes, the caret keeping its column', () => {
    const file = (credential: string) => `connections:\n  - name: kore-prod\n    source: kore\n    credentials:\n      clientId: abc\n      ${credential}\n`;
    const msg = refusal(file('clientSecret: hunter2-LITERAL: oops'));
    assert.match(msg, /YAML syntax error at line 6, column 21: /);
    assert.ok(!msg.includes('hunter2'), `the literal secret is not echoed:\n${msg}`);
    const [echoed, caret] = msg.split('\n').filter((l) => /^\s+(6 )?\| /.test(l));
    assert.equal(echoed, `      6 |       clientSecret: ${'*'.repeat('hunter2-LITERAL: oops'.length)}`, 'masked to the same length');
    assert.equal(caret!.indexOf('^'), echoed.indexOf('*'), 'the caret stays under the column the parser named');
    // Only credential values are masked: a line with nothing secret is echoed as written.
    assert.match(refusal(file('region: eu: oops')), /6 \| {7}region: eu: oops\n/);
  });
  it('wants either a token or a client id and secret', () => {
    assert.match(refusal(GOOD.replace('token: ${KORE_JWT}', 'clientId: abc')), /credentials: give either "token", or both "clientId" and "clientSecret"/);
  });
  it('resolves ${ENV} references only when asked, naming the variable but never a value', () => {
    const [c] = parseConnections(GOOD, 'connections.yaml', SOURCES);
    assert.deepEqual(resolveCredentials(c!, { KORE_JWT: 'eyJ.secret.value' }), { token: 'eyJ.secret.value' });
    assert.throws(
      () => resolveCredentials(c!, {}),
      (err: Error) => /\$\{KORE_JWT\}, which is not set/.test(err.message),
    );
  });
});

describe('unquoted ${ENV} references', () => {
  it('are accepted in flow maps and block maps, and left alone in quotes', () => {
    const text = `
connections:
  - name: a
    source: kore
    settings: { baseUrl: https://x.example, accountId: a, orgId: o, iId: i }
    credentials: { clientId: \${KORE_ID}, clientSecret: "\${KORE_SECRET}" }
  - name: b
    source: kore
    settings: { baseUrl: https://x.example, accountId: a, orgId: o, iId: i }
    credentials:
      token: \${KORE_JWT}   # a comment
`;
    const [a, b] = parseConnections(text, 'connections.yaml', SOURCES);
    assert.deepEqual(a!.credentials, { clientId: '${KORE_ID}', clientSecret: '${KORE_SECRET}' });
    assert.deepEqual(b!.credentials, { token: '${KORE_JWT}' });
  });
});
