import {
  codeVersion,
  connectRedis,
  connectStore,
  createLogger,
  onShutdown,
  waitForRedis,
} from '@etml/runtime';
import {
  extractiveSummarizer,
  llmSummarizer,
  OpenAISummarizer,
  type Summarizer,
} from '@etml/summarization';
import { loadEnv, type SummarizerChoice, type SummarizeWorkerEnv } from './env.ts';
import { createSummarizeWorker, type SummarizeWorkerOptions } from './worker.ts';

export function summarizerFor(choice: SummarizerChoice): Summarizer {
  if (choice.kind === 'extractive') return extractiveSummarizer;
  return llmSummarizer(
    new OpenAISummarizer({
      apiKey: choice.apiKey,
      baseURL: choice.baseURL,
      model: choice.model,
      timeoutMs: choice.timeoutMs,
    }),
  );
}

/** The worker's settings from its environment; the caller adds Redis, S3 and a logger. */
export function workerSettings(
  env: SummarizeWorkerEnv,
): Omit<SummarizeWorkerOptions, 'redisUrl' | 'store' | 'log'> {
  return {
    summarizer: summarizerFor(env.summarizer),
    maxRequestsPerMinute: env.maxRequestsPerMinute,
    llmConcurrency: env.llmConcurrency,
    limiterWindowMs: env.limiterWindowMs,
    callTimeoutMs: env.summarizer.kind === 'llm' ? env.summarizer.timeoutMs : undefined,
    retry: env.retry,
    webhook: env.webhookUrl ? { url: env.webhookUrl } : undefined,
    worker: env.worker,
    codeVersion: codeVersion(),
  };
}

/** The composition root: configuration, connections, the workers, and signal handling. */
export async function start(source: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = createLogger('summarize-worker');
  const env = loadEnv(source);
  if (env.summarizer.kind === 'extractive') {
    // Loud on purpose: a deployment that forgot its key should not look like it works.
    process.stderr.write(
      [
        '',
        '************************************************************************',
        `* NO LLM: ${env.summarizer.why}.`,
        '* Summaries come from the offline extractive summarizer (context',
        '* sentences picked by keyword rules), marked summary_source "extractive".',
        '* Set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server).',
        '************************************************************************',
        '',
      ].join('\n'),
    );
  }
  const redis = await connectRedis(env.infra);
  await waitForRedis(redis.value, log);
  const store = await connectStore(env.infra);
  const { close } = createSummarizeWorker({
    redisUrl: redis.value,
    store: store.value,
    ...workerSettings(env),
    log,
  });
  log.info('ready', {
    redis: redis.description,
    s3: store.description,
    summarizer:
      env.summarizer.kind === 'llm'
        ? `${env.summarizer.model} at ${env.summarizer.baseURL ?? 'api.openai.com'}`
        : 'extractive',
    maxRequestsPerMinute: env.maxRequestsPerMinute,
    llmConcurrency: env.llmConcurrency,
  });
  onShutdown(close);
}
