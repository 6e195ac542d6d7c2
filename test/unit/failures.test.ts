import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailureCategory } from '@temporalio/common';
import { CcsyncError, ERROR_TYPES } from '../../core/errors';
import { NON_RETRYABLE_TYPES, RETRY_BEHAVIOUR, toApplicationFailure } from '../../core/failures';

describe('error taxonomy → Temporal', () => {
  it('has one retry behaviour for every type', () => {
    assert.deepEqual(Object.keys(RETRY_BEHAVIOUR).sort(), [...ERROR_TYPES].sort());
    assert.deepEqual(NON_RETRYABLE_TYPES.sort(), ['ConfigError', 'DestinationRejected', 'InvalidInput', 'SchemaMismatch', 'VendorRejected']);
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
    const last = toApplicationFailure(cut(), 30, [], { VendorRateLimited: { count: 20, firstAt: t0 }, ResponseCutShort: { count: 10, firstAt: t0 } }, t0 + hour);
    assert.equal(last.nonRetryable, true);
    assert.match(last.message, /gave up after 10 attempts/);
    // Without a tally (no history), never final on the attempt number alone.
    assert.equal(toApplicationFailure(cut(), 50).nonRetryable, false);
  });
  it('counts a malformed answer\'s own attempts, not those lost to 5xx and 429', () => {
    const t0 = Date.now();
    const tally = { VendorUnavailable: { count: 6, firstAt: t0 }, MalformedResponse: { count: 2, firstAt: t0 } };
    assert.equal(toApplicationFailure(new CcsyncError('MalformedResponse', 'same next key'), 8, [], tally, t0).nonRetryable, false);
    assert.equal(toApplicationFailure(new CcsyncError('MalformedResponse', 'same next key'), 9, [], { ...tally, MalformedResponse: { count: 5, firstAt: t0 } }, t0).nonRetryable, true);
  });
  it('scrubs secrets from messages and details', () => {
    const f = toApplicationFailure(new CcsyncError('VendorRejected', 'token abc123secret is invalid', { details: { echo: 'abc123secret' } }), 1, ['abc123secret']);
    assert.doesNotMatch(f.message, /abc123secret/);
    assert.doesNotMatch(JSON.stringify(f.details), /abc123secret/);
  });
  it('treats unknown errors as transient', () => {
    const f = toApplicationFailure(new Error('boom'), 1);
    assert.equal(f.type, 'VendorUnavailable');
    assert.equal(f.nonRetryable, false);
  });
});
