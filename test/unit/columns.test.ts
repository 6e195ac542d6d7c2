/**
 * Typed columns without a database: names, types read from the sources' schemas, value
 * conversion, inference for new fields, and docs/tables.md against the declarations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { describeTables, tablesMarkdown } from '../../activities/tables';
import { columnsFromSchema, columnValue, indexColumns, inferType, MISFIT, newColumns, rowValues, snakeCase } from '../../destinations/columns';

describe('typed columns', () => {
  it('names columns in snake_case from the vendor field names', () => {
    const cases: [string, string][] = [
      ['queueId', 'queue_id'],
      ['intervalStartTimeStamp', 'interval_start_time_stamp'],
      ['EnterTime', 'enter_time'],
      ['ConsultingAgents', 'consulting_agents'],
      ['CSATScore', 'csat_score'],
      ['iId', 'i_id'],
      ['_id', '_id'],
      ['__v', '__v'],
      ['updated_at', 'updated_at'],
      ['fromL', 'from_l'],
      ['a-b c', 'a_b_c'],
      ['1st', '_1st'],
    ];
    assert.deepEqual(
      cases.map(([f]) => snakeCase(f)),
      cases.map(([, c]) => c),
    );
  });

  it('reads column types from schemas: numbers, integers, booleans, text, JSON, and hinted timestamps; fields folding to one name share it', () => {
    const schema = z.looseObject({
      sessionId: z.string(),
      count: z.preprocess((v) => v, z.number()).optional(),
      id: z.number().int(),
      open: z.boolean(),
      name: z.string().nullable().optional(),
      at: z.string().meta({ column: 'timestamp' }).nullable().optional(),
      meta: z.looseObject({}).optional(),
      list: z.array(z.unknown()),
      either: z.union([z.string(), z.number()]).transform(String),
      reason: z.string().optional(),
      Reason: z.string().optional(),
      record: z.string().optional(),
    });
    assert.deepEqual(columnsFromSchema(schema, ['sessionId']), [
      { name: 'count', type: 'numeric', fields: ['count'] },
      { name: 'id', type: 'integer', fields: ['id'] },
      { name: 'open', type: 'boolean', fields: ['open'] },
      { name: 'name', type: 'text', fields: ['name'] },
      { name: 'at', type: 'timestamp', fields: ['at'] },
      { name: 'meta', type: 'json', fields: ['meta'] },
      { name: 'list', type: 'json', fields: ['list'] },
      { name: 'either', type: 'text', fields: ['either'] },
      { name: 'reason', type: 'text', fields: ['reason', 'Reason'] },
    ]);
  });

  it('converts values: zoneless and offset times to UTC, numeric text to numbers, misfits marked', () => {
    const col = (type: Parameters<typeof columnValue>[0]['type']) => ({ name: 'c', type, fields: ['c'] });
    assert.equal(columnValue(col('timestamp'), '2024-09-27T13:50:51'), '2024-09-27T13:50:51.000Z');
    assert.equal(columnValue(col('timestamp'), '2024-09-27 13:50:51'), '2024-09-27T13:50:51.000Z');
    assert.equal(columnValue(col('timestamp'), '2026-10-01T00:00:00+02:00'), '2026-09-30T22:00:00.000Z');
    assert.equal(columnValue(col('timestamp'), '2023-02-30T00:00:00Z'), MISFIT);
    assert.equal(columnValue(col('timestamp'), 'soon'), MISFIT);
    assert.equal(columnValue(col('integer'), '42'), 42);
    assert.equal(columnValue(col('integer'), 4.5), MISFIT);
    assert.equal(columnValue(col('numeric'), '4.5'), 4.5);
    assert.equal(columnValue(col('numeric'), 'lots'), MISFIT);
    assert.equal(columnValue(col('boolean'), 'false'), false);
    assert.equal(columnValue(col('text'), 7), '7');
    assert.equal(columnValue(col('text'), { a: 1 }), MISFIT);
    assert.equal(columnValue(col('json'), { b: 1, a: 2 }), '{"a":2,"b":1}');
    assert.equal(columnValue(col('duration'), '32:17:04'), '32:17:04');
    assert.equal(columnValue({ ...col('integer'), derive: 'seconds' }, '32:17:04'), 116224);
    assert.equal(columnValue(col('numeric'), null), null);
  });

  it('types a new field from its values, waits while it has only nulls, and fills existing columns from spelling variants', () => {
    assert.equal(inferType([1, 2]), 'numeric', 'never integer from values alone');
    assert.equal(inferType([true]), 'boolean');
    assert.equal(inferType(['2026-10-01T00:00:00Z', '2026-10-01 01:00:00']), 'timestamp');
    assert.equal(inferType(['00:01:10']), 'duration');
    assert.equal(inferType(['a', '2026-10-01T00:00:00Z']), 'text');
    assert.equal(inferType([{ a: 1 }, 'x']), 'json');
    assert.equal(inferType([null, undefined]), undefined);
    const index = indexColumns([{ name: 'queue_id', type: 'text', fields: ['queueId'] }]);
    assert.deepEqual(newColumns(index, ['session_id'], [{ sessionId: 's', queueId: 'q', waitTime: '00:00:05', later: null, record: 'x' }]), [
      { name: 'wait_time', type: 'duration', fields: ['waitTime'] },
      { name: 'wait_time_seconds', type: 'integer', fields: ['waitTime'], derive: 'seconds' },
    ]);
    assert.deepEqual(
      rowValues(index, { QueueId: 'Q' }),
      { values: ['Q'], misfits: [] },
      'a variant spelling fills the column when the declared field is absent',
    );
  });

  it('docs/tables.md is what `ccsync tables --markdown` generates from the declarations', () => {
    const tables = describeTables();
    assert.equal(readFileSync(resolve(__dirname, '../../docs/tables.md'), 'utf8'), tablesMarkdown(tables));
    const names = tables.map((t) => t.table);
    for (const t of ['kore_callvolume', 'kore_calldetails_destinations', 'liveperson_interval_metrics', 'ccaip_calls', 'ccaip_call_participants']) {
      assert.ok(names.includes(t), t);
    }
    const calls = tables.find((t) => t.table === 'ccaip_calls')!;
    assert.deepEqual(
      calls.columns.filter((c) => c.column === 'created_at' || c.column === 'id').map((c) => [c.column, c.type, c.postgres]),
      [
        ['id', 'key', 'TEXT'],
        ['created_at', 'timestamp', 'TIMESTAMPTZ'],
      ],
    );
  });
});
