import { ConfigError } from '@etml/domain';
import { describe, expect, it } from 'vitest';
import {
  type EnvSource,
  envBool,
  envEnum,
  envInt,
  envNumber,
  envString,
  envUrl,
  parseEnv,
} from './env.ts';
import {
  llmEnv,
  logEnv,
  logSettings,
  redisEnv,
  s3Env,
  scheduleTzEnv,
  tracingEnv,
  tracingFrom,
} from './fragments.ts';

const shape = { ...redisEnv, ...s3Env, ...llmEnv };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv with the shared fragments', () => {
  it('applies the defaults to an empty environment', () => {
    // AWS_REGION has no default: the AWS chain (profile, AWS_DEFAULT_REGION) decides.
    expect(parseEnv(shape, {})).toEqual({
      S3_PREFIX: '',
      OPENAI_MODEL: 'gpt-4o-mini',
      LLM_MAX_REQUESTS_PER_MINUTE: 60,
      LLM_CONCURRENCY: 4,
      LLM_TIMEOUT_SECONDS: 60,
      LLM_RATE_WINDOW_SECONDS: 60,
      LLM_ATTEMPTS: 6,
      LLM_BACKOFF_SECONDS: 2,
      SUMMARIZER: 'auto',
    });
  });

  it('parses a full environment into typed values', () => {
    const env = parseEnv(shape, {
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      S3_BUCKET: 'etml-prod.eu',
      S3_PREFIX: 'prod/etml',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'TRUE',
      AWS_REGION: 'eu-west-2',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'https://llm.example/v1',
      OPENAI_MODEL: 'gpt-4.1',
      LLM_MAX_REQUESTS_PER_MINUTE: '500',
      LLM_CONCURRENCY: '16',
      LLM_TIMEOUT_SECONDS: '30',
      LLM_RATE_WINDOW_SECONDS: '0.5',
      LLM_ATTEMPTS: '3',
      LLM_BACKOFF_SECONDS: '0.25',
      SUMMARIZER: 'llm',
      UNRELATED: 'ignored',
    });
    expect(env).toEqual({
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      S3_BUCKET: 'etml-prod.eu',
      S3_PREFIX: 'prod/etml/',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: true,
      AWS_REGION: 'eu-west-2',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'https://llm.example/v1',
      OPENAI_MODEL: 'gpt-4.1',
      LLM_MAX_REQUESTS_PER_MINUTE: 500,
      LLM_CONCURRENCY: 16,
      LLM_TIMEOUT_SECONDS: 30,
      LLM_RATE_WINDOW_SECONDS: 0.5,
      LLM_ATTEMPTS: 3,
      LLM_BACKOFF_SECONDS: 0.25,
      SUMMARIZER: 'llm',
    });
  });

  it('treats empty and blank values as unset, so defaults still apply', () => {
    const env = parseEnv(shape, {
      REDIS_URL: '',
      S3_BUCKET: '   ',
      LLM_MAX_REQUESTS_PER_MINUTE: '',
      AWS_REGION: '',
      S3_FORCE_PATH_STYLE: '',
    });
    expect(env).toEqual(parseEnv(shape, {}));
    expect(env.LLM_MAX_REQUESTS_PER_MINUTE).toBe(60);
    expect(env.REDIS_URL).toBeUndefined();
  });

  it('trims surrounding whitespace before parsing', () => {
    const env = parseEnv(shape, { LLM_CONCURRENCY: ' 8 ', S3_FORCE_PATH_STYLE: ' no\n' });
    expect(env.LLM_CONCURRENCY).toBe(8);
    expect(env.S3_FORCE_PATH_STYLE).toBe(false);
  });

  it.each([
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['LLM_MAX_REQUESTS_PER_MINUTE', 'abc'],
    ['LLM_MAX_REQUESTS_PER_MINUTE', '0'],
    ['LLM_MAX_REQUESTS_PER_MINUTE', '1.5'],
    ['LLM_CONCURRENCY', '1001'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['S3_BUCKET', 'Bad_Bucket'],
    ['S3_BUCKET', 'ab'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['OPENAI_BASE_URL', 'ftp://llm.example'],
  ])('rejects %s=%s with a ConfigError naming the variable and its value', (name, value) => {
    const error = configError(() => parseEnv(shape, { [name]: value }));
    expect(error.code).toBe('CONFIG');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${name} must `));
    expect(error.problems[0]).toContain(`got ${JSON.stringify(value)}`);
    expect(error.message).toContain(name);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('says what a bad value should have been', () => {
    const problems = configError(() =>
      parseEnv(shape, {
        REDIS_URL: 'localhost:6379',
        LLM_MAX_REQUESTS_PER_MINUTE: '0',
        S3_FORCE_PATH_STYLE: 'maybe',
      }),
    ).problems;
    expect(problems).toContain(
      'REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
    );
    expect(problems).toContain('LLM_MAX_REQUESTS_PER_MINUTE must be a whole number ≥ 1, got "0"');
    expect(problems).toContain('S3_FORCE_PATH_STYLE must be true or false, got "maybe"');
  });

  it('reports several problems at once, each once', () => {
    const error = configError(() =>
      parseEnv(shape, {
        REDIS_URL: 'localhost:6379',
        S3_BUCKET: 'Bad_Bucket',
        S3_FORCE_PATH_STYLE: 'maybe',
        LLM_MAX_REQUESTS_PER_MINUTE: 'abc',
        LLM_CONCURRENCY: '4',
      }),
    );
    expect(error.problems).toHaveLength(4);
    expect(new Set(error.problems).size).toBe(4);
    for (const [name, value] of [
      ['REDIS_URL', 'localhost:6379'],
      ['S3_BUCKET', 'Bad_Bucket'],
      ['S3_FORCE_PATH_STYLE', 'maybe'],
      ['LLM_MAX_REQUESTS_PER_MINUTE', 'abc'],
    ]) {
      expect(error.problems.filter(p => p.startsWith(`${name} `))).toHaveLength(1);
      expect(error.message).toContain(`${name} `);
      expect(error.message).toContain(JSON.stringify(value));
    }
  });

  describe('S3_PREFIX', () => {
    it.each([
      ['a/b', 'a/b/'],
      ['/a/b/', 'a/b/'],
      ['a/b/', 'a/b/'],
      ['//a/b//', 'a/b/'],
      ['prod', 'prod/'],
      ['/', ''],
    ])('normalizes %j to %j', (given, expected) => {
      expect(parseEnv(shape, { S3_PREFIX: given }).S3_PREFIX).toBe(expected);
    });

    it.each(['..', '../x', 'a/../b', '/a/..', 'a/b/../'])(
      'rejects the ".." segment in %j',
      given => {
        const error = configError(() => parseEnv(shape, { S3_PREFIX: given }));
        expect(error.problems).toEqual([
          `S3_PREFIX must not contain ".." segments, got ${JSON.stringify(given)}`,
        ]);
      },
    );

    it('allows dots that are not a whole segment', () => {
      expect(parseEnv(shape, { S3_PREFIX: 'v1..2/.hidden' }).S3_PREFIX).toBe('v1..2/.hidden/');
    });
  });
});

describe('parseEnv with its own shape', () => {
  it('says a required variable is required, also when empty', () => {
    const required = { BOARD_USERNAME: envString(), BOARD_PASSWORD: envString() };
    const error = configError(() => parseEnv(required, { BOARD_USERNAME: '' }));
    expect(error.problems).toEqual(['BOARD_USERNAME is required', 'BOARD_PASSWORD is required']);
    expect(parseEnv(required, { BOARD_USERNAME: 'admin', BOARD_PASSWORD: 'pw' })).toEqual({
      BOARD_USERNAME: 'admin',
      BOARD_PASSWORD: 'pw',
    });
  });

  it('reads only the variables in its shape', () => {
    const source: EnvSource = { PORT: '3000', PATH: '/usr/bin', HOME: undefined };
    expect(parseEnv({ PORT: envInt({ min: 1, max: 65_535 }) }, source)).toEqual({ PORT: 3000 });
  });
});

describe('envInt', () => {
  const accepts = (schema: ReturnType<typeof envInt>, text: string) => schema.parse(text);
  const rejects = (schema: ReturnType<typeof envInt>, text: string) => {
    const result = schema.safeParse(text);
    expect(result.success).toBe(false);
    return result.error?.issues[0]?.message;
  };

  it('parses whole numbers with an optional sign', () => {
    const any = envInt();
    expect(accepts(any, '42')).toBe(42);
    expect(accepts(any, '+7')).toBe(7);
    expect(accepts(any, '-3')).toBe(-3);
    expect(accepts(any, '007')).toBe(7);
  });

  it.each(['1.5', '1e3', 'abc', '', '0x10', '12abc', ' 1', '9007199254740993'])(
    'rejects %j',
    text => {
      expect(rejects(envInt(), text)).toBe('must be a whole number');
    },
  );

  it('enforces and describes its bounds', () => {
    expect(accepts(envInt({ min: 1, max: 10 }), '1')).toBe(1);
    expect(accepts(envInt({ min: 1, max: 10 }), '10')).toBe(10);
    expect(rejects(envInt({ min: 1, max: 10 }), '0')).toBe('must be a whole number from 1 to 10');
    expect(rejects(envInt({ min: 1, max: 10 }), '11')).toBe('must be a whole number from 1 to 10');
    expect(rejects(envInt({ min: 1 }), '0')).toBe('must be a whole number ≥ 1');
    expect(rejects(envInt({ max: 3 }), '4')).toBe('must be a whole number ≤ 3');
    expect(accepts(envInt({ max: 3 }), '-100')).toBe(-100);
  });
});

describe('envNumber', () => {
  it.each([
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['-2.25', -2.25],
    ['1e-3', 0.001],
    ['2E2', 200],
  ])('parses %j as %d', (text, value) => {
    expect(envNumber().parse(text)).toBe(value);
  });

  it.each(['abc', 'NaN', 'Infinity', '1.2.3', '', '1e', '0x1'])('rejects %j', text => {
    const result = envNumber().safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be a number');
  });

  it('enforces an inclusive or exclusive minimum', () => {
    expect(envNumber({ min: 0 }).parse('0')).toBe(0);
    expect(envNumber({ min: 0 }).safeParse('-0.1').error?.issues[0]?.message).toBe(
      'must be a number ≥ 0',
    );
    expect(envNumber({ min: 0, exclusiveMin: true }).parse('0.01')).toBe(0.01);
    expect(envNumber({ min: 0, exclusiveMin: true }).safeParse('0').error?.issues[0]?.message).toBe(
      'must be a number > 0',
    );
  });
});

describe('envBool', () => {
  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['Yes', true],
    ['0', false],
    ['false', false],
    ['False', false],
    ['no', false],
  ])('parses %j as %s', (text, value) => {
    expect(envBool().parse(text)).toBe(value);
  });

  it.each(['maybe', 'on', 'off', '2', 'y'])('rejects %j', text => {
    const result = envBool().safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be true or false');
  });
});

describe('envEnum', () => {
  const level = envEnum(['debug', 'info', 'warn']);

  it('accepts one of its values exactly', () => {
    expect(level.parse('info')).toBe('info');
    expect(level.safeParse('INFO').success).toBe(false);
  });

  it('lists the allowed values when it rejects, also through parseEnv', () => {
    expect(level.safeParse('loud').error?.issues[0]?.message).toBe(
      'must be one of debug, info, warn',
    );
    const error = configError(() => parseEnv({ LOG_LEVEL: level }, { LOG_LEVEL: 'loud' }));
    expect(error.problems).toEqual(['LOG_LEVEL must be one of debug, info, warn, got "loud"']);
  });
});

describe('envUrl and envString', () => {
  it('checks the URL protocol', () => {
    const url = envUrl(['http:', 'https:']);
    expect(url.parse('https://example.com/x')).toBe('https://example.com/x');
    expect(url.safeParse('ws://example.com').error?.issues[0]?.message).toBe(
      'must be an http:// or https:// URL',
    );
    expect(envUrl(['redis:']).safeParse('not a url').error?.issues[0]?.message).toBe(
      'must be a redis:// URL',
    );
  });

  it('describes what text it wants', () => {
    expect(envString('a model name').safeParse('').error?.issues[0]?.message).toBe(
      'must be a model name',
    );
    expect(envString().parse('x')).toBe('x');
  });
});

describe('SCHEDULE_TZ', () => {
  it('is UTC unless set, and any IANA zone this runtime knows', () => {
    expect(parseEnv(scheduleTzEnv, {}).SCHEDULE_TZ).toBe('UTC');
    expect(parseEnv(scheduleTzEnv, { SCHEDULE_TZ: 'Pacific/Pago_Pago' }).SCHEDULE_TZ).toBe(
      'Pacific/Pago_Pago',
    );
  });

  it('refuses an unknown zone, naming the variable and the value', () => {
    const error = configError(() => parseEnv(scheduleTzEnv, { SCHEDULE_TZ: 'Mars/Olympus_Mons' }));
    expect(error.problems).toEqual([
      'SCHEDULE_TZ must be an IANA time zone such as Europe/London, got "Mars/Olympus_Mons"',
    ]);
  });
});

describe('logSettings', () => {
  it('gives LOG_FORMAT (unset: left to the logger) and LOG_LEVEL, and refuses other values', () => {
    expect(logSettings(parseEnv(logEnv, {}), {})).toEqual({
      format: undefined,
      level: 'info',
      secrets: [],
    });
    const set = { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' };
    expect(logSettings(parseEnv(logEnv, set), set)).toMatchObject({
      format: 'json',
      level: 'debug',
    });
    expect(configError(() => parseEnv(logEnv, { LOG_FORMAT: 'xml' })).problems).toEqual([
      'LOG_FORMAT must be one of json, pretty, got "xml"',
    ]);
  });

  it('lists the secrets no line may show: keys, passwords, a URL’s password, webhook URLs and their paths', () => {
    const source = {
      OPENAI_API_KEY: 'sk-abcdef',
      BOARD_PASSWORD: 'board-pw',
      REDIS_URL: 'redis://:p%40ss-word@redis:6379',
      OPENAI_BASE_URL: 'https://llm.example.com/v1',
      ALERT_WEBHOOK_URL: 'https://hooks.example.com/services/T0/B0/tok3n',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      REDIS_PASSWORD: 'abc',
    };
    const { secrets } = logSettings(parseEnv(logEnv, source), source);
    expect([...secrets].sort()).toEqual(
      [
        'sk-abcdef',
        'board-pw',
        'p%40ss-word',
        'p@ss-word',
        'https://hooks.example.com/services/T0/B0/tok3n',
        '/services/T0/B0/tok3n',
        'aws-secret',
      ].sort(),
    );
  });
});

describe('OTEL_RESOURCE_ATTRIBUTES', () => {
  it('reads key=value pairs joined by commas, values percent-decoded', () => {
    const env = parseEnv(tracingEnv, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, host.name=w%2C3,',
    });
    expect(tracingFrom(env)?.resourceAttributes).toEqual({
      'deployment.environment.name': 'prod',
      'host.name': 'w,3',
    });
  });

  it.each(['prod', '=prod', 'a=%zz'])('refuses %j, naming it', text => {
    const error = configError(() => parseEnv(tracingEnv, { OTEL_RESOURCE_ATTRIBUTES: text }));
    expect(error.problems).toEqual([
      `OTEL_RESOURCE_ATTRIBUTES must be key=value pairs joined by commas, got ${JSON.stringify(text)}`,
    ]);
  });
});
