/** The worker's logger: JSON or text, one line per event, sync attributes first, secrets scrubbed whatever logged them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, formatText, logFormatFrom, syncLogAttributes, TemporalPinoLogger } from '../../workers/logging';

const SECRET = 'sk-live-9f8e7d6c5b4a';

function capture(format: 'json' | 'text') {
  const lines: string[] = [];
  const log = createLogger({ format, secrets: () => [SECRET, 'p"w\\quote'], write: (l) => lines.push(l) });
  return { log, lines };
}

describe('worker logs', () => {
  it('JSON: one parseable line per event, with the SDK metadata and level words', () => {
    const { log, lines } = capture('json');
    const temporal = new TemporalPinoLogger(log);
    temporal.info('page synced', {
      connection: 'kore-demo',
      stream: 'callvolume',
      window: '2026-10-01T00:00:00.000Z/2026-10-02T00:00:00.000Z',
      page: 3,
      sdkComponent: 'activity',
    });
    temporal.warn('Activity failed', { error: new Error('boom'), connection: 'kore-demo' });
    assert.equal(lines.length, 2);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(a!.msg, 'page synced');
    assert.equal(a!.level, 'info');
    assert.equal(a!.page, 3);
    assert.equal(a!.window, '2026-10-01T00:00:00.000Z/2026-10-02T00:00:00.000Z');
    assert.equal(b!.level, 'warn');
    assert.equal((b!.error as { message: string }).message, 'boom', 'errors are serialized, not {}');
    assert.ok(
      lines.every((l) => l.endsWith('\n') && l.split('\n').length === 2),
      'one line each',
    );
  });

  it('text: readable, connection, stream, window and page first', () => {
    const { log, lines } = capture('text');
    log.info({ records: 100, page: 2, stream: 'callvolume', connection: 'kore-demo', window: 'a/b' }, 'page synced');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z INFO {2}page synced {2}connection=kore-demo stream=callvolume window=a\/b page=2 records=100\n$/);
    assert.equal(formatText('not json'), 'not json');
  });

  it('a secret never reaches the output, in the message, in metadata, in an error, JSON-escaped or not', () => {
    for (const format of ['json', 'text'] as const) {
      const { log, lines } = capture(format);
      const temporal = new TemporalPinoLogger(log);
      temporal.error(`request failed with token ${SECRET}`, { header: `Bearer ${SECRET}`, error: new Error(`bad ${SECRET}`) });
      temporal.info('odd password', { password: 'p"w\\quote' });
      const out = lines.join('');
      assert.ok(!out.includes(SECRET), `${format}: ${out}`);
      assert.ok(!out.includes('p\\"w\\\\quote') && !out.includes('p"w\\quote'), `${format}: ${out}`);
      assert.match(out, /\[redacted\]/);
    }
  });

  it('--log-format beats CCSYNC_LOG_FORMAT; text by default; a wrong value is refused', () => {
    assert.equal(logFormatFrom([], {}), 'text');
    assert.equal(logFormatFrom([], { CCSYNC_LOG_FORMAT: 'json' }), 'json');
    assert.equal(logFormatFrom(['node', 'main.ts', '--log-format', 'text'], { CCSYNC_LOG_FORMAT: 'json' }), 'text');
    assert.equal(logFormatFrom(['--log-format=json'], {}), 'json');
    assert.throws(() => logFormatFrom(['--log-format', 'xml'], {}), /json or text/);
  });

  it('activity log attributes come only from well-formed names and instants', () => {
    assert.deepEqual(
      syncLogAttributes({
        connection: 'kore-demo',
        stream: 'callvolume',
        start: '2026-10-01T00:00:00.000Z',
        end: '2026-10-02T00:00:00.000Z',
        page: 4,
        cursor: { skip: 1 },
      }),
      {
        connection: 'kore-demo',
        stream: 'callvolume',
        window: '2026-10-01T00:00:00.000Z/2026-10-02T00:00:00.000Z',
        page: 4,
      },
    );
    assert.deepEqual(syncLogAttributes({ connection: 'has spaces and ${SECRET}', stream: 1 }), {});
    assert.deepEqual(syncLogAttributes(null), {});
  });
});
