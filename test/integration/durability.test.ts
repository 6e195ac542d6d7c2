/**
 * The short form of the durability suite (`npm run test:chaos` runs the full one): real backfills
 * on the real dev server survive a SIGKILLed worker, a restarted Temporal server, a PostgreSQL
 * outage and a misbehaving vendor with no record lost or duplicated; bad inputs and broken files
 * fail at once in plain words; no secret reaches an exported history or a log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  badInputs,
  brokenConnectionFiles,
  CHAOS_SECRETS,
  chaosStack,
  exportHistories,
  formatReport,
  postgresOutage,
  serverRestart,
  vendorFaults,
  workerKills,
  type ChaosStack,
  type ScenarioReport,
} from '../chaos/scenarios';
import { WorkerProcess } from '../helpers/worker-process';

const reports: ScenarioReport[] = [];
const clean = (r: ScenarioReport) => {
  reports.push(r);
  assert.equal(r.lost, 0, `${r.scenario}: records lost`);
  assert.equal(r.duplicated, 0, `${r.scenario}: records duplicated`);
};

describe('durability (short form)', () => {
  after(() => console.log(`\n${formatReport(reports)}\n`));

  it('the worker is SIGKILLed and restarted mid-backfill', async () => clean(await workerKills('short')));
  it('the Temporal server restarts mid-backfill from its SQLite file', async () => clean(await serverRestart('short')));
  it('PostgreSQL refuses connections mid-window, then comes back', async () => clean(await postgresOutage('short')));
  it('the vendor fails in every way it can', async () => clean(await vendorFaults('short')));

  describe('bad input', () => {
    let stack: ChaosStack;
    let worker: WorkerProcess;
    before(async () => {
      stack = await chaosStack();
      worker = new WorkerProcess(stack.workerEnv);
      await worker.start();
    });
    after(async () => {
      await worker?.stop();
      await stack?.close();
    });
    it('at least 30 bad workflow inputs fail at once, naming the problem, writing nothing', async () => {
      const r = await badInputs(stack);
      assert.ok(r.runs >= 30);
      clean(r);
    });
    it('broken connections files stop the worker with the file, connection and field named', async () => clean(await brokenConnectionFiles(stack)));
    it('no secret in any history exported with `temporal workflow show --output json`, nor in the worker logs', async () => {
      const histories = await exportHistories(stack);
      assert.ok(histories.length >= 30, `exported ${histories.length} histories`);
      for (const h of histories) for (const s of CHAOS_SECRETS) assert.ok(!h.json.includes(s), `a secret in ${h.workflowId}`);
      for (const s of CHAOS_SECRETS) assert.ok(!worker.logs().includes(s), 'a secret in the worker logs');
    });
  });
});
