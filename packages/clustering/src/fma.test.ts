import { describe, expect, it } from 'vitest';
import { fma } from './fma.ts';

describe('fma', () => {
  it('rounds a·b + c once, where the plain expression rounds twice', () => {
    // 0.1 × 10 is 1 + 2⁻⁵⁴·… exactly; the plain product rounds that away.
    expect(0.1 * 10 - 1).toBe(0);
    expect(fma(0.1, 10, -1)).toBe(5.551115123125783e-17);
    expect(fma(2, 3, 4)).toBe(10);
    expect(fma(-0.5, 4, 2)).toBe(0);
    expect(fma(1e308, 10, -1e308)).toBe(Number.POSITIVE_INFINITY);
  });

  it('agrees with the plain expression whenever that is exact', () => {
    for (const [a, b, c] of [
      [1.5, 2.25, -3],
      [0.25, 0.5, 0.125],
      [-7, 3, 100],
    ] as const) {
      expect(fma(a, b, c)).toBe(a * b + c);
    }
  });
});
