/** What services and workers log through; runtime's createLogger writes it as lines on stderr. */
export interface Logger {
  /** Per-job detail (one summary, one attempt): hidden unless asked for. */
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong that is being handled: a retried attempt, a webhook given up on. */
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The levels, least severe first; a logger writes its level and those after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object a line, for log stacks; `pretty`: time LEVEL service message k=v. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How a service logs, from LOG_FORMAT and LOG_LEVEL. */
export interface LogSettings {
  /** Unset: pretty when stderr is a terminal, JSON otherwise. */
  format: LogFormat | undefined;
  level: LogLevel;
  /** Values no line may show (API keys, passwords, webhook URLs): replaced if one slips in. */
  secrets: readonly string[];
}
