import OpenAI from 'openai';
import { z } from 'zod';
import { LlmRefusal, type LlmRequestOutcome, requestOutcome, tokenLimitOf } from './errors.ts';
import type { Summary } from './extractive.ts';
import { LIKELY_CAUSES, type Prompt } from './prompt.ts';
import { MAX_COMPLETION_TOKENS } from './tokens.ts';

export interface LlmSummary extends Summary {
  usage: { promptTokens: number; completionTokens: number };
  /** The provider's tokens limit after this answer, when its headers tell. */
  tokenLimit?: { remaining: number; resetMs: number | undefined } | undefined;
}

/** One HTTP request to the provider, as it ended. */
export interface LlmRequestRecord {
  outcome: LlmRequestOutcome;
  seconds: number;
  /** The tokens an answer reported; none when there was no answer. */
  usage?: LlmSummary['usage'];
}

export interface OpenAISummarizerOptions {
  apiKey: string;
  baseURL?: string | undefined;
  model: string;
  /** Per request; the job's AbortSignal can end it sooner. */
  timeoutMs?: number;
  /** Told of every HTTP request this makes (the caller keeps metrics; this package does none). */
  onRequest?: ((request: LlmRequestRecord) => void) | undefined;
}

const Answer = z.object({
  summary: z.string().min(1),
  likely_cause: z.enum(LIKELY_CAUSES),
});

const JSON_SCHEMA = {
  type: 'object',
  properties: {
    summary: { type: 'string', description: 'At most 3 sentences.' },
    likely_cause: { type: 'string', enum: [...LIKELY_CAUSES] },
  },
  required: ['summary', 'likely_cause'],
  additionalProperties: false,
} as const;

const MAX_SUMMARY_CHARS = 800;

/** At most three sentences and a bounded length, whatever the model wrote. */
export function boundSummary(text: string): string {
  const sentences =
    text
      .replace(/\s+/g, ' ')
      .trim()
      .match(/[^.!?]+[.!?]+|[^.!?]+$/g) ?? [];
  const kept = sentences
    .slice(0, 3)
    .map(s => s.trim())
    .join(' ');
  return kept.length > MAX_SUMMARY_CHARS ? `${kept.slice(0, MAX_SUMMARY_CHARS - 1)}…` : kept;
}

/** The answer from a model's text: the JSON object itself, or the first {...} inside prose. */
export function parseAnswer(content: string): Summary {
  const candidates = [content, content.slice(content.indexOf('{'), content.lastIndexOf('}') + 1)];
  for (const candidate of candidates) {
    try {
      const answer = Answer.parse(JSON.parse(candidate));
      return { summary: boundSummary(answer.summary), likely_cause: answer.likely_cause };
    } catch {
      // try the next reading
    }
  }
  throw new Error(
    `the model's answer is not the JSON object asked for: ${JSON.stringify(content.slice(0, 200))}`,
  );
}

/** The host of an OpenAI-compatible base URL; the SDK's default without one. */
export function endpointHost(baseURL: string | undefined): string {
  if (!baseURL) return 'api.openai.com';
  try {
    return new URL(baseURL).host;
  } catch {
    return 'the configured endpoint';
  }
}

/**
 * Summaries from OpenAI or any OpenAI-compatible server, through Chat Completions (the widest
 * supported API). The SDK's own retries are off: the queue sees every 429 and spaces calls for
 * all workers at once. Servers without json_schema support get the same request without it,
 * and the JSON is read from the text.
 */
export class OpenAISummarizer {
  readonly model: string;
  /** The endpoint's host (and port), for failure reasons: never its path, key or credentials. */
  readonly host: string;
  private readonly client: OpenAI;
  private readonly onRequest: ((request: LlmRequestRecord) => void) | undefined;
  private jsonSchema = true;

  constructor(options: OpenAISummarizerOptions) {
    this.model = options.model;
    this.host = endpointHost(options.baseURL);
    this.client = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: 0,
      timeout: options.timeoutMs ?? 60_000,
    });
    this.onRequest = options.onRequest;
  }

  async summarize(prompt: Prompt, signal?: AbortSignal): Promise<LlmSummary> {
    const request = {
      model: this.model,
      temperature: 0,
      max_tokens: MAX_COMPLETION_TOKENS,
      messages: [
        { role: 'system' as const, content: prompt.system },
        { role: 'user' as const, content: prompt.user },
      ],
    };
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    let headers: Headers;
    try {
      ({
        data: completion,
        response: { headers },
      } = await this.send(
        this.jsonSchema
          ? {
              ...request,
              response_format: {
                type: 'json_schema',
                json_schema: { name: 'ride_summary', strict: true, schema: JSON_SCHEMA },
              },
            }
          : request,
        signal,
      ));
    } catch (error) {
      if (!(this.jsonSchema && isUnsupportedFormat(error))) throw error;
      this.jsonSchema = false;
      return this.summarize(prompt, signal);
    }
    const choice = completion.choices[0];
    if (choice?.message?.refusal) throw new LlmRefusal(choice.message.refusal);
    const content = choice?.message?.content ?? '';
    if (content.trim() === '') {
      throw new Error(
        `the model answered with no content (finish_reason ${choice?.finish_reason ?? 'none'})`,
      );
    }
    return {
      ...parseAnswer(content),
      usage: usageOf(completion),
      tokenLimit: tokenLimitOf(headers),
    };
  }

  /** One HTTP request (the SDK retries nothing), told to onRequest however it ends. */
  private async send(
    body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
    signal: AbortSignal | undefined,
  ) {
    const started = performance.now();
    const told = (outcome: LlmRequestOutcome, usage?: LlmSummary['usage']) =>
      this.onRequest?.({
        outcome,
        seconds: (performance.now() - started) / 1_000,
        ...(usage ? { usage } : {}),
      });
    try {
      const answer = await this.client.chat.completions.create(body, { signal }).withResponse();
      told('ok', usageOf(answer.data));
      return answer;
    } catch (error) {
      told(requestOutcome(error));
      throw error;
    }
  }
}

function usageOf(completion: OpenAI.Chat.Completions.ChatCompletion): LlmSummary['usage'] {
  return {
    promptTokens: completion.usage?.prompt_tokens ?? 0,
    completionTokens: completion.usage?.completion_tokens ?? 0,
  };
}

function isUnsupportedFormat(error: unknown): boolean {
  return (
    error instanceof OpenAI.APIError &&
    error.status === 400 &&
    /response_format|json_schema/i.test(error.message)
  );
}
