import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  ApplicationFailureCategory,
  ChildWorkflowFailure,
  RetryState,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { CcsyncError, ERROR_TYPES, isErrorType } from '../../core/errors';
import {
  failureFromCause,
  invalidInputFailure,
  NON_RETRYABLE_TYPES,
  RETRY_BEHAVIOUR,
  rootCause,
  toApplicationFailure,
  workflowFailure,
} from '../../core/failures';

const ROOT = join(__dirname, '../..');

describe('error taxonomy → Temporal', () => {
  it('declares a retry behaviour for every type, and documents every type in the README', () => {
    assert.ok(ERROR_TYPES.length >= 11);
    for (const type of ERROR_TYPES) {
      assert.equal(typeof RETRY_BEHAVIOUR[type].retryable, 'boolean', type);
      assert.ok(isErrorType(type));
    }
    assert.equal(isErrorType('Unknown'), false);
    assert.equal(isErrorType('toString'), false, 'not fooled by Object.prototype');
    // The Errors section only: other tables (alerts, say) also start rows with a backticked name.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const errors = readme.slice(readme.indexOf('\n## Errors\n'), readme.indexOf('\n## ', readme.indexOf('\n## Errors\n') + 1));
    const documented = [...errors.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]!).filter((t) => /^[A-Z]/.test(t));
    assert.deepEqual(documented.sort(), [...ERROR_TYPES].sort(), "the README's error table lists exactly the taxonomy's types");
  });
  it('activity retry policies list every type an activity raises that never retries (and no workflow-only type)', () => {
    assert.deepEqual([...NON_RETRYABLE_TYPES].sort(), ['ConfigError', 'DestinationRejected', 'InvalidInput', 'SchemaMismatch', 'VendorRejected']);
    assert.equal(RETRY_BEHAVIOUR.Interrupted.retryable, false);
  });
  it('retries 429 after Retry-After, never sooner than 1 s', () => {
    const f = toApplicationFailure(new CcsyncError('VendorRateLimited', 'slow down', { retryAfterMs: 200 }), 1);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 1000);
    const g = toApplicationFailure(new CcsyncError('VendorRateLimited', 'slow down', { retryAfterMs: 7000 }), 1);
    assert.equal(g.nextRetryDelay, 7000);
  });
  it('marks 202 as benign', () => {
    const f = toApplicationFailure(new CcsyncError('VendorStillProcessing', 'processing'), 1);
    assert.equal(f.category, ApplicationFailureCategory.BENIGN);
    assert.equal(f.nonRetryable, false);
  });
  it('fails vendor rejections and schema mismatches at once', () => {
    assert.equal(toApplicationFailure(new CcsyncError('VendorRejected', '401'), 1).nonRetryable, true);
    assert.equal(toApplicationFailure(new CcsyncError('SchemaMismatch', 'x'), 1).nonRetryable, true);
  });
  it('gives up on malformed bodies after a few attempts', () => {
    assert.equal(toApplicationFailure(new CcsyncError('MalformedResponse', 'bad'), 2).nonRetryable, false);
    const last = toApplicationFailure(new CcsyncError('MalformedResponse', 'bad'), 5);
    assert.equal(last.nonRetryable, true);
    assert.match(last.message, /gave up after 5 attempts/);
  });
  it('retries a body cut short as a network fault, counting only its own attempts, for at least an hour', () => {
    const hour = 3_600_000;
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const cut = () => new CcsyncError('ResponseCutShort', 'Kore.ai callvolume sent a body that is not valid JSON (34227 bytes)');
    // Attempt 25, after 20 5xx and 4 earlier cut bodies: the 5xx do not use up its attempts.
    const tally = { VendorUnavailable: { count: 20, firstAt: t0 }, ResponseCutShort: { count: 5, firstAt: t0 } };
    const f = toApplicationFailure(cut(), 25, [], tally, t0 + 2 * hour);
    assert.equal(f.nonRetryable, false, 'still retried: 5 cut bodies of its own');
    assert.equal(f.type, 'ResponseCutShort');
    // Ten of its own within the hour: still a dropped connection, still retried.
    assert.equal(toApplicationFailure(cut(), 10, [], { ResponseCutShort: { count: 10, firstAt: t0 } }, t0 + hour - 1).nonRetryable, false);
    // Ten of its own over more than an hour: the body never parses; give up, saying so.
    const last = toApplicationFailure(
      cut(),
      30,
      [],
      { VendorRateLimited: { count: 20, firstAt: t0 }, ResponseCutShort: { count: 10, firstAt: t0 } },
      t0 + hour,
    );
    assert.equal(last.nonRetryable, true);
    assert.match(last.message, /gave up after 10 attempts/);
    // Without a tally (no history), never final on the attempt number alone.
    assert.equal(toApplicationFailure(cut(), 50).nonRetryable, false);
  });
  it("counts a malformed answer's own attempts, not those lost to 5xx and 429", () => {
    const t0 = Date.now();
    const tally = { VendorUnavailable: { count: 6, firstAt: t0 }, MalformedResponse: { count: 2, firstAt: t0 } };
    assert.equal(toApplicationFailure(new CcsyncError('MalformedResponse', 'same next key'), 8, [], tally, t0).nonRetryable, false);
    assert.equal(
      toApplicationFailure(new CcsyncError('MalformedResponse', 'same next key'), 9, [], { ...tally, MalformedResponse: { count: 5, firstAt: t0 } }, t0)
        .nonRetryable,
      true,
    );
  });
  it('scrubs secrets from messages and details', () => {
    const f = toApplicationFailure(new CcsyncError('VendorRejected', 'token abc123secret is invalid', { details: { echo: 'abc123secret' } }), 1, [
      'abc123secret',
    ]);
    assert.doesNotMatch(f.message, /abc123secret/);
    assert.doesNotMatch(JSON.stringify(f.details), /abc123secret/);
  });
  it('treats unknown errors as transient', () => {
    const f = toApplicationFailure(new Error('boom'), 1);
    assert.equal(f.type, 'VendorUnavailable');
    assert.equal(f.nonRetryable, false);
  });
});

describe('workflow failures', () => {
  it('are built by the one helper: no workflow creates an ApplicationFailure by hand', () => {
    const dir = join(ROOT, 'workflows');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 4);
    for (const f of files) assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /ApplicationFailure\.create|new ApplicationFailure/, f);
  });
  it('carry a type of the taxonomy, are final, and keep details and cause', () => {
    const cause = new Error('inner');
    const f = workflowFailure('VendorRejected', '1 window(s) failed', { details: { failures: [{ window: 'w', message: 'm' }] }, cause });
    assert.ok(f instanceof ApplicationFailure);
    assert.deepEqual([f.type, f.nonRetryable, f.message], ['VendorRejected', true, '1 window(s) failed']);
    assert.deepEqual(f.details, [{ failures: [{ window: 'w', message: 'm' }] }]);
    assert.equal(f.cause, cause);
    assert.equal(workflowFailure('InvalidInput', 'x').details, undefined);
  });
  it('a cause without one of our types becomes Interrupted', () => {
    assert.equal(workflowFailure(undefined, 'x').type, 'Interrupted');
    assert.equal(workflowFailure('WindowFailed', 'x').type, 'Interrupted');
    assert.equal(workflowFailure('Unknown', 'x').type, 'Interrupted');
  });
  it('bad input names every problem, in the message and the details', () => {
    const f = invalidInputFailure('backfill', ['from: must be a date-time', 'windowSize: too large']);
    assert.deepEqual([f.type, f.nonRetryable], ['InvalidInput', true]);
    assert.equal(f.message, 'Invalid backfill input: from: must be a date-time; windowSize: too large');
    assert.deepEqual(f.details, [{ problems: ['from: must be a date-time', 'windowSize: too large'] }]);
  });
  it("a failed activity becomes the workflow's failure with the innermost message and type", () => {
    const activity = (cause: Error) => new ActivityFailure('Activity task failed', 'describeConnection', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', cause);
    const config = failureFromCause(
      activity(ApplicationFailure.create({ type: 'ConfigError', nonRetryable: true, message: 'there is no connection named "x"' })),
      'Invalid backfill input',
    );
    assert.deepEqual(
      [config.type, config.nonRetryable, config.message],
      ['ConfigError', true, 'Connections file problem: there is no connection named "x"'],
      "a broken or different connections file is the operator's file, not the workflow's input",
    );
    assert.ok(config.cause instanceof ActivityFailure, 'the chain is kept as the cause');
    const vendor = failureFromCause(
      activity(ApplicationFailure.create({ type: 'VendorRejected', nonRetryable: true, message: 'Kore.ai answered 401' })),
      'Invalid syncWindow input',
    );
    assert.deepEqual([vendor.type, vendor.message], ['VendorRejected', 'Kore.ai answered 401'], 'only input and config problems get the prefix');
    // Patience exhausted with no worker: a timeout that carries no type of ours.
    const timeout = failureFromCause(
      activity(new TimeoutFailure('activity ScheduleToClose timeout', undefined, TimeoutType.SCHEDULE_TO_CLOSE)),
      'Invalid backfill input',
    );
    assert.deepEqual([timeout.type, timeout.message], ['Interrupted', 'activity ScheduleToClose timeout']);
  });
  it('reads the innermost failure of a window (child → activity → application failure)', () => {
    const app = ApplicationFailure.create({ type: 'SchemaMismatch', message: 'a record does not match' });
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'k/callvolume/x', runId: 'r' },
      'syncWindow',
      RetryState.NON_RETRYABLE_FAILURE,
      new ActivityFailure('Activity task failed', 'syncPage', '3', RetryState.NON_RETRYABLE_FAILURE, 'w', app),
    );
    assert.deepEqual(rootCause(child), { message: 'a record does not match', type: 'SchemaMismatch' });
    const terminated = new ChildWorkflowFailure(
      'default',
      { workflowId: 'k/callvolume/x', runId: 'r' },
      'syncWindow',
      RetryState.NON_RETRYABLE_FAILURE,
      new TerminatedFailure('Terminated'),
    );
    assert.deepEqual(rootCause(terminated), { message: 'Terminated', type: undefined });
    assert.equal(workflowFailure(rootCause(terminated).type, 'x').type, 'Interrupted');
  });
});
