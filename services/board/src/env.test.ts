import { ConfigError } from '@etml/domain';
import { describe, expect, it } from 'vitest';
import { isLoopback, loadEnv } from './env.ts';

const base = { BOARD_PASSWORD: 'pw' };

describe('BOARD_HOST', () => {
  it('is 127.0.0.1 unless set', () => {
    expect(loadEnv(base).host).toBe('127.0.0.1');
  });

  it('takes an IPv4 or IPv6 address or a host name', () => {
    for (const host of ['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'board.internal']) {
      expect(loadEnv({ ...base, BOARD_HOST: host }).host).toBe(host);
    }
  });

  it('refuses anything else in one problem naming it and the value', () => {
    for (const host of ['http://0.0.0.0', '0.0.0.0:3000', 'bad_host', '-x', 'a..b', 'two words']) {
      let error: unknown;
      try {
        loadEnv({ ...base, BOARD_HOST: host });
      } catch (caught) {
        error = caught;
      }
      expect(error, host).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems, host).toEqual([
        `BOARD_HOST must be an IP address or a host name, such as 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(host)}`,
      ]);
    }
  });

  it('counts only this machine as loopback', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.1.2.3', 'board.internal'].some(isLoopback)).toBe(false);
  });
});

describe('SCHEDULE_TZ', () => {
  it('is "today" for /reports/: UTC unless set, and one problem naming it when it is no zone', () => {
    expect(loadEnv(base).tz).toBe('UTC');
    expect(loadEnv({ ...base, SCHEDULE_TZ: 'Europe/London' }).tz).toBe('Europe/London');
    expect(() => loadEnv({ ...base, SCHEDULE_TZ: 'Mars/Olympus' })).toThrow(/SCHEDULE_TZ/);
  });
});
