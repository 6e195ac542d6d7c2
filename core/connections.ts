/**
 * The connections file (`connections.yaml`): its shape, validated with zod, and the rules that
 * need the source declarations (settings, credentials and stream names per source). Pure: the
 * caller reads the file; secrets stay `${ENV}` references here and are resolved only in
 * activities (see activities/connections.ts).
 */
import { parseDocument, type YAMLError } from 'yaml';
import { z } from 'zod';
import { CcsyncError } from './errors';
import { connectionName, duration, instant, streamName } from './inputs';
import { describeIssues, describePath } from './issues';
import type { SourceDeclaration } from './source';

const streamEntry = z.union([
  streamName,
  z.strictObject({
    name: streamName,
    options: z.record(z.string(), z.unknown()).default({}),
    // Engine-level, so every stream of every source takes it (options are the source's own): destinations/history.ts.
    // Checked with the options below (`HISTORY`): inside this union a wrong value would only say "Invalid input".
    history: z.unknown().optional(),
  }),
]);

const scheduleShape = z.strictObject({
  every: duration,
  lag: duration.optional(),
  lookback: duration.optional(),
  /** Create the schedule paused. */
  paused: z.boolean().optional(),
  /** How far back missed runs are caught up after an outage (default PT1H; one run fills every gap anyway). */
  catchupWindow: duration.optional(),
  /** Random delay added to each run, so many connections do not hit a vendor at once (default: 10% of `every`, at most 1 min). */
  jitter: duration.optional(),
});

/** A connection's shape; `source` is one of the registry's names. */
const connectionShape = (sourceNames: readonly string[]) =>
  z.strictObject({
    name: connectionName,
    source: z.enum(sourceNames as [string, ...string[]], { error: `must be one of ${sourceNames.join(', ')}` }),
    settings: z.record(z.string(), z.unknown()).default({}),
    credentials: z.record(z.string(), z.string({ error: 'must be text: a ${ENV_VAR} reference (or a literal, for demos only)' })).default({}),
    streams: z.array(streamEntry).min(1).optional(),
    start: instant.optional(),
    schedule: scheduleShape.optional(),
    /** How long one HTTP request may take before it counts as a timeout. */
    requestTimeout: duration.optional(),
  });

const fileShape = z.strictObject({ connections: z.array(z.unknown()) });

export interface StreamChoice {
  name: string;
  options: Record<string, unknown>;
  /** History mode: every distinct version of each record is also kept in `<table>_history`. Present only when true. */
  history?: true;
}

export interface ConnectionConfig {
  name: string;
  /** A name in the source registry (sources/index.ts). */
  source: string;
  /** Parsed by the source's settings schema. Never secret. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each source's own settings type; callers (tests, CLI) read fields without narrowing
  settings: any;
  /** As written: `${ENV}` references or demo literals. Resolve with `resolveCredentials`. */
  credentials: Record<string, string>;
  /** The enabled streams (every stream of the source when the file names none). */
  streams: StreamChoice[];
  start?: string;
  schedule?: { every: string; lag?: string; lookback?: string; paused?: boolean; catchupWindow?: string; jitter?: string };
  requestTimeout?: string;
}

/** Every source the engine can sync, by the name the connections file uses (sources/index.ts). */
export type SourceRegistry = Readonly<Record<string, SourceDeclaration>>;

function fail(file: string, problems: string[]): never {
  throw new CcsyncError('ConfigError', `${file} is not valid:\n  - ${problems.join('\n  - ')}`, { details: { file, problems } });
}

/** A stream's `history` (history mode, destinations/history.ts). */
const HISTORY = z.boolean({ error: 'must be true or false (true keeps every version of each record in <table>_history)' }).optional();

/** What a stream without `optionsSchema` accepts: nothing. */
const NO_OPTIONS = z.strictObject({});

/** A stream's options parsed by its schema, or the problems, each naming the field (`streams[1].options.channel`). */
function streamOptions(
  stream: SourceDeclaration['streams'][string],
  options: unknown,
  path: readonly (string | number)[],
  entry: unknown,
): { options?: Record<string, unknown>; problems: string[] } {
  const parsed = (stream.optionsSchema ?? NO_OPTIONS).safeParse(options ?? {});
  if (parsed.success) return { options: parsed.data as Record<string, unknown>, problems: [] };
  const problems = describeIssues(
    parsed.error.issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] })),
    entry,
  ).map((p) => p.replace(/unknown field(s?) /, 'unknown option$1 '));
  return { problems };
}

function unknownStream(where: string, name: string, source: SourceDeclaration): string {
  return `${where}: streams: "${name}" is not a ${source.title} stream (known: ${Object.keys(source.streams).join(', ')})`;
}

/**
 * `credentials: { token: ${KORE_JWT} }` is how people write it, but inside a YAML flow mapping
 * `{` and `}` are indicators, so the unquoted `${KORE_JWT}` breaks the parse. A bare `${VAR}`
 * value is quoted before parsing.
 */
export function quoteEnvReferences(text: string): string {
  return text.replace(/(:[ \t]+)(\$\{(?:file:[^}\s"']+|[A-Za-z_][A-Za-z0-9_]*)\})(?=[ \t]*(?:[,}\]#\r\n]|$))/gm, '$1"$2"');
}

/** A line shown back to the user never echoes a credential written as a literal (`password: hunter2`). */
function maskSecretValue(line: string): string {
  return line.replace(
    /^(\s*(?:-\s*)?[\w-]*(?:secret|password|token|key|credential)[\w-]*\s*:\s*)(?!\$\{)(\S.*)$/i,
    (_m, head: string, value: string) => head + '*'.repeat(value.length),
  );
}

/**
 * A YAML syntax error as an editor would point at it: the line number, the line as the user wrote
 * it and a caret under the column. The parser saw `quoted` (bare `${VAR}` values quoted), whose
 * lines are the same but may hold extra quotes, so the column is mapped back onto the original line.
 */
export function yamlSyntaxProblem(e: YAMLError, original: string, quoted: string): string {
  const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  if (!pos) return `YAML syntax: ${what}`;
  const line = maskSecretValue(original.split(/\r?\n/)[pos.line - 1] ?? '');
  const seen = quoted.split(/\r?\n/)[pos.line - 1] ?? '';
  // Walk the parsed line up to the error column; characters it has and the original lacks were inserted.
  let j = 0;
  for (let i = 0; i < pos.col - 1 && i < seen.length; i++) if (seen[i] === line[j]) j++;
  const gutter = String(pos.line);
  return (
    `YAML syntax error at line ${pos.line}, column ${j + 1}: ${what}\n` +
    `      ${gutter} | ${line}\n` +
    `      ${' '.repeat(gutter.length)} | ${' '.repeat(j)}^`
  );
}

/** Parses and validates the whole file; throws one ConfigError listing every problem. */
export function parseConnections(text: string, file: string, sources: SourceRegistry): ConnectionConfig[] {
  const quoted = quoteEnvReferences(text);
  const doc = parseDocument(quoted, { prettyErrors: true });
  // The first syntax errors say what is wrong; the rest are usually echoes of them.
  if (doc.errors.length)
    fail(
      file,
      doc.errors.slice(0, 3).map((e) => yamlSyntaxProblem(e, text, quoted)),
    );
  const raw: unknown = doc.toJS();
  const top = fileShape.safeParse(raw);
  if (!top.success) {
    fail(file, raw == null ? ['the file is empty: it needs a top-level "connections:" list'] : describeIssues(top.error.issues, raw));
  }
  const shapeOf = connectionShape(Object.keys(sources));
  const problems: string[] = [];
  const out: ConnectionConfig[] = [];
  const seen = new Set<string>();
  top.data.connections.forEach((entry, i) => {
    const label = (e: unknown) => {
      const n = e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
      return typeof n === 'string' ? `connection "${n}" (connections[${i}])` : `connections[${i}]`;
    };
    const where = label(entry);
    const e = (entry && typeof entry === 'object' ? entry : {}) as { name?: unknown; source?: unknown; streams?: unknown };
    if (typeof e.name === 'string') {
      if (seen.has(e.name)) problems.push(`${where}: the name "${e.name}" is used twice; names must be unique`);
      seen.add(e.name);
    }
    const shape = shapeOf.safeParse(entry);
    const source = typeof e.source === 'string' && Object.hasOwn(sources, e.source) ? sources[e.source] : undefined;
    if (!shape.success) for (const p of describeIssues(shape.error.issues, entry)) problems.push(`${where}: ${p}`);
    // The source's own rules are checked even when the generic shape failed: one pass reports every problem.
    const raw = e as { settings?: unknown; credentials?: unknown };
    const settings = source?.settingsSchema.safeParse(raw.settings ?? {});
    if (settings && !settings.success) {
      for (const issue of settings.error.issues) {
        const [p] = describeIssues([{ ...issue, path: ['settings', ...issue.path] }], entry);
        problems.push(`${where}: ${p}`);
      }
    }
    const creds = source?.credentialsSchema.safeParse(raw.credentials ?? {});
    if (creds && !creds.success && (raw.credentials === undefined || typeof raw.credentials === 'object')) {
      for (const issue of creds.error.issues) {
        problems.push(`${where}: credentials${issue.path.length ? '.' + describePath(issue.path) : ''}: ${issue.message}`);
      }
    }
    const options = new Map<number, Record<string, unknown>>();
    if (source && Array.isArray(e.streams)) {
      e.streams.forEach((s: unknown, j: number) => {
        const n = typeof s === 'string' ? s : (s as { name?: unknown })?.name;
        if (typeof n !== 'string') return;
        if (!source.streams[n]) return problems.push(unknownStream(where, n, source));
        const given = typeof s === 'object' && s !== null ? (s as { options?: unknown }).options : undefined;
        const history = HISTORY.safeParse(typeof s === 'object' && s !== null ? (s as { history?: unknown }).history : undefined);
        if (!history.success) for (const issue of history.error.issues) problems.push(`${where}: streams[${j}].history: ${issue.message}`);
        const checked = streamOptions(source.streams[n], given, ['streams', j, 'options'], entry);
        for (const p of checked.problems) problems.push(`${where}: ${p}`);
        if (checked.options) options.set(j, checked.options);
      });
    }
    if (!shape.success || !source) return;
    const c = shape.data;
    const streams: StreamChoice[] = c.streams
      ? c.streams.map((s, j) => ({
          name: typeof s === 'string' ? s : s.name,
          options: options.get(j) ?? {},
          ...(typeof s !== 'string' && s.history === true ? { history: true as const } : {}),
        }))
      : Object.keys(source.streams).map((name) => ({ name, options: streamOptions(source.streams[name]!, {}, [], entry).options ?? {} }));
    out.push({
      name: c.name,
      source: c.source,
      settings: settings?.success ? settings.data : c.settings,
      credentials: c.credentials,
      streams,
      start: c.start,
      schedule: c.schedule,
      requestTimeout: c.requestTimeout,
    });
  });
  if (problems.length) fail(file, problems);
  return out;
}

const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The environment variables a connection's credentials refer to. */
export function credentialReferences(c: ConnectionConfig): string[] {
  return Object.values(c.credentials).flatMap((v) => {
    const m = REFERENCE.exec(v.trim());
    return m ? [m[1]!] : [];
  });
}

/** How one kind of `${...}` reference in a credential is read: `pattern` captures the reference. */
export interface CredentialReference {
  pattern: RegExp;
  /** The value behind the reference; throws a ConfigError naming the field and reference, never a value. */
  read(reference: string, field: string): string;
}

/** Each credential field with its reference read by the first kind whose pattern matches; other text is kept as is. */
export function resolveCredentialFields(c: ConnectionConfig, kinds: readonly CredentialReference[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(c.credentials)) {
    const kind = kinds.find((k) => k.pattern.test(value.trim()));
    out[field] = kind ? kind.read(kind.pattern.exec(value.trim())![1]!, field) : value;
  }
  return out;
}

/** `${VAR}`: the environment's value, which must be set and not empty. */
export function environmentReference(c: ConnectionConfig, env: Record<string, string | undefined>): CredentialReference {
  return {
    pattern: REFERENCE,
    read: (name, field) => {
      const resolved = env[name];
      if (resolved === undefined || resolved === '') {
        throw new CcsyncError(
          'ConfigError',
          `connection "${c.name}": credentials.${field} refers to \${${name}}, which is not set in the worker's environment`,
        );
      }
      return resolved;
    },
  };
}

/**
 * Replaces `${VAR}` references with the environment's values. Runs only in the worker (activities),
 * so credentials never enter workflow inputs or history. Errors name the variable, never a value.
 */
export function resolveCredentials(c: ConnectionConfig, env: Record<string, string | undefined>): Record<string, string> {
  return resolveCredentialFields(c, [environmentReference(c, env)]);
}
