/**
 * `npm run test:chaos`: the full durability suite. Same scenarios as the short form in `npm test`,
 * larger: more kills, longer outages, more data. Prints the README's durability table and writes
 * it to test/chaos/last-run.md.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { badInputs, brokenConnectionFiles, chaosStack, formatReport, postgresOutage, serverRestart, vendorFaults, workerKills, type ChaosStack, type ScenarioReport } from './scenarios';
import { WorkerProcess } from '../helpers/worker-process';

const reports: ScenarioReport[] = [];
const clean = (r: ScenarioReport) => {
  reports.push(r);
  assert.equal(r.lost, 0, `${r.scenario}: records lost`);
  assert.equal(r.duplicated, 0, `${r.scenario}: records duplicated`);
};

describe('durability (full)', () => {
  after(() => {
    const table = formatReport(reports);
    console.log(`\n${table}\n`);
    writeFileSync(join(__dirname, 'last-run.md'), `${table}\n`);
  });
  it('the worker is SIGKILLed at least five times in one backfill', async () => {
    const r = await workerKills('full');
    assert.ok(r.faults >= 5);
    clean(r);
  });
  it('the Temporal server restarts twice mid-backfill', async () => clean(await serverRestart('full')));
  it('PostgreSQL is unreachable twice mid-window', async () => clean(await postgresOutage('full')));
  it('the vendor fails in every way it can, over more data', async () => clean(await vendorFaults('full')));
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
    it('bad workflow inputs', async () => clean(await badInputs(stack)));
    it('broken connections files', async () => clean(await brokenConnectionFiles(stack)));
  });
});
