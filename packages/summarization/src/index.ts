export {
  classifyLlmError,
  type LlmFailure,
  LlmRefusal,
  parseResetDuration,
  retryAfterMs,
} from './errors.ts';
export { extractiveSummary, type Summary } from './extractive.ts';
export {
  boundSummary,
  type LlmSummary,
  OpenAISummarizer,
  type OpenAISummarizerOptions,
  parseAnswer,
} from './openai.ts';
export {
  buildPrompt,
  cacheKey,
  cleanContext,
  LIKELY_CAUSES,
  type LikelyCause,
  MAX_CONTEXT_CHARS,
  PROMPT_VERSION,
  type Prompt,
  type PromptInput,
} from './prompt.ts';
export {
  EXTRACTIVE_VERSION,
  estimateCostUsd,
  extractiveSummarizer,
  llmSummarizer,
  type Summarizer,
} from './summarizer.ts';
