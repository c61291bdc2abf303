import { createServer, type Server } from 'node:net';
import { ConfigError } from '@etml/domain';
import { createLogger } from '@etml/runtime';
import { getFreePort, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { loadEnv } from './env.ts';
import { checkBoardAddress, serveBoard } from './serve.ts';

const log = createLogger('test', () => {});

async function occupy(port: number, host: string): Promise<Server> {
  const server = createServer().listen(port, host);
  await new Promise(resolve => server.once('listening', resolve));
  onTestFinished(() => new Promise<void>(resolve => server.close(() => resolve())));
  return server;
}

describe('where the board listens', () => {
  test('on 127.0.0.1 by default, and on BOARD_HOST when set', async ({ redis }) => {
    for (const [source, address] of [
      [{}, '127.0.0.1'],
      [{ BOARD_HOST: '0.0.0.0' }, '0.0.0.0'],
    ] as const) {
      const env = loadEnv({
        ...source,
        BOARD_AUTH: 'off',
        BOARD_PORT: String(await getFreePort()),
      });
      const board = await serveBoard({ redisUrl: redis.url, ...env, log });
      onTestFinished(() => board.close());
      expect(board.address()).toMatchObject({ address, port: env.port });
      const health = await fetch(`http://127.0.0.1:${env.port}/healthz`);
      expect(health.status).toBe(200);
    }
  });

  test('a port already taken: one ConfigError naming BOARD_PORT, the port and BOARD_HOST, before and at listen', async ({
    redis,
  }) => {
    const port = await getFreePort();
    await occupy(port, '127.0.0.1');
    const expected = `BOARD_PORT ${port} is already in use on BOARD_HOST 127.0.0.1`;
    await expect(checkBoardAddress('127.0.0.1', port)).rejects.toThrow(ConfigError);
    await expect(checkBoardAddress('127.0.0.1', port)).rejects.toThrow(expected);
    await expect(
      serveBoard({ redisUrl: redis.url, host: '127.0.0.1', port, auth: null, log }),
    ).rejects.toThrow(expected);
  });

  test('a free address passes the check and stays free', async () => {
    const port = await getFreePort();
    await checkBoardAddress('127.0.0.1', port);
    await occupy(port, '127.0.0.1');
  });
});
