/**
 * Connections files for tests, benchmarks and docs tooling: the one place that spells a Kore.ai
 * connection to the demo simulator tenant, and writes a file in a fresh temporary folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_KORE } from '../../simulators/kore';

export interface KoreConnectionOptions {
  name: string;
  baseUrl: string;
  /** Settings beyond the demo tenant's ids (pageSize, rateLimitPerMinute, ...). */
  settings?: Record<string, string | number>;
  /** Values may be `${VAR}` references: the product expands them when it loads the file. */
  credentials: Record<string, string>;
  streams?: readonly string[];
  /** Further lines of the connection (start, schedule, requestTimeout), indented by four spaces. */
  extra?: string;
}

/** `{ a: "x", n: 3 }`: a JSON string is a YAML string, so no value needs quoting by hand. */
function flowMap(values: Record<string, string | number>): string {
  return `{ ${Object.entries(values)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/** One Kore.ai connection to the demo tenant (DEMO_KORE) at `baseUrl`, as an item of `connections:`. */
export function koreConnection(o: KoreConnectionOptions): string {
  const settings = { baseUrl: o.baseUrl, accountId: DEMO_KORE.accountId, orgId: DEMO_KORE.orgId, iId: DEMO_KORE.iId, ...o.settings };
  const lines = [
    `  - name: ${o.name}`,
    '    source: kore',
    `    settings: ${flowMap(settings)}`,
    `    credentials: ${flowMap(o.credentials)}`,
    `    streams: [${(o.streams ?? ['callvolume']).join(', ')}]`,
  ];
  if (o.extra?.trim()) lines.push(o.extra.replace(/\n+$/, ''));
  return lines.join('\n') + '\n';
}

/**
 * Writes `connections.yaml` holding the given `connections:` items (see `koreConnection`) in a new
 * folder under the system's temporary directory (or `dir`); returns the file's path.
 */
export function writeConnectionsFile(items: string | readonly string[], opts: { prefix?: string; dir?: string } = {}): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), opts.prefix ?? 'ccsync-conn-'));
  const file = join(dir, 'connections.yaml');
  const body = (typeof items === 'string' ? [items] : items).map((item) => item.replace(/\n*$/, '\n')).join('');
  writeFileSync(file, `connections:\n${body}`);
  return file;
}
