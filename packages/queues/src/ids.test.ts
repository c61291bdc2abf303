import { parseRideDate } from '@etml/domain';
import { describe, expect, it } from 'vitest';
import { jobIds, rideIdPart, rideInSummarizeId } from './ids.ts';

const date = parseRideDate('2025-07-30');

describe('job ids', () => {
  it('are deterministic per date and ride, and never contain ":"', () => {
    expect(jobIds.clusterDay(date)).toBe('cluster-2025-07-30');
    expect(jobIds.loadDay(date)).toBe('load-2025-07-30');
    expect(jobIds.summarizeRide(date, '202507300')).toBe('summarize-2025-07-30-202507300');
    expect(jobIds.summarizeRide(date, 42)).toBe('summarize-2025-07-30-42');
    expect(jobIds.summarizeRide(date, 'depot:7/ride 3')).not.toContain(':');
    const late = `${jobIds.summarizeRide(date, 'depot:7/ride 3')}.2`;
    expect(jobIds.refreshDay(late)).toBe(`refresh-${late}`);
    expect(jobIds.refreshDay(late, 2)).toBe(`refresh-${late}~2`);
    expect(jobIds.refreshDay(late, 2)).not.toContain(':');
    expect(jobIds.refreshDayDebounce(date)).toBe('refresh-2025-07-30');
  });

  it('keep plain ride ids readable and give different rides different ids', () => {
    expect(rideIdPart('ride_1.a-b')).toBe('ride_1.a-b');
    const odd = ['a:b', 'a_b', 'a b', 'a/b', 'x'.repeat(65), 'x'.repeat(66)];
    const parts = odd.map(rideIdPart);
    expect(new Set(parts).size).toBe(odd.length);
    expect(parts[0]).toMatch(/^a_b~[0-9a-f]{16}$/);
    expect(rideIdPart('a:b')).toBe(parts[0]);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9._~-]+$/);
  });

  it('give back the ride of a summary when they kept its id as it is', () => {
    const ride = (rideId: string | number) => rideInSummarizeId(jobIds.summarizeRide(date, rideId));
    expect(ride('depot-7-ride-3')).toBe('depot-7-ride-3');
    expect(ride('2025-07-31-late')).toBe('2025-07-31-late');
    expect(ride(42)).toBe('42');
    expect(ride('depot:7/ride 3')).toBeUndefined();
    expect(ride('x'.repeat(65))).toBeUndefined();
    expect(rideInSummarizeId(jobIds.loadDay(date))).toBeUndefined();
  });
});
