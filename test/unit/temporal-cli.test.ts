/**
 * The Temporal CLI resolution order, with real binaries only: copies (hard links) of the real CLI in
 * temp folders, real Go. Everything happens in temp dirs through the injectable env/toolsDir, so the
 * repository's own .tools cache is never touched.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachedCliPath, findGo, parseGoVersion, resolveTemporalCli, sdkDownloadPath, TEMPORAL_CLI_VERSION, temporalCliVersion } from '../../dev/temporal-cli';

let realCli: string;
let work: string;

/** A real copy of the CLI: a hard link when possible (same inode, no 250 MB copy), else a file copy. */
function placeCli(dir: string, name = 'temporal'): string {
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  try {
    fs.linkSync(realCli, target);
  } catch {
    fs.copyFileSync(realCli, target);
    fs.chmodSync(target, 0o755);
  }
  return target;
}

/** A process that lives until killed: a real pid to hold a lock with. */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

before(async () => {
  // The harness exports TEMPORAL_CLI_PATH; alone, this resolves (and if needed builds) the real CLI.
  realCli = (await resolveTemporalCli()).path;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccsync-cli-test-'));
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('resolveTemporalCli order', () => {
  test('TEMPORAL_CLI_PATH wins over PATH and the cache', async () => {
    const dir = path.join(work, 'env-wins');
    const envCli = placeCli(path.join(dir, 'explicit'), 'my-temporal');
    const pathDir = path.join(dir, 'on-path');
    placeCli(pathDir);
    const toolsDir = path.join(dir, 'tools');
    placeCli(path.join(toolsDir, 'bin'));

    const found = await resolveTemporalCli({
      env: { PATH: pathDir, TEMPORAL_CLI_PATH: envCli },
      toolsDir,
      sources: ['env', 'path', 'cache'],
    });
    assert.deepEqual(found, { path: envCli, source: 'env' });
  });

  test('PATH wins over the cache', async () => {
    const dir = path.join(work, 'path-wins');
    const pathDir = path.join(dir, 'on-path');
    const onPath = placeCli(pathDir);
    const toolsDir = path.join(dir, 'tools');
    placeCli(path.join(toolsDir, 'bin'));

    const found = await resolveTemporalCli({
      env: { PATH: [path.join(dir, 'empty'), pathDir].join(path.delimiter) },
      toolsDir,
      sources: ['env', 'path', 'cache'],
    });
    assert.deepEqual(found, { path: onPath, source: 'path' });
  });

  test('the .tools/bin cache is found when PATH has no temporal', async () => {
    const dir = path.join(work, 'cache');
    const toolsDir = path.join(dir, 'tools');
    const cached = placeCli(path.join(toolsDir, 'bin'));
    assert.equal(cached, cachedCliPath(toolsDir));

    const found = await resolveTemporalCli({
      env: { PATH: path.join(dir, 'empty-path') },
      toolsDir,
      sources: ['env', 'path', 'cache'],
    });
    assert.deepEqual(found, { path: cached, source: 'cache' });
  });

  test('the cache is found through repoRoot/.tools by default', async () => {
    const repoRoot = path.join(work, 'repo');
    const cached = placeCli(path.join(repoRoot, '.tools', 'bin'));
    const found = await resolveTemporalCli({ env: { PATH: '' }, repoRoot, sources: ['path', 'cache'] });
    assert.deepEqual(found, { path: cached, source: 'cache' });
  });

  test('a `temporal` on PATH that is not the Temporal CLI is skipped', async () => {
    const dir = path.join(work, 'not-temporal');
    const pathDir = path.join(dir, 'on-path');
    fs.mkdirSync(pathDir, { recursive: true });
    // A real program under the name `temporal` (here: `false`, which prints nothing and fails).
    const falseBin = ['/bin/false', '/usr/bin/false'].find((f) => fs.existsSync(f));
    assert.ok(falseBin, 'no `false` binary on this system');
    fs.copyFileSync(falseBin, path.join(pathDir, 'temporal'));
    fs.chmodSync(path.join(pathDir, 'temporal'), 0o755);
    const toolsDir = path.join(dir, 'tools');
    const cached = placeCli(path.join(toolsDir, 'bin'));

    const found = await resolveTemporalCli({ env: { PATH: pathDir }, toolsDir, sources: ['path', 'cache'] });
    assert.deepEqual(found, { path: cached, source: 'cache' });
  });

  test('a TEMPORAL_CLI_PATH that does not work is an error, not silently replaced', async () => {
    const dir = path.join(work, 'bad-env');
    const pathDir = path.join(dir, 'on-path');
    placeCli(pathDir);
    await assert.rejects(
      resolveTemporalCli({
        env: { PATH: pathDir, TEMPORAL_CLI_PATH: path.join(dir, 'does-not-exist') },
        toolsDir: path.join(dir, 'tools'),
        sources: ['env', 'path'],
      }),
      /TEMPORAL_CLI_PATH=.*does-not-exist is not a working Temporal CLI/,
    );
  });

  test('a cache stamped with another CLI version is stale', async () => {
    const dir = path.join(work, 'stale');
    const toolsDir = path.join(dir, 'tools');
    placeCli(path.join(toolsDir, 'bin'));
    fs.writeFileSync(path.join(toolsDir, 'bin', 'temporal.version'), 'v0.0.1\n');
    await assert.rejects(
      resolveTemporalCli({ env: { PATH: '' }, toolsDir, sources: ['path', 'cache'] }),
      /Could not find the Temporal CLI\. Tried: PATH \(no temporal\); cache \(/,
    );
    fs.writeFileSync(path.join(toolsDir, 'bin', 'temporal.version'), `${TEMPORAL_CLI_VERSION}\n`);
    const found = await resolveTemporalCli({ env: { PATH: '' }, toolsDir, sources: ['path', 'cache'] });
    assert.equal(found.source, 'cache');
  });

  test('an earlier SDK download in .tools/sdk-download is used without downloading again', async () => {
    const dir = path.join(work, 'sdk-download');
    const toolsDir = path.join(dir, 'tools');
    const expected = sdkDownloadPath(path.join(toolsDir, 'sdk-download'));
    placeCli(path.dirname(expected), path.basename(expected));
    const logs: string[] = [];
    const found = await resolveTemporalCli({
      env: { PATH: '' },
      toolsDir,
      goCandidates: [path.join(dir, 'no-go')],
      sources: ['path', 'cache', 'go-build', 'sdk-download'],
      log: (m) => logs.push(m),
    });
    assert.deepEqual(found, { path: expected, source: 'sdk-download' });
    assert.deepEqual(logs, [], 'it tried to download');
  });

  test('nothing found: the error says what was tried and how to fix it', async () => {
    const dir = path.join(work, 'nothing');
    const err = await resolveTemporalCli({
      env: { PATH: path.join(dir, 'empty') },
      toolsDir: path.join(dir, 'tools'),
      goCandidates: [path.join(dir, 'no-go')],
      sources: ['env', 'path', 'cache', 'go-build'],
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err instanceof Error);
    assert.match(err.message, /TEMPORAL_CLI_PATH \(unset\)/);
    assert.match(err.message, /go-build \(no Go >= 1\.25 found\)/);
    assert.match(err.message, /go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  });
});

describe('helpers', () => {
  test('temporalCliVersion runs the binary', async () => {
    assert.match((await temporalCliVersion(realCli)) ?? '', /^temporal version .*\(Server \d+\.\d+\.\d+/);
    assert.equal(await temporalCliVersion(path.join(work, 'missing')), undefined);
  });

  test('parseGoVersion', () => {
    assert.deepEqual(parseGoVersion('go1.26.8'), [1, 26]);
    assert.deepEqual(parseGoVersion('go1.25rc1'), [1, 25]);
    assert.deepEqual(parseGoVersion('go version go1.24.3 linux/amd64'), [1, 24]);
    assert.equal(parseGoVersion('devel'), undefined);
  });

  test('findGo accepts only a real Go >= 1.25', async () => {
    assert.equal(await findGo([path.join(work, 'no-go'), realCli], process.env), undefined);
    const go = await findGo(['/usr/local/go/bin/go'], process.env);
    if (!fs.existsSync('/usr/local/go/bin/go')) return;
    assert.ok(go, 'the Go at /usr/local/go/bin/go was not accepted');
    const parsed = parseGoVersion(go.version);
    assert.ok(parsed && (parsed[0] > 1 || parsed[1] >= 25), go.version);
  });

  test('the SDK download path follows the SDK naming (temporal-sdk-typescript-<version>)', () => {
    const sdkVersion = (JSON.parse(fs.readFileSync(require.resolve('@temporalio/testing/package.json'), 'utf8')) as { version: string }).version;
    assert.equal(sdkDownloadPath('/x'), path.join('/x', `temporal-sdk-typescript-${sdkVersion}`));
  });
});

describe('go-build step', () => {
  const goBin = '/usr/local/go/bin/go';

  test('waits for a build held by another live process, then uses its result', { timeout: 60_000 }, async (t) => {
    if (!(await findGo([goBin], process.env))) return t.skip('no Go >= 1.25 here');
    const toolsDir = path.join(work, 'lock');
    const binDir = path.join(toolsDir, 'bin');
    fs.mkdirSync(binDir, { recursive: true });
    const holder = sleeper();
    assert.ok(holder.pid);
    fs.writeFileSync(path.join(binDir, '.temporal.lock'), String(holder.pid));
    const logs: string[] = [];
    let settled = false;
    const resolving = resolveTemporalCli({
      env: { ...process.env, PATH: '' },
      toolsDir,
      goCandidates: [goBin],
      sources: ['go-build'],
      log: (m) => logs.push(m),
    }).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(settled, false, 'it did not wait for the lock holder');
    assert.ok(
      logs.some((l) => l.includes(`Waiting for another process (pid ${holder.pid})`)),
      logs.join('\n'),
    );
    // The "other process" finishes its build (an atomic rename into place) and dies.
    const staged = placeCli(path.join(toolsDir, 'staging'));
    fs.renameSync(staged, cachedCliPath(toolsDir));
    holder.kill('SIGKILL');
    const found = await resolving;
    assert.deepEqual(found, { path: cachedCliPath(toolsDir), source: 'go-build' });
    assert.equal(fs.existsSync(path.join(binDir, '.temporal.lock')), false, 'the lock was left behind');
    assert.ok(!logs.some((l) => l.includes('Building the Temporal CLI')), 'it built again');
  });

  // A real `go install`: seconds with the Go caches the harness's own build left warm, minutes cold.
  // Opt out with CCSYNC_TEST_GO_BUILD=0 on a machine where that is too slow.
  test('builds the real CLI with go install into a fresh .tools', { timeout: 30 * 60_000 }, async (t) => {
    if (process.env.CCSYNC_TEST_GO_BUILD === '0') return t.skip('CCSYNC_TEST_GO_BUILD=0');
    if (!(await findGo([goBin], process.env))) return t.skip('no Go >= 1.25 here');
    const toolsDir = path.join(work, 'go-build');
    const logs: string[] = [];
    const started = Date.now();
    const found = await resolveTemporalCli({
      env: { ...process.env, PATH: process.env.PATH ?? '' },
      toolsDir,
      goCandidates: [goBin],
      sources: ['go-build'],
      log: (m) => logs.push(m),
    });
    t.diagnostic(`go install took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(found, { path: cachedCliPath(toolsDir), source: 'go-build' });
    assert.match((await temporalCliVersion(found.path)) ?? '', /^temporal version/);
    assert.ok(
      logs.some((l) => /one-time build that takes a few minutes/.test(l)),
      logs.join('\n'),
    );
    assert.equal(fs.readFileSync(path.join(toolsDir, 'bin', 'temporal.version'), 'utf8').trim(), TEMPORAL_CLI_VERSION);
    assert.deepEqual(fs.readdirSync(path.join(toolsDir, 'tmp')), [], 'the temp GOBIN was left behind');
    // Second call: straight from the cache, no build.
    const again = await resolveTemporalCli({ env: { PATH: '' }, toolsDir, sources: ['cache', 'go-build'], goCandidates: [goBin] });
    assert.deepEqual(again, { path: cachedCliPath(toolsDir), source: 'cache' });
  });
});
