import { buildPrompt, MAX_CONTEXT_CHARS, type Prompt } from './prompt.ts';
import { estimateCostUsd } from './summarizer.ts';

/**
 * The longest answer a summary may take, sent as max_tokens. Limits and budgets reserve all of
 * it before a call, because the answer's length is only known after.
 */
export const MAX_COMPLETION_TOKENS = 400;

/** Chat formatting's own tokens: a few per message (system, user) and the reply's priming. */
const CHAT_OVERHEAD_TOKENS = 2 * 4 + 3;

/**
 * A cheap token count that errs high, as providers' own limiters count a request before they
 * tokenize it: four characters a token for ASCII (OpenAI's rule of thumb for English), and a
 * token for every other character (accents, scripts without spaces, emoji), which tokenizers
 * seldom exceed.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) ascii += 1;
  return Math.ceil(ascii / 4) + (text.length - ascii);
}

export function estimatePromptTokens(prompt: Prompt): number {
  return estimateTokens(prompt.system) + estimateTokens(prompt.user) + CHAT_OVERHEAD_TOKENS;
}

/** The tokens a request may use at most: its prompt, and the longest answer it may get. */
export function estimateRequestTokens(prompt: Prompt): number {
  return estimatePromptTokens(prompt) + MAX_COMPLETION_TOKENS;
}

/** A request's cost at most, at list price; null for a model whose price is unknown. */
export function estimateRequestCostUsd(model: string, prompt: Prompt): number | null {
  return estimateCostUsd(model, {
    promptTokens: estimatePromptTokens(prompt),
    completionTokens: MAX_COMPLETION_TOKENS,
  });
}

/**
 * The largest request there can be: each context at its length limit in non-ASCII text (a token
 * a character by the estimate), and more reason text than the four categories ever make.
 */
export const LARGEST_PROMPT: Prompt = buildPrompt({
  reasons: ['x'.repeat(64)],
  news: 'é'.repeat(MAX_CONTEXT_CHARS),
  weather: 'é'.repeat(MAX_CONTEXT_CHARS),
  traffic: 'é'.repeat(MAX_CONTEXT_CHARS),
});
