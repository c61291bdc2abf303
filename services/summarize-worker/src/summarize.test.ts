import { describe, expect, it } from 'vitest';
import { retryNote } from './summarize.ts';

const job = (attemptsMade: number, attempts: number, attemptsStarted = attemptsMade + 1) => ({
  attemptsMade,
  attemptsStarted,
  opts: { attempts },
});

describe('retryNote: what a failed summary says of its retries, as BullMQ decides them', () => {
  it('says "will retry" only while attempts remain', () => {
    expect(retryNote(job(0, 6))).toBe('will retry: attempt 1 of 6');
    expect(retryNote(job(4, 6))).toBe('will retry: attempt 5 of 6');
    expect(retryNote(job(5, 6))).toBe('gave up after 6 attempts');
    expect(retryNote(job(0, 1))).toBe('gave up after 1 attempt');
  });

  it('counts the extra try a retry from the board gives, and the cap on starts', () => {
    // Bull Board's Retry keeps attemptsMade: a summary that had used its 6 gets one more.
    expect(retryNote(job(6, 6))).toBe('gave up after 7 attempts');
    expect(retryNote(job(1, 6, 500), 500)).toBe('gave up after 2 attempts');
    expect(retryNote(job(1, 6, 499), 500)).toBe('will retry: attempt 2 of 6');
  });
});
