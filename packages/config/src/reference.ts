/**
 * Every environment variable the project reads, for the README table and for checking that
 * docker-compose.yml names only real ones. `pending` names the feature, not built yet, that will read it.
 */
export interface EnvVarDoc {
  name: string;
  default: string;
  description: string;
  pending?: string;
}

export const ENV_REFERENCE: readonly EnvVarDoc[] = [
  {
    name: 'REDIS_URL',
    default: 'embedded redis-server',
    description:
      'redis:// or rediss:// URL of the queue Redis (AOF on, maxmemory-policy noeviction).',
  },
  {
    name: 'S3_BUCKET',
    default: 'embedded S3: etml',
    description: 'Bucket for raw input, intermediate results and outputs.',
  },
  {
    name: 'S3_PREFIX',
    default: '(none)',
    description: 'Key prefix inside the bucket, e.g. `prod/etml`.',
  },
  {
    name: 'S3_ENDPOINT',
    default: 'AWS S3',
    description:
      'S3-API endpoint for MinIO or another S3-compatible store; turns on path-style addressing and WHEN_REQUIRED checksums.',
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    default: 'true when S3_ENDPOINT is set',
    description: 'Path-style bucket addressing.',
  },
  {
    name: 'AWS_REGION',
    default: 'us-east-1',
    description:
      'Region for S3; credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID, profiles, IAM roles).',
  },
  {
    name: 'ETML_DATA_DIR',
    default: '.data',
    description: 'Where the embedded redis-server and S3 server keep their data.',
  },
  {
    name: 'OPENAI_API_KEY',
    default: 'offline extractive summarizer',
    description: 'API key for OpenAI or an OpenAI-compatible endpoint.',
    pending: 'summarization',
  },
  {
    name: 'OPENAI_BASE_URL',
    default: 'https://api.openai.com/v1',
    description: 'Any OpenAI-compatible endpoint.',
    pending: 'summarization',
  },
  {
    name: 'OPENAI_MODEL',
    default: 'gpt-4o-mini',
    description: 'Model for ride summaries.',
    pending: 'summarization',
  },
  {
    name: 'LLM_MAX_REQUESTS_PER_MINUTE',
    default: '60',
    description: 'Queue-wide LLM request limit, shared by every summarize-worker.',
    pending: 'summarization',
  },
  {
    name: 'LLM_CONCURRENCY',
    default: '4',
    description: 'LLM calls in flight per summarize-worker process.',
    pending: 'summarization',
  },
  {
    name: 'SCHEDULE_CRON',
    default: '0 6 * * *',
    description: 'When the daily job fires.',
    pending: 'scheduler',
  },
  {
    name: 'SCHEDULE_TZ',
    default: 'UTC',
    description: 'IANA time zone of the schedule and of ride dates.',
    pending: 'scheduler',
  },
  {
    name: 'CATCHUP_DAYS',
    default: '7',
    description: 'How many missed days the scheduler enqueues on start.',
    pending: 'scheduler',
  },
  {
    name: 'DBSCAN_EPS',
    default: 'chosen per day',
    description: 'DBSCAN eps on standardized distance and time.',
    pending: 'clustering',
  },
  {
    name: 'DBSCAN_MIN_SAMPLES',
    default: 'chosen per day',
    description: 'DBSCAN min_samples (the point itself included).',
    pending: 'clustering',
  },
  { name: 'BOARD_PORT', default: '3000', description: 'Port of Bull Board.', pending: 'board' },
  {
    name: 'BOARD_USERNAME',
    default: '(required)',
    description: 'Bull Board basic-auth user.',
    pending: 'board',
  },
  {
    name: 'BOARD_PASSWORD',
    default: '(required)',
    description: 'Bull Board basic-auth password.',
    pending: 'board',
  },
];
