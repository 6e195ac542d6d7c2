/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories, made by
 * `npm run fixtures:record`) are replayed against the current workflow code. A change that would
 * break running workflows fails here, in CI, before it reaches a cluster.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietBundle } from '../../workers/worker';

const DIR = join(__dirname, '../fixtures/histories');

describe('replay of recorded histories', () => {
  it('every recorded history replays without a nondeterminism error', { timeout: 300_000 }, async () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.ok(files.length >= 10, `expected recorded histories, found ${files.length}`);
    const types = new Set<string>();
    function* histories() {
      for (const f of files) {
        const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8')));
        const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        types.add(started?.workflowType?.name ?? '?');
        yield { workflowId: f, history };
      }
    }
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await quietBundle() }, histories())) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
    assert.deepEqual([...types].sort(), ['backfill', 'incrementalSync', 'syncWindow'], 'every workflow type is covered');
  });
});
