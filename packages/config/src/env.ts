import { CLOCK_TIME, ConfigError, parseDecimal } from '@etml/domain';
import { z } from 'zod';

/** An environment: `process.env` in a service's env.ts, a plain object in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

// Each helper parses the text of one variable. Messages start after the variable's name:
// "REDIS_URL must be a redis:// or rediss:// URL, got "localhost"".

export function envString(description = 'non-empty text') {
  return z.string().min(1, `must be ${description}`);
}

export function envUrl(protocols: readonly string[]) {
  const article = protocols[0]?.startsWith('http') ? 'an' : 'a';
  const expected = `${article} ${protocols.map(p => `${p}//`).join(' or ')} URL`;
  return z.string().refine(text => {
    try {
      return protocols.includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, `must be ${expected}`);
}

export function envInt(options: { min?: number; max?: number } = {}) {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range =
    options.min !== undefined && options.max !== undefined
      ? ` from ${min} to ${max}`
      : options.min !== undefined
        ? ` ≥ ${min}`
        : options.max !== undefined
          ? ` ≤ ${max}`
          : '';
  const message = `must be a whole number${range}`;
  return z
    .string()
    .regex(/^[+-]?\d+$/, message)
    .transform(Number)
    .refine(n => n >= min && n <= max, message);
}

export function envNumber(options: { min?: number; exclusiveMin?: boolean; max?: number } = {}) {
  const low =
    options.min === undefined
      ? ''
      : options.exclusiveMin
        ? ` > ${options.min}`
        : ` ≥ ${options.min}`;
  const high = options.max === undefined ? '' : `${low ? ' and' : ''} ≤ ${options.max}`;
  const message = `must be a number${low}${high}`;
  return z
    .string()
    .refine(text => parseDecimal(text) !== undefined, message)
    .transform(Number)
    .refine(
      n =>
        (options.min === undefined ||
          (options.exclusiveMin ? n > options.min : n >= options.min)) &&
        (options.max === undefined || n <= options.max),
      message,
    );
}

/** An IANA time zone this runtime's Intl knows, such as Europe/London. */
export function envTimeZone() {
  return z.string().refine(zone => {
    try {
      new Intl.DateTimeFormat('en-CA', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/London');
}

/** A local time of day, `HH:MM` from 00:00 to 23:59. */
export function envClockTime() {
  return z
    .string()
    .regex(CLOCK_TIME, 'must be a time of day HH:MM from 00:00 to 23:59, such as 08:00');
}

export function envBool() {
  return z
    .string()
    .toLowerCase()
    .refine(t => ['1', '0', 'true', 'false', 'yes', 'no'].includes(t), 'must be true or false')
    .transform(t => ['1', 'true', 'yes'].includes(t));
}

export function envEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/**
 * Parses the variables named in `shape` from `source`. Empty values count as unset (compose files
 * often write `FOO=`). Every problem is reported at once, each naming the variable and its value.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  source: EnvSource,
): z.output<z.ZodObject<S>> {
  const input: Record<string, string> = {};
  for (const name of Object.keys(shape)) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') input[name] = value.trim();
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(issue => {
    const name = String(issue.path[0]);
    const value = input[name];
    if (value === undefined) return `${name} is required`;
    const message = issue.message.startsWith('must')
      ? issue.message
      : `is invalid (${issue.message})`;
    return `${name} ${message}, got ${JSON.stringify(value)}`;
  });
  throw new ConfigError([...new Set(problems)]);
}
