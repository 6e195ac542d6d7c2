import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_DESTINATION, describeDestinationUrl, destinationFromEnv, destinationUrlFromEnv, openDestination } from '../../destinations/index';
import { parsePostgresUrl } from '../../destinations/postgres';
import { canonicalJson } from '../../destinations/shared';
import { ofType } from '../helpers/destination-contract';

const dir = mkdtempSync(join(tmpdir(), 'ccsync-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('destination URLs', () => {
  it('describes PostgreSQL URLs without the password or connection options', () => {
    assert.equal(
      describeDestinationUrl('postgres://ccsync:s3cretpw@db.example.com:6543/warehouse?schema=contact_center&poolSize=4&sslmode=require'),
      'postgres://ccsync@db.example.com:6543/warehouse?schema=contact_center',
    );
    assert.equal(describeDestinationUrl('postgresql://me:p%40ss@db/wh'), 'postgres://me@db:5432/wh');
    assert.equal(describeDestinationUrl('postgres://db.example.com/wh'), 'postgres://db.example.com:5432/wh');
    assert.equal(describeDestinationUrl('sqlite:.data/ccsync.db'), 'sqlite:.data/ccsync.db');
    assert.doesNotMatch(describeDestinationUrl('mysql://root:s3cretpw@db/x'), /s3cretpw/);
  });

  it('hands pg the URL without our own options, keeping its own', () => {
    const config = parsePostgresUrl('postgres://u:pw@h:5433/db?schema=s1&poolSize=3&sslmode=disable');
    assert.equal(config.schema, 's1');
    assert.equal(config.poolSize, 3);
    assert.equal(config.password, 'pw');
    const passed = new URL(config.connectionString);
    assert.equal(passed.searchParams.get('schema'), null);
    assert.equal(passed.searchParams.get('poolSize'), null);
    assert.equal(passed.searchParams.get('sslmode'), 'disable');
    assert.equal(parsePostgresUrl('postgres://h/db').poolSize, 10);
  });

  it('refuses bad PostgreSQL options with ConfigError, without echoing the password', () => {
    for (const url of [
      'postgres://u:s3cretpw@h/db?poolSize=0',
      'postgres://u:s3cretpw@h/db?poolSize=many',
      'postgres://u:s3cretpw@h/db?schema=bad-schema',
      'postgres://u:s3cretpw@h/db?schema=x%22%3B%20drop',
      'postgres://u:s3cretpw@h:notaport/db',
    ]) {
      assert.throws(
        () => openDestination(url),
        (err: unknown) => {
          ofType('ConfigError')(err);
          assert.doesNotMatch((err as Error).message, /s3cretpw/);
          return true;
        },
        url,
      );
    }
  });

  it('refuses unknown schemes with a ConfigError that says what is supported', () => {
    for (const url of ['mysql://root:s3cretpw@db/x', 'ccsync.db', 'sqlite:', 'file:///tmp/x.db']) {
      assert.throws(
        () => openDestination(url),
        (err: unknown) => {
          ofType('ConfigError')(err);
          assert.match((err as Error).message, /sqlite:/);
          assert.doesNotMatch((err as Error).message, /s3cretpw/);
          return true;
        },
        url,
      );
    }
  });

  it('reads CCSYNC_DESTINATION, defaulting to the embedded SQLite file', async () => {
    assert.equal(DEFAULT_DESTINATION, 'sqlite:.data/ccsync.db');
    assert.equal(destinationUrlFromEnv({}), DEFAULT_DESTINATION);
    assert.equal(destinationUrlFromEnv({ CCSYNC_DESTINATION: '  ' }), DEFAULT_DESTINATION);
    assert.equal(destinationUrlFromEnv({ CCSYNC_DESTINATION: 'postgres://h/db' }), 'postgres://h/db');

    const file = join(dir, 'env.db');
    const sqlite = destinationFromEnv({ CCSYNC_DESTINATION: `sqlite:${file}` });
    assert.equal(sqlite.kind, 'sqlite');
    assert.equal(sqlite.describe, `sqlite:${file}`);
    await sqlite.close();

    // PostgreSQL connects lazily: opening never touches the network.
    const postgres = destinationFromEnv({ CCSYNC_DESTINATION: 'postgresql://u:s3cretpw@127.0.0.1:1/x?schema=s' });
    assert.equal(postgres.kind, 'postgres');
    assert.equal(postgres.describe, 'postgres://u@127.0.0.1:1/x?schema=s');
    await postgres.close();
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    assert.equal(canonicalJson({ b: [{ y: 1, x: 2 }, 3], a: { d: null, c: 'é' } }), '{"a":{"c":"é","d":null},"b":[{"x":2,"y":1},3]}');
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson({ when: new Date(Date.UTC(2026, 0, 1)), skip: undefined }), '{"when":"2026-01-01T00:00:00.000Z"}');
  });
});
