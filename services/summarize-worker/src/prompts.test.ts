import { buildPrompt } from '@etml/summarization';
import { describe, expect, it } from 'vitest';
import { promptId, promptInputOf } from './prompts.ts';

describe('prompt inputs', () => {
  it('are the same for rides in the same situation, whatever their numbers or reason order', () => {
    const context = { news: 'A crash on the M8.', weather: 'Rain.', traffic: 'Long delays.' };
    const a = promptInputOf({
      ride_id: 1,
      ride_dist: 3,
      ride_time: 2,
      anomaly_reasons: ['long_time', 'low_speed'],
      ...context,
    });
    const b = promptInputOf({
      ride_id: 2,
      ride_dist: 9,
      ride_time: 5,
      anomaly_reasons: ['low_speed', 'long_time'],
      ...context,
      news: '  A crash on\tthe M8.\u0000',
    });
    expect(a).toEqual(b);
    expect(promptId(a)).toBe(promptId(b));
    expect(buildPrompt(a)).toEqual(buildPrompt(b));
  });

  it('differ when the reasons or the context differ', () => {
    const base = { anomaly_reasons: ['long_time'], news: 'x', weather: 'y', traffic: 'z' };
    const ids = [
      base,
      { ...base, anomaly_reasons: ['long_distance'] },
      { ...base, news: 'x2' },
      { ...base, traffic: null },
    ].map(ride => promptId(promptInputOf(ride)));
    expect(new Set(ids).size).toBe(4);
  });

  it('treat missing or non-text context as empty', () => {
    expect(promptInputOf({ anomaly_reasons: 'not a list', news: 42 })).toEqual({
      reasons: [],
      news: '',
      weather: '',
      traffic: '',
    });
  });
});
