import type { AddressInfo } from 'node:net';
import { producerConnection, queueOptions } from '@etml/queues';
import { ownKeys } from '@etml/runtime';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { BOARD_PATH, createBoardApp, PIPELINE_QUEUES } from './app.ts';

const AUTH = { username: 'admin', password: 'correct horse battery staple' };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function startBoard(redisUrl: string, auth: typeof AUTH | null = AUTH) {
  const connection = await producerConnection(redisUrl);
  const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
  const server = createBoardApp({ queues, redis: connection, auth }).listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    await Promise.all(queues.map(q => q.close()));
    connection.disconnect();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, queues, connection };
}

describe('the board over real HTTP', () => {
  test('answers 401 on every board route, API, static files and metrics without valid credentials', async ({
    redis,
  }) => {
    const { url } = await startBoard(redis.url);
    const page = await fetch(`${url}${BOARD_PATH}`, {
      headers: { authorization: basic(AUTH.username, AUTH.password) },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    // A static file the page really loads, to check that static files are guarded too.
    const asset = /(?:src|href)="([^"]*static[^"]+)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const paths = [
      BOARD_PATH,
      `${BOARD_PATH}/`,
      `${BOARD_PATH}/api/queues`,
      `${BOARD_PATH}/queue/cluster`,
      new URL(asset as string, `${url}${BOARD_PATH}/`).pathname,
      '/metrics',
    ];
    const wrong = [
      undefined,
      basic(AUTH.username, 'wrong'),
      basic('root', AUTH.password),
      basic(AUTH.username, ''),
      'Basic !!!',
      'Bearer token',
    ];
    for (const path of paths) {
      for (const authorization of wrong) {
        const response = await fetch(`${url}${path}`, {
          headers: authorization ? { authorization } : {},
          redirect: 'manual',
        });
        expect(response.status, `${path} with ${authorization}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      }
      const ok = await fetch(`${url}${path}`, {
        headers: { authorization: basic(AUTH.username, AUTH.password) },
        redirect: 'manual',
      });
      expect([200, 301, 302], path).toContain(ok.status);
    }
    const api = await fetch(`${url}${BOARD_PATH}/api/queues`, {
      headers: { authorization: basic(AUTH.username, AUTH.password) },
    });
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map(q => q.name).sort()).toEqual([
      'cluster',
      'load',
      'scheduler',
      'summarize',
    ]);
  });

  test('/healthz needs no credentials and reports Redis and the workers per queue', async ({
    redis,
  }) => {
    const { url } = await startBoard(redis.url);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      redis: 'ok',
      workers: { scheduler: 0, cluster: 0, summarize: 0, load: 0 },
    });
  });

  test('/metrics is Prometheus text with queue counts and pipeline counters', async ({ redis }) => {
    const { url, queues, connection } = await startBoard(redis.url);
    const cluster = queues.find(q => q.name === 'cluster') as Queue;
    await cluster.add('cluster-day', { date: '2025-07-30' }, { jobId: 'cluster-2025-07-30' });
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: basic(AUTH.username, AUTH.password) },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('etml_queue_jobs{queue="cluster",state="waiting"} 1');
    expect(text).toContain('etml_queue_jobs{queue="load",state="waiting-children"} 0');
    expect(text).toContain('# TYPE etml_llm_calls_total counter');
    expect(text).toContain('etml_rides_total 0');
    // The totals are read from Redis at each scrape, as the load step adds to them.
    await connection.hincrby(ownKeys(connection).metrics, 'rides', 400);
    const again = await (
      await fetch(`${url}/metrics`, {
        headers: { authorization: basic(AUTH.username, AUTH.password) },
      })
    ).text();
    expect(again).toContain('etml_rides_total 400');
    expect(again).toContain('etml_queue_jobs{queue="cluster",state="waiting"} 1');
    // prom-client's process metrics too.
    expect(again).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(again).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  test('with BOARD_AUTH=off the board is open', async ({ redis }) => {
    const { url } = await startBoard(redis.url, null);
    expect((await fetch(`${url}${BOARD_PATH}/api/queues`)).status).toBe(200);
  });
});
