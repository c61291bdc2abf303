import { describe, expect, test } from 'vitest';
import { dayDueBy } from './deadline.ts';

describe('dayDueBy', () => {
  test('is the previous local day from the deadline on, and nothing before it', () => {
    expect(dayDueBy('08:00', 'UTC', new Date('2025-08-02T07:59:59Z'))).toBeUndefined();
    expect(dayDueBy('08:00', 'UTC', new Date('2025-08-02T08:00:00Z'))).toBe('2025-08-01');
    expect(dayDueBy('08:00', 'UTC', new Date('2025-08-02T23:59:00Z'))).toBe('2025-08-01');
  });

  test('reads the clock and the date in the zone given', () => {
    // 23:30 UTC on the 1st is 08:30 on the 2nd in Tokyo.
    expect(dayDueBy('08:00', 'Asia/Tokyo', new Date('2025-08-01T23:30:00Z'))).toBe('2025-08-01');
    expect(dayDueBy('08:00', 'America/New_York', new Date('2025-08-02T11:59:00Z'))).toBeUndefined();
    expect(dayDueBy('08:00', 'America/New_York', new Date('2025-08-02T12:00:00Z'))).toBe(
      '2025-08-01',
    );
  });
});
