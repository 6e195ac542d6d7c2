/**
 * `ccsync reset` through the real command, on the real dev server and a real worker, into SQLite
 * and PostgreSQL: it asks (y/N on a terminal, `--yes` for scripts, refuses without either), refuses
 * while a run of the connection is running, forgets exactly the state it says (the next backfill
 * runs every window again), and with `--data` deletes the stream's rows and its children's, only
 * this connection's and only this stream's (CCAI Platform's photos come from calls and chats into
 * one table). Deletes are counted by the database's own ledger, not by rows left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import type { TableSpec } from '../../destinations/destination';
import type { BackfillProgress } from '../../workflows/backfill';
import { CCSYNC_BIN, ccsync } from '../helpers/cli';
import { CONNECTION, startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { installWriteLedger, type WriteLedger } from '../helpers/write-ledger';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
/** CCAI Platform: a whole day well before now (agent activity logs are not synced here). */
const CC_FROM = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const CC_TO = CC_FROM + DAY;
const ccaip = new CcaipSimulator(demoCcaipOptions({ dataStart: CC_FROM - DAY }));
const SECRETS = { TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken };
const ccConnection = (name: string) => `  - name: ${name}
    source: ccaip
    settings: { baseUrl: "${ccaip.apiUrl}", pageSize: 100 }
    credentials: { username: acme-demo, password: "\${TEST_CCAIP_TOKEN}" }
    streams: [calls, chats]
`;

const T = (name: string, keyColumns: string[]): TableSpec => ({ name, keyColumns });
const TABLES = {
  callvolume: T('kore_callvolume', ['_id']),
  calls: T('ccaip_calls', ['id']),
  chats: T('ccaip_chats', ['id']),
  call_participants: T('ccaip_call_participants', ['call_id', 'id']),
  chat_participants: T('ccaip_chat_participants', ['chat_id', 'id']),
  call_transfers: T('ccaip_call_transfers', ['call_id', 'id']),
  photos: T('ccaip_photos', ['parent', 'id']),
  videos: T('ccaip_videos', ['parent', 'id']),
};

/** `ccsync` on a pseudo-terminal (util-linux `script`), answering `answer` to the prompt. */
function ccsyncOnTerminal(args: string[], env: Record<string, string>, answer: string): Promise<{ code: number; output: string }> {
  const command = [process.execPath, CCSYNC_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((done) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && /\[y\/N\]/.test(output)) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => done({ code: code ?? 1, output }));
  });
}

before(() => ccaip.start(0).then(() => undefined));
after(() => ccaip.stop());

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`ccsync reset (${kind})`, () => {
    let stack: Stack;
    let ledger: WriteLedger;
    before(async () => {
      stack = await startStack({
        destination: kind,
        extraConnectionsYaml: ccConnection('cc') + ccConnection('cc-other'),
        extraEnv: SECRETS,
      });
      ledger = await installWriteLedger(stack.destinationUrl, stack.destination, Object.values(TABLES));
    });
    after(async () => {
      await ledger?.close();
      await stack?.close();
    });
    const env = () => ({
      TEMPORAL_ADDRESS: stack.temporal.address,
      CCSYNC_TASK_QUEUE: stack.taskQueue,
      CCSYNC_CONNECTIONS: stack.connectionsFile,
      CCSYNC_DESTINATION: stack.destinationUrl,
      ...SECRETS,
    });
    const backfill = async (input: Record<string, unknown>) => (await stack.start('backfill', input)).result() as Promise<BackfillProgress>;
    const kore = { connection: CONNECTION, from: '2026-10-01T00:00:00Z', to: '2026-10-03T00:00:00Z' };
    const count = async (table: keyof typeof TABLES, connection: string) => (await stack.destination.readAll(TABLES[table], connection)).length;

    it('refuses without a terminal and without --yes (exit 2), and removes nothing', async () => {
      const first = await backfill(kore);
      assert.equal(first.windows.done, 2);
      const r = await ccsync(['reset', CONNECTION, '--data'], env());
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /without confirmation: there is no terminal to ask on; pass --yes/);
      assert.equal((await stack.destination.completedIntervals(CONNECTION, 'callvolume')).length, 1);
      assert.equal((await ledger.counts(TABLES.callvolume.name, CONNECTION)).deleted, 0);
    });

    it('on a terminal asks y/N: "n" resets nothing (exit 1), "y" forgets the state it names; the next backfill runs every window again', async () => {
      const before = (await stack.destination.completedIntervals(CONNECTION, 'callvolume')).map((i) => `${iso(i.start)} → ${iso(i.end)}`);
      const rows = await count('callvolume', CONNECTION);
      const no = await ccsyncOnTerminal(['reset', CONNECTION, '-s', 'callvolume'], env(), 'n');
      assert.equal(no.code, 1, no.output);
      assert.match(no.output, /This forgets the sync state of kore-test: callvolume in .*Reset\? \[y\/N\]/);
      assert.match(no.output, /nothing reset/);
      assert.equal((await stack.destination.completedIntervals(CONNECTION, 'callvolume')).length, before.length);

      const yes = await ccsyncOnTerminal(['reset', CONNECTION, '-s', 'callvolume'], env(), 'y');
      assert.equal(yes.code, 0, yes.output);
      assert.match(yes.output, new RegExp(`reset kore-test/callvolume: forgot ${before.length} completed interval\\(s\\): ${before.join(', ')}`));
      assert.deepEqual(await stack.destination.completedIntervals(CONNECTION, 'callvolume'), []);
      assert.equal(await count('callvolume', CONNECTION), rows, 'without --data the rows stay');
      assert.equal((await ledger.counts(TABLES.callvolume.name, CONNECTION)).deleted, 0);
      const again = await backfill(kore);
      assert.equal(again.windows.skipped, 0, 'no window is skipped as complete any more');
      assert.equal(again.unchanged, rows);
    });

    it('--data --yes deletes the rows it reports (ledger), and the state', async () => {
      const rows = await count('callvolume', CONNECTION);
      assert.ok(rows > 0);
      const r = await ccsync(['reset', CONNECTION, '--data', '--yes', '--json'], env());
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = JSON.parse(r.stdout) as { streams: { stream: string; completed: unknown[]; rows: { table: string; deleted: number }[] }[] };
      assert.deepEqual(out.streams[0]!.rows, [{ table: 'kore_callvolume', deleted: rows }]);
      assert.equal(out.streams[0]!.completed.length, 1);
      assert.equal((await ledger.counts(TABLES.callvolume.name, CONNECTION)).deleted, rows, 'the database saw exactly that many deletes');
      assert.equal(await count('callvolume', CONNECTION), 0);
      const again = await backfill(kore);
      assert.equal(again.inserted, rows);
    });

    it("--data on CCAI Platform calls deletes its child tables' rows too, but not chats' photos, chats, nor another connection's", async () => {
      const range = { from: iso(CC_FROM), to: iso(CC_TO) };
      await Promise.all([backfill({ connection: 'cc', ...range }), backfill({ connection: 'cc-other', streams: ['calls'], ...range })]);
      const snapshot = async (c: string) => ({
        calls: await count('calls', c),
        chats: await count('chats', c),
        call_participants: await count('call_participants', c),
        chat_participants: await count('chat_participants', c),
        call_transfers: await count('call_transfers', c),
        callPhotos: (await stack.destination.readAll(TABLES.photos, c)).filter((r) => r.key.parent!.startsWith('call:')).length,
        chatPhotos: (await stack.destination.readAll(TABLES.photos, c)).filter((r) => r.key.parent!.startsWith('chat:')).length,
        callVideos: (await stack.destination.readAll(TABLES.videos, c)).filter((r) => r.key.parent!.startsWith('call:')).length,
      });
      const cc = await snapshot('cc');
      const other = await snapshot('cc-other');
      for (const [k, v] of Object.entries(cc)) if (k !== 'callVideos') assert.ok(v > 0, `the simulator gave ${k}: ${JSON.stringify(cc)}`);

      const r = await ccsync(['reset', 'cc', '-s', 'calls', '--data', '--yes'], env());
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `reset cc/calls: forgot 1 completed interval\\(s\\): ${iso(CC_FROM)} → ${iso(CC_TO)}; deleted ${cc.calls} row\\(s\\) from ccaip_calls, ` +
            `${cc.call_participants} row\\(s\\) from ccaip_call_participants, ${cc.call_transfers} row\\(s\\) from ccaip_call_transfers, ` +
            `${cc.callPhotos} row\\(s\\) from ccaip_photos, ${cc.callVideos} row\\(s\\) from ccaip_videos`,
        ),
      );
      const after = await snapshot('cc');
      assert.deepEqual(after, { ...cc, calls: 0, call_participants: 0, call_transfers: 0, callPhotos: 0, callVideos: 0 }, "chats and chats' photos stay");
      assert.deepEqual(await snapshot('cc-other'), other, "another connection's rows stay");
      assert.equal((await ledger.counts(TABLES.photos.name, 'cc')).deleted, cc.callPhotos);
      assert.equal((await stack.destination.completedIntervals('cc', 'chats')).length, 1, "chats' state stays");
      assert.deepEqual(await stack.destination.completedIntervals('cc', 'calls'), []);
    });

    it('refuses while a backfill of the connection is running (exit 1), naming it', async () => {
      // Last: the windows it completes before the cancel stay. A long backfill, one window at a time at Kore.ai's 60 requests a minute: running for minutes.
      const running = await stack.start('backfill', {
        connection: CONNECTION,
        from: '2025-01-01T00:00:00Z',
        to: '2025-12-01T00:00:00Z',
        maxParallelWindows: 1,
      });
      try {
        const r = await ccsync(['reset', CONNECTION, '--yes'], env());
        assert.equal(r.code, 1, r.stdout + r.stderr);
        // The backfill first, then its running window(s).
        assert.match(
          r.stderr,
          new RegExp(
            `not resetting "${CONNECTION}": \\d+ workflow\\(s\\) of it are running \\(backfill ${running.workflowId}(, syncWindow ${CONNECTION}/callvolume/2025-[^,]+)*\\); wait for them or cancel them`,
          ),
        );
        // Still there (the running backfill adds 2025's windows beside it).
        const kept = (await stack.destination.completedIntervals(CONNECTION, 'callvolume')).map((i) => `${iso(i.start)} → ${iso(i.end)}`);
        assert.ok(kept.includes('2026-10-01T00:00:00.000Z → 2026-10-03T00:00:00.000Z'), `the state is untouched: ${kept.join(', ')}`);
      } finally {
        await running.cancel();
        await running.result().catch(() => undefined);
      }
    });

    it('an unknown stream is exit 2 and nothing is reset', async () => {
      const r = await ccsync(['reset', 'cc', '-s', 'nope', '--yes'], env());
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /"nope" is not a CCAI Platform stream/);
    });
  });
}
