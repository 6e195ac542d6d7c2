/** The README's cluster figures (faults, rolling deploy, scale) are the recorded runs', not pasted ones. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEPLOY_FILE, FAULTS_FILE, README, SCALE_FILE, withClusterSections } from '../../dev/cluster-readme';

test('the README cluster sections equal the ones generated from the recorded runs (npm run cluster:readme)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withClusterSections(readme), readme, 'README.md is stale: run npm run cluster:readme');
});

test('every cluster figure has its recorded run, with the computed columns', () => {
  for (const f of [FAULTS_FILE, DEPLOY_FILE, SCALE_FILE]) assert.ok(existsSync(f), `${f} is recorded`);
  const header = readFileSync(FAULTS_FILE, 'utf8').split('\n')[0]!;
  for (const col of ['hit a live run', 'records checked', 'inserts', 'extra writes', 'lost', 'duplicated']) assert.ok(header.includes(col), `column ${col}`);
  const faults = readFileSync(FAULTS_FILE, 'utf8');
  for (const fault of ['worker SIGKILL', 'history service', 'matching service', 'frontend service', "Temporal's PostgreSQL", 'destination PostgreSQL'])
    assert.ok(faults.includes(fault), `a row for ${fault}`);
});
