/** What services and workers log through; runtime's createLogger writes it as lines on stderr. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong that is being handled: a retried attempt, a webhook given up on. */
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
