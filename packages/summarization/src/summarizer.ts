import { withSpan } from '@etml/domain';
import { classifyLlmError } from './errors.ts';
import { extractiveSummary } from './extractive.ts';
import type { LlmSummary, OpenAISummarizer } from './openai.ts';
import { buildPrompt, type PromptInput } from './prompt.ts';

/** Anything that turns a ride's prompt into a summary. */
export interface Summarizer {
  /** Part of every cache key: another model, or other rules, give other summaries. */
  readonly model: string;
  /** `llm` calls cost money and count against the provider's request limit. */
  readonly source: 'llm' | 'extractive';
  /** Where the calls go (host only), named in failure reasons; none for local rules. */
  readonly host?: string;
  summarize(input: PromptInput, signal?: AbortSignal): Promise<LlmSummary>;
}

export function llmSummarizer(client: OpenAISummarizer): Summarizer {
  return {
    model: client.model,
    source: 'llm',
    host: client.host,
    summarize: (input, signal) =>
      withSpan(
        'LLM chat',
        {
          'gen_ai.system': 'openai',
          'gen_ai.request.model': client.model,
          'server.address': client.host,
        },
        span =>
          client.summarize(buildPrompt(input), signal).then(
            answer => {
              span.set({
                'etml.llm.outcome': 'ok',
                'gen_ai.usage.input_tokens': answer.usage.promptTokens,
                'gen_ai.usage.output_tokens': answer.usage.completionTokens,
              });
              return answer;
            },
            (error: unknown) => {
              span.set({ 'etml.llm.outcome': classifyLlmError(error).kind });
              throw error;
            },
          ),
      ),
  };
}

/** Bump when the extractive rules change, so cached extractive summaries are not reused. */
export const EXTRACTIVE_VERSION = 'extractive-v1';

export const extractiveSummarizer: Summarizer = {
  model: EXTRACTIVE_VERSION,
  source: 'extractive',
  summarize: async input => ({
    ...extractiveSummary(input),
    usage: { promptTokens: 0, completionTokens: 0 },
  }),
};

/** USD per million tokens (input, output), from the providers' price lists of 2026. */
const PRICES: Record<string, readonly [number, number]> = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4o': [2.5, 10],
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1-nano': [0.1, 0.4],
  'gpt-5': [1.25, 10],
  'gpt-5-mini': [0.25, 2],
  'gpt-5-nano': [0.05, 0.4],
};

/**
 * The cost of the tokens at list price, or null for a model whose price is not known (a
 * gateway or a local model). Dated snapshots ("gpt-4o-mini-2024-07-18") use their family's price.
 */
export function estimateCostUsd(
  model: string,
  usage: { promptTokens: number; completionTokens: number },
): number | null {
  const family = Object.keys(PRICES)
    .filter(name => model === name || model.startsWith(`${name}-20`))
    .sort((a, b) => b.length - a.length)[0];
  if (model.startsWith(EXTRACTIVE_VERSION)) return 0;
  if (!family) return null;
  const [input, output] = PRICES[family] as readonly [number, number];
  return (usage.promptTokens * input + usage.completionTokens * output) / 1_000_000;
}
