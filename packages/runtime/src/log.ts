import type { Logger } from '@etml/domain';

export type { Logger };

function format(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

/** One line per event on stderr: time, level, service, message, then key=value fields. */
export function createLogger(
  service: string,
  write: (line: string) => unknown = line => process.stderr.write(line),
): Logger {
  const emit = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    const pairs = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${format(v)}`);
    write(
      `${new Date().toISOString()} ${level} ${service} ${message}${pairs.length ? ` ${pairs.join(' ')}` : ''}\n`,
    );
  };
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
  };
}
