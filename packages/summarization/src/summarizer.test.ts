import { describe, expect, it } from 'vitest';
import { EXTRACTIVE_VERSION, estimateCostUsd, extractiveSummarizer } from './summarizer.ts';

describe('estimateCostUsd', () => {
  it('prices tokens at the model family list price, snapshots included', () => {
    const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000 };
    expect(estimateCostUsd('gpt-4o-mini', usage)).toBeCloseTo(0.75, 10);
    expect(estimateCostUsd('gpt-4o-mini-2024-07-18', usage)).toBeCloseTo(0.75, 10);
    expect(estimateCostUsd('gpt-4o', usage)).toBeCloseTo(12.5, 10);
  });

  it('is null for an unknown model and zero for the offline summarizer', () => {
    const usage = { promptTokens: 10, completionTokens: 10 };
    expect(estimateCostUsd('llama3:8b', usage)).toBeNull();
    expect(estimateCostUsd('gpt-4o-minify', usage)).toBeNull();
    expect(estimateCostUsd(EXTRACTIVE_VERSION, usage)).toBe(0);
  });
});

describe('extractiveSummarizer', () => {
  it('needs no network and spends no tokens', async () => {
    const result = await extractiveSummarizer.summarize({
      reasons: ['long_time'],
      traffic: 'A crash has blocked the M8. Expect long delays.',
    });
    expect(result.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(result.likely_cause).toBe('traffic_incident');
    expect(extractiveSummarizer.source).toBe('extractive');
  });
});
