/**
 * docker-compose.yml agrees with the code: the worker's environment means, to our own config
 * readers, task queue `ccsync` on temporal:7233, a PostgreSQL destination in its own database, and
 * the connections file mounted read-only; the search attributes registered are core's list. The
 * registration script itself is run against a real Temporal server with the real CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { connectionsFilePath } from '../../activities/connections';
import { SEARCH_ATTRIBUTES } from '../../core/search-attributes';
import { DESTINATION_ENV, destinationUrlFromEnv } from '../../destinations';
import { parsePostgresUrl } from '../../destinations/postgres';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE, temporalSettingsFromEnv } from '../../workers/temporal-connection';
import { resolveTemporalCli } from '../../dev/temporal-cli';
import { TEMPORAL_SERVER_VERSION } from '../../dev/temporal-server';
import { CONFIG_FILE, DYNAMIC_CONFIG_FILE } from '../../dev/cluster';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string> | string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: unknown[];
  configs?: { source: string; target: string }[];
  command?: string | string[];
  entrypoint?: string[];
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
}

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as Compose;

/** Compose interpolation of `${VAR:-default}` / `${VAR}` with an empty environment, and `$$` → `$`. */
function interpolate(text: string, vars: Record<string, string> = {}): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return '$';
    return vars[name as string] ?? fallback ?? '';
  });
}

function envOf(service: Service): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => {
        const i = line.indexOf('=');
        return [line.slice(0, i), line.slice(i + 1)] as [string, string];
      })
    : Object.entries(raw).map(([k, v]) => [k, String(v)] as [string, string]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

function service(name: string): Service {
  const s = compose.services[name];
  assert.ok(s, `docker-compose.yml has no service ${name}`);
  return s;
}

function publishedPorts(s: Service): { host: number; container: number }[] {
  return (s.ports ?? []).map((p) => {
    const parts = interpolate(String(p)).split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

describe('docker-compose.yml', () => {
  const worker = service('ccsync-worker');
  const workerEnv = envOf(worker);

  test('the worker is built from our Dockerfile', () => {
    assert.deepEqual(worker.build, { context: '.', dockerfile: 'Dockerfile' });
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20/m);
    assert.match(dockerfile, /RUN npm ci\b/);
    assert.match(dockerfile, /^CMD \["npm", "run", "worker"\]$/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.ok(pkg.scripts.worker, 'package.json has no "worker" script');
    // Every folder the worker script's entry point lives in is copied into the image.
    const entry = /tsx\s+(\S+)/.exec(pkg.scripts.worker)?.[1];
    assert.ok(entry, pkg.scripts.worker);
    assert.match(dockerfile, new RegExp(`^COPY ${entry.split('/')[0]} `, 'm'));
  });

  test('the worker env means task queue ccsync on temporal:7233 to our own settings reader', () => {
    const settings = temporalSettingsFromEnv(workerEnv);
    assert.equal(settings.taskQueue, DEFAULT_TASK_QUEUE);
    assert.equal(settings.taskQueue, 'ccsync');
    assert.equal(settings.namespace, DEFAULT_NAMESPACE);
    assert.equal(settings.address, 'temporal:7233');
    assert.equal(workerEnv.CCSYNC_TASK_QUEUE, 'ccsync');
    assert.equal(workerEnv.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  test('gRPC 7233 is published, the same port as our default address', () => {
    const defaultPort = Number(DEFAULT_ADDRESS.split(':').at(-1));
    assert.equal(defaultPort, 7233);
    assert.deepEqual(publishedPorts(service('temporal')), [{ host: defaultPort, container: 7233 }]);
    assert.equal(Number(workerEnv.TEMPORAL_ADDRESS?.split(':')[1]), defaultPort);
  });

  test('the Web UI is published on 8080 and talks to the same server', () => {
    const ui = service('temporal-ui');
    assert.match(ui.image ?? '', /^temporalio\/ui:/);
    assert.deepEqual(publishedPorts(ui), [{ host: 8080, container: 8080 }]);
    assert.equal(envOf(ui).TEMPORAL_ADDRESS, workerEnv.TEMPORAL_ADDRESS);
  });

  test('the destination is PostgreSQL in a database of its own, created by the stack', () => {
    assert.ok(DESTINATION_ENV in workerEnv, `the worker has no ${DESTINATION_ENV}`);
    const url = destinationUrlFromEnv(workerEnv);
    const parsed = new URL(parsePostgresUrl(url).connectionString);
    assert.equal(parsed.hostname, 'postgresql');
    assert.equal(parsed.port, '5432');
    const database = parsed.pathname.slice(1);
    assert.equal(database, 'ccsync');
    // Temporal's databases are others.
    assert.ok(!['temporal', 'temporal_visibility', 'postgres'].includes(database));
    const setup = envOf(service('ccsync-db-setup'));
    assert.equal(setup.CCSYNC_DB_NAME, database);
    assert.equal(setup.CCSYNC_DB_USER, decodeURIComponent(parsed.username));
    assert.equal(setup.CCSYNC_DB_PASSWORD, decodeURIComponent(parsed.password));
    assert.equal(worker.depends_on?.['ccsync-db-setup']?.condition, 'service_completed_successfully');
  });

  test('the connections file is mounted read-only where CCSYNC_CONNECTIONS points', () => {
    assert.equal(connectionsFilePath(workerEnv, '/app'), '/config/connections.yaml');
    const mount = (worker.volumes ?? []).find(
      (v): v is { type: string; target: string; read_only?: boolean } =>
        typeof v === 'object' && v !== null && (v as { target?: string }).target === '/config/connections.yaml',
    );
    assert.ok(mount, 'no volume mounted at /config/connections.yaml');
    assert.equal(mount.type, 'bind');
    assert.equal(mount.read_only, true);
  });

  test('Temporal runs on the official images with PostgreSQL (schema setup, then server, then namespace)', () => {
    assert.match(service('postgresql').image ?? '', /^postgres:/);
    assert.match(service('temporal').image ?? '', /^temporalio\/server:/);
    assert.match(fs.readFileSync(path.join(ROOT, 'deploy', 'temporal', 'config.yaml'), 'utf8'), /pluginName: postgres12/);
    assert.equal(service('temporal').depends_on?.['temporal-admin-tools']?.condition, 'service_completed_successfully');
    assert.match(service('temporal-admin-tools').image ?? '', /^temporalio\/admin-tools:/);
    assert.equal(service('temporal-create-namespace').depends_on?.temporal?.condition, 'service_healthy');
    assert.equal(envOf(service('temporal-create-namespace')).DEFAULT_NAMESPACE, DEFAULT_NAMESPACE);
    // Every config a service mounts exists.
    for (const [name, s] of Object.entries(compose.services)) {
      for (const c of s.configs ?? []) assert.ok(compose.configs[c.source]?.content, `${name} mounts missing config ${c.source}`);
    }
  });

  test('the registered search attributes are exactly core/search-attributes.ts, before the worker starts', () => {
    const job = service('ccsync-search-attributes');
    const env = envOf(job);
    const registered = Object.fromEntries(
      (env.CCSYNC_SEARCH_ATTRIBUTES ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((p) => p.split('=')),
    );
    assert.deepEqual(registered, { ...SEARCH_ATTRIBUTES });
    assert.equal(env.TEMPORAL_ADDRESS, workerEnv.TEMPORAL_ADDRESS);
    assert.equal(env.TEMPORAL_NAMESPACE, temporalSettingsFromEnv(workerEnv).namespace);
    assert.equal(job.depends_on?.['temporal-create-namespace']?.condition, 'service_completed_successfully');
    assert.equal(worker.depends_on?.['ccsync-search-attributes']?.condition, 'service_completed_successfully');
  });
});

describe('docker-compose.yml runs the server the native cluster proves', () => {
  const temporalService = service('temporal');
  const env = envOf(temporalService);
  const tag = (image: string | undefined) =>
    interpolate(image ?? '')
      .split(':')
      .at(-1);

  test('the same version as dev/temporal-server.ts builds, for the server and its schema tool', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    assert.equal(tag(temporalService.image), version);
    for (const name of ['temporal-admin-tools', 'temporal-create-namespace', 'ccsync-search-attributes']) assert.equal(tag(service(name).image), version, name);
  });

  test('the same config files as `npm run cluster`, mounted from deploy/temporal, only their variables set', () => {
    const mount = (temporalService.volumes ?? []).find(
      (v): v is { source: string; target: string; read_only?: boolean } => (v as { source?: string }).source === './deploy/temporal',
    );
    assert.ok(mount, 'deploy/temporal is mounted');
    assert.equal(mount.read_only, true);
    const command = [...(temporalService.entrypoint ?? []), ...[temporalService.command ?? []].flat()].join(' ');
    const configArg = /--config-file (\S+)/.exec(command)?.[1];
    assert.ok(configArg, command);
    assert.equal(path.posix.relative(mount.target, configArg), path.relative(path.join(ROOT, 'deploy', 'temporal'), CONFIG_FILE));
    assert.equal(
      path.posix.relative(mount.target, env.TEMPORAL_DYNAMIC_CONFIG ?? ''),
      path.relative(path.join(ROOT, 'deploy', 'temporal'), DYNAMIC_CONFIG_FILE),
    );
    // Every variable compose sets is one the config file reads (no dead settings, no second config).
    const template = fs.readFileSync(CONFIG_FILE, 'utf8');
    for (const name of Object.keys(env)) assert.match(template, new RegExp(`env "${name}"`), `config.yaml reads ${name}`);
    assert.equal(env.TEMPORAL_DB_ADDR, 'postgresql:5432');
  });

  test('the schema setup makes the databases the config file names, with the embedded schemas', () => {
    const template = fs.readFileSync(CONFIG_FILE, 'utf8');
    const dbDefault = (v: string) => new RegExp(`env "${v}" \\| default "([^"]+)"`).exec(template)?.[1];
    const script = interpolate(compose.configs['setup-postgres']?.content ?? '');
    const dbs = /for db in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    assert.deepEqual(dbs, [dbDefault('TEMPORAL_DB_NAME'), dbDefault('TEMPORAL_VISIBILITY_DB_NAME')]);
    assert.match(script, /update-schema --schema-name "postgresql\/v12\/\$schema"/);
  });
});

describe('docker-compose.yml search-attribute script on a real server', () => {
  let t: TestTemporal;
  let cliDir: string;
  let work: string;

  before(async () => {
    t = await testTemporal();
    cliDir = path.dirname((await resolveTemporalCli()).path);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccsync-compose-test-'));
  });
  after(async () => {
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('registers every attribute in a fresh namespace, and re-running it changes nothing', { timeout: 120_000 }, async () => {
    const namespace = `compose-${Date.now().toString(36)}`;
    await t.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
    const custom = async () => (await t.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    assert.equal(Object.keys(await custom()).filter((k) => k.startsWith('Ccsync')).length, 0, 'the fresh namespace already has them');

    const scriptFile = path.join(work, 'register-search-attributes.sh');
    const job = service('ccsync-search-attributes');
    const configName = job.configs?.[0]?.source;
    assert.ok(configName);
    fs.writeFileSync(scriptFile, interpolate(compose.configs[configName]?.content ?? ''));
    const env = {
      ...process.env,
      ...envOf(job),
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_NAMESPACE: namespace,
      PATH: `${cliDir}${path.delimiter}${process.env.PATH ?? ''}`,
    };
    for (let run = 1; run <= 2; run++) {
      await new Promise<void>((resolve, reject) =>
        execFile('sh', [scriptFile], { env, timeout: 90_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`run ${run}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
        ),
      );
      const attrs = await custom();
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
        const expected = type === 'Keyword' ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD : IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
        assert.equal(Number(attrs[name]), expected, `run ${run}: ${name}`);
      }
    }
  });
});
