export {
  classifyLlmError,
  type LimitKind,
  type LlmFailure,
  LlmRefusal,
  type LlmRequestOutcome,
  parseResetDuration,
  requestOutcome,
  retryAfterMs,
  tokenLimitOf,
} from './errors.ts';
export { extractiveSummary, type Summary } from './extractive.ts';
export {
  boundSummary,
  endpointHost,
  type LlmRequestRecord,
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
export {
  estimatePromptTokens,
  estimateRequestCostUsd,
  estimateRequestTokens,
  estimateTokens,
  LARGEST_PROMPT,
  MAX_COMPLETION_TOKENS,
} from './tokens.ts';
