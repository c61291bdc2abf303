import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

/** `n` connections to a test's Redis, as separate processes would have; closed when it ends. */
export function redisClients(url: string, n: number): Redis[] {
  const list = Array.from({ length: n }, () => new Redis(url));
  onTestFinished(() => {
    for (const client of list) client.disconnect();
  });
  return list;
}
