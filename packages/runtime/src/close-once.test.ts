import { describe, expect, it } from 'vitest';
import { closeOnce } from './close-once.ts';

describe('closeOnce', () => {
  it('closes with the first call’s arguments; later calls get that same closing', async () => {
    const graces: number[] = [];
    const close = closeOnce(async (graceMs: number) => {
      graces.push(graceMs);
    });
    const first = close(10);
    expect(close(20)).toBe(first);
    await first;
    await close(30);
    expect(graces).toEqual([10]);
  });
});
