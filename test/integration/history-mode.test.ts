/**
 * History mode end to end (issue #14 item 4): `incrementalSync` on the real Temporal dev server
 * against the CCAI Platform simulator over real HTTP, into real SQLite and PostgreSQL, with
 * `history: true` on the calls stream. A call changes three times, each change read by its own run:
 * `ccaip_calls_history` then holds exactly three versions of it (each from its `updated_at`), every
 * other call one, a run that reads nothing new adds none, and `ccaip_calls_changes` lists each field
 * change, compared with changes computed here from the simulator's own records.
 * Run: npx tsx --test test/integration/history-mode.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CcaipSimulator, DEMO_CCAIP, demoCcaipOptions } from '../../simulators/ccaip';
import { startStack, type DestinationKind, type Stack } from '../helpers/stack';
import { queryRows } from '../helpers/sql';
import { readAll } from '../helpers/destination-access';

const MIN = 60_000;
const HOUR = 60 * MIN;
const floor5 = (t: number) => Math.floor(t / (5 * MIN)) * (5 * MIN);
const iso = (t: number) => new Date(t).toISOString();
type Rec = Record<string, unknown>;

/** Frozen a little behind real time (the streams' lag), so each run reads everything up to it and the simulator changes nothing by itself. */
const NOW = floor5(Date.now() - 5 * MIN);
const FROM = NOW - 3 * HOUR;
const sim = new CcaipSimulator(demoCcaipOptions({ now: () => NOW, dataStart: FROM }));
const SECRETS = { TEST_CCAIP_TOKEN: DEMO_CCAIP.apiToken };
const CONN = 'cc-history';
const yaml = () => `  - name: ${CONN}
    source: ccaip
    settings: { baseUrl: "${sim.apiUrl}", pageSize: 50 }
    credentials: { username: acme-demo, password: "\${TEST_CCAIP_TOKEN}" }
    streams: [{ name: calls, history: true }]
    start: ${iso(FROM)}
    schedule: { every: 1h, lag: 5m, lookback: 1h }
`;

/** Field-level differences of two records, as the changes view should list them. */
function diff(id: string, older: Rec, newer: Rec) {
  return [...new Set([...Object.keys(older), ...Object.keys(newer)])]
    .filter((f) => JSON.stringify(older[f]) !== JSON.stringify(newer[f]))
    .map((f) => ({ id, field: f, old: older[f] ?? null, new: newer[f] ?? null, at: String(newer.updated_at) }))
    .sort((a, b) => a.at.localeCompare(b.at) || a.field.localeCompare(b.field));
}

/** JSON values: text in SQLite, parsed already by pg for jsonb. */
const asJson = (kind: DestinationKind, v: unknown) => (v === null || v === undefined ? null : kind === 'sqlite' ? (JSON.parse(v as string) as unknown) : v);
const asIso = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(v as string).toISOString());

before(() => sim.start());
after(() => sim.stop());

for (const kind of ['sqlite', 'postgres'] as DestinationKind[]) {
  describe(`history mode, CCAI Platform calls into ${kind}`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ destination: kind, extraConnectionsYaml: yaml(), extraEnv: SECRETS, extraSecrets: Object.values(SECRETS) });
    });
    after(() => stack?.close());

    const run = async () => {
      const r = (await (await stack.start('incrementalSync', { connection: CONN, streams: ['calls'] })).result()) as { windows: { failed: number } };
      assert.equal(r.windows.failed, 0);
    };
    const versions = async () =>
      (
        await queryRows(
          stack.destinationUrl,
          {
            sqlite: `SELECT id, _valid_from, _valid_to, record, out_ticket_id FROM ccaip_calls_history WHERE _connection = ? ORDER BY id, _valid_from`,
            postgres: `SELECT id, _valid_from, _valid_to, record, out_ticket_id FROM ccaip_calls_history WHERE _connection = $1 ORDER BY id, _valid_from`,
          },
          [CONN],
        )
      ).map((r) => ({ id: String(r.id), from: asIso(r._valid_from), to: asIso(r._valid_to), record: asJson(kind, r.record) as Rec, ticket: r.out_ticket_id }));

    it('a call that changes three times between runs has exactly three versions and the changes view lists each field change', async () => {
      const [call] = sim.data.calls({ from: FROM, to: NOW - 30 * MIN }).filter((c) => (c.participants as Rec[]).length >= 1);
      assert.ok(call, 'a call to change');
      const id = call.id as number;
      const states: Rec[] = [];
      const changes = [
        { set: { out_ticket_id: 'ZD-1' } },
        { set: { out_ticket_id: 'ZD-2' }, addParticipant: { type: 'third_party', status: 'connected' } },
        { set: { out_ticket_id: 'ZD-3', call_type: 'outbound' } },
      ];
      for (const [i, change] of changes.entries()) {
        states.push(sim.data.updateCall(id, change, NOW - (3 - i) * MIN));
        await run();
      }
      const all = await versions();
      const mine = all.filter((v) => v.id === String(id));
      assert.equal(mine.length, 3, `exactly three versions, not ${mine.length}`);
      assert.deepEqual(
        mine.map((v) => v.record),
        states,
        'each version is the record as the vendor had it',
      );
      assert.deepEqual(
        mine.map((v) => [v.from, v.to, v.ticket]),
        [
          [states[0]!.updated_at, states[1]!.updated_at, 'ZD-1'],
          [states[1]!.updated_at, states[2]!.updated_at, 'ZD-2'],
          [states[2]!.updated_at, null, 'ZD-3'],
        ],
        '_valid_from is updated_at; each version ends where the next starts; the last is current',
      );
      // Every other call read so far: one version, the current one, equal to the table's row.
      const truth = sim.data.calls({ from: FROM, to: NOW });
      assert.equal(all.length, truth.length + 2, 'one version per call, two more for the changed one');
      const table = new Map((await readAll(stack.destination, { name: 'ccaip_calls', keyColumns: ['id'] }, CONN)).map((r) => [r.key.id, r.record]));
      for (const v of all.filter((x) => x.to === null)) assert.deepEqual(v.record, table.get(v.id), `call ${v.id}: the current version is the table's row`);

      const listed = (
        await queryRows(
          stack.destinationUrl,
          {
            sqlite: `SELECT id, field, old_value, new_value, changed_at FROM ccaip_calls_changes WHERE _connection = ?`,
            postgres: `SELECT id, field, old_value, new_value, changed_at FROM ccaip_calls_changes WHERE _connection = $1`,
          },
          [CONN],
        )
      )
        .map((r) => ({ id: String(r.id), field: String(r.field), old: asJson(kind, r.old_value), new: asJson(kind, r.new_value), at: asIso(r.changed_at)! }))
        .sort((a, b) => a.at.localeCompare(b.at) || a.field.localeCompare(b.field));
      const expected = [...diff(String(id), states[0]!, states[1]!), ...diff(String(id), states[1]!, states[2]!)];
      assert.ok(
        expected.some((c) => c.field === 'participants') && expected.some((c) => c.field === 'call_type'),
        'the changes include a list and a new value',
      );
      assert.deepEqual(listed, expected);

      // Re-reading with nothing changed adds no version.
      await run();
      assert.deepEqual(await versions(), all, 'an unchanged re-read adds nothing');
    });
  });
}
