import { describe, expect, it } from 'vitest';
import { JobVanished, reportRedisError, vanishedJob } from './redis-errors.ts';

function recorder() {
  const lines: string[] = [];
  const log = {
    debug() {},
    info() {},
    warn: (message: string) => lines.push(`WARN ${message}`),
    error: (message: string) => lines.push(`ERROR ${message}`),
  };
  return { log, lines };
}

describe('reportRedisError', () => {
  it('names the job of each way BullMQ says a job vanished', () => {
    expect(
      vanishedJob(new Error('Missing key for job summarize-2025-07-30-7. moveToFinished')),
    ).toBe('summarize-2025-07-30-7');
    expect(vanishedJob(new Error('Missing lock for job load-2025-07-30. moveToDelayed'))).toBe(
      'load-2025-07-30',
    );
    expect(vanishedJob(new Error('could not renew lock for job cluster-2025-07-30'))).toBe(
      'cluster-2025-07-30',
    );
    expect(vanishedJob(new JobVanished('summarize-2025-07-30-8'))).toBe('summarize-2025-07-30-8');
    expect(vanishedJob(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBeUndefined();
  });

  it('warns once per vanished job, however often it is reported', () => {
    const { log, lines } = recorder();
    for (let i = 0; i < 20; i += 1) {
      reportRedisError(log, {}, new Error('could not renew lock for job load-2025-07-30'));
      reportRedisError(log, {}, new Error('Missing key for job load-2025-07-30. moveToFinished'));
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^WARN job lost from Redis/);
  });

  it('turns a 2-minute outage reported by 6 connections every second into a line, then 1, 2, 4… s apart', () => {
    const { log, lines } = recorder();
    const start = 1_000_000;
    for (let ms = 0; ms < 120_000; ms += 1_000) {
      for (let c = 0; c < 6; c += 1) {
        reportRedisError(log, {}, new Error('connect ECONNREFUSED 127.0.0.1:6379'), start + ms);
      }
    }
    // At 0, 1, 3, 7, 15, 31 and 63 s: the next would be at 123 s.
    expect(lines).toHaveLength(7);
    expect(lines.every(line => line.startsWith('ERROR Redis is not reachable'))).toBe(true);
    // A new outage a while later is said at once.
    reportRedisError(log, {}, new Error('read ECONNRESET'), start + 300_000);
    expect(lines).toHaveLength(8);
    // Anything else is logged as it comes.
    reportRedisError(log, {}, new Error('ERR unknown command'), start + 300_001);
    reportRedisError(log, {}, new Error('ERR unknown command'), start + 300_002);
    expect(lines.slice(8)).toEqual(['ERROR Redis error', 'ERROR Redis error']);
  });
});
