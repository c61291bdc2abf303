import { LOG_LEVELS, type Logger, type LogLevel } from '@etml/domain';

export type { Logger, LogLevel };

function format(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

/**
 * One line per event on stderr: time, level, service, message, then key=value fields. Lines
 * below `level` (default info) are not written: per-job detail is debug, so a day of thousands
 * of summaries logs a line per step, not per summary.
 */
export function createLogger(
  service: string,
  write: (line: string) => unknown = line => process.stderr.write(line),
  level: LogLevel = 'info',
): Logger {
  const lowest = LOG_LEVELS.indexOf(level);
  const emitter = (at: LogLevel) => {
    if (LOG_LEVELS.indexOf(at) < lowest) return () => {};
    const name = at.toUpperCase();
    return (message: string, fields: Record<string, unknown> = {}) => {
      const pairs = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${format(v)}`);
      write(
        `${new Date().toISOString()} ${name} ${service} ${message}${pairs.length ? ` ${pairs.join(' ')}` : ''}\n`,
      );
    };
  };
  return {
    debug: emitter('debug'),
    info: emitter('info'),
    warn: emitter('warn'),
    error: emitter('error'),
  };
}
