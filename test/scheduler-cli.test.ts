import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { addDays, DEFAULT_REDIS_PREFIX, keys, parseRideDate } from '@etml/domain';
import { getFreePort } from '@etml/embedded';
import { producerConnection, QUEUES, queueOptions } from '@etml/queues';
import { lastDueRideDate } from '@etml/scheduler';
import { simulateRides } from '@etml/simulate';
import { type RedisTarget, type S3Target, startFakeLlm, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { ROOT, runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';

async function clusterJobIds(redisUrl: string): Promise<string[]> {
  const connection = await producerConnection(redisUrl);
  const queue = new Queue(QUEUES.cluster, queueOptions(connection));
  onTestFinished(async () => {
    await queue.close();
    connection.disconnect();
  });
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs.map(job => job.id as string).sort();
}

describe('etml backfill and enqueue', () => {
  test('a backfill of 10 dates enqueues 10 jobs, and a second one enqueues 0', async ({
    redis,
    s3,
  }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const args = ['backfill', '--from', '2025-07-01', '--to', '2025-07-10'];
    const first = await runEtml(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('10 enqueued, 0 already queued or done');
    const again = await runEtml(args, env);
    expect(again.stdout).toContain('0 enqueued, 10 already queued or done');
    const ids = await clusterJobIds(redis.url);
    expect(ids).toHaveLength(10);
    expect(ids[0]).toBe('cluster-2025-07-01');
    expect(ids[9]).toBe('cluster-2025-07-10');

    const one = await runEtml(['enqueue', '--date', '2025-07-11'], env);
    expect(one.stdout).toBe('cluster-2025-07-11: enqueued\n');
    const twice = await runEtml(['enqueue', '--date', '2025-07-11'], env);
    expect(twice.stdout).toBe('cluster-2025-07-11: already there (waiting)\n');
  });

  test.for([
    [['enqueue', '--date', '2025-02-30'], 'is not a real calendar date'],
    [['enqueue', '--date', '../../x'], 'must be YYYY-MM-DD'], // not a path
    [['enqueue', '--date', '2999-01-01'], 'is in the future'],
    [['backfill', '--from', '2025-07-10', '--to', '2025-07-01'], 'is after --to'],
    [['backfill', '--from', '2025-01-01', '--to', '2025-12-31'], 'add --yes if you mean it'],
    [['run', '--date', '2025-13-01'], 'is not a real calendar date'],
    [
      ['run', '--date', '2025-09-01', '--max-failed-share', '1.5'],
      'must be a number from 0 to 1, got "1.5"',
    ],
    [
      ['run', '--date', '2025-09-01', '--max-failed-share', 'some'],
      '--max-failed-share must be a number from 0 to 1, got "some"',
    ],
    [['run', '--date', '2025-09-01', '--max-failed-share='], 'got ""'],
    [
      ['backfill', '--from', '2025-09-01', '--to', '2025-09-02', '--max-failed-share', '0.1'],
      '--max-failed-share goes with --follow',
    ],
    // A negative value reaches the flag's own check, after the flag or after '='.
    [
      [
        'backfill',
        '--from',
        '2025-09-01',
        '--to',
        '2025-09-02',
        '--follow',
        '--max-failed-share=-1',
      ],
      'got "-1"',
    ],
    [
      ['run', '--date', '2025-09-01', '--max-failed-share', '-0.5'],
      'run: --max-failed-share must be a number from 0 to 1, got "-0.5"',
    ],
  ] as const)('%s is refused in one line: %s', async ([args, message], { redis, s3 }) => {
    const result = await runEtml([...args], { ...s3Env(s3), REDIS_URL: redis.url });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});

describe('etml scheduler', () => {
  test('two schedulers starting after an outage enqueue the missed days exactly once', async ({
    redis,
    s3,
  }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url, CATCHUP_DAYS: '3' };
    const schedulers = [startService('scheduler', env), startService('scheduler', env)];
    const deadline = Date.now() + 20_000;
    while (!schedulers.every(s => / INFO scheduler ready /.test(s.stderr()))) {
      if (Date.now() > deadline) throw new Error(schedulers.map(s => s.stderr()).join('\n'));
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    const last = lastDueRideDate('0 6 * * *', 'UTC', new Date());
    expect(await clusterJobIds(redis.url)).toEqual(
      [addDays(last, -2), addDays(last, -1), last].map(date => `cluster-${date}`),
    );
    for (const scheduler of schedulers) expect(await scheduler.stop()).toBe(0);
  });

  test.for([
    [{ SCHEDULE_TZ: 'Mars/Olympus_Mons' }, 'SCHEDULE_TZ must be an IANA time zone'],
    [{ SCHEDULE_CRON: '61 6 * * *' }, 'SCHEDULE_CRON must be a cron expression'],
    [{ CATCHUP_DAYS: '-1' }, 'CATCHUP_DAYS must be a whole number'],
    [
      { SCHEDULE_HEAL_SECONDS: '0' },
      'SCHEDULE_HEAL_SECONDS must be a whole number from 1 to 86400, got "0"',
    ],
    [
      { SCHEDULE_HEAL_SECONDS: '5m' },
      'SCHEDULE_HEAL_SECONDS must be a whole number from 1 to 86400, got "5m"',
    ],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT must be a whole number from 1 to 65535, got "0"'],
    [{ METRICS_PORT: 'http' }, 'METRICS_PORT must be a whole number from 1 to 65535, got "http"'],
  ] as const)('refuses %o at start, in one line', async ([bad, message], { redis, s3 }) => {
    const result = await runEtml(['scheduler'], { ...s3Env(s3), REDIS_URL: redis.url, ...bad });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});

describe('etml board', () => {
  test('refuses to start without a password, in one line', async ({ redis, s3 }) => {
    const result = await runEtml(['board'], { ...s3Env(s3), REDIS_URL: redis.url });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('BOARD_PASSWORD is required');
  });

  test('refuses a BOARD_HOST that is not an address, in one line naming it and the value', async ({
    redis,
    s3,
  }) => {
    const result = await runEtml(['board'], {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      BOARD_AUTH: 'off',
      BOARD_HOST: 'http://0.0.0.0',
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'etml: invalid configuration: BOARD_HOST must be an IP address or a host name, such as 127.0.0.1 or 0.0.0.0, got "http://0.0.0.0"',
    ]);
  });

  test.for([
    ['127.0.0.1', false],
    ['0.0.0.0', true],
  ] as const)(
    'with BOARD_AUTH=off on BOARD_HOST %s, warns of the network: %s',
    async ([host, network], { redis, s3 }) => {
      const board = startService('board', {
        ...s3Env(s3),
        REDIS_URL: redis.url,
        BOARD_AUTH: 'off',
        BOARD_HOST: host,
        BOARD_PORT: String(await getFreePort()),
      });
      await waitFor('the board ready', 20_000, () => / INFO board ready /.test(board.stderr()));
      const warning = `WARN board BOARD_AUTH=off with BOARD_HOST=${host}: the board is open to anyone on the network`;
      if (network) expect(board.stderr()).toContain(warning);
      else {
        expect(board.stderr()).not.toContain('on the network');
        expect(board.stderr()).toContain(
          'WARN board BOARD_AUTH=off: the board is open to anyone on this machine',
        );
      }
      expect(await board.stop()).toBe(0);
    },
  );
});

describe('etml start', () => {
  test('runs the four services with prefixed logs, and stops them all on SIGTERM', async ({
    redis,
    s3,
  }) => {
    const port = await getFreePort();
    const service = startService('start', {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      BOARD_PORT: String(port),
      CATCHUP_DAYS: '0',
    });
    const deadline = Date.now() + 30_000;
    const ready = () =>
      ['scheduler', 'cluster-worker', 'summarize-worker', 'board'].every(name =>
        new RegExp(`^${name} +\\| .* INFO ${name} ready`, 'm').test(service.stderr()),
      );
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(service.stderr());
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    // No BOARD_PASSWORD given: a random one for this run, never an open board.
    expect(service.stderr()).toMatch(/board: user admin, password \S{16} \(for this run/);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      workers: Record<string, number>;
    };
    expect(health.workers).toMatchObject({ scheduler: 1, cluster: 1, load: 1, summarize: 1 });
    expect((await fetch(`http://127.0.0.1:${port}/admin/queues`)).status).toBe(401);
    expect(await service.stop()).toBe(0);
    expect(service.stderr().match(/SIGTERM: closing/g)).toHaveLength(4);
  });
});

/**
 * `etml start` on a pseudo-terminal (script(1) makes it its session's foreground process group,
 * so a Ctrl-C written to it becomes SIGINT from the line discipline), with a day enqueued and
 * its summary calls held by the fake LLM.
 */
async function startInTerminal(redis: RedisTarget, s3: S3Target) {
  const date = parseRideDate('2025-07-30');
  await storeOf(s3).writeNdjson(keys.raw(date, 'jsonl'), [
    ...simulateRides({ date, rides: 400, seed: 7 }),
  ]);
  // Every call is held: none can finish, so the services must give their jobs back.
  const fake = await startFakeLlm({ fault: () => 'hang', hangMs: 60_000 });
  onTestFinished(() => fake.close());
  const env = {
    ...s3Env(s3),
    REDIS_URL: redis.url,
    BOARD_PORT: String(await getFreePort()),
    CATCHUP_DAYS: '0',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.url,
  };
  const terminal = spawn(
    'script',
    ['-qfec', `exec '${join(ROOT, 'bin', 'etml')}' start`, '/dev/null'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  terminal.stdout.on('data', chunk => {
    output += chunk;
  });
  const exited = new Promise<number | null>(resolve => terminal.on('exit', resolve));
  onTestFinished(() => {
    if (terminal.exitCode === null) terminal.kill('SIGKILL');
  });
  await waitFor('the four services ready', 30_000, () =>
    ['scheduler', 'cluster-worker', 'summarize-worker', 'board'].every(name =>
      new RegExp(`^${name} +\\| .* INFO ${name} ready`, 'm').test(output),
    ),
  );
  const enqueued = await runEtml(['enqueue', '--date', date], env);
  expect(enqueued.code, enqueued.stderr).toBe(0);
  await waitFor('a summary call in flight', 60_000, () => fake.pending() > 0);
  const summarize = new Queue(QUEUES.summarize, {
    connection: { url: redis.url },
    prefix: DEFAULT_REDIS_PREFIX,
  });
  onTestFinished(() => summarize.close());
  const active = await summarize.getJobs(['active']);
  expect(active.length).toBeGreaterThan(0);
  return {
    output: () => output,
    ctrlC: () => terminal.stdin.write('\x03'),
    exited,
    summarize,
    active,
  };
}

describe('etml start: Ctrl-C in a terminal, and a board port taken', () => {
  test('one Ctrl-C with a summary call in flight: each service gets one SIGTERM, exit 0, the job back in the queue', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const start = await startInTerminal(redis, s3);
    start.ctrlC();
    expect(await start.exited, start.output()).toBe(0);
    const output = start.output();
    expect(output).toMatch(/SIGINT: stopping the services/);
    expect(output.match(/^\S+ +\| .*SIGTERM: closing/gm), output).toHaveLength(4);
    expect(output).not.toMatch(/SIGINT: closing|again: forcing|not every service stopped cleanly/);
    // Given back, not cut off: nothing is left active to be found stalled later, nothing failed.
    expect(await start.summarize.getJobCounts('active', 'failed')).toEqual({
      active: 0,
      failed: 0,
    });
    for (const job of start.active) {
      const state = await start.summarize.getJobState(job.id as string);
      expect(['waiting', 'prioritized', 'completed']).toContain(state);
    }
  });

  test('a second Ctrl-C forces the services out, says so, and exits 1', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const start = await startInTerminal(redis, s3);
    start.ctrlC();
    await waitFor('the summarize-worker closing', 10_000, () =>
      /^summarize-worker +\| .* SIGTERM: closing/m.test(start.output()),
    );
    start.ctrlC();
    expect(await start.exited, start.output()).toBe(1);
    expect(start.output()).toMatch(/SIGINT again: forcing the services to exit now/);
    expect(start.output()).toMatch(/etml: forced stop: .*summarize-worker 130/);
  });

  test.for([
    ['start', { CATCHUP_DAYS: '0' }],
    ['board', { BOARD_PASSWORD: 'pw' }],
  ] as const)(
    'etml %s with the board port taken: refuses in one line naming BOARD_PORT and the port, starting nothing',
    async ([command, extra], { redis, s3 }) => {
      const port = await getFreePort();
      const taken = createServer().listen(port, '127.0.0.1');
      await new Promise(resolve => taken.once('listening', resolve));
      onTestFinished(() => new Promise<void>(resolve => taken.close(() => resolve())));
      const result = await runEtml([command], {
        ...s3Env(s3),
        REDIS_URL: redis.url,
        BOARD_PORT: String(port),
        ...extra,
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `etml: invalid configuration: BOARD_PORT ${port} is already in use on BOARD_HOST 127.0.0.1; set BOARD_PORT to a free port`,
      ]);
    },
  );
});
