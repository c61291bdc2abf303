import { parseRideDate } from '@etml/domain';
import { getFreePort } from '@etml/embedded';
import { test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor, webhookReceiver } from './helpers.ts';
import { startFakeLlmFailingOneRide, uploadDistinctDay } from './pipeline.ts';

const SERVICES = ['scheduler', 'cluster-worker', 'summarize-worker', 'board'] as const;

/**
 * The messages logged while a job runs, by the worker about its job or by the code the job calls
 * (fan-in, refresh, LLM limiter, webhook, alert): each such line must name the job. The alert
 * lines are here because this test sets no REPORT_DEADLINE, whose alerts the scheduler posts
 * outside any job.
 */
const JOB_TIME: readonly (string | RegExp)[] = [
  'job completed',
  'job failed',
  'job attempt failed',
  'job attempt failed; it will be retried',
  'could not act on a failed job',
  'job stalled',
  'fan-out done',
  'summaries failed',
  'refreshing a loaded day',
  'LLM provider asked to wait',
  'LLM quota exhausted: no calls for a while',
  'webhook failed; the day is complete regardless',
  'webhook skipped',
  'alert posted',
  'alert failed; gave up posting it',
  'alert skipped',
  /^webhook: try \d+ of \d+ failed /,
];

/**
 * The only messages a line with no job may have: a service's own, outside any job. A new line
 * logged while a job runs that lost the job's fields is not among them.
 */
const SERVICE_LEVEL: readonly (string | RegExp)[] = [
  'ready',
  /^SIG(TERM|INT): closing \(up to \d+s\)$/,
  'shutdown failed',
  /^Redis at .* is not reachable; retrying$/,
  /^Redis at .* has maxmemory-policy /,
  'Redis error',
  'Redis is not reachable; retrying with backoff',
  'schedule set',
  'schedule unchanged',
  'the schedule was missing from Redis; set it again',
  'could not check the schedule; trying again later',
  'could not check the report deadline; trying again later',
  'caught up',
  'a day whose jobs say done has no manifest; computing it again',
  /^BOARD_AUTH=off/,
  /^NO LLM: /,
];

const oneOf = (messages: readonly (string | RegExp)[], msg: unknown) =>
  messages.some(m => (typeof m === 'string' ? m === msg : m.test(String(msg))));

/** Each line of `text` as JSON; a line that is not JSON fails the test, naming it. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter(line => line !== '')
    .map(line => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

describe('LOG_FORMAT=json', () => {
  test('a day through the four services: every line is JSON, job lines name service, queue, job, date (and ride), and no secret shows', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const date = parseRideDate('2025-08-04');
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 400);
    // One ride's summary fails: its error, the day's warning and the alert are logged too.
    const { fake } = await startFakeLlmFailingOneRide();
    const hook = await webhookReceiver([200]);
    const apiKey = 'sk-proj-LOGTEST-api-key-0001';
    const boardPassword = 'board-pw-LOGTEST-0002';
    const alertToken = 'alert-token-LOGTEST-0003';
    const alertUrl = hook.url.replace('token=secret', `token=${alertToken}`);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
      OPENAI_API_KEY: apiKey,
      OPENAI_BASE_URL: fake.url,
      LLM_MAX_REQUESTS_PER_MINUTE: '100000',
      LLM_ATTEMPTS: '2',
      LLM_BACKOFF_SECONDS: '0.02',
      BOARD_PASSWORD: boardPassword,
      BOARD_PORT: String(await getFreePort()),
      ALERT_WEBHOOK_URL: alertUrl,
      ALERT_FAILED_SUMMARY_SHARE: '0',
      CATCHUP_DAYS: '0',
    };
    const services = SERVICES.map(name => ({ name, service: startService(name, env) }));
    await waitFor('the four services ready', 30_000, () =>
      services.every(({ service }) => /"msg":"ready"/.test(service.stderr())),
    );
    const run = await runEtml(['run', '--date', date, '--max-failed-share', '1'], env);
    expect(run.code, run.stderr).toBe(0);
    await waitFor('the failed alert', 20_000, () => hook.requests.length > 0);
    // A board request with a wrong password, to be refused without the password in any line.
    const port = env.BOARD_PORT;
    const denied = await fetch(`http://127.0.0.1:${port}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
    });
    expect(denied.status).toBe(401);
    for (const { service } of services) expect(await service.stop()).toBe(0);

    const all: Record<string, unknown>[] = [];
    for (const { name, service } of services) {
      const lines = jsonLines(service.stderr());
      for (const line of lines) {
        expect(line).toMatchObject({ service: name, pid: expect.any(Number) });
        expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
        expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(typeof line.msg).toBe('string');
      }
      // The shutdown, as JSON too.
      expect(lines.map(line => line.msg)).toContain('SIGTERM: closing (up to 25s)');
      all.push(...lines);
    }
    // A line logged while a job runs names it; only a service's own lines may name none.
    for (const line of all) {
      if (line.job === undefined) {
        expect(oneOf(SERVICE_LEVEL, line.msg), `no job: ${JSON.stringify(line)}`).toBe(true);
      }
      if (oneOf(JOB_TIME, line.msg)) {
        expect(line, JSON.stringify(line)).toMatchObject({ job: expect.any(String) });
      }
    }
    const jobLines = all.filter(line => line.job !== undefined);
    for (const line of jobLines) {
      expect(line, JSON.stringify(line)).toMatchObject({
        service: expect.any(String),
        queue: expect.any(String),
        date,
      });
      if (line.queue === 'summarize') expect(line.ride, JSON.stringify(line)).toBeDefined();
    }
    // The run logged those kinds of job lines, so the checks above did check them.
    expect(jobLines.map(line => line.msg)).toEqual(
      expect.arrayContaining([
        'job completed',
        'job failed',
        'fan-out done',
        'summaries failed',
        'alert posted',
      ]),
    );
    const done = (queue: string) =>
      jobLines.filter(line => line.queue === queue && line.msg === 'job completed');
    expect(done('cluster')).toEqual([
      expect.objectContaining({ service: 'cluster-worker', job: `cluster-${date}` }),
    ]);
    expect(done('load').map(line => line.job)).toContain(`load-${date}`);
    const manifest = (await store.getJson(`output/date=${date}/_manifest.json`)) as {
      counts: { anomalies: number };
    };
    // Each summary's own line (debug): every anomaly but the failed one completed.
    expect(done('summarize')).toHaveLength(manifest.counts.anomalies - 1);
    expect(done('summarize')[0]).toMatchObject({
      service: 'summarize-worker',
      level: 'debug',
      job: expect.stringMatching(new RegExp(`^summarize-${date}-`)),
    });
    // Lines logged by the code a job calls carry the job's fields too.
    expect(all.find(line => line.msg === 'fan-out done')).toMatchObject({
      queue: 'load',
      job: `load-${date}`,
      date,
    });
    expect(all.find(line => line.msg === 'alert posted')).toMatchObject({
      queue: 'load',
      job: `load-${date}`,
      host: new URL(alertUrl).host,
    });

    const output = [run.stdout, run.stderr, ...services.map(({ service }) => service.stderr())];
    for (const secret of [apiKey, boardPassword, alertToken]) {
      expect(output.filter(text => text.includes(secret))).toEqual([]);
    }
  });

  test('etml start passes its services’ JSON lines through unchanged, with no prefix', {
    timeout: 60_000,
  }, async ({ redis, s3 }) => {
    const start = startService('start', {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      BOARD_PORT: String(await getFreePort()),
      CATCHUP_DAYS: '0',
      LOG_FORMAT: 'json',
    });
    await waitFor('the four services ready', 30_000, () =>
      SERVICES.every(
        name =>
          start.stderr().includes(`"service":"${name}"`) &&
          new RegExp(`"service":"${name}".*"msg":"ready"`).test(start.stderr()),
      ),
    );
    expect(await start.stop()).toBe(0);
    const lines = jsonLines(start.stderr());
    expect(new Set(lines.map(line => line.service))).toEqual(new Set([...SERVICES, 'start']));
    // Its own lines are JSON too, and the board's random password is not among them.
    expect(lines.filter(line => line.service === 'start').map(line => line.msg)).toContain(
      'board: user admin, a random password for this run, not logged; set BOARD_PASSWORD to choose one',
    );
    expect(lines.filter(line => line.msg === 'SIGTERM: closing (up to 25s)')).toHaveLength(4);
  });
});

describe('LOG_FORMAT and LOG_LEVEL', () => {
  test.for(
    [...SERVICES, 'start'].flatMap(command => [
      [command, { LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be one of json, pretty, got "xml"'],
      [
        command,
        { LOG_LEVEL: 'verbose' },
        'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"',
      ],
    ]) as [string, Record<string, string>, string][],
  )(
    'etml %s with %o: refused in one line naming it, exit 2',
    async ([command, bad, message], { redis, s3 }) => {
      const result = await runEtml([command], {
        ...s3Env(s3),
        REDIS_URL: redis.url,
        BOARD_PASSWORD: 'pw',
        ...bad,
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `etml: invalid configuration: ${message}`,
      ]);
    },
  );
});
