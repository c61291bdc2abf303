/**
 * Errors that cross package boundaries. `code` is stable for callers and tests; the message is
 * for people and always names the offending field and value.
 */
export type EtmlErrorCode = 'INPUT' | 'CONFIG' | 'NOT_FOUND' | 'DEPENDENCY';

export class EtmlError extends Error {
  readonly code: EtmlErrorCode;
  constructor(code: EtmlErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from a person or a file: a date, a flag, a row, a file. */
export class InputError extends EtmlError {
  constructor(message: string, options?: ErrorOptions) {
    super('INPUT', message, options);
  }
}

/** A missing or malformed environment variable. */
export class ConfigError extends EtmlError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG', `invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

export class NotFoundError extends EtmlError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** A required external program or service (redis-server, S3) is missing or unreachable. */
export class DependencyError extends EtmlError {
  constructor(message: string, options?: ErrorOptions) {
    super('DEPENDENCY', message, options);
  }
}
