import { describe, expect, it } from 'vitest';
import { parseDecimal } from './number.ts';

describe('parseDecimal', () => {
  it.each([
    ['1.5', 1.5],
    ['-2', -2],
    ['3e-4', 3e-4],
    ['.5', 0.5],
    ['7.', 7],
  ])('reads %j', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });

  it.each(['', ' 1', 'NaN', 'Infinity', '0x10', '1,5', 'abc'])('refuses %j', text => {
    expect(parseDecimal(text)).toBeUndefined();
  });
});
