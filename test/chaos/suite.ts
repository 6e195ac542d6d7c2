/**
 * The durability suite as one definition, run at two sizes: short inside `npm test`
 * (test/integration/durability.test.ts), full in `npm run test:chaos` (test/chaos/chaos.test.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { WorkerProcess } from '../helpers/worker-process';
import {
  badInputs,
  brokenConnectionFiles,
  CHAOS_SECRETS,
  chaosStack,
  exportHistories,
  formatReport,
  postgresOutage,
  schemaDrift,
  serverRestart,
  vendorFaults,
  workerKills,
  type ChaosStack,
  type ScenarioReport,
  type Size,
} from './scenarios';

export function durabilitySuite(size: Size, opts: { reportFile?: string } = {}): void {
  const reports: ScenarioReport[] = [];
  /** The verdict, from computed figures only: nothing lost, nothing written twice, the faults met a live run. */
  const clean = (r: ScenarioReport, opts: { writes?: boolean } = { writes: true }) => {
    reports.push(r);
    assert.equal(r.lost, 0, `${r.scenario}: records lost`);
    assert.equal(r.extraWrites, 0, `${r.scenario}: writes beyond the ground truth (double processing)`);
    if (opts.writes) assert.equal(r.inserted, r.recordsChecked, `${r.scenario}: each record inserted exactly once`);
    assert.ok(r.met >= 1, `${r.scenario}: no fault was seen to hit a live run`);
  };

  describe(`durability (${size})`, () => {
    after(() => {
      const table = formatReport(reports);
      console.log(`\n${table}\n`);
      if (opts.reportFile) writeFileSync(opts.reportFile, `${table}\n`);
    });

    it(`the worker is SIGKILLed ${size === 'full' ? 'at least five times' : 'twice'} mid-backfill and restarted`, async () => {
      const r = await workerKills(size);
      assert.ok(r.faults >= (size === 'full' ? 5 : 2));
      clean(r);
    });
    it('the Temporal server restarts mid-backfill from its SQLite file', async () => clean(await serverRestart(size)));
    it('PostgreSQL refuses connections mid-window, then comes back', async () => clean(await postgresOutage(size)));
    it('the vendor fails in every way it can', async () => clean(await vendorFaults(size)));

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
        assert.equal(r.met, r.faults, 'every bad input was refused in plain words');
        clean(r, { writes: false });
      });
      it('broken connections files stop the worker with the file, connection and field named', async () => {
        const r = await brokenConnectionFiles(stack);
        assert.equal(r.met, r.faults, 'every broken file stopped the worker');
        clean(r, { writes: false });
      });
      it('schema drift: a new field is kept, a changed type fails at once naming the field', async () => {
        const r = await schemaDrift(stack);
        assert.equal(r.met, 2, 'both drifted pages reached the run');
        clean(r);
      });
      it('no secret in any history exported with `temporal workflow show --output json`, nor in the worker logs', async () => {
        const histories = await exportHistories(stack);
        assert.ok(histories.length >= 30, `exported ${histories.length} histories`);
        for (const h of histories) for (const s of CHAOS_SECRETS) assert.ok(!h.json.includes(s), `a secret in ${h.workflowId}`);
        for (const s of CHAOS_SECRETS) assert.ok(!worker.logs().includes(s), 'a secret in the worker logs');
      });
    });
  });
}
