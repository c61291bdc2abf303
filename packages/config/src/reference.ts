/**
 * Every environment variable the project reads. README.md's table and docker-compose.yml are
 * checked against this list by tests, so the three cannot drift apart.
 */
export interface EnvVarDoc {
  name: string;
  default: string;
  description: string;
}

export const ENV_REFERENCE: readonly EnvVarDoc[] = [
  {
    name: 'REDIS_URL',
    default: 'embedded redis-server',
    description:
      '`redis://` or `rediss://` URL of the queue Redis. Use AOF and `maxmemory-policy noeviction`.',
  },
  {
    name: 'REDIS_SENTINELS',
    default: 'none',
    description:
      'Redis Sentinel instead of `REDIS_URL`: the sentinels as `host:port,host:port`. Needs `REDIS_SENTINEL_NAME`; a failover is followed.',
  },
  {
    name: 'REDIS_SENTINEL_NAME',
    default: 'none',
    description: 'The master name the sentinels monitor (`sentinel monitor <name> …`).',
  },
  {
    name: 'REDIS_CLUSTER_NODES',
    default: 'none',
    description:
      'A Redis Cluster instead of `REDIS_URL`: some of its nodes as `host:port,host:port`. Not with `REDIS_SENTINELS`.',
  },
  {
    name: 'REDIS_PASSWORD',
    default: 'none',
    description:
      'Password of the Sentinel master and replicas or of the Cluster nodes. Never printed. With one server, put it in `REDIS_URL` instead.',
  },
  {
    name: 'REDIS_USERNAME',
    default: '`default` user',
    description: 'ACL user for `REDIS_PASSWORD`. Needs `REDIS_PASSWORD`.',
  },
  {
    name: 'REDIS_SENTINEL_PASSWORD',
    default: 'none',
    description: "The sentinels' own password, if they have one. Needs `REDIS_SENTINELS`.",
  },
  {
    name: 'REDIS_PREFIX',
    default: '`{etml}`',
    description:
      'Prefix of every Redis key, the queues too: a hash tag such as `{etml-staging}`, so a Cluster keeps them in one slot. Separates pipelines sharing a Redis.',
  },
  {
    name: 'S3_BUCKET',
    default: 'embedded S3, bucket `etml`',
    description: 'Bucket for input, intermediate results and outputs. Required with `S3_ENDPOINT`.',
  },
  {
    name: 'S3_PREFIX',
    default: 'none',
    description: 'Key prefix inside the bucket, e.g. `prod/etml`.',
  },
  {
    name: 'S3_ENDPOINT',
    default: 'AWS S3',
    description:
      'MinIO or another S3-API endpoint. Turns on path-style addressing and WHEN_REQUIRED checksums.',
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    default: '`true` with `S3_ENDPOINT`',
    description: 'Path-style bucket addressing.',
  },
  {
    name: 'AWS_REGION',
    default: 'the AWS chain; `us-east-1` with `S3_ENDPOINT`',
    description:
      'S3 region. Credentials come from the standard AWS chain (env, profile, IAM role).',
  },
  {
    name: 'ETML_DATA_DIR',
    default: '`.data`',
    description: 'Where the embedded redis-server and S3-API server keep their data.',
  },
  {
    name: 'OPENAI_API_KEY',
    default: 'offline summarizer',
    description:
      'Key for OpenAI or an OpenAI-compatible endpoint. Unset: the offline extractive summarizer, announced loudly at start.',
  },
  {
    name: 'OPENAI_BASE_URL',
    default: '`https://api.openai.com/v1`',
    description:
      'Any OpenAI-compatible Chat Completions endpoint (gateway, Ollama, vLLM, LM Studio).',
  },
  {
    name: 'OPENAI_MODEL',
    default: '`gpt-4o-mini`',
    description: 'Model for ride summaries. Part of every summary cache key.',
  },
  {
    name: 'SUMMARIZER',
    default: '`auto`',
    description:
      '`auto` (the LLM when `OPENAI_API_KEY` is set), `llm`, or `extractive` (offline, even with a key).',
  },
  {
    name: 'LLM_MAX_REQUESTS_PER_MINUTE',
    default: '`60`',
    description:
      'LLM requests allowed in any 60 s window, shared by every summarize-worker on the Redis (a sliding window, as OpenAI counts).',
  },
  {
    name: 'LLM_MAX_TOKENS_PER_MINUTE',
    default: 'none',
    description:
      "LLM tokens in the same window, shared the same way: a call holds its prompt's estimate and 400 answer tokens until its answer reports its usage. At least 6614 (one largest call).",
  },
  {
    name: 'LLM_MAX_SUMMARIES_PER_DAY',
    default: 'none',
    description:
      'LLM calls a day may make: the anomalies with the highest `anomaly_score` get them (rides sharing a prompt share its call); the others get the offline summary.',
  },
  {
    name: 'LLM_MAX_COST_PER_DAY_USD',
    default: 'none',
    description:
      "What a day's LLM calls may cost at list price, estimated from prompt sizes before the fan-out; the most severe rides that fit get the LLM. Needs a model with a known price.",
  },
  {
    name: 'LLM_CONCURRENCY',
    default: '`4`',
    description: 'LLM calls in flight per summarize-worker process.',
  },
  {
    name: 'LLM_TIMEOUT_SECONDS',
    default: '`60`',
    description: 'Timeout of one LLM request; a timeout is retried like a 5xx.',
  },
  {
    name: 'LLM_ATTEMPTS',
    default: '`6`',
    description:
      'Tries per summary for 5xx, timeouts and malformed answers. 429s do not use tries: they pause the queue.',
  },
  {
    name: 'LLM_BACKOFF_SECONDS',
    default: '`2`',
    description: 'First wait before a retry; it doubles each time, with ±50 % jitter.',
  },
  {
    name: 'LLM_RATE_WINDOW_SECONDS',
    default: '`60`',
    description:
      'The window `LLM_MAX_REQUESTS_PER_MINUTE` and `LLM_MAX_TOKENS_PER_MINUTE` are counted over. Keep 60 for real providers; tests shorten it.',
  },
  {
    name: 'REPORT_WEBHOOK_URL',
    default: 'none',
    description:
      'Posted a JSON message (Slack-style `text`, plus counts and the report and Parquet keys) once per completed day. Up to 4 tries, 1, 2 and 4 s apart; a failure never fails the day.',
  },
  {
    name: 'ALERT_WEBHOOK_URL',
    default: '`REPORT_WEBHOOK_URL`',
    description:
      'Posted a JSON alert (Slack-style `text`, `kind`, `date`, details) once per day and kind: `late` (no manifest by `REPORT_DEADLINE`), `failed` (cluster or load step failed for good, or too many summaries). Same tries as `REPORT_WEBHOOK_URL`; an alert never fails a job.',
  },
  {
    name: 'REPORT_DEADLINE',
    default: 'none (no late alerts)',
    description:
      'Local time `HH:MM` in `SCHEDULE_TZ` by which the day before must have its manifest. The scheduler (one instance, by a Redis lock) checks every minute and alerts; the board shows `etml_day_late`.',
  },
  {
    name: 'ALERT_FAILED_SUMMARY_SHARE',
    default: '`0.05`',
    description:
      'A complete day with more than this share (0 to 1) of its summaries failed gets a `failed` alert at fan-in.',
  },
  {
    name: 'JOB_LOCK_SECONDS',
    default: '`30`',
    description:
      "How long a cluster or summarize worker's job lock lasts without renewal (renewed at half of it). A worker killed mid-job has its job taken over by another after at most about twice this.",
  },
  {
    name: 'SCHEDULE_CRON',
    default: '`0 6 * * *`',
    description:
      'When the daily run fires, in `SCHEDULE_TZ` (cron-parser syntax; an optional first field is seconds). Each run is for the day before.',
  },
  {
    name: 'SCHEDULE_TZ',
    default: '`UTC`',
    description:
      'IANA time zone of the schedule and of ride dates, e.g. `Europe/London`; also "today" for the CLI, which refuses dates after it.',
  },
  {
    name: 'CATCHUP_DAYS',
    default: '`7`',
    description:
      'On start, on every run and when it heals, the scheduler enqueues each of the last N due dates that has no manifest and no job under way or failed. `0` turns this off.',
  },
  {
    name: 'SCHEDULE_HEAL_SECONDS',
    default: '`300`',
    description:
      'How often the scheduler puts its Job Scheduler back if Redis lost it and runs its catch-up, besides each time its Redis connection comes back.',
  },
  {
    name: 'DBSCAN_EPS',
    default: 'volume-aware',
    description:
      "DBSCAN eps on standardized distance and time. Unset: chosen from the day's ride count (see Clustering).",
  },
  {
    name: 'DBSCAN_MIN_SAMPLES',
    default: 'volume-aware',
    description:
      "DBSCAN min_samples, the point itself included. With both set, labels are scikit-learn's.",
  },
  {
    name: 'ANOMALY_MAX_SHARE',
    default: 'unset',
    description:
      "At most this share of a day's rides (0 to 1, e.g. `0.01`) is flagged anomalous: the most severe by `anomaly_score`. Labels and scores do not change.",
  },
  {
    name: 'RAW_WAIT_MINUTES',
    default: '`360`',
    description:
      'How long cluster-D waits for a late raw input, checking again 1, 2, 4… up to 30 minutes apart, before it fails.',
  },
  {
    name: 'LOG_FORMAT',
    default: '`pretty` on a terminal, else `json`',
    description:
      "`json`: one JSON object a line (`level`, `time`, `service`, `msg`, a job's `queue`, `job`, `date`, `ride`, the line's fields), for a log stack. `pretty`: `time LEVEL service message key=value…`. `etml start` gives its services its own choice.",
  },
  {
    name: 'LOG_LEVEL',
    default: '`info`',
    description:
      '`debug`, `info`, `warn` or `error`: the least severe lines written. `debug` adds a line per summary (done, an attempt failed, failed).',
  },
  {
    name: 'METRICS_PORT',
    default: 'none (off)',
    description:
      'Port where cluster-worker, summarize-worker and scheduler serve Prometheus `/metrics`: process metrics, `etml_job_duration_seconds{queue,outcome}` and, on the summarize-worker, the `etml_llm_*` metrics. Taken: the service refuses to start, naming it.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: 'none (off)',
    description:
      'OpenTelemetry collector (or Jaeger) base URL, `http://` or `https://`: cluster-worker, summarize-worker and scheduler send traces to `<url>/v1/traces` (OTLP, JSON over HTTP), one trace per day, which `etml run`, `enqueue` and `backfill` start for the days they queue. Unset: no span is made or sent, and the OpenTelemetry SDK is not loaded.',
  },
  {
    name: 'OTEL_SERVICE_NAME',
    default: "the service's name",
    description:
      '`service.name` of the traces. Set it per process only: one value for all services hides which service a span came from.',
  },
  {
    name: 'OTEL_RESOURCE_ATTRIBUTES',
    default: 'none',
    description:
      'Resource attributes added to every span, `key=value` pairs joined by commas (values percent-encoded), e.g. `deployment.environment.name=prod,host.name=worker-3`: how traces from several environments are told apart.',
  },
  {
    name: 'BOARD_PORT',
    default: '`3000`',
    description:
      'Port of the board (Bull Board at `/admin/queues`, `/healthz`, `/metrics`). Taken: the board and `etml start` refuse to start, naming it.',
  },
  {
    name: 'BOARD_HOST',
    default: '`127.0.0.1`',
    description:
      'Address the board listens on (IP address or host name). `0.0.0.0` opens it to the network (compose sets it in its container); with `BOARD_AUTH=off` it logs a loud warning.',
  },
  {
    name: 'BOARD_USERNAME',
    default: '`admin`',
    description: 'Board basic-auth user.',
  },
  {
    name: 'BOARD_PASSWORD',
    default: 'required',
    description: 'Board basic-auth password; the board refuses to start without it.',
  },
  {
    name: 'BOARD_AUTH',
    default: '`on`',
    description: '`off` opens the board without a password: only for a board on your own machine.',
  },
];

/** The README's configuration table, one row per variable. */
export function envTableMarkdown(): string {
  const rows = ENV_REFERENCE.map(v => `| \`${v.name}\` | ${v.default} | ${v.description} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
