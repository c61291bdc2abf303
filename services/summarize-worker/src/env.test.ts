import { ConfigError } from '@etml/domain';
import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';

const llm = { OPENAI_API_KEY: 'sk-test' };

function problemsOf(source: Record<string, string>): readonly string[] {
  try {
    loadEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('the LLM limits of the summarize-worker', () => {
  it('are off unless set', () => {
    const env = loadEnv(llm);
    expect(env.maxTokensPerMinute).toBeUndefined();
    expect(env.budget).toEqual({ maxSummaries: undefined, maxCostUsd: undefined });
  });

  it('are read when set', () => {
    const env = loadEnv({
      ...llm,
      LLM_MAX_TOKENS_PER_MINUTE: '200000',
      LLM_MAX_SUMMARIES_PER_DAY: '500',
      LLM_MAX_COST_PER_DAY_USD: '2.50',
    });
    expect(env.maxTokensPerMinute).toBe(200_000);
    expect(env.budget).toEqual({ maxSummaries: 500, maxCostUsd: 2.5 });
  });

  it.each([
    [
      'LLM_MAX_SUMMARIES_PER_DAY',
      '-5',
      'LLM_MAX_SUMMARIES_PER_DAY must be a whole number ≥ 1, got "-5"',
    ],
    [
      'LLM_MAX_SUMMARIES_PER_DAY',
      '0',
      'LLM_MAX_SUMMARIES_PER_DAY must be a whole number ≥ 1, got "0"',
    ],
    ['LLM_MAX_COST_PER_DAY_USD', '-1', 'LLM_MAX_COST_PER_DAY_USD must be a number > 0, got "-1"'],
    ['LLM_MAX_COST_PER_DAY_USD', '0', 'LLM_MAX_COST_PER_DAY_USD must be a number > 0, got "0"'],
    [
      'LLM_MAX_TOKENS_PER_MINUTE',
      '-200000',
      'LLM_MAX_TOKENS_PER_MINUTE must be a whole number ≥ 1, got "-200000"',
    ],
  ])('refuse %s=%s in one problem naming it', (name, value, message) => {
    expect(problemsOf({ ...llm, [name]: value })).toEqual([message]);
  });

  it('refuse a tokens limit smaller than the largest request', () => {
    expect(problemsOf({ LLM_MAX_TOKENS_PER_MINUTE: '6613' })).toEqual([
      'LLM_MAX_TOKENS_PER_MINUTE must be at least 6614 (the most one request can use, its longest prompt and 400 completion tokens), got "6613"',
    ]);
    expect(loadEnv({ LLM_MAX_TOKENS_PER_MINUTE: '6614' }).maxTokensPerMinute).toBe(6_614);
  });

  it("refuse a cost budget below the largest request's cost at the model's list price", () => {
    expect(problemsOf({ ...llm, LLM_MAX_COST_PER_DAY_USD: '0.001' })).toEqual([
      'LLM_MAX_COST_PER_DAY_USD must cover one request to gpt-4o-mini (at least 0.001172 USD at list price), got "0.001"',
    ]);
    expect(loadEnv({ ...llm, LLM_MAX_COST_PER_DAY_USD: '0.0012' }).budget.maxCostUsd).toBe(0.0012);
    // The same budget for a dearer model cannot pay for one request.
    expect(
      problemsOf({ ...llm, OPENAI_MODEL: 'gpt-4o', LLM_MAX_COST_PER_DAY_USD: '0.0012' })[0],
    ).toMatch(/^LLM_MAX_COST_PER_DAY_USD must cover one request to gpt-4o \(at least 0.019535 USD/);
  });

  it('refuse a cost budget for a model whose price is unknown, naming both', () => {
    expect(problemsOf({ ...llm, OPENAI_MODEL: 'llama3', LLM_MAX_COST_PER_DAY_USD: '5' })).toEqual([
      'LLM_MAX_COST_PER_DAY_USD cannot be kept: OPENAI_MODEL "llama3" has no known list price (limit the day with LLM_MAX_SUMMARIES_PER_DAY instead), got "5"',
    ]);
    // Offline, there is nothing to price.
    expect(
      loadEnv({ OPENAI_MODEL: 'llama3', LLM_MAX_COST_PER_DAY_USD: '5' }).budget.maxCostUsd,
    ).toBe(5);
  });
});
