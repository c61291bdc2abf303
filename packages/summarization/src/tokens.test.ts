import { describe, expect, it } from 'vitest';
import { buildPrompt, MAX_CONTEXT_CHARS } from './prompt.ts';
import {
  estimatePromptTokens,
  estimateRequestCostUsd,
  estimateRequestTokens,
  estimateTokens,
  LARGEST_PROMPT,
  MAX_COMPLETION_TOKENS,
} from './tokens.ts';

describe('token estimates', () => {
  it('count four ASCII characters a token and any other character a token', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('café')).toBe(1 + 1);
    expect(estimateTokens('東京駅')).toBe(3);
  });

  it('never count fewer tokens than four characters a token, the usual measure of a prompt', () => {
    const prompt = buildPrompt({
      reasons: ['long_time'],
      news: 'Marathon closes Princes Street. Café terraces are busy.',
      traffic: 'A crash has blocked the M8 westbound.',
    });
    const chars = prompt.system.length + prompt.user.length;
    expect(estimatePromptTokens(prompt)).toBeGreaterThanOrEqual(Math.ceil(chars / 4));
    expect(estimateRequestTokens(prompt)).toBe(
      estimatePromptTokens(prompt) + MAX_COMPLETION_TOKENS,
    );
  });

  it('price a request at its prompt estimate and the longest answer', () => {
    const prompt = buildPrompt({ reasons: ['high_speed'], weather: 'Dry and sunny.' });
    expect(estimateRequestCostUsd('gpt-4o-mini', prompt)).toBeCloseTo(
      (estimatePromptTokens(prompt) * 0.15 + MAX_COMPLETION_TOKENS * 0.6) / 1e6,
      12,
    );
    expect(estimateRequestCostUsd('llama3', prompt)).toBeNull();
  });

  it('bound every prompt by the largest one', () => {
    const long = 'x'.repeat(3 * MAX_CONTEXT_CHARS);
    const wide = '語'.repeat(3 * MAX_CONTEXT_CHARS);
    const largest = estimateRequestTokens(LARGEST_PROMPT);
    for (const text of [long, wide]) {
      const prompt = buildPrompt({
        reasons: ['long_distance', 'long_time', 'high_speed', 'low_speed'],
        news: text,
        weather: text,
        traffic: text,
      });
      expect(estimateRequestTokens(prompt)).toBeLessThanOrEqual(largest);
    }
  });
});
