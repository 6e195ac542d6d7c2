/**
 * The worker's logs: one line per event through pino, JSON (`--log-format json` or
 * CCSYNC_LOG_FORMAT=json) or readable text (the default). The Temporal SDK's own lines (worker,
 * workflow and activity loggers, and Core's, forwarded) go through the same logger via
 * `TemporalPinoLogger`, so every line of a sync carries connection, stream, window and page (set by
 * the interceptors in workflows/interceptors.ts and `activityLogAttributes` below).
 *
 * Every line passes through a last scrub of the secret values this process has resolved, whatever
 * logged it: a secret never reaches the output even if a message carried one by mistake.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import pino from 'pino';
import { CcsyncError } from '../core/errors';

export type LogFormat = 'json' | 'text';
export const LOG_FORMAT_ENV = 'CCSYNC_LOG_FORMAT';
export const LOG_LEVEL_ENV = 'CCSYNC_LOG_LEVEL';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/** `--log-format json|text` on the command line, else CCSYNC_LOG_FORMAT, else text. */
export function logFormatFrom(argv: readonly string[] = process.argv, env: Record<string, string | undefined> = process.env): LogFormat {
  let value = env[LOG_FORMAT_ENV]?.trim();
  const i = argv.findIndex((a) => a === '--log-format' || a.startsWith('--log-format='));
  if (i >= 0) value = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  if (!value) return 'text';
  if (value !== 'json' && value !== 'text') throw new CcsyncError('ConfigError', `the log format must be json or text (got ${JSON.stringify(value)})`);
  return value;
}

export interface LoggerOptions {
  format: LogFormat;
  level?: string;
  /** The secret values to scrub; read at every line (the registry grows as credentials are resolved). */
  secrets?: () => Iterable<string>;
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
}

/** Keys printed first in text lines, in this order, when present. */
const LEADING = ['connection', 'stream', 'window', 'page'];
/** pino's own keys, and SDK keys too noisy for a human reader (still in JSON). */
const TEXT_SKIP = new Set(['level', 'time', 'msg', 'sdkComponent', 'namespace', 'taskQueue', 'runId', 'workflowRunId', 'isLocal', 'activityId']);

/** One JSON log line as readable text: `time LEVEL message key=value ...`. */
export function formatText(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof o.level === 'string' ? o.level.toUpperCase() : String(o.level);
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString() : String((o.time as string | undefined) ?? '');
  const keys = [...LEADING.filter((k) => k in o), ...Object.keys(o).filter((k) => !LEADING.includes(k) && !TEXT_SKIP.has(k))];
  const fields = keys.map((k) => `${k}=${textValue(o[k])}`);
  const component = typeof o.sdkComponent === 'string' ? ` [${o.sdkComponent}]` : '';
  return `${time} ${level.padEnd(5)}${component} ${String((o.msg as string | undefined) ?? '')}${fields.length ? '  ' + fields.join(' ') : ''}\n`;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

export function scrub(line: string, secrets: Iterable<string>): string {
  let out = line;
  for (const s of secrets) {
    if (s.length < 4) continue;
    // The JSON-escaped form too: a secret with a quote or backslash appears escaped in JSON lines.
    for (const form of new Set([s, JSON.stringify(s).slice(1, -1)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

export function createLogger(opts: LoggerOptions): pino.Logger {
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const secrets = opts.secrets ?? (() => []);
  const destination = {
    write(line: string) {
      const clean = scrub(line, secrets());
      write(opts.format === 'json' ? clean : formatText(clean));
    },
  };
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      // Levels as words ("info"), not pino's numbers: what people and log pipelines filter on.
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination,
  );
}

/** The Temporal SDK's Logger interface onto pino. */
export class TemporalPinoLogger implements TemporalLogger {
  constructor(private readonly logger: pino.Logger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = level.toLowerCase() as (typeof LEVELS)[number];
    const fn = LEVELS.includes(method) ? method : 'info';
    this.logger[fn]({ ...meta }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** The SDK's level for pino's (Runtime loggers filter by it). */
export function temporalLevel(level: string): LogLevel {
  const upper = level.toUpperCase();
  return (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(upper) ? upper : 'INFO') as LogLevel;
}

/** Log attributes of a page or window activity, from its input: only well-formed names and instants. */
export function syncLogAttributes(input: unknown): Record<string, string | number> {
  if (typeof input !== 'object' || input === null) return {};
  const i = input as Record<string, unknown>;
  const out: Record<string, string | number> = {};
  const name = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v);
  const instant = (v: unknown) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v);
  if (name(i.connection)) out.connection = i.connection as string;
  if (name(i.stream)) out.stream = i.stream as string;
  if (instant(i.start) && instant(i.end)) out.window = `${i.start as string}/${i.end as string}`;
  if (typeof i.page === 'number' && Number.isInteger(i.page)) out.page = i.page;
  return out;
}

/** Every log line of an activity (the SDK's "Activity failed" included) carries its sync attributes. */
export const activityLogAttributes: ActivityInterceptorsFactory = () => {
  let attrs: Record<string, string | number> = {};
  return {
    inbound: {
      async execute(input, next) {
        attrs = syncLogAttributes(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...input, ...attrs });
      },
    },
  };
};
