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
