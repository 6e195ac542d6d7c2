/** The worker's ConnectionsStore on real files: fingerprints, stale files, unknown connections, file credentials. */
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConnectionsStore, connectionsFingerprint, literalCredentials, loadConnectionsFile } from '../../activities/connections';
import { isCcsyncError } from '../../core/errors';
import { RETRY_BEHAVIOUR, toApplicationFailure } from '../../core/failures';

const kore = (name: string, creds = '{ token: "${KORE_T}" }', streams = 'callvolume') =>
  `  - name: ${name}\n    source: kore\n    settings: { baseUrl: https://k.example, accountId: a, orgId: o, iId: i }\n    credentials: ${creds}\n    streams: [${streams}]\n`;

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'ccsync-store-')), 'connections.yaml');
  writeFileSync(f, text);
  return f;
}

/** Rewrites the file with a new mtime, as an editor's save would. */
function edit(f: string, text: string, bump: number): void {
  writeFileSync(f, text);
  const t = new Date(Date.now() + bump * 1000);
  utimesSync(f, t, t);
}

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('expected an error');
};

describe('connections fingerprint', () => {
  it('is the same for files that mean the same, differs otherwise, and holds no secret', () => {
    const a = loadConnectionsFile(file(`connections:\n${kore('k1')}${kore('k2')}`));
    const b = loadConnectionsFile(file(`# a comment\nconnections:\n${kore('k2')}${kore('k1')}`));
    assert.equal(connectionsFingerprint(a), connectionsFingerprint(b));
    const c = loadConnectionsFile(file(`connections:\n${kore('k1')}`));
    assert.notEqual(connectionsFingerprint(a), connectionsFingerprint(c));
    // Two literal secrets that differ give the same fingerprint: the value is not hashed.
    const s1 = loadConnectionsFile(file(`connections:\n${kore('k1', '{ token: supersecret-one }')}`));
    const s2 = loadConnectionsFile(file(`connections:\n${kore('k1', '{ token: supersecret-two }')}`));
    assert.equal(connectionsFingerprint(s1), connectionsFingerprint(s2));
    assert.match(connectionsFingerprint(a), /^[0-9a-f]{12}$/);
    assert.deepEqual(literalCredentials(s1[0]!), ['token']);
    assert.deepEqual(literalCredentials(a[0]!), []);
  });
});

describe('ConnectionsStore', () => {
  it('keeps the last valid file when a changed one is invalid, logs every problem, and says it is stale', () => {
    const good = `connections:\n${kore('k1')}${kore('k2')}`;
    const f = file(good);
    const lines: string[] = [];
    const store = new ConnectionsStore(f, {}, undefined, (l) => lines.push(l));
    const fp = store.fingerprint();
    edit(f, `connections:\n${kore('k1')}${kore('k2', undefined, 'callvolme')}  - name: k3\n    source: kore\n`, 5);
    assert.equal(store.get('k1').config.name, 'k1', 'k1 still works');
    assert.equal(store.all().length, 2);
    assert.equal(store.fingerprint(), fp);
    const stale = store.stale();
    assert.ok(stale, 'reported stale');
    assert.equal(stale.using, fp);
    assert.ok(
      stale.problems.some((p) => /"callvolme" is not a Kore\.ai stream/.test(p)),
      stale.problems.join('\n'),
    );
    assert.ok(
      stale.problems.some((p) => /connection "k3"/.test(p)),
      stale.problems.join('\n'),
    );
    assert.equal(lines.length, 1, 'logged once, not on every call');
    assert.match(lines[0]!, /changed and is not valid; still running on the last valid version/);
    assert.match(lines[0]!, /callvolme/);
    edit(f, good, 10);
    assert.equal(store.stale(), undefined);
    assert.match(lines.at(-1)!, /reloaded/);
  });

  it('an unknown connection fails at once when every worker agrees, and is ConnectionUnknownHere (retried) when peers differ', () => {
    const store = new ConnectionsStore(file(`connections:\n${kore('k1')}`), {}, undefined, () => undefined);
    const alone = thrown(() => store.get('ccaip-demo'));
    assert.ok(isCcsyncError(alone) && alone.type === 'ConfigError', String(alone));
    store.setPeers([store.fingerprint()]);
    assert.equal((thrown(() => store.get('ccaip-demo')) as { type: string }).type, 'ConfigError');
    store.setPeers(['0123456789ab']);
    const here = thrown(() => store.get('ccaip-demo'));
    assert.ok(isCcsyncError(here) && here.type === 'ConnectionUnknownHere', String(here));
    assert.match(here.message, /not known to the worker that took this task \(known there: k1\)/);
    assert.equal(RETRY_BEHAVIOUR.ConnectionUnknownHere.retryable, true);
    assert.equal(toApplicationFailure(here, 1).nonRetryable, false);
    assert.equal(toApplicationFailure(here, 10).nonRetryable, true);
  });

  it('reads ${file:...} credentials from files and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccsync-secret-'));
    writeFileSync(join(dir, 'token'), 'from-a-file\n');
    const store = new ConnectionsStore(
      file(`connections:\n${kore('k1', `{ token: \${file:${join(dir, 'token')}} }`)}${kore('k2', `{ token: "\${file:${join(dir, 'nope')}}" }`)}`),
      {},
    );
    assert.deepEqual(store.credentials(store.get('k1').config), { token: 'from-a-file' });
    const err = thrown(() => store.credentials(store.get('k2').config));
    assert.match((err as Error).message, /credentials\.token refers to \$\{file:.*nope\}, which cannot be read by the worker \(ENOENT\)/);
  });
});
