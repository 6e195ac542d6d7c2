/**
 * Decoding a page whose records carry wrong-typed values (activities/page/decode.ts), without I/O:
 * an optional declared field is stored around (the record whole, the field a misfit of its row,
 * its column NULL); a key, a field the sync reads, a required field or a child list that is no
 * list fails the page naming the field. Child lists are judged item by item in the child table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePage } from '../../activities/page/decode';
import { tableSpecOf } from '../../activities/streams';
import { CcsyncError } from '../../core/errors';
import type { SourceDeclaration, StreamDeclaration } from '../../core/source';
import { indexColumns, rowValues } from '../../destinations/columns';
import { ccaip } from '../../sources/ccaip';
import { calls } from '../../sources/ccaip/streams';
import { kore } from '../../sources/kore';
import { calldetails, callvolume } from '../../sources/kore/streams';

const answer = (body: unknown) => ({ status: 200, headers: {}, text: JSON.stringify(body), ms: 0 });
const decode = (source: SourceDeclaration, stream: StreamDeclaration, body: unknown) =>
  decodePage(source, stream, answer(body), stream.pagination.first(100), 'vendor.example', 1);

const interval = { intervalStartTimeStamp: '2026-10-01T00:00:00.000Z', queueId: 'q1' };
const volume = (...records: unknown[]) => ({ hasMore: false, CallVolumeUpdate: records });

/** The SchemaMismatch a page fails with, or a test failure when it decodes. */
function refusal(fn: () => unknown): CcsyncError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CcsyncError, String(err));
    assert.equal(err.type, 'SchemaMismatch');
    return err;
  }
  assert.fail('the page was accepted');
}

describe('decoding wrong-typed values', () => {
  it('an optional declared field with a wrong-typed value keeps the record whole and marks the field a misfit of that row only', () => {
    const page = decode(
      kore,
      callvolume,
      volume({ _id: 'a', ...interval, offeredContacts: 'lots', queueName: 5, answeredContacts: '4' }, { _id: 'b', ...interval, offeredContacts: 3 }),
    );
    assert.equal(page.rows.length, 2);
    const [a, b] = page.rows;
    assert.deepEqual([...(a!.misfits ?? [])].sort(), ['offeredContacts', 'queueName']);
    // Kept as sent; the valid fields of the same record still parsed (the numeric text "4" became 4).
    assert.deepEqual(a!.record, { _id: 'a', ...interval, offeredContacts: 'lots', queueName: 5, answeredContacts: 4 });
    assert.equal(b!.misfits, undefined, 'a valid record has no misfits');
    assert.equal((b!.record as { offeredContacts: number }).offeredContacts, 3);

    // The columns: NULL for the refused fields even where the value would convert (5 is text "5").
    const index = indexColumns(tableSpecOf(callvolume).columns!);
    const { values, misfits } = rowValues(index, a!.record, a!.misfits);
    const at = (name: string) => values[index.columns.findIndex((c) => c.name === name)];
    assert.equal(at('offered_contacts'), null);
    assert.equal(at('queue_name'), null);
    assert.equal(at('answered_contacts'), 4);
    assert.equal(at('queue_id'), 'q1');
    assert.deepEqual([...misfits].sort(), ['offeredContacts', 'queueName']);
  });

  it('a key, the version, a required field or a broken body still fails the page, naming the field', () => {
    assert.match(
      refusal(() => decode(kore, callvolume, volume({ _id: 12, ...interval }))).message,
      /CallVolumeUpdate\[0\]\._id: .*\(got number 12\).*Nothing from this page was written/,
    );
    assert.match(
      refusal(() => decode(kore, callvolume, volume({ _id: 'a', ...interval }, { ...interval }))).message,
      /CallVolumeUpdate\[1\]\._id: is required/,
    );
    // `__v` is the version a newer stored row is protected by.
    assert.match(
      refusal(() => decode(kore, callvolume, volume({ _id: 'a', ...interval, __v: 'two' }))).message,
      /CallVolumeUpdate\[0\]\.__v: expected a number/,
    );
    assert.match(
      refusal(() => decode(kore, callvolume, volume({ _id: 'a', ...interval, intervalStartTimeStamp: 'soon' }))).message,
      /CallVolumeUpdate\[0\]\.intervalStartTimeStamp: expected an ISO-8601 timestamp/,
    );
    // A wrong-typed optional field does not excuse a key in the same record.
    assert.match(refusal(() => decode(kore, callvolume, volume({ _id: 7, ...interval, offeredContacts: 'lots' }))).message, /\._id: /);
    assert.match(refusal(() => decode(kore, callvolume, { hasMore: 'no', CallVolumeUpdate: [] })).message, /does not have the documented shape: hasMore/);
    // CCAI Platform tails by updated_at, its version too.
    const call = { id: 1, updated_at: '2026-10-01T00:00:00.000Z' };
    assert.match(
      refusal(() => decode(ccaip, calls, [{ ...call, updated_at: 1_700_000_000 }])).message,
      /calls\[0\]\.updated_at: expected an ISO-8601 date-time/,
    );
  });

  it('child lists: a bad item is the child table misfit, the parent keeps the list as sent; a child key or a list that is no list fails', () => {
    const call = { id: 1, updated_at: '2026-10-01T00:00:00.000Z' };
    const participants = [
      { id: 10, type: 'agent', status: 7, connected_at: '2026-10-01T00:00:01.000Z' },
      { id: 11, type: 'end_user', status: 'finished' },
    ];
    const page = decode(ccaip, calls, [{ ...call, participants }]);
    assert.equal(page.rows[0]!.misfits, undefined, 'the parent is whole: its list is stored as sent');
    assert.deepEqual((page.rows[0]!.record as { participants: unknown }).participants, participants);
    const child = page.children.find((c) => c.spec.name === 'ccaip_call_participants')!;
    assert.deepEqual(
      child.rows.map((r) => [r.key, r.misfits]),
      [
        [{ call_id: '1', id: '10' }, ['status']],
        [{ call_id: '1', id: '11' }, undefined],
      ],
    );
    assert.equal((child.rows[0]!.record as { status: unknown }).status, 7, 'the value as sent, in the child record');

    assert.match(
      refusal(() => decode(ccaip, calls, [{ ...call, participants: [{ id: 'ten', type: 'agent' }] }])).message,
      /a call_participants record does not match its schema: calls\[0\]\.participants\[0\]\.id: expected an integer id \(got string "ten"\)/,
    );
    assert.match(refusal(() => decode(ccaip, calls, [{ ...call, participants: 'two' }])).message, /calls\[0\]\.participants: expected a list/);

    // Kore.ai's parent schema describes its destinations: a bad item there is judged by the child too.
    const session = { sessionId: 's1', destinations: [{ queueId: 'q1', queueName: 42 }] };
    const conv = decode(kore, calldetails, { data: [session] });
    assert.equal(conv.rows[0]!.misfits, undefined);
    assert.deepEqual((conv.rows[0]!.record as { destinations: unknown }).destinations, session.destinations);
    assert.deepEqual(conv.children[0]!.rows[0]!.misfits, ['queueName']);
  });
});
