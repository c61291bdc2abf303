import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCALHOST } from '@etml/embedded';

export interface FakeLlmOptions {
  /** Requests allowed per window, counted over a sliding window as OpenAI does. */
  rpm?: number;
  /**
   * Tokens allowed per window, in the same sliding window: a request is refused when the usage
   * it would report (prompt and completion) does not fit beside the usage of those accepted.
   */
  tpm?: number;
  /** false: no x-ratelimit-*-tokens headers (to test a client's own limiter alone). */
  tokenHeaders?: boolean;
  windowMs?: number;
  latencyMs?: number;
  /** Share of requests answered 500, drawn from a seeded sequence (repeatable). */
  failRate?: number;
  /** Requests whose user message this matches always get a 500. */
  alwaysFail?: (userMessage: string) => boolean;
  /** Its 500s quote the request's API key, as careless servers do in their error bodies. */
  echoKeyInErrors?: boolean;
  /** false: a request with response_format json_schema gets the 400 old servers give. */
  jsonSchema?: boolean;
  /** Every request gets OpenAI's 429 insufficient_quota. */
  quotaExhausted?: boolean;
  /** The JSON answer for a user message; the default echoes the reasons it was sent. */
  answer?: (userMessage: string) => unknown;
  /**
   * A fault for this request (numbered from 1 across the server's life), or undefined to answer
   * normally. Checked before the rate limit, so faults cost no window slot.
   */
  fault?: (request: { n: number; user: string }) => LlmFault | undefined;
  /** How long a `hang` holds its request (default 2 min: longer than any client timeout). */
  hangMs?: number;
  /** The wait a `storm` 429 names in retry-after-ms. */
  stormRetryAfterMs?: number;
}

/**
 * What a misbehaving provider does: `storm` a 429 with retry-after (not counted against the
 * window), `error` a 500, `hang` no answer for `hangMs`, `reset` the connection dropped,
 * `malformed` prose instead of JSON, `empty` no content, `refusal` OpenAI's structured refusal.
 */
export type LlmFault = 'storm' | 'error' | 'hang' | 'reset' | 'malformed' | 'empty' | 'refusal';

export interface FakeLlmRequest {
  at: number;
  model: string;
  user: string;
  status: number;
  jsonSchema: boolean;
  /** The wait a 429 named (retry-after-ms). */
  retryAfterMs?: number;
  /** The tokens an answer reported (prompt and completion). */
  tokens?: number;
  /** The fault injected instead of an answer. */
  fault?: LlmFault;
}

export interface FakeLlm {
  /** Base URL for the openai client (ends in /v1). */
  url: string;
  readonly requests: readonly FakeLlmRequest[];
  count(status: number): number;
  /** Requests received and not answered yet (held by latencyMs, say). */
  pending(): number;
  /** Requests answered with each fault. */
  faults(): Record<string, number>;
  /** The largest number of accepted requests seen in any window. */
  peakInWindow(): number;
  /** The largest number of tokens (reported usage) seen in any window. */
  peakTokensInWindow(): number;
  /** Requests refused because they were over the requests limit (rpm) or the tokens limit (tpm). */
  overLimit(): { requests: number; tokens: number };
  configure(options: FakeLlmOptions): void;
  close(): Promise<void>;
}

/** The status each fault is logged with (0: no HTTP answer). */
const FAULT_STATUS: Record<LlmFault, number> = {
  storm: 429,
  error: 500,
  hang: 0,
  reset: 0,
  malformed: 200,
  empty: 200,
  refusal: 200,
};

function defaultAnswer(user: string): unknown {
  const reasons = /<reasons>(.*?)<\/reasons>/s.exec(user)?.[1] ?? 'none';
  const traffic = /<traffic>(.*?)<\/traffic>/s.exec(user)?.[1] ?? '';
  return {
    summary: `The ride was anomalous (${reasons}). ${traffic || 'No traffic report.'}`.slice(
      0,
      400,
    ),
    likely_cause: /accident|crash|blocked/i.test(user) ? 'traffic_incident' : 'unknown',
  };
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function send(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}

/**
 * An OpenAI-compatible Chat Completions server for tests and benchmarks: real HTTP for the real
 * `openai` client, with sliding-window request and token limits answered by 429s carrying
 * retry-after, retry-after-ms and x-ratelimit-* headers (and the tokens left on every answer),
 * a count of the requests that were over either limit, injected 5xx, latency, and a log of every
 * request.
 */
export async function startFakeLlm(initial: FakeLlmOptions = {}): Promise<FakeLlm> {
  let options = initial;
  const requests: FakeLlmRequest[] = [];
  const accepted: number[] = [];
  /** The usage of each answered request in the window, oldest first. */
  const spent: { at: number; tokens: number }[] = [];
  let spentInWindow = 0;
  let peak = 0;
  let peakTokens = 0;
  const over = { requests: 0, tokens: 0 };
  let draws = 0;
  let pending = 0;
  let received = 0;
  const faults: Record<string, number> = {};
  const random = () => {
    // A fixed linear congruential sequence: the same run fails the same requests.
    draws = (Math.imul(draws, 1_103_515_245) + 12_345) >>> 0;
    return draws / 2 ** 32;
  };

  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    const request = JSON.parse(await body(req)) as {
      model: string;
      messages: { role: string; content: string }[];
      response_format?: { type: string };
    };
    const user = request.messages.find(m => m.role === 'user')?.content ?? '';
    // Every message counts, the system prompt too, as providers count them.
    const promptTokens = Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const jsonSchema = request.response_format?.type === 'json_schema';
    const log = (
      status: number,
      extra: Pick<FakeLlmRequest, 'retryAfterMs' | 'fault' | 'tokens'> = {},
    ) =>
      requests.push({ at: Date.now(), model: request.model, user, status, jsonSchema, ...extra });
    received += 1;
    const fault = options.fault?.({ n: received, user });
    if (fault) {
      faults[fault] = (faults[fault] ?? 0) + 1;
      log(FAULT_STATUS[fault], { fault });
      if (fault === 'hang') {
        pending += 1;
        await new Promise(resolve => setTimeout(resolve, options.hangMs ?? 120_000).unref());
        pending -= 1;
        if (!res.destroyed) send(res, 504, { error: { message: 'hung' } });
        return;
      }
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'storm') {
        send(
          res,
          429,
          {
            error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
          },
          { 'retry-after': '1', 'retry-after-ms': String(options.stormRetryAfterMs ?? 300) },
        );
        return;
      }
      if (fault === 'error') {
        send(res, 500, { error: { message: 'injected server error', type: 'server_error' } });
        return;
      }
      const message =
        fault === 'refusal'
          ? { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." }
          : {
              role: 'assistant',
              content: fault === 'empty' ? '' : 'Sure! The ride was late, I think.',
            };
      send(res, 200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1_000),
        model: request.model,
        choices: [{ index: 0, message, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: 8, total_tokens: 0 },
      });
      return;
    }
    if (options.latencyMs) {
      pending += 1;
      await new Promise(resolve => setTimeout(resolve, options.latencyMs));
      pending -= 1;
    }

    const now = Date.now();
    const windowMs = options.windowMs ?? 60_000;
    while (accepted.length > 0 && (accepted[0] as number) <= now - windowMs) accepted.shift();
    while (spent.length > 0 && (spent[0]?.at as number) <= now - windowMs) {
      spentInWindow -= spent.shift()?.tokens as number;
    }
    /** A 429 for a limit, naming its wait as OpenAI's servers do. */
    const refuse = (
      limit: 'requests' | 'tokens',
      waitMs: number,
      headers: Record<string, string>,
    ) => {
      over[limit] += 1;
      log(429, { retryAfterMs: waitMs });
      send(
        res,
        429,
        {
          error: {
            message: `Rate limit reached for ${limit}`,
            type: limit,
            code: 'rate_limit_exceeded',
          },
        },
        {
          'retry-after': String(Math.ceil(waitMs / 1_000)),
          // Fractional, as some servers send it.
          'retry-after-ms': (waitMs + 0.25).toFixed(2),
          ...headers,
        },
      );
    };
    if (options.quotaExhausted) {
      log(429);
      send(res, 429, {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      });
      return;
    }
    if (options.rpm !== undefined && accepted.length >= options.rpm) {
      const waitMs = Math.max(1, (accepted[0] as number) + windowMs - now);
      refuse('requests', waitMs, {
        'x-ratelimit-limit-requests': String(options.rpm),
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': `${waitMs}ms`,
      });
      return;
    }
    const content = JSON.stringify((options.answer ?? defaultAnswer)(user));
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: Math.ceil(content.length / 4),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    /**
     * The tokens limit's headers. Reset is when the window is back to its initial state (all its
     * tokens gone), as OpenAI defines x-ratelimit-reset-tokens.
     */
    const tokenHeaders = (): Record<string, string> =>
      options.tpm === undefined || options.tokenHeaders === false
        ? {}
        : {
            'x-ratelimit-limit-tokens': String(options.tpm),
            'x-ratelimit-remaining-tokens': String(Math.max(0, options.tpm - spentInWindow)),
            'x-ratelimit-reset-tokens': `${spent.length ? (spent.at(-1)?.at as number) + windowMs - now : 0}ms`,
          };
    if (options.tpm !== undefined && spentInWindow + usage.total_tokens > options.tpm) {
      // Wait until enough of the oldest usage has left the window for this request to fit.
      let freed = 0;
      let waitMs = windowMs;
      for (const entry of spent) {
        freed += entry.tokens;
        if (spentInWindow - freed + usage.total_tokens <= options.tpm) {
          waitMs = Math.max(1, entry.at + windowMs - now);
          break;
        }
      }
      refuse('tokens', waitMs, tokenHeaders());
      return;
    }
    accepted.push(now);
    peak = Math.max(peak, accepted.length);
    if (options.alwaysFail?.(user) || (options.failRate ?? 0) > random()) {
      log(500);
      send(res, 500, {
        error: {
          message: `The server had an error while processing your request${
            options.echoKeyInErrors ? ` (${req.headers.authorization})` : ''
          }.`,
          type: 'server_error',
        },
      });
      return;
    }
    if (jsonSchema && options.jsonSchema === false) {
      log(400);
      send(res, 400, {
        error: {
          message:
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
          type: 'invalid_request_error',
        },
      });
      return;
    }
    log(200, { tokens: usage.total_tokens });
    spent.push({ at: now, tokens: usage.total_tokens });
    spentInWindow += usage.total_tokens;
    peakTokens = Math.max(peakTokens, spentInWindow);
    send(
      res,
      200,
      {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(now / 1_000),
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage,
      },
      {
        ...(options.rpm === undefined
          ? {}
          : {
              'x-ratelimit-limit-requests': String(options.rpm),
              'x-ratelimit-remaining-requests': String(options.rpm - accepted.length),
            }),
        ...tokenHeaders(),
      },
    );
  });
  await new Promise<void>(resolve => server.listen(0, LOCALHOST, resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('fake LLM has no address');
  return {
    url: `http://${LOCALHOST}:${address.port}/v1`,
    get requests() {
      return requests;
    },
    count: status => requests.filter(r => r.status === status).length,
    pending: () => pending,
    faults: () => ({ ...faults }),
    peakInWindow: () => peak,
    peakTokensInWindow: () => peakTokens,
    overLimit: () => ({ ...over }),
    configure(next) {
      options = next;
    },
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
