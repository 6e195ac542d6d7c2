/**
 * The durability suite as one definition, run at two sizes: short inside `npm test`
 * (test/integration/durability.test.ts), full in `npm run test:chaos` (test/chaos/chaos.test.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { appendRun, codeVersion, type RunVerdict } from './run-record';
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
  CHAOS_FAULT_SEED,
  KILL_SEED,
} from './scenarios';

export function durabilitySuite(size: Size, opts: { reportFile?: string; runsFile?: string } = {}): void {
  const reports: ScenarioReport[] = [];
  // The run's verdict for the record: every test's outcome, a test that never finished (node's
  // timeout) counts as failed because it never reports.
  const outcomes: { test: string; ok: boolean; error?: string }[] = [];
  const names: string[] = [];
  const track = (name: string, fn: () => Promise<void>) => {
    names.push(name);
    it(name, async () => {
      try {
        await fn();
        outcomes.push({ test: name, ok: true });
      } catch (err) {
        outcomes.push({ test: name, ok: false, error: (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300) });
        throw err;
      }
    });
  };
  const startedAt = new Date();
  // Taken at the start: the code that runs, whatever is edited while it runs.
  const version = opts.runsFile ? codeVersion() : { commit: '', dirty: false };
  const loadAtStart = loadavg()[0]!;
  let loadMax = loadAtStart;
  let sampler: NodeJS.Timeout | undefined;
  /** The verdict, from computed figures only: nothing lost, nothing written twice, the faults met a live run. */
  const clean = (r: ScenarioReport, opts: { writes?: boolean } = { writes: true }) => {
    reports.push(r);
    assert.equal(r.lost, 0, `${r.scenario}: records lost`);
    assert.equal(r.extraWrites, 0, `${r.scenario}: writes beyond the ground truth (double processing)`);
    if (opts.writes) assert.equal(r.inserted, r.recordsChecked, `${r.scenario}: each record inserted exactly once`);
    assert.ok(r.met >= 1, `${r.scenario}: no fault was seen to hit a live run`);
  };

  describe(`durability (${size})`, () => {
    before(() => {
      sampler = setInterval(() => (loadMax = Math.max(loadMax, loadavg()[0]!)), 5000);
      sampler.unref();
    });
    after(() => {
      clearInterval(sampler);
      const table = formatReport(reports);
      console.log(`\n${table}\n`);
      if (opts.reportFile) writeFileSync(opts.reportFile, `${table}\n`);
      if (opts.runsFile) {
        const loadAtEnd = loadavg()[0]!;
        const failures = names
          .map((test) => outcomes.find((o) => o.test === test) ?? { test, ok: false, error: 'did not finish (timed out or its setup failed)' })
          .filter((o) => !o.ok)
          .map((o) => ({ test: o.test, error: o.error ?? '' }));
        const run: RunVerdict = {
          seeds: { vendorFaults: CHAOS_FAULT_SEED, workerKills: KILL_SEED[size] },
          startedAt: startedAt.toISOString(),
          passed: failures.length === 0,
          durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
          load: { start: round2(loadAtStart), end: round2(loadAtEnd), max: round2(Math.max(loadMax, loadAtEnd)), cores: cpus().length },
          ...version,
          scenarios: reports.map((r) => ({
            scenario: r.scenario,
            faults: r.faults,
            met: r.met,
            lost: r.lost,
            duplicated: r.extraWrites,
            seconds: Math.round(r.seconds),
          })),
          failures,
        };
        appendRun(run, opts.runsFile);
        console.log(`chaos run ${run.passed ? 'PASSED' : 'FAILED'}, recorded in ${opts.runsFile}`);
      }
    });

    track(`the worker is SIGKILLed ${size === 'full' ? 'at least five times' : 'twice'} mid-backfill and restarted`, async () => {
      const r = await workerKills(size);
      assert.ok(r.faults >= (size === 'full' ? 5 : 2));
      clean(r);
    });
    track('the Temporal server restarts mid-backfill from its SQLite file', async () => void clean(await serverRestart(size)));
    track('PostgreSQL refuses connections mid-window, then comes back', async () => void clean(await postgresOutage(size)));
    track('the vendor fails in every way it can', async () => void clean(await vendorFaults(size)));

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
      track('at least 30 bad workflow inputs fail at once, naming the problem, writing nothing', async () => {
        const r = await badInputs(stack);
        assert.ok(r.runs >= 30);
        assert.equal(r.met, r.faults, 'every bad input was refused in plain words');
        clean(r, { writes: false });
      });
      track('broken connections files stop the worker with the file, connection and field named', async () => {
        const r = await brokenConnectionFiles(stack);
        assert.equal(r.met, r.faults, 'every broken file stopped the worker');
        clean(r, { writes: false });
      });
      track(
        'schema drift: a new field is kept; a declared field that changed type is NULL in its column, kept in record, reported, and the sync completes',
        async () => {
          const r = await schemaDrift(stack);
          assert.equal(r.met, 2, 'both drifted pages reached the run');
          clean(r);
        },
      );
      track('no secret in any history exported with `temporal workflow show --output json`, nor in the worker logs', async () => {
        const histories = await exportHistories(stack);
        assert.ok(histories.length >= 30, `exported ${histories.length} histories`);
        for (const h of histories) for (const s of CHAOS_SECRETS) assert.ok(!h.json.includes(s), `a secret in ${h.workflowId}`);
        for (const s of CHAOS_SECRETS) assert.ok(!worker.logs().includes(s), 'a secret in the worker logs');
      });
    });
  });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
