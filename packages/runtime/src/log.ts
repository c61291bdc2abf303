import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import type { LogFormat, Logger, LogLevel, LogSettings } from '@etml/domain';
import pino, { type DestinationStream } from 'pino';

export type { LogFormat, Logger, LogLevel, LogSettings };

/** Where a logger's lines go instead of stderr: a test that reads them, or nowhere. */
export type LineWriter = (line: string) => unknown;

/** Fields such a record may hold that are secrets by name, wherever they are nested. */
const REDACTED_PATHS = ['apiKey', 'password', 'authorization', 'headers.authorization'].flatMap(
  path => [path, `*.${path}`],
);
const CENSOR = '[redacted]';

const scope = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Runs `fn` with `fields` on every line any logger writes inside it, through every await: how a
 * job's queue, id, date and ride reach the lines of the code it calls (cache, limiter, webhook)
 * without a logger passed down to each. A line's own fields win over these.
 */
export function withLogFields<T>(fields: Record<string, unknown>, fn: () => T): T {
  return scope.run({ ...scope.getStore(), ...fields }, fn);
}

/** LOG_FORMAT unset: pretty for a person at a terminal, JSON for whatever collects the lines. */
export function resolveLogFormat(format: LogFormat | undefined, terminal = isatty(2)): LogFormat {
  return format ?? (terminal ? 'pretty' : 'json');
}

function pretty(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

/** What a pretty line shows apart from its key=value pairs, or leaves out (pid, hostname). */
const NOT_PAIRS = new Set(['time', 'level', 'service', 'msg', 'pid', 'hostname']);

/**
 * A JSON line as the pretty format shows it: time, LEVEL, service, message, then the other
 * fields as key=value, in the line's order (a job's fields first).
 */
export function prettyLine(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  let line = `${record.time} ${String(record.level).toUpperCase()} ${record.service} ${record.msg}`;
  for (const [key, value] of Object.entries(record)) {
    if (!NOT_PAIRS.has(key)) line += ` ${key}=${pretty(value)}`;
  }
  return `${line}\n`;
}

/**
 * Replaces each secret, as it is and as it reads inside a JSON string (quotes and backslashes
 * escaped), with [redacted]; undefined when there is none. Log lines and exported spans use it.
 */
export function secretScrubber(secrets: readonly string[]): ((text: string) => string) | undefined {
  const forms = [...new Set(secrets.flatMap(s => [s, JSON.stringify(s).slice(1, -1)]))];
  if (forms.length === 0) return undefined;
  return line => {
    for (const secret of forms) if (line.includes(secret)) line = line.replaceAll(secret, CENSOR);
    return line;
  };
}

let stderrDestination: DestinationStream | undefined;

/**
 * stderr, written synchronously: a line logged just before an exit (a refused configuration, the
 * end of a shutdown) is out before the process is gone, and lines never interleave mid-line.
 * One for the process, shared by every logger.
 */
function stderr(): DestinationStream {
  stderrDestination ??= pino.destination({ dest: 2, sync: true });
  return stderrDestination;
}

function destination(format: LogFormat, secrets: readonly string[], write?: LineWriter) {
  const scrub = secretScrubber(secrets);
  // JSON to stderr with nothing to scrub: pino's own stream, untouched.
  if (format === 'json' && !scrub && !write) return stderr();
  const out: LineWriter = write ?? (line => stderr().write(line));
  const shown = format === 'pretty' ? prettyLine : (line: string) => line;
  return { write: (line: string) => out(scrub ? scrub(shown(line)) : shown(line)) };
}

/**
 * A logger for `service`: pino, with every line carrying `service` (and `pid`, `hostname`), the
 * fields of an enclosing withLogFields, its own fields, and `msg`. JSON (`level` as a word, `time`
 * in ISO 8601) or pretty, one line per event on stderr, or to `write`. Lines below `level`
 * (default info) are not written: per-job detail is debug, so a day of thousands of summaries logs
 * a line per step, not per summary. Fields named apiKey, password or authorization, and the given
 * secrets anywhere in a line, show as [redacted].
 *
 * Unset `format`: pretty to `write` (a reader of text), and to stderr pretty on a terminal, JSON
 * otherwise.
 */
export function createLogger(
  service: string,
  write?: LineWriter,
  settings: Partial<LogSettings> = {},
): Logger {
  const format = settings.format ?? (write ? 'pretty' : resolveLogFormat(undefined));
  const logger = pino(
    {
      level: settings.level ?? 'info',
      base: { service, pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: label => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      // A copy: pino merges the line's fields into what mixin returns.
      mixin: () => ({ ...scope.getStore() }),
    },
    destination(format, settings.secrets ?? [], write),
  );
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) logger[level](fields, message);
      else logger[level](message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
